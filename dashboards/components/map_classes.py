"""Class breaks, class colours and legends of the Map page (pure functions).
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from shapely.geometry import shape

from dashboards.components.charts import REGION_OUTLINE_COLOUR
from dashboards.components.map_style import NO_DEATHS_COLOUR, SELECTED_OUTLINE_COLOUR, SUPPRESSED_COLOUR, VIRIDIS_5


@dataclass(frozen=True)
class LegendBin:
    """One legend entry: a swatch colour and what it means."""

    colour: str
    label: str


def nice_round(value: float) -> float:
    """Round to two significant figures so legend edges read well (37.46 -> 37, 123 -> 120)."""
    if value == 0 or not math.isfinite(value):
        return value
    digits = 1 - math.floor(math.log10(abs(value)))
    rounded = round(value, digits)
    return float(int(rounded)) if digits <= 0 else rounded


def class_breaks(values: Iterable[float | None], n_classes: int = 5) -> list[float]:
    """Edges ``[min, e1, ..., max]`` of up to ``n_classes`` quantile classes of the positive values.

    Inner edges are the 1/n, 2/n, ... quantiles (linear interpolation) rounded with
    :func:`nice_round`; edges that collapse onto a neighbour are dropped, so fewer distinct values
    give fewer classes. Nulls (suppressed) and zeros (drawn as "no deaths") are ignored. An empty
    input gives an empty list.
    """
    clean = sorted(float(v) for v in values if v is not None and v > 0)
    if not clean:
        return []
    low, high = clean[0], clean[-1]
    if low == high:
        return [low, high]
    edges = [low]
    for k in range(1, n_classes):
        position = (len(clean) - 1) * k / n_classes
        below = math.floor(position)
        above = min(below + 1, len(clean) - 1)
        quantile = clean[below] + (clean[above] - clean[below]) * (position - below)
        edge = nice_round(quantile)
        if edges[-1] < edge < high:
            edges.append(edge)
    edges.append(high)
    return edges


def classify(value: float, edges: Sequence[float]) -> int:
    """Index of the class holding ``value``: ``edges[i] <= value < edges[i+1]``, last class closed."""
    if len(edges) < 2:
        return 0
    for index in range(len(edges) - 2):
        if value < edges[index + 1]:
            return index
    return len(edges) - 2


def class_colours(n_classes: int, palette: Sequence[str] = VIRIDIS_5) -> list[str]:
    """``n_classes`` colours spread evenly over ``palette`` (viridis by default)."""
    if not 1 <= n_classes <= len(palette):
        raise ValueError(f"between 1 and {len(palette)} classes, got {n_classes}")
    if n_classes == 1:
        return [palette[0]]
    step = (len(palette) - 1) / (n_classes - 1)
    return [palette[round(i * step)] for i in range(n_classes)]


def _edge_label(value: float, integer: bool) -> str:
    return f"{int(value):,}" if integer else f"{value:,.1f}"


def class_labels(edges: Sequence[float], *, integer: bool, percent: bool = False) -> list[str]:
    """One label per class of ``edges``: "10–19" for counts, "12.0–25.0" for rates, "20%–35%"."""
    labels = []
    n_classes = len(edges) - 1
    for index in range(n_classes):
        low, high = edges[index], edges[index + 1]
        last = index == n_classes - 1
        if integer:
            low_i = math.ceil(low)
            high_i = math.floor(high) if last else math.ceil(high) - 1
            labels.append(f"{low_i:,}" if high_i <= low_i else f"{low_i:,}–{high_i:,}")
        elif percent:
            labels.append(f"{low:.0%}–{high:.0%}")
        else:
            labels.append(f"{_edge_label(low, False)}–{_edge_label(high, False)}")
    return labels


def legend_bins(
    edges: Sequence[float],
    *,
    integer: bool,
    threshold: int,
    secondary: bool = False,
    palette: Sequence[str] = VIRIDIS_5,
    empty_label: str = "No deaths",
    unit: str = "deaths",
    percent: bool = False,
) -> list[LegendBin]:
    """Legend entries for ``edges`` plus the "none" and "suppressed" swatches.

    Count classes are whole numbers, so class ``[10, 20)`` reads "10–19"; rate classes keep one
    decimal and read "12.0–25.0" (lower edge included). ``secondary`` adds the "*" mark of areas
    hidden to protect a small count to the grey swatch's label.
    """
    bins = [LegendBin(NO_DEATHS_COLOUR, empty_label)]
    n_classes = len(edges) - 1
    colours = class_colours(n_classes, palette) if n_classes > 0 else []
    labels = class_labels(edges, integer=integer, percent=percent) if n_classes > 0 else []
    bins += [LegendBin(colour, label) for colour, label in zip(colours, labels, strict=True)]
    hidden = f"1–{threshold - 1} {unit} (shown as <{threshold})"
    if secondary:
        hidden += " or hidden (*)"
    bins.append(LegendBin(SUPPRESSED_COLOUR, hidden))
    return bins


_LEGEND_CSS = (
    "<style>"
    ".odw-legend{font-size:0.85rem;line-height:1.25;margin-bottom:0.6rem;}"
    ".odw-legend-title{font-weight:600;margin-bottom:0.35rem;}"
    ".odw-legend-row{display:flex;align-items:center;gap:0.5rem;margin:0.2rem 0;}"
    ".odw-swatch{display:inline-block;width:1.6rem;height:0.95rem;border:1px solid #8a8a8a;"
    "flex:none;border-radius:2px;}"
    ".odw-outline{background:transparent;border-width:3px;}"
    ".odw-hex{clip-path:polygon(25% 0,75% 0,100% 50%,75% 100%,25% 100%,0 50%);border:none;}"
    ".odw-dot{width:0.95rem;border-radius:50%;border:1.5px solid #222;}"
    "</style>"
)


def legend_html(
    title: str,
    bins: Sequence[LegendBin],
    region_label: str | None = None,
    *,
    shape: str = "box",
    selected: bool = False,
) -> str:
    """Self-contained HTML legend (swatches are styled spans, so it needs no image or network).

    ``region_label`` adds the region-boundary swatch, ``selected`` the selected-area swatch;
    ``shape`` is ``"box"``, ``"hex"`` or ``"dot"`` to echo the layer's marks.
    """
    extra = {"hex": " odw-hex", "dot": " odw-dot"}.get(shape, "")
    rows = "".join(
        '<div class="odw-legend-row">'
        f'<span class="odw-swatch{extra}" style="background:{b.colour}"></span>{html.escape(b.label)}</div>'
        for b in bins
    )
    if region_label is not None:
        rows += (
            '<div class="odw-legend-row"><span class="odw-swatch odw-outline" '
            f'style="border-color:{REGION_OUTLINE_COLOUR}"></span>{html.escape(region_label)} boundary</div>'
        )
    if selected:
        rows += (
            '<div class="odw-legend-row"><span class="odw-swatch odw-outline" '
            f'style="border-color:{SELECTED_OUTLINE_COLOUR}"></span>Selected area</div>'
        )
    return (
        f'{_LEGEND_CSS}<div class="odw-legend" role="list" aria-label="{html.escape(title)}">'
        f'<div class="odw-legend-title">{html.escape(title)}</div>{rows}</div>'
    )
