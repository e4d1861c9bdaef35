"""The Map page's reads and layer data: marts read from the app database and each layer's
features, legend and table, cached per published database and choice.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from dashboards.components import (
    adjusted_rates,
    data,
    filters,
    map_areas,
    map_classes,
    map_hexagons,
    map_hotspots,
    map_labels,
    map_positivity,
    period_labels,
)
from dashboards.components import trend_selection, trend_series
from pipelines.defs.epidemiology import city_total as ct
from pipelines.defs.epidemiology.rates import period_years
from pipelines.defs.epidemiology.suppression import SECONDARY_MARK


HOTSPOT_MEASURES: dict[str, str] = {
    "eb_rate": "Death rate (Empirical Bayes smoothed)",
    "deaths": "Death counts",
}
STRIPS: dict[str, str] = {"fentanyl": "Fentanyl", "xylazine": "Xylazine"}
MAP_TABLES = ("hex_counts", "area_hotspots", "hex_hotspots", "alert_badges", "test_strip_positivity")


# ---- Data access (read-only, cached per published database) -----------------------------------


def _query(version: data.DbVersion, sql: str, params: dict | None = None) -> pl.DataFrame:
    """One read of the page's publication (see :func:`dashboards.components.data.read_frame`)."""
    return data.read_frame(version, sql, params)


