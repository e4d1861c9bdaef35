"""Pure functions behind the Map page: class breaks, colours, legends, features, layers, the Deck.

Nothing here touches Streamlit or the database, so every rule (binning, what a suppressed area
shows, which hexagons a public view may draw) is unit-tested on plain inputs.

Every pickable object carries the same six tooltip slots (``title``, ``line1``..``line4``,
``note``) as *display strings*: one tooltip template serves every layer, and a suppressed count
can never reach the browser as a number hidden in the map data.

Palettes (all colour-blind safe, and ordered by lightness so they survive greyscale printing):

* deaths (count or rate) — viridis, light = few, dark = many;
* test-strip positivity — cividis (blue–yellow; readable with any colour-vision deficiency);
* hexagon counts — ColorBrewer YlOrRd, drawn over dimmed areas with a dark outline;
* Gi* hot/cold spots and Local Moran clusters — ColorBrewer RdBu (diverging red = hot/high,
  blue = cold/low), with "not significant" a light grey; no red–green pairs anywhere.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import h3
import polars as pl
import pydeck as pdk
from shapely.geometry import Polygon, mapping, shape
from shapely.geometry import box as shapely_box
from shapely.geometry.polygon import orient
from shapely.ops import unary_union

from dashboards.components.charts import REGION_OUTLINE_COLOUR, chart_title
from pipelines.defs.field_data.metrics import suppress_proportion

#: Viridis, 5 classes, light (few deaths) to dark (many): colour-blind safe and still ordered
#: when printed in greyscale.
VIRIDIS_5: tuple[str, ...] = ("#fde725", "#5ec962", "#21918c", "#3b528b", "#440154")
#: Cividis, 5 classes, light (low positivity) to dark (high).
CIVIDIS_5: tuple[str, ...] = ("#fee838", "#c3b369", "#7f7c75", "#4a5a7a", "#00224e")
#: ColorBrewer YlOrRd, 5 classes, for hexagon counts.
YLORRD_5: tuple[str, ...] = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
#: Areas whose count is suppressed (1 to threshold-1 deaths): a neutral grey, outside the palette.
SUPPRESSED_COLOUR = "#a3a3a3"
#: Areas with no deaths in the period: near-white so they read as "nothing" rather than "low".
NO_DEATHS_COLOUR = "#f2f2f2"
#: The outline of areas chosen in the shared area filter (or clicked on the map).
SELECTED_OUTLINE_COLOUR = "#111111"
AREA_BORDER_COLOUR = "#ffffff"
NOT_SIGNIFICANT_COLOUR = "#e3e3e3"

CHOROPLETH_LAYER_ID = "community-areas"
OUTLINE_LAYER_ID = "region-outline"
LABEL_LAYER_ID = "region-labels"
SELECTED_LAYER_ID = "selected-areas"
HEX_LAYER_ID = "hex-cells"
ALERT_LAYER_ID = "alert-markers"
ALERT_LABEL_LAYER_ID = "alert-labels"

#: Gi* classes: key -> (colour, legend label). Bins follow the pipeline (±3: q ≤ 0.01, ±2: ≤ 0.05).
GI_STYLES: dict[str, tuple[str, str]] = {
    "hot99": ("#b2182b", "Hot spot, 99% confidence"),
    "hot95": ("#ef8a62", "Hot spot, 95% confidence"),
    "not significant": (NOT_SIGNIFICANT_COLOUR, "Not significant"),
    "cold95": ("#67a9cf", "Cold spot, 95% confidence"),
    "cold99": ("#2166ac", "Cold spot, 99% confidence"),
}
#: Local Moran cluster types (as published) -> (colour, legend label), GeoDa's usual scheme.
MORAN_STYLES: dict[str, tuple[str, str]] = {
    "high-high": ("#b2182b", "High-high: high among high neighbours"),
    "high-low": ("#f4a582", "High-low: high among low (outlier)"),
    "low-high": ("#92c5de", "Low-high: low among high (outlier)"),
    "low-low": ("#2166ac", "Low-low: low among low neighbours"),
    "not significant": (NOT_SIGNIFICANT_COLOUR, "Not significant"),
}
#: Alert severity -> marker colour (lightness rises with severity, so it is not colour alone).
SEVERITY_COLOURS: dict[str, str] = {"low": "#fed976", "moderate": "#fd8d3c", "high": "#bd0026"}
_SEVERITY_RANK = {"low": 0, "moderate": 1, "high": 2}

#: Hexagon count metrics of ``marts.hex_counts`` -> label.
HEX_METRICS: dict[str, str] = {
    "overdose_deaths": "Overdose deaths",
    "positive_test_strips": "Positive test strips",
    "outreach_contacts": "Outreach contacts",
}
#: Alert series of ``marts.alert_badges`` -> label.
SERIES_LABELS: dict[str, str] = {
    "overdose_deaths": "overdose deaths",
    "positive_test_strips": "positive test strips",
    "outreach_contacts": "outreach contacts",
}
#: Alert methods -> plain words for the tooltip.
METHOD_LABELS: dict[str, str] = {
    "ears_c1": "EARS C1 (vs the last 7 periods)",
    "ears_c2": "EARS C2 (vs 7 periods, 2-period gap)",
    "ears_c3": "EARS C3 (C2 summed over 3 periods)",
    "seasonal": "seasonal regression (vs same season, past years)",
}

#: One tooltip for every layer; each pickable object fills the same slots with display strings.
#: Empty slots are hidden by the page's CSS (``.deck-tooltip div:empty``).
TOOLTIP_HTML = (
    '<div style="font-weight:600">{title}</div>'
    "<div>{line1}</div><div>{line2}</div><div>{line3}</div><div>{line4}</div>"
    '<div style="font-style:italic">{note}</div>'
)
TOOLTIP_SLOTS = ("title", "line1", "line2", "line3", "line4", "note")


@dataclass(frozen=True)
class LegendBin:
    """One legend entry: a swatch colour and what it means."""

    colour: str
    label: str


def hex_to_rgba(colour: str, alpha: int = 255) -> list[int]:
    """``"#fde725"`` -> ``[253, 231, 37, alpha]`` (deck.gl colour accessor format)."""
    value = colour.lstrip("#")
    return [int(value[i : i + 2], 16) for i in (0, 2, 4)] + [alpha]


def rgba_to_hex(colour: Sequence[int]) -> str:
    """``[253, 231, 37, 235]`` -> ``"#fde725"`` (alpha dropped)."""
    return "#" + "".join(f"{int(c):02x}" for c in colour[:3])


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


# --------------------------------------------------------------------------------------------
# Community-area features
# --------------------------------------------------------------------------------------------


def _tooltip(title: str, lines: Sequence[str] = (), note: str = "") -> dict[str, str]:
    """The tooltip slots: a title, up to four lines and an italic note (missing ones empty)."""
    padded = [*lines, "", "", "", ""][:4]
    return {"title": title, **{f"line{i + 1}": text for i, text in enumerate(padded)}, "note": note}


def _area_feature(
    number: int, name: str, geometry_json: str, fill: list[int], lines: Sequence[str], note: str = ""
) -> dict:
    return {
        "type": "Feature",
        "geometry": json.loads(geometry_json),
        "properties": {
            "community_area_number": int(number),
            "community_area": name,
            **_tooltip(name, lines, note),
            "fill_color": fill,
        },
    }


#: The rates an area tooltip names: value column -> (label, lower, upper, unstable flag).
RATE_FIELDS: dict[str, tuple[str, str, str, str]] = {
    "rate": ("Crude rate", "rate_lower", "rate_upper", "rate_unstable"),
    "age_adjusted_rate": ("Age-adjusted rate", "age_adjusted_lower", "age_adjusted_upper", "age_adjusted_unstable"),
}


def _rate_text(row: dict, column: str = "rate") -> str:
    label, lower, upper, _unstable = RATE_FIELDS[column]
    if row[column] is None:
        return f"{label}: not available"
    text = f"{label}: {row[column]:,.1f} per 100,000 per year"
    if row[lower] is not None and row[upper] is not None:
        text += f" (95% CI {row[lower]:,.1f}–{row[upper]:,.1f})"
    return text


def _rate_lines(row: dict, threshold: int) -> list[str]:
    """The crude rate, and the age-adjusted rate when the metrics carry it; one line when hidden."""
    if row["deaths_suppressed"]:
        return [f"Rates: not shown (fewer than {threshold} deaths)"]
    return [_rate_text(row, column) for column in RATE_FIELDS if column in row]


def _area_note(row: dict, value_col: str) -> str:
    if row["deaths_suppressed"]:
        return ""
    notes = []
    unstable = RATE_FIELDS.get(value_col, RATE_FIELDS["rate"])[3]
    if row.get(unstable):
        notes.append("Unstable rate: fewer than 20 deaths")
    unknown = row.get("deaths_unknown_age_display")
    if value_col == "age_adjusted_rate" and unknown not in (None, "0"):
        notes.append(f"{unknown} deaths of unknown age not in the age-adjusted rate")
    return "; ".join(notes)


def _geometries(areas: pl.DataFrame) -> dict[int, str]:
    return dict(
        zip(areas.get_column("community_area_number"), areas.get_column("geometry_geojson"), strict=True)
    )


def build_features(
    metrics: pl.DataFrame,
    areas: pl.DataFrame,
    *,
    value_col: str,
    edges: Sequence[float],
    threshold: int,
    count_label: str,
    alpha: int = 235,
) -> list[dict]:
    """GeoJSON features, one per community area, carrying display text and a fill colour.

    ``metrics`` is :func:`dashboards.components.data.area_period_metrics` output, with the
    age-adjusted columns of :func:`dashboards.components.adjusted_rates.with_area_adjusted` when
    the tooltip should name both rates; ``value_col`` is ``"deaths"``, ``"rate"`` (crude) or
    ``"age_adjusted_rate"``. Properties hold strings only (plus the area number and colour), so a
    suppressed area's count or rate cannot leak through the map data sent to the browser.
    """
    colours = [hex_to_rgba(c, alpha) for c in class_colours(len(edges) - 1)] if len(edges) > 1 else []
    geometry = _geometries(areas)
    features = []
    for row in metrics.sort("community_area_number").iter_rows(named=True):
        if row["deaths_suppressed"]:
            fill = hex_to_rgba(SUPPRESSED_COLOUR, alpha)
        elif not row["deaths"]:
            fill = hex_to_rgba(NO_DEATHS_COLOUR, alpha)
        elif colours and row[value_col] is not None:
            fill = colours[classify(row[value_col], edges)]
        else:
            fill = hex_to_rgba(NO_DEATHS_COLOUR, alpha)
        features.append(
            _area_feature(
                row["community_area_number"],
                row["community_area"],
                geometry[row["community_area_number"]],
                fill,
                [
                    f"{count_label}: {row['deaths_display']}",
                    *_rate_lines(row, threshold),
                    f"Population (2020): {row['population']:,}",
                ],
                _area_note(row, value_col),
            )
        )
    return features


def drug_area_metrics(
    counts: pl.DataFrame, areas: pl.DataFrame, start: date, end: date, *, threshold: int
) -> pl.DataFrame:
    """Deaths and rate per community area for one drug (``counts``: month, area number, deaths).

    ``counts`` is ``marts.overdose_deaths_monthly`` summed for the chosen drug. The work, including
    complementary suppression within the region and the rest of the city, is
    :func:`dashboards.components.data.area_period_metrics`, fed through its all-deaths column.
    """
    from dashboards.components.data import DRUGS, area_period_metrics

    column = DRUGS["overdose"][1]
    flags = areas.select("community_area_number", "in_region")
    monthly = counts.join(flags, on="community_area_number", how="inner").select(
        "month", "community_area_number", "in_region", pl.col("deaths").alias(column)
    )
    return area_period_metrics(monthly, areas, start, end, "overdose", threshold=threshold)


def gi_key(gi_class: str | None, gi_bin: int | None) -> str:
    """The :data:`GI_STYLES` key of a published Gi* class and confidence bin."""
    if gi_class == "hot spot":
        return "hot99" if (gi_bin or 0) >= 3 else "hot95"
    if gi_class == "cold spot":
        return "cold99" if (gi_bin or 0) <= -3 else "cold95"
    return "not significant"


def pick_window(windows: Sequence[tuple[date, date]], end: date) -> tuple[date, date] | None:
    """The latest hot-spot window ``(start, end_exclusive)`` that closes by the end of ``end``'s month.

    The period slider thus moves the hot-spot map back in time; a period ending before the first
    window falls back to the first window. ``None`` when there are no windows.
    """
    if not windows:
        return None
    ordered = sorted(windows)
    closes = date(end.year + (end.month == 12), end.month % 12 + 1, 1)
    done = [w for w in ordered if w[1] <= closes]
    return done[-1] if done else ordered[0]


def class_features(
    classes: pl.DataFrame,
    areas: pl.DataFrame,
    *,
    kind: str,
    measure_label: str,
    window_label: str,
    alpha: int = 235,
) -> list[dict]:
    """Area features coloured by Gi* class (``kind="gi"``) or Local Moran cluster (``"moran"``).

    ``classes`` holds ``marts.area_hotspots`` rows of one measure and window. Areas without a row
    (not analysed) are drawn as not significant.
    """
    by_area = {row["community_area_number"]: row for row in classes.iter_rows(named=True)}
    features = []
    for area in areas.sort("community_area_number").iter_rows(named=True):
        row = by_area.get(area["community_area_number"])
        if kind == "gi":
            key = gi_key(row["gi_class"], row["gi_bin"]) if row else "not significant"
            colour, label = GI_STYLES[key]
            heading = "Getis-Ord Gi*"
        else:
            key = row["moran_cluster"] if row and row["moran_cluster"] in MORAN_STYLES else "not significant"
            colour, label = MORAN_STYLES[key]
            heading = "Local Moran's I"
        features.append(
            _area_feature(
                area["community_area_number"],
                area["community_area"],
                area["geometry_geojson"],
                hex_to_rgba(colour, alpha),
                [f"{heading}: {label}", f"Measure: {measure_label}", f"Window: {window_label}"],
                "FDR-adjusted, 5% false-discovery rate",
            )
        )
    return features


def area_positivity(
    positivity: pl.DataFrame, start: date, end: date, strip: str, *, threshold: int
) -> pl.DataFrame:
    """Test-strip positivity per community area over ``start``..``end`` for one strip type.

    ``positivity`` is ``marts.test_strip_positivity`` (``substance_as_sold = 'all'`` rows). Areas
    are suppressed as one complementary group (as on the Test strips page, whose all-areas total
    is their sum): strips read or positive 1..threshold-1 show "<10" and no positivity
    (``suppress_proportion``). Columns: community_area_number, tests_read and positives (null if
    hidden), their ``_display`` and ``_suppressed`` columns, positivity, positivity_lower,
    positivity_upper (null if hidden), positivity_suppressed.
    """
    frame = (
        positivity.filter(
            pl.col("area_level") == "community_area",
            pl.col("strip_type") == strip,
            pl.col("month").is_between(start, end),
        )
        .group_by("community_area_number")
        .agg(pl.col("tests_read").sum().cast(pl.Int64), pl.col("positives").sum().cast(pl.Int64))
        .sort("community_area_number")
    )
    return suppress_proportion(
        frame,
        successes_col="positives",
        trials_col="tests_read",
        prefix="positivity",
        threshold=threshold,
        complementary_by=[],
    )


#: Positivity classes: fixed edges, so colours mean the same share in every period.
POSITIVITY_EDGES: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


def positivity_features(
    table: pl.DataFrame, areas: pl.DataFrame, *, strip_label: str, period_text: str, threshold: int, alpha: int = 235
) -> list[dict]:
    """Area features coloured by test-strip positivity (cividis), suppressed areas grey."""
    colours = [hex_to_rgba(c, alpha) for c in CIVIDIS_5]
    by_area = {row["community_area_number"]: row for row in table.iter_rows(named=True)}
    features = []
    for area in areas.sort("community_area_number").iter_rows(named=True):
        row = by_area.get(area["community_area_number"])
        if row is None or (not row["tests_read_suppressed"] and not row["tests_read"]):
            fill, lines = hex_to_rgba(NO_DEATHS_COLOUR, alpha), [f"{strip_label} strips: none read"]
        elif row["positivity_suppressed"]:
            fill = hex_to_rgba(SUPPRESSED_COLOUR, alpha)
            if row["tests_read_suppressed"]:
                reason = (
                    f"fewer than {threshold} strips read"
                    if row["tests_read_display"] != "*"
                    else "protects a small count"
                )
            else:
                reason = (
                    f"fewer than {threshold} positive strips"
                    if row["positives_display"] != "*"
                    else "protects a small count"
                )
            lines = [
                f"{strip_label} strips read: {row['tests_read_display']}",
                f"Positivity: not shown ({reason})",
            ]
        else:
            fill = colours[classify(row["positivity"], POSITIVITY_EDGES)]
            lines = [
                f"{strip_label} strips read: {row['tests_read_display']}",
                f"Positivity: {row['positivity']:.0%} (95% CI {row['positivity_lower']:.0%}–"
                f"{row['positivity_upper']:.0%})",
            ]
        features.append(
            _area_feature(
                area["community_area_number"],
                area["community_area"],
                area["geometry_geojson"],
                fill,
                [*lines, f"Period: {period_text}"],
                "Task-force field data, by area where the strip was used",
            )
        )
    return features


def positivity_legend(threshold: int, secondary: bool = False) -> list[LegendBin]:
    """Legend of :func:`positivity_features` (fixed 20-point classes)."""
    bins = legend_bins(
        POSITIVITY_EDGES, integer=False, threshold=threshold, secondary=secondary,
        palette=CIVIDIS_5, empty_label="No strips read", unit="strips read or positive", percent=True,
    )  # fmt: skip
    return bins


# --------------------------------------------------------------------------------------------
# Hexagons
# --------------------------------------------------------------------------------------------


def pick_hex_period(
    hex_counts: pl.DataFrame, metric: str, start: date, end: date
) -> tuple[str, date] | None:
    """Which published period of ``metric`` the hexagon layer shows for the chosen months.

    One published period, never a sum: cells below the threshold are left out of the mart, so a
    sum over periods would silently undercount. A single-month choice uses that month when it is
    published; otherwise the latest calendar year overlapping ``start``..``end`` that has cells,
    else the latest year before ``end`` with cells. ``None`` when the metric has no cells at all.
    """
    rows = hex_counts.filter(pl.col("metric") == metric).select("period_type", "period").unique()
    if rows.is_empty():
        return None
    if start == end:
        months = rows.filter(pl.col("period_type") == "month", pl.col("period") == start)
        if not months.is_empty():
            return "month", start
    years = sorted(rows.filter(pl.col("period_type") == "year").get_column("period").to_list())
    overlapping = [y for y in years if start.year <= y.year <= end.year]
    if overlapping:
        return "year", overlapping[-1]
    earlier = [y for y in years if y.year <= end.year]
    if earlier:
        return "year", earlier[-1]
    months = sorted(rows.filter(pl.col("period_type") == "month").get_column("period").to_list())
    in_range = [m for m in months if start <= m <= end]
    if in_range:
        return "month", in_range[-1]
    return None


def hex_period_label(period_type: str, period: date, data_to: date | None = None) -> str:
    """``"2025"``, ``"2026 (to Oct)"`` for a partial year, or ``"Oct 2026"`` for a month."""
    if period_type == "month":
        return period.strftime("%b %Y")
    if data_to is not None and data_to.year == period.year and data_to.month < 12:
        return f"{period.year} (Jan–{data_to:%b})"
    return str(period.year)


def hex_polygon(cell: str) -> list[list[float]]:
    """The cell's boundary as ``[[lon, lat], ...]`` (deck.gl order), computed server-side."""
    return [[round(lon, 6), round(lat, 6)] for lat, lon in h3.cell_to_boundary(cell)]


