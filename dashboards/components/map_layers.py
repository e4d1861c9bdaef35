"""Pure functions behind the choropleth: class breaks, colours, legend, GeoJSON features, the Deck.

Nothing here touches Streamlit or the database, so every rule (binning, what a suppressed area
shows) is unit-tested on plain inputs.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import polars as pl
import pydeck as pdk
from shapely.geometry import mapping, shape
from shapely.ops import unary_union

#: Viridis, 5 classes, light (few deaths) to dark (many): colour-blind safe and still ordered
#: when printed in greyscale.
VIRIDIS_5: tuple[str, ...] = ("#fde725", "#5ec962", "#21918c", "#3b528b", "#440154")
#: Areas whose count is suppressed (1 to threshold-1 deaths): a neutral grey, outside the palette.
SUPPRESSED_COLOUR = "#a3a3a3"
#: Areas with no deaths in the period: near-white so they read as "nothing" rather than "low".
NO_DEATHS_COLOUR = "#f2f2f2"
#: The region outline: orange does not occur in viridis, so it stays visible on every class.
REGION_OUTLINE_COLOUR = "#e8590c"
AREA_BORDER_COLOUR = "#ffffff"

CHOROPLETH_LAYER_ID = "community-areas"
OUTLINE_LAYER_ID = "region-outline"
LABEL_LAYER_ID = "region-labels"

TOOLTIP_HTML = (
    "<b>{community_area}</b><br/>"
    "{deaths_text}<br/>"
    "{rate_text}<br/>"
    "{population_text}<br/>"
    # Last, so the empty note of a stable rate leaves no blank line.
    "<i>{note_text}</i>"
)


@dataclass(frozen=True)
class LegendBin:
    """One legend entry: a swatch colour and what it means."""

    colour: str
    label: str


def hex_to_rgba(colour: str, alpha: int = 255) -> list[int]:
    """``"#fde725"`` -> ``[253, 231, 37, alpha]`` (deck.gl colour accessor format)."""
    value = colour.lstrip("#")
    return [int(value[i : i + 2], 16) for i in (0, 2, 4)] + [alpha]


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


def class_colours(n_classes: int) -> list[str]:
    """``n_classes`` colours spread evenly over :data:`VIRIDIS_5` (1 to 5 classes)."""
    if not 1 <= n_classes <= len(VIRIDIS_5):
        raise ValueError(f"between 1 and {len(VIRIDIS_5)} classes, got {n_classes}")
    if n_classes == 1:
        return [VIRIDIS_5[0]]
    step = (len(VIRIDIS_5) - 1) / (n_classes - 1)
    return [VIRIDIS_5[round(i * step)] for i in range(n_classes)]


def _edge_label(value: float, integer: bool) -> str:
    return f"{int(value):,}" if integer else f"{value:,.1f}"


def legend_bins(
    edges: Sequence[float], *, integer: bool, threshold: int, secondary: bool = False
) -> list[LegendBin]:
    """Legend entries for ``edges`` plus the "no deaths" and "suppressed" swatches.

    Count classes are whole numbers, so class ``[10, 20)`` reads "10–19"; rate classes keep one
    decimal and read "12.0–25.0" (lower edge included). ``secondary`` adds the "*" mark of areas
    hidden to protect a small count to the grey swatch's label.
    """
    bins = [LegendBin(NO_DEATHS_COLOUR, "No deaths")]
    n_classes = len(edges) - 1
    colours = class_colours(n_classes) if n_classes > 0 else []
    for index, colour in enumerate(colours):
        low, high = edges[index], edges[index + 1]
        last = index == n_classes - 1
        if integer:
            low_i = math.ceil(low)
            high_i = math.floor(high) if last else math.ceil(high) - 1
            label = f"{low_i:,}" if high_i <= low_i else f"{low_i:,}–{high_i:,}"
        else:
            label = f"{_edge_label(low, False)}–{_edge_label(high, False)}"
        bins.append(LegendBin(colour, label))
    hidden = f"1–{threshold - 1} deaths (shown as <{threshold})"
    if secondary:
        hidden += " or hidden (*)"
    bins.append(LegendBin(SUPPRESSED_COLOUR, hidden))
    return bins


def legend_html(title: str, bins: Sequence[LegendBin], region_label: str) -> str:
    """Self-contained HTML legend (swatches are styled spans, so it needs no image or network)."""
    rows = "".join(
        '<div class="odw-legend-row">'
        f'<span class="odw-swatch" style="background:{b.colour}"></span>{html.escape(b.label)}</div>'
        for b in bins
    )
    outline = (
        '<div class="odw-legend-row"><span class="odw-swatch odw-outline" '
        f'style="border-color:{REGION_OUTLINE_COLOUR}"></span>{html.escape(region_label)} boundary</div>'
    )
    return (
        "<style>"
        ".odw-legend{font-size:0.85rem;line-height:1.25;}"
        ".odw-legend-title{font-weight:600;margin-bottom:0.35rem;}"
        ".odw-legend-row{display:flex;align-items:center;gap:0.5rem;margin:0.2rem 0;}"
        ".odw-swatch{display:inline-block;width:1.6rem;height:0.95rem;border:1px solid #8a8a8a;"
        "flex:none;border-radius:2px;}"
        ".odw-outline{background:transparent;border-width:3px;}"
        "</style>"
        f'<div class="odw-legend" role="list" aria-label="{html.escape(title)}">'
        f'<div class="odw-legend-title">{html.escape(title)}</div>{rows}{outline}</div>'
    )


def _rate_text(row: dict, threshold: int) -> str:
    if row["deaths_suppressed"]:
        return f"Rate: not shown (fewer than {threshold} deaths)"
    if row["rate"] is None:
        return "Rate: not available"
    text = f"Rate: {row['rate']:,.1f} per 100,000 per year"
    if row["rate_lower"] is not None and row["rate_upper"] is not None:
        text += f" (95% CI {row['rate_lower']:,.1f}–{row['rate_upper']:,.1f})"
    return text


def build_features(
    metrics: pl.DataFrame,
    areas: pl.DataFrame,
    *,
    value_col: str,
    edges: Sequence[float],
    threshold: int,
    count_label: str,
) -> list[dict]:
    """GeoJSON features, one per community area, carrying display text and a fill colour.

    ``metrics`` is :func:`dashboards.components.data.area_period_metrics` output; ``value_col`` is
    ``"deaths"`` or ``"rate"``. Properties hold strings only (plus the colour), so a suppressed
    area's count or rate cannot leak through the map data sent to the browser.
    """
    colours = [hex_to_rgba(c, 235) for c in class_colours(len(edges) - 1)] if len(edges) > 1 else []
    geometry = dict(
        zip(areas.get_column("community_area_number"), areas.get_column("geometry_geojson"), strict=True)
    )
    features = []
    for row in metrics.sort("community_area_number").iter_rows(named=True):
        if row["deaths_suppressed"]:
            fill = hex_to_rgba(SUPPRESSED_COLOUR, 235)
        elif not row["deaths"]:
            fill = hex_to_rgba(NO_DEATHS_COLOUR, 235)
        elif colours and row[value_col] is not None:
            fill = colours[classify(row[value_col], edges)]
        else:
            fill = hex_to_rgba(NO_DEATHS_COLOUR, 235)
        unstable = bool(row["rate_unstable"]) and not row["deaths_suppressed"]
        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(geometry[row["community_area_number"]]),
                "properties": {
                    "community_area": row["community_area"],
                    "deaths_text": f"{count_label}: {row['deaths_display']}",
                    "rate_text": _rate_text(row, threshold),
                    "note_text": "unstable: fewer than 20 deaths" if unstable else "",
                    "population_text": f"Population (2020): {row['population']:,}",
                    "fill_color": fill,
                },
            }
        )
    return features


def region_outline(areas: pl.DataFrame) -> dict:
    """One GeoJSON feature: the dissolved boundary of the areas flagged ``in_region``."""
    shapes = [shape(json.loads(g)) for g in areas.filter(pl.col("in_region")).get_column("geometry_geojson")]
    if not shapes:
        raise ValueError("no community area is flagged in_region")
    return {"type": "Feature", "geometry": mapping(unary_union(shapes)), "properties": {}}


def region_view_state(areas: pl.DataFrame, zoom: float = 10.4) -> pdk.ViewState:
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


def region_labels(areas: pl.DataFrame) -> list[dict]:
    """Label points (wrapped name at the centroid) for the region's areas."""
    return [
        {"name": wrap_label(row["community_area"]), "position": [row["centroid_lon"], row["centroid_lat"]]}
        for row in areas.filter(pl.col("in_region")).iter_rows(named=True)
    ]


def build_deck(
    features: list[dict],
    outline: dict,
    labels: list[dict],
    view_state: pdk.ViewState,
) -> pdk.Deck:
    """The map: choropleth, region outline and region labels, with no basemap.

    ``map_provider=None`` leaves pydeck's "no style chosen" sentinel in the spec, which Streamlit
    reads as "no basemap" (``map_style=None`` would make it fetch a Carto style from the network).
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
    label_layer = pdk.Layer(
        "TextLayer",
        id=LABEL_LAYER_ID,
        data=labels,
        pickable=False,
        get_position="position",
        get_text="name",
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
    return pdk.Deck(
        layers=[choropleth, outline_layer, label_layer],
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
                "maxWidth": "320px",
            },
        },
    )