@st.cache_data(show_spinner=False, max_entries=8)
def load_map_marts(version: data.DbVersion) -> dict[str, pl.DataFrame | None]:
    """The hot-spot, alert and field tables the overlays read (None for a table not published)."""
    present = set(
        _query(version, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'")
        .get_column("table_name")
        .to_list()
    )
    queries = {
        "hex_counts": """SELECT h3_cell, community_area_number, metric, period_type, period, count,
                                count_display, is_provisional FROM marts.hex_counts""",
        "area_hotspots": """SELECT community_area_number, measure, window_start, window_end,
                                   window_label, gi_class, gi_bin, moran_cluster
                            FROM marts.area_hotspots""",
        "hex_hotspots": """SELECT h3_cell, community_area_number, measure, window_start, window_end,
                                  window_label, gi_class, gi_bin, moran_cluster
                           FROM marts.hex_hotspots""",
        "alert_badges": """SELECT granularity, period, area_level, community_area_number, area, series,
                                  observed_display, methods, alert_type, severity, episode_start
                           FROM marts.alert_badges WHERE is_recent ORDER BY period""",
        "test_strip_positivity": """SELECT month, area_level, community_area_number, strip_type,
                                           tests_read, positives
                                    FROM marts.test_strip_positivity
                                    WHERE substance_as_sold = 'all'""",
    }
    marts: dict[str, pl.DataFrame | None] = {
        name: (_query(version, sql) if name in present else None) for name, sql in queries.items()
    }
    marts["field_refreshed"] = (
        _query(version, "SELECT max(refreshed_at) AS refreshed_at, bool_or(is_synthetic) AS synthetic "
               "FROM marts.field_data_sources")
        if "field_data_sources" in present
        else None
    )  # fmt: skip
    return marts


@st.cache_data(show_spinner=False, max_entries=16)
def load_drug_months(version: data.DbVersion, drug: str) -> pl.DataFrame:
    """Chicago deaths per month and community area for one drug key (``marts.overdose_deaths_monthly``);
    a null area holds the deaths that could not be placed in one."""
    return _query(
        version,
        """
        SELECT month, community_area_number, sum(deaths)::BIGINT AS deaths
        FROM marts.overdose_deaths_monthly
        WHERE drug = $drug AND place = 'Chicago'
        GROUP BY month, community_area_number
        """,
        {"drug": drug},
    )


@st.cache_data(show_spinner=False, max_entries=64)
def death_totals(
    version: data.DbVersion, drug: str, start: date, end: date, threshold: int, label: str
) -> pl.DataFrame:
    """The region, the rest of Chicago, the deaths not placed in an area and Chicago over the
    period, suppressed exactly as the Trends page shows them, with the age-adjusted rates beside the
    crude ones, computed and hidden the same way (none for the deaths not placed: no population)
    (cached)."""
    areas = data.load_community_areas(version)
    selection = trend_selection.region_selection(areas, label)
    totals = trend_series.period_totals(load_drug_months(version, drug), selection, start, end, threshold=threshold)
    every = set(areas.get_column("community_area_number").to_list())
    groups = {label: selection.areas, trend_selection.REST_LABEL: sorted(every - set(selection.areas)), trend_selection.CITY_LABEL: None}
    return adjusted_rates.with_group_adjusted(
        totals, adjusted_rates.in_months(adjusted_rates.load_band_deaths(version, drug), start, end),
        adjusted_rates.load_band_population(version), groups,
        years=period_years(start, period_labels.next_month(end)), threshold=threshold,
        split={label: ct.SELECTION, trend_selection.REST_LABEL: ct.REST},
    )  # fmt: skip


@st.cache_data(show_spinner=False, max_entries=64)
def death_layer(
    version: data.DbVersion, drug: str, start: date, end: date, metric: str, rate_kind: str, threshold: int,
    alpha: int,
) -> tuple[pl.DataFrame, list[dict], list[map_classes.LegendBin], bool, str]:
    """Suppressed area metrics (crude and age-adjusted), features and legend of the deaths
    choropleth, and the deaths of unknown age the adjusted rates leave out (cached)."""
    areas = data.load_community_areas(version)
    metrics = map_areas.drug_area_metrics(load_drug_months(version, drug), areas, start, end, threshold=threshold)
    band_deaths = adjusted_rates.in_months(adjusted_rates.load_band_deaths(version, drug), start, end)
    metrics = adjusted_rates.with_area_adjusted(
        metrics, band_deaths, adjusted_rates.load_band_population(version),
        years=period_years(start, period_labels.next_month(end)), threshold=threshold,
    )  # fmt: skip
    unknown = adjusted_rates.unknown_age_total(band_deaths, threshold=threshold)
    value_col = "deaths" if metric == "count" else ("age_adjusted_rate" if rate_kind == "adjusted" else "rate")
    edges = map_classes.class_breaks(metrics.filter(~pl.col("deaths_suppressed")).get_column(value_col).to_list())
    features = map_areas.build_features(
        metrics, areas, value_col=value_col, edges=edges, threshold=threshold,
        count_label=f"{filters.DRUG_LABELS[drug]}", alpha=alpha,
    )  # fmt: skip
    secondary = bool(metrics.get_column("deaths_display").eq(SECONDARY_MARK).any())
    bins = map_classes.legend_bins(edges, integer=metric == "count", threshold=threshold, secondary=secondary)
    return metrics, features, bins, secondary, unknown


@st.cache_data(show_spinner=False, max_entries=64)
def class_layer(
    version: data.DbVersion, kind: str, measure: str, end: date, alpha: int
) -> tuple[list[dict], pl.DataFrame, str] | None:
    """Gi* or Moran area features for the window closing by ``end`` (cached); None if unpublished."""
    hotspots = load_map_marts(version)["area_hotspots"]
    if hotspots is None or hotspots.filter(pl.col("measure") == measure).is_empty():
        return None
    rows = hotspots.filter(pl.col("measure") == measure)
    windows = rows.select("window_start", "window_end").unique().rows()
    window = map_hotspots.pick_window(windows, end)
    chosen = rows.filter(pl.col("window_start") == window[0])
    label = chosen.get_column("window_label")[0]
    areas = data.load_community_areas(version)
    features = map_hotspots.class_features(
        chosen, areas, kind=kind, measure_label=HOTSPOT_MEASURES[measure], window_label=label, alpha=alpha
    )
    return features, chosen, label


@st.cache_data(show_spinner=False, max_entries=64)
def positivity_layer(
    version: data.DbVersion, strip: str, start: date, end: date, threshold: int, alpha: int
) -> tuple[list[dict], pl.DataFrame] | None:
    """Test-strip positivity area features over the period (cached); None if unpublished."""
    positivity = load_map_marts(version)["test_strip_positivity"]
    if positivity is None:
        return None
    table = map_positivity.area_positivity(positivity, start, end, strip, threshold=threshold)
    areas = data.load_community_areas(version)
    features = map_positivity.positivity_features(
        table, areas, strip_label=STRIPS[strip], period_text=data.format_period(start, end),
        threshold=threshold, alpha=alpha,
    )  # fmt: skip
    return features, table


@st.cache_data(show_spinner=False, max_entries=64)
def hex_count_layer(
    version: data.DbVersion, metric: str, start: date, end: date, threshold: int, data_to: date
) -> tuple[list[dict], pl.DataFrame, list[map_classes.LegendBin], str] | None:
    """Hexagon count polygons of one metric for the period (cached); None when nothing to draw."""
    hex_counts = load_map_marts(version)["hex_counts"]
    if hex_counts is None:
        return None
    picked = map_hexagons.pick_hex_period(hex_counts, metric, start, end)
    if picked is None:
        return None
    period_type, period = picked
    rows = map_hexagons.hex_rows(hex_counts, metric, period_type, period, threshold=threshold)
    names = load_area_names(version)
    period_text = map_hexagons.hex_period_label(period_type, period, data_to)
    edges = map_classes.class_breaks(rows.get_column("count").to_list())
    objects = map_hexagons.hex_objects(rows, names, metric=metric, period_text=period_text, edges=edges)
    return objects, rows, map_hexagons.hex_legend(edges, metric, threshold), period_text


@st.cache_data(show_spinner=False, max_entries=64)
def hex_class_layer(
    version: data.DbVersion, kind: str, end: date
) -> tuple[list[dict], pl.DataFrame, str] | None:
    """Member view: hexagon Gi*/Moran classes (deaths) for the window closing by ``end`` (cached)."""
    hotspots = load_map_marts(version)["hex_hotspots"]
    if hotspots is None or hotspots.is_empty():
        return None
    measure = "deaths" if "deaths" in hotspots.get_column("measure").to_list() else hotspots.get_column("measure")[0]
    rows = hotspots.filter(pl.col("measure") == measure)
    window = map_hotspots.pick_window(rows.select("window_start", "window_end").unique().rows(), end)
    chosen = rows.filter(pl.col("window_start") == window[0])
    label = chosen.get_column("window_label")[0]
    objects = map_hexagons.hex_class_objects(
        chosen, load_area_names(version), kind=kind, measure_label=HOTSPOT_MEASURES.get(measure, measure),
        window_label=label,
    )  # fmt: skip
    return objects, chosen, label


@st.cache_data(show_spinner=False, max_entries=8)
def load_area_names(version: data.DbVersion) -> dict[int, str]:
    areas = data.load_community_areas(version)
    return dict(zip(areas.get_column("community_area_number"), areas.get_column("community_area"), strict=True))


@st.cache_data(show_spinner=False, max_entries=8)
def static_geometry(version: data.DbVersion) -> tuple[dict, pl.DataFrame]:
    """The region outline (dissolved once per publish) and the areas frame."""
    areas = data.load_community_areas(version)
    return map_labels.region_outline(areas), areas