def hex_rows(
    hex_counts: pl.DataFrame, metric: str, period_type: str, period: date, *, threshold: int
) -> pl.DataFrame:
    """The published cells of one metric and period with a count of at least ``threshold``.

    The mart already leaves small cells out; the filter repeats the rule in case the dashboard
    runs with a stricter threshold than the pipeline published with.
    """
    return (
        hex_counts.filter(
            pl.col("metric") == metric,
            pl.col("period_type") == period_type,
            pl.col("period") == period,
            pl.col("count") >= threshold,
        )
        .sort("count", "h3_cell", descending=[True, False])
        .select("h3_cell", "community_area_number", "count", "count_display", "is_provisional")
    )


def hex_objects(
    rows: pl.DataFrame,
    area_names: Mapping[int, str],
    *,
    metric: str,
    period_text: str,
    edges: Sequence[float],
) -> list[dict]:
    """PolygonLayer data for :func:`hex_rows`: boundary, colour and tooltip per cell."""
    colours = [hex_to_rgba(c, 225) for c in class_colours(len(edges) - 1, YLORRD_5)] if len(edges) > 1 else []
    label = HEX_METRICS.get(metric, metric)
    objects = []
    for row in rows.iter_rows(named=True):
        fill = colours[classify(row["count"], edges)] if colours else hex_to_rgba(YLORRD_5[-1], 225)
        area = area_names.get(row["community_area_number"], "outside Chicago")
        objects.append(
            {
                "polygon": hex_polygon(row["h3_cell"]),
                "community_area_number": row["community_area_number"],
                "fill_color": fill,
                **_tooltip(
                    f"Hexagon in {area}",
                    [f"{label}, {period_text}: {row['count_display']}", "Cell ≈ 0.74 km² (H3 resolution 8)"],
                    "Provisional: toxicology pending" if row["is_provisional"] else "",
                ),
            }
        )
    return objects


