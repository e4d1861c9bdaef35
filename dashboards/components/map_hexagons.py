"""The H3 hexagon layer of the Map page: which published period to show, cell polygons, counts
and hot-spot classes (pure functions).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import h3
import polars as pl
import pydeck as pdk

from dashboards.components.map_classes import LegendBin, class_colours, class_labels, classify
from dashboards.components.map_hotspots import gi_key
from dashboards.components.map_style import GI_STYLES, HEX_LAYER_ID, MORAN_STYLES, YLORRD_5, hex_to_rgba, tooltip_fields


#: Hexagon count metrics of ``marts.hex_counts`` -> label.
HEX_METRICS: dict[str, str] = {
    "overdose_deaths": "Overdose deaths",
    "positive_test_strips": "Positive test strips",
    "outreach_contacts": "Outreach contacts",
}


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
                **tooltip_fields(
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
                **tooltip_fields(
                    f"Hexagon in {area}",
                    [f"{heading}: {label}", f"Measure: {measure_label}", f"Window: {window_label}"],
                    "Member view: hexagon-level hot spot",
                ),
            }
        )
    return objects


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