def hex_legend(edges: Sequence[float], metric: str, threshold: int) -> list[LegendBin]:
    """Legend of the hexagon count layer: classes plus what an empty cell means."""
    n_classes = len(edges) - 1
    colours = class_colours(n_classes, YLORRD_5) if n_classes > 0 else []
    labels = class_labels(edges, integer=True) if n_classes > 0 else []
    unit = HEX_METRICS.get(metric, metric).lower()
    return [
        *(LegendBin(c, label) for c, label in zip(colours, labels, strict=True)),
        LegendBin("#ffffff", f"No hexagon: 0 or fewer than {threshold} {unit}"),
    ]


def hex_class_objects(
    rows: pl.DataFrame, area_names: Mapping[int, str], *, kind: str, measure_label: str, window_label: str
) -> list[dict]:
    """PolygonLayer data of hexagon Gi* classes (``kind="gi"``) or Moran clusters (member mode).

    Not-significant cells are drawn faint grey, so the analysed grid shows and the classes stand out.
    """
    objects = []
    for row in rows.sort("h3_cell").iter_rows(named=True):
        if kind == "gi":
            key = gi_key(row["gi_class"], row["gi_bin"])
            colour, label = GI_STYLES[key]
            heading = "Getis-Ord Gi*"
        else:
            key = row["moran_cluster"] if row["moran_cluster"] in MORAN_STYLES else "not significant"
            colour, label = MORAN_STYLES[key]
            heading = "Local Moran's I"
        area = area_names.get(row["community_area_number"], "outside Chicago")
        objects.append(
            {
                "polygon": hex_polygon(row["h3_cell"]),
                "community_area_number": row["community_area_number"],
                "fill_color": hex_to_rgba(colour, 90 if key == "not significant" else 235),
                **_tooltip(
                    f"Hexagon in {area}",
                    [f"{heading}: {label}", f"Measure: {measure_label}", f"Window: {window_label}"],
                    "Member view: hexagon-level hot spot",
                ),
            }
        )
    return objects


# --------------------------------------------------------------------------------------------
# Alerts
# --------------------------------------------------------------------------------------------


def _methods_text(methods: str) -> str:
    names = [m.strip() for m in (methods or "").split(",") if m.strip()]
    return ", ".join(METHOD_LABELS.get(m, m) for m in names)


def alert_markers(badges: pl.DataFrame, areas: pl.DataFrame, *, member: bool) -> list[dict]:
    """One marker per community area with recent alerts, at the area's centroid.

    ``badges`` holds ``marts.alert_badges`` rows (already filtered to the ones to show). The
    marker takes the highest severity; the tooltip names the latest alert's type, series, week,
    severity and methods. Members also see the (suppressed) observed count and episode start.
    """
    area_rows = badges.filter(pl.col("area_level") == "community_area")
    if area_rows.is_empty():
        return []
    centroids = {
        row["community_area_number"]: (row["centroid_lon"], row["centroid_lat"], row["community_area"])
        for row in areas.iter_rows(named=True)
    }
    markers = []
    for (number,), group in area_rows.sort("period").group_by(["community_area_number"], maintain_order=True):
        if number not in centroids:
            continue
        lon, lat, name = centroids[number]
        latest = group.sort("period", "severity").row(-1, named=True)
        worst = max(group.get_column("severity").to_list(), key=lambda s: _SEVERITY_RANK.get(s, 0))
        series = SERIES_LABELS.get(latest["series"], latest["series"])
        when = (
            f"week of {latest['period']:%d %b %Y}"
            if latest["granularity"] == "week"
            else f"{latest['period']:%d %b %Y}"
        )
        lines = [
            f"{latest['alert_type'].capitalize()} in {series}, {when}",
            f"Severity: {worst} · {group.height} recent alert{'s' if group.height != 1 else ''}",
            f"Methods: {_methods_text(latest['methods'])}",
        ]
        note = "Spike alert: more than expected from recent weeks"
        if member:
            note = (
                f"Observed: {latest['observed_display']} · episode since "
                f"{latest['episode_start']:%d %b %Y}"
            )
        markers.append(
            {
                "position": [lon, lat],
                "fill_color": hex_to_rgba(SEVERITY_COLOURS.get(worst, SEVERITY_COLOURS["moderate"])),
                "severity": worst,
                "community_area_number": int(number),
                "label": "!",
                **_tooltip(f"Alert: {name}", lines, note),
            }
        )
    return markers


def alert_legend() -> list[LegendBin]:
    """Legend of the alert markers."""
    return [LegendBin(colour, f"{severity.capitalize()} severity") for severity, colour in SEVERITY_COLOURS.items()]


# --------------------------------------------------------------------------------------------
# Region, labels, selection and the Deck
# --------------------------------------------------------------------------------------------


def region_outline(areas: pl.DataFrame) -> dict:
    """One GeoJSON feature: the dissolved boundary of the areas flagged ``in_region``.

    Community-area boundaries do not meet exactly, so the plain union keeps sliver gaps that
    would draw as stray outline marks inside the region: a tiny buffer out and back closes them,
    and only exterior rings are kept.
    """
    shapes = [shape(json.loads(g)) for g in areas.filter(pl.col("in_region")).get_column("geometry_geojson")]
    if not shapes:
        raise ValueError("no community area is flagged in_region")
    merged = unary_union([s.buffer(2e-4) for s in shapes]).buffer(-2e-4)
    parts = list(merged.geoms) if hasattr(merged, "geoms") else [merged]
    solid = unary_union([Polygon(part.exterior) for part in parts])
    # Through JSON so coordinates are lists, not shapely's tuples (Vega-Lite validation wants lists).
    geometry = json.loads(json.dumps(mapping(solid)))
    return {"type": "Feature", "geometry": geometry, "properties": {}}


def frame_feature(outline: dict, margin: float = 0.12) -> dict:
    """A rectangle around ``outline`` widened by ``margin`` on each side, to frame a static map.

    Wound clockwise, as d3-geo (Vega) reads a polygon's interior.
    """
    min_x, min_y, max_x, max_y = shape(outline["geometry"]).bounds
    dx, dy = (max_x - min_x) * margin, (max_y - min_y) * margin
    box = orient(shapely_box(min_x - dx, min_y - dy, max_x + dx, max_y + dy), sign=-1.0)
    return {"type": "Feature", "geometry": json.loads(json.dumps(mapping(box))), "properties": {}}


def selected_outline(areas: pl.DataFrame, numbers: Iterable[int]) -> list[dict]:
    """Outline features of the chosen areas (drawn dark and thick over every fill)."""
    chosen = set(numbers)
    return [
        {"type": "Feature", "geometry": json.loads(row["geometry_geojson"]), "properties": {}}
        for row in areas.iter_rows(named=True)
        if row["community_area_number"] in chosen
    ]


def region_view_state(areas: pl.DataFrame, zoom: float = 10.6) -> pdk.ViewState:
    """A view centred on the region's area centroids."""
    region = areas.filter(pl.col("in_region"))
    return pdk.ViewState(
        longitude=float(region.get_column("centroid_lon").mean()),
        latitude=float(region.get_column("centroid_lat").mean()),
        zoom=zoom,
        min_zoom=8,
        max_zoom=14,
        pitch=0,
        bearing=0,
    )


def wrap_label(name: str, width: int = 9) -> str:
    """Greedy word wrap of an area name onto lines of at most ``width`` characters.

    Neighbouring West Side areas are small at city zoom ("West Garfield Park" sits next to "East
    Garfield Park"), so long names are stacked to keep the labels from running into each other.
    A single word longer than ``width`` keeps its own line.
    """
    lines: list[str] = []
    for word in name.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines)


#: Label anchors nudged off the centroid where two small neighbours' labels would touch at the
#: opening zoom (West and East Garfield Park sit side by side, both three lines tall).
LABEL_NUDGE: dict[str, tuple[float, float]] = {
    "West Garfield Park": (-0.002, 0.006),
    "East Garfield Park": (0.002, -0.005),
}
#: Pixels a label moves down when an alert marker sits on its area's centroid.
MARKER_LABEL_OFFSET = 11


def region_labels(
    areas: pl.DataFrame, extra: Iterable[int] = (), marked: Iterable[int] = ()
) -> list[dict]:
    """Label points (wrapped name near the centroid) for the region's areas and ``extra`` areas.

    Labels of ``marked`` areas (those with an alert marker on the centroid) move down below it.
    """
    wanted, marked_set = set(extra), set(marked)
    rows = areas.filter(pl.col("in_region") | pl.col("community_area_number").is_in(list(wanted)))
    labels = []
    for row in rows.iter_rows(named=True):
        d_lon, d_lat = LABEL_NUDGE.get(row["community_area"], (0.0, 0.0))
        below = row["community_area_number"] in marked_set
        labels.append(
            {
                "name": wrap_label(row["community_area"]),
                "position": [row["centroid_lon"] + d_lon, row["centroid_lat"] + d_lat],
                "offset": [0, MARKER_LABEL_OFFSET if below else 0],
                "anchor": "top" if below else "center",
            }
        )
    return labels


def hex_layer(objects: list[dict], *, layer_id: str = HEX_LAYER_ID) -> pdk.Layer:
    """Hexagons as polygons computed server-side (no H3 library needed in the browser)."""
    return pdk.Layer(
        "PolygonLayer",
        id=layer_id,
        data=objects,
        pickable=True,
        stroked=True,
        filled=True,
        get_polygon="polygon",
        get_fill_color="fill_color",
        get_line_color=[40, 40, 40, 220],
        get_line_width=18,
        line_width_min_pixels=1,
        auto_highlight=True,
        highlight_color=[255, 255, 255, 110],
    )


def alert_layers(markers: list[dict]) -> list[pdk.Layer]:
    """A dot per alerting area with a "!" on it (text in deck.gl's default ASCII font)."""
    dots = pdk.Layer(
        "ScatterplotLayer",
        id=ALERT_LAYER_ID,
        data=markers,
        pickable=True,
        stroked=True,
        filled=True,
        get_position="position",
        get_fill_color="fill_color",
        get_line_color=[20, 20, 20, 255],
        get_radius=220,
        radius_min_pixels=8,
        radius_max_pixels=18,
        get_line_width=40,
        line_width_min_pixels=2,
        auto_highlight=True,
    )
    text = pdk.Layer(
        "TextLayer",
        id=ALERT_LABEL_LAYER_ID,
        data=markers,
        pickable=False,
        get_position="position",
        get_text="label",
        get_size=13,
        get_color=[20, 20, 20, 255],
        font_weight=700,
    )
    return [dots, text]


def build_deck(
    features: list[dict],
    outline: dict,
    labels: list[dict],
    view_state: pdk.ViewState,
    *,
    overlays: Sequence[pdk.Layer] = (),
    selected: Sequence[dict] = (),
    markers: Sequence[pdk.Layer] = (),
) -> pdk.Deck:
    """The map: area fill, region outline, ``overlays`` (hexagons), selection, labels, markers.

    No basemap: ``map_provider=None`` leaves pydeck's "no style chosen" sentinel in the spec, which
    Streamlit reads as "no basemap" (``map_style=None`` would make it fetch a Carto style from the
    network). Every layer has an ``id`` so a click on an area comes back as a selection.
    """
    choropleth = pdk.Layer(
        "GeoJsonLayer",
        id=CHOROPLETH_LAYER_ID,
        data={"type": "FeatureCollection", "features": features},
        pickable=True,
        stroked=True,
        filled=True,
        get_fill_color="properties.fill_color",
        get_line_color=hex_to_rgba(AREA_BORDER_COLOUR),
        # Widths in metres with a pixel floor: deck.gl's "pixels" width units render as a canvas
        # filled with the line colour under software WebGL (SwiftShader, headless Chromium).
        get_line_width=25,
        line_width_min_pixels=1,
        auto_highlight=True,
        highlight_color=[255, 255, 255, 90],
    )
    outline_layer = pdk.Layer(
        "GeoJsonLayer",
        id=OUTLINE_LAYER_ID,
        data={"type": "FeatureCollection", "features": [outline]},
        pickable=False,
        stroked=True,
        filled=False,
        get_line_color=hex_to_rgba(REGION_OUTLINE_COLOUR),
        get_line_width=140,
        line_width_min_pixels=3,
        line_width_max_pixels=6,
        line_joint_rounded=True,
    )
    layers = [choropleth, outline_layer, *overlays]
    if selected:
        layers.append(
            pdk.Layer(
                "GeoJsonLayer",
                id=SELECTED_LAYER_ID,
                data={"type": "FeatureCollection", "features": list(selected)},
                pickable=False,
                stroked=True,
                filled=False,
                get_line_color=hex_to_rgba(SELECTED_OUTLINE_COLOUR),
                get_line_width=120,
                line_width_min_pixels=3,
                line_width_max_pixels=5,
                line_joint_rounded=True,
            )
        )
    label_layer = pdk.Layer(
        "TextLayer",
        id=LABEL_LAYER_ID,
        data=labels,
        pickable=False,
        get_position="position",
        get_text="name",
        get_pixel_offset="offset",
        get_alignment_baseline="anchor",
        # Metres with pixel bounds: labels shrink when the map is zoomed out to the whole city,
        # where the small West Side areas' names would otherwise run into each other.
        get_size=12,
        get_color=[25, 25, 25, 255],
        # A white halo (signed-distance-field font) keeps dark text legible on every palette
        # class; the text "background" option is avoided because it draws garbage under
        # software WebGL.
        font_settings={"sdf": True},
        outline_width=3,
        outline_color=[255, 255, 255, 235],
        # deck.gl's default font family: a named family renders nothing when deck.gl builds its
        # glyph atlas before the web font is ready.
        font_weight=600,
        line_height=1.0,
    )
    layers += [label_layer, *markers]
    return pdk.Deck(
        layers=layers,
        initial_view_state=view_state,
        map_provider=None,
        tooltip={
            "html": TOOLTIP_HTML,
            "style": {
                "backgroundColor": "#ffffff",
                "color": "#1f1f1f",
                "fontSize": "13px",
                "border": "1px solid #bdbdbd",
                "borderRadius": "4px",
                "padding": "6px 8px",
                "maxWidth": "340px",
            },
        },
    )


#: Layers whose objects carry the area they belong to, in the order a click is looked up.
SELECTABLE_LAYERS = (CHOROPLETH_LAYER_ID, HEX_LAYER_ID, ALERT_LAYER_ID)


def selected_area(selection: Mapping | None) -> int | None:
    """The community-area number a map click selected, from ``st.pydeck_chart``'s selection state.

    ``selection`` is the chart's session-state value (``{"selection": {"objects": {layer: [...]}}}``).
    A click on an area selects it; a click on a hexagon or an alert marker selects the area the
    hexagon or marker belongs to (hexagons outside Chicago select nothing).
    """
    if not selection:
        return None
    objects = (selection.get("selection") or {}).get("objects") or {}
    for layer_id in SELECTABLE_LAYERS:
        picked = objects.get(layer_id) or []
        if not picked or not isinstance(picked[0], Mapping):
            continue
        properties = picked[0].get("properties", picked[0])
        number = properties.get("community_area_number") if isinstance(properties, Mapping) else None
        return int(number) if isinstance(number, (int, float)) else None
    return None


# --------------------------------------------------------------------------------------------
# Static image of the area map (downloads)
# --------------------------------------------------------------------------------------------


def static_map_chart(
    features: Sequence[dict],
    outline: dict,
    bins: Sequence[LegendBin],
    *,
    title: str | list[str],
    subtitle: list[str],
    legend_title: str,
    selected: Sequence[dict] = (),
    width: int = 760,
    height: int = 620,
):
    """An Altair geoshape map of the same area colours, framed on the region, for PNG export.

    Colours come from the features (so the image matches the screen); the legend maps each
    colour back to its label in ``bins``.
    """
    import altair as alt

    by_colour = {b.colour.lower(): b.label for b in bins}
    values = []
    for feature in features:
        colour = rgba_to_hex(feature["properties"]["fill_color"]).lower()
        values.append(
            {
                "type": "Feature",
                "geometry": feature["geometry"],
                "properties": {
                    "name": feature["properties"]["community_area"],
                    "legend": by_colour.get(colour, feature["properties"].get("line1", "")),
                },
            }
        )
    frame = frame_feature(outline)
    domain = [b.label for b in bins]
    colours = [b.colour for b in bins]
    areas_chart = (
        alt.Chart(alt.Data(values=values))
        .mark_geoshape(stroke="#ffffff", strokeWidth=0.8, clip=True)
        .encode(
            color=alt.Color(
                "properties.legend:N",
                title=legend_title,
                scale=alt.Scale(domain=domain, range=colours),
                legend=alt.Legend(orient="right", labelLimit=260, symbolType="square", symbolSize=180),
            ),
        )
        .project(type="mercator", fit=frame)
    )
    layers = [areas_chart]
    layers.append(
        alt.Chart(alt.Data(values=[outline]))
        .mark_geoshape(filled=False, stroke=REGION_OUTLINE_COLOUR, strokeWidth=3.5, clip=True)
        .project(type="mercator", fit=frame)
    )
    if selected:
        layers.append(
            alt.Chart(alt.Data(values=list(selected)))
            .mark_geoshape(filled=False, stroke=SELECTED_OUTLINE_COLOUR, strokeWidth=3, clip=True)
            .project(type="mercator", fit=frame)
        )
    return alt.layer(*layers).properties(
        title=chart_title(title, subtitle), width=width, height=height
    )
