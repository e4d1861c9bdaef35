"""Map page: where overdose deaths, hot spots, test-strip positivity, outreach and alerts are.

Areas are coloured by one measure at a time (deaths; death rate, crude or age-adjusted as the
shared "Death rates" filter says; Gi* hot spots; Local Moran clusters; test-strip positivity);
hexagon counts or classes and alert markers go on top. The period, area and drug come from the
shared filters (URL query string); clicking an area selects it for every page. Public mode draws
suppressed aggregates only — counts of 1–9 never appear, and hexagons below the threshold are not
published at all. Member mode adds hexagon-level Gi*/Moran classes and alert detail. No layer
ever shows a death as a point.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from dashboards.components import adjusted_rates, charts, data, filters, map_layers
from dashboards.components import trend_data as td
from pipelines.defs.epidemiology import city_total as ct
from pipelines.defs.epidemiology.rates import period_years
from pipelines.defs.epidemiology.suppression import SECONDARY_FOOTNOTE, SECONDARY_MARK
from pipelines.settings import load_settings

try:
    from dashboards.components.access import is_member
except ImportError:  # member mode not installed: everyone gets the public view

    def is_member() -> bool:
        return False


#: The map chart's key is ``map_deck_<generation>``; the generation moves on after every click
#: acted upon, so the chart starts again with no selection of its own: Streamlit would otherwise
#: fade every other area, and the colours would no longer match the legend. The selected area is
#: outlined instead, from the shared filter.
MAP_KEY = "map_deck"
GENERATION_KEY = "map_deck_generation"

#: What colours the areas: key -> label.
FILLS: dict[str, str] = {
    "count": "Deaths",
    "rate": "Death rate per 100,000",
    "gi": "Hot spots (Gi*)",
    "moran": "Clusters (Local Moran)",
    "positivity": "Test-strip positivity",
}
HOTSPOT_MEASURES: dict[str, str] = {
    "eb_rate": "Death rate (Empirical Bayes smoothed)",
    "deaths": "Death counts",
}
STRIPS: dict[str, str] = {"fentanyl": "Fentanyl", "xylazine": "Xylazine"}
#: Hexagon overlays: key -> label; the last two are member-only.
HEX_OPTIONS: dict[str, str] = {
    "overdose_deaths": "Deaths per hexagon",
    "positive_test_strips": "Positive test strips per hexagon",
    "outreach_contacts": "Outreach contacts per hexagon",
    "gi": "Hexagon hot spots (Gi*)",
    "moran": "Hexagon clusters (Local Moran)",
}
MEMBER_HEX = ("gi", "moran")
FIELD_SOURCE = "Task force field data"
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
    selection = td.region_selection(areas, label)
    totals = td.period_totals(load_drug_months(version, drug), selection, start, end, threshold=threshold)
    every = set(areas.get_column("community_area_number").to_list())
    groups = {label: selection.areas, td.REST_LABEL: sorted(every - set(selection.areas)), td.CITY_LABEL: None}
    return adjusted_rates.with_group_adjusted(
        totals, adjusted_rates.in_months(adjusted_rates.load_band_deaths(version, drug), start, end),
        adjusted_rates.load_band_population(version), groups,
        years=period_years(start, data.next_month(end)), threshold=threshold,
        split={label: ct.SELECTION, td.REST_LABEL: ct.REST},
    )  # fmt: skip


@st.cache_data(show_spinner=False, max_entries=64)
def death_layer(
    version: data.DbVersion, drug: str, start: date, end: date, metric: str, rate_kind: str, threshold: int,
    alpha: int,
) -> tuple[pl.DataFrame, list[dict], list[map_layers.LegendBin], bool, str]:
    """Suppressed area metrics (crude and age-adjusted), features and legend of the deaths
    choropleth, and the deaths of unknown age the adjusted rates leave out (cached)."""
    areas = data.load_community_areas(version)
    metrics = map_layers.drug_area_metrics(load_drug_months(version, drug), areas, start, end, threshold=threshold)
    band_deaths = adjusted_rates.in_months(adjusted_rates.load_band_deaths(version, drug), start, end)
    metrics = adjusted_rates.with_area_adjusted(
        metrics, band_deaths, adjusted_rates.load_band_population(version),
        years=period_years(start, data.next_month(end)), threshold=threshold,
    )  # fmt: skip
    unknown = adjusted_rates.unknown_age_total(band_deaths, threshold=threshold)
    value_col = "deaths" if metric == "count" else ("age_adjusted_rate" if rate_kind == "adjusted" else "rate")
    edges = map_layers.class_breaks(metrics.filter(~pl.col("deaths_suppressed")).get_column(value_col).to_list())
    features = map_layers.build_features(
        metrics, areas, value_col=value_col, edges=edges, threshold=threshold,
        count_label=f"{filters.DRUG_LABELS[drug]}", alpha=alpha,
    )  # fmt: skip
    secondary = bool(metrics.get_column("deaths_display").eq(SECONDARY_MARK).any())
    bins = map_layers.legend_bins(edges, integer=metric == "count", threshold=threshold, secondary=secondary)
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
    window = map_layers.pick_window(windows, end)
    chosen = rows.filter(pl.col("window_start") == window[0])
    label = chosen.get_column("window_label")[0]
    areas = data.load_community_areas(version)
    features = map_layers.class_features(
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
    table = map_layers.area_positivity(positivity, start, end, strip, threshold=threshold)
    areas = data.load_community_areas(version)
    features = map_layers.positivity_features(
        table, areas, strip_label=STRIPS[strip], period_text=data.format_period(start, end),
        threshold=threshold, alpha=alpha,
    )  # fmt: skip
    return features, table


@st.cache_data(show_spinner=False, max_entries=64)
def hex_count_layer(
    version: data.DbVersion, metric: str, start: date, end: date, threshold: int, data_to: date
) -> tuple[list[dict], pl.DataFrame, list[map_layers.LegendBin], str] | None:
    """Hexagon count polygons of one metric for the period (cached); None when nothing to draw."""
    hex_counts = load_map_marts(version)["hex_counts"]
    if hex_counts is None:
        return None
    picked = map_layers.pick_hex_period(hex_counts, metric, start, end)
    if picked is None:
        return None
    period_type, period = picked
    rows = map_layers.hex_rows(hex_counts, metric, period_type, period, threshold=threshold)
    names = _area_names(version)
    period_text = map_layers.hex_period_label(period_type, period, data_to)
    edges = map_layers.class_breaks(rows.get_column("count").to_list())
    objects = map_layers.hex_objects(rows, names, metric=metric, period_text=period_text, edges=edges)
    return objects, rows, map_layers.hex_legend(edges, metric, threshold), period_text


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
    window = map_layers.pick_window(rows.select("window_start", "window_end").unique().rows(), end)
    chosen = rows.filter(pl.col("window_start") == window[0])
    label = chosen.get_column("window_label")[0]
    objects = map_layers.hex_class_objects(
        chosen, _area_names(version), kind=kind, measure_label=HOTSPOT_MEASURES.get(measure, measure),
        window_label=label,
    )  # fmt: skip
    return objects, chosen, label


@st.cache_data(show_spinner=False, max_entries=8)
def _area_names(version: data.DbVersion) -> dict[int, str]:
    areas = data.load_community_areas(version)
    return dict(zip(areas.get_column("community_area_number"), areas.get_column("community_area"), strict=True))


@st.cache_data(show_spinner=False, max_entries=8)
def static_geometry(version: data.DbVersion) -> tuple[dict, pl.DataFrame]:
    """The region outline (dissolved once per publish) and the areas frame."""
    areas = data.load_community_areas(version)
    return map_layers.region_outline(areas), areas


# ---- Page -------------------------------------------------------------------------------------

settings = load_settings()
try:
    version = data.db_version(settings.app_db)
    areas = data.load_community_areas(version)
    options = data.load_filter_options(version)
    freshness = data.load_freshness(version)
    publication = data.load_publication(version)
    marts = load_map_marts(version)
except data.AppDbUnavailable as exc:
    st.title("Map", anchor=False)
    st.error(str(exc), icon=":material/database_off:")
    st.stop()

if not options.months:
    st.title("Map", anchor=False)
    st.error("The published database holds no monthly counts yet. Run `make pipeline` again.")
    st.stop()

# The stricter of the dashboard setting and the threshold the pipeline published with, so a
# lower local setting can never unmask what the publication meant to hide.
threshold = max(settings.suppress_below, publication.suppress_below)
region = publication.region_label
area_names = _area_names(version)

# ---- A click on an area selects it for every page ---------------------------------------------
# Read before the sidebar is drawn: the shared filter widgets may only be changed before they
# render in this run.
generation = st.session_state.get(GENERATION_KEY, 0)
pick = map_layers.selected_area(st.session_state.get(f"{MAP_KEY}_{generation}"))
if pick is not None:
    filters.set_areas([pick], options)
    generation += 1
    st.session_state[GENERATION_KEY] = generation

view = filters.render_sidebar(
    options, area_names=area_names, region_label=region, show=("period", "areas", "drug", "rate")
)
member = is_member()
start, end, drug = view.start, view.end, view.drug
rate_label = adjusted_rates.RATE_LABELS[view.rate]
period_text = data.format_period(start, end)
refreshed = data.format_refreshed(freshness.refreshed_at)
me_source = data.source_text(freshness)
field_info = marts.get("field_refreshed")
field_refreshed = (
    data.format_refreshed(field_info.get_column("refreshed_at")[0])
    if field_info is not None and field_info.get_column("refreshed_at")[0] is not None
    else refreshed
)
field_source = (
    f"{FIELD_SOURCE} — synthetic demo data"
    if field_info is not None and field_info.get_column("synthetic")[0]
    else FIELD_SOURCE
)

# Tooltip lines are fixed slots; hide the empty ones (a region-level note, a missing third line).
st.html("<style>.deck-tooltip div:empty{display:none}</style>")

# ---- Header -----------------------------------------------------------------------------------
with st.container(horizontal=True, vertical_alignment="center", gap="medium"):
    st.title(f"Map: {region}", anchor=False, width="content")
    if freshness.is_synthetic:
        st.badge(
            "Synthetic demo data",
            icon=":material/science:",
            color="orange",
            help="Every number here is generated for demonstration; none describes a real death.",
        )
    if member:
        st.badge("Member view", icon=":material/lock_open:", color="violet")
st.caption(
    f"Chicago community areas {publication.region_areas} outlined in orange · click an area to "
    f"select it on every page · data refreshed {refreshed}"
)

if view.areas:
    names = ", ".join(area_names.get(a, str(a)) for a in view.areas)
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        st.markdown(f"**Selected:** {names}", width="content")
        st.button(
            "Clear",
            key="map_clear_selection",
            icon=":material/close:",
            type="tertiary",
            on_click=lambda: filters.set_areas([], options),
            help="Back to the whole region on every page.",
        )

# ---- Map title (filled in below) and the layer controls beside the map -----------------------
title_slot = st.empty()
map_col, side_col = st.columns([3.3, 1.35], gap="medium")
with side_col:
    fill = st.selectbox(
        "Colour areas by",
        options=list(FILLS),
        format_func=FILLS.get,
        key="map_fill",
        help="One measure colours the areas; hexagons and alert markers go on top.",
    )
    measure = strip = None
    if fill == "rate":
        st.caption(f"{rate_label} (the *Death rates* choice in the sidebar).")
    if fill in ("gi", "moran"):
        measure = st.selectbox(
            "Hot-spot measure", options=list(HOTSPOT_MEASURES), format_func=HOTSPOT_MEASURES.get, key="map_measure"
        )
    elif fill == "positivity":
        strip = st.selectbox("Strip type", options=list(STRIPS), format_func=STRIPS.get, key="map_strip")
    hex_choices = [k for k in HEX_OPTIONS if k not in MEMBER_HEX or member]
    # A member choice left in the state after signing out must not survive into the public view.
    if st.session_state.get("map_hex") not in (None, *hex_choices):
        del st.session_state["map_hex"]
    hex_choice = st.selectbox(
        "Hexagons on top",
        options=[None, *hex_choices],
        format_func=lambda key: "None" if key is None else HEX_OPTIONS[key],
        key="map_hex",
        help="Counts per H3 cell (about 0.74 km²). Cells with fewer than "
        f"{threshold} are not published, so they are not drawn."
        + (" Hot-spot classes per cell are shown to members only." if member else ""),
    )
    show_alerts = st.toggle("Alert markers", value=True, key="map_alerts", help="Recent spike alerts by area.")

# ---- Build the layers -------------------------------------------------------------------------
# Areas fade when hexagons are drawn over them, so the hexagons read first.
alpha = 120 if hex_choice else 235
outline, _ = static_geometry(version)
legends: list[str] = []
notes: list[str] = []
csv_frames: dict[str, pl.DataFrame] = {}
area_metrics = None
drug_label = filters.DRUG_LABELS.get(drug, drug)

if fill in ("count", "rate"):
    area_metrics, features, bins, secondary, unknown_age = death_layer(
        version, drug, start, end, fill, view.rate, threshold, alpha
    )
    map_title = (
        f"{drug_label}: deaths by community area"
        if fill == "count"
        else f"{drug_label}: deaths per 100,000 residents per year, "
        + ("age-adjusted" if view.rate == "adjusted" else "crude")
    )
    legend_title = "Deaths" if fill == "count" else f"{rate_label} per 100,000/yr"
    subtitle = charts.chart_subtitle(me_source, period_text, refreshed)
    csv_frames["areas"] = data.area_display_frame(
        area_metrics, region, death_totals(version, drug, start, end, threshold, region)
    )
    notes.append(
        f"The table ends with the {region}, the rest of Chicago, the Chicago deaths that could not be "
        f"placed in an area (\u201c{td.NOT_PLACED_LABEL}\u201d, not on the map) and Chicago, which "
        "is the sum of the three. Their crude and age-adjusted rates are computed as the areas' are; "
        "the deaths not placed in an area have neither (no population)."
    )
    if secondary:
        notes.append(SECONDARY_FOOTNOTE)
    if fill == "rate":
        notes.append("Rates from fewer than 20 deaths are unstable (see the tooltip).")
        if view.rate == "adjusted":
            notes.append(adjusted_rates.ADJUSTED_NOTE)
    # The table below shows both rates, so its footnote is always there.
    notes.append(adjusted_rates.unknown_age_note(unknown_age, where=" in the community areas"))
elif fill in ("gi", "moran"):
    built = class_layer(version, fill, measure, end, alpha)
    if built is None:
        st.info("No hot-spot analysis has been published yet. Run `make pipeline`.")
        st.stop()
    features, chosen, window_label = built
    styles = map_layers.GI_STYLES if fill == "gi" else map_layers.MORAN_STYLES
    bins = [map_layers.LegendBin(colour, label) for colour, label in styles.values()]
    method = "Getis-Ord Gi* hot and cold spots" if fill == "gi" else "Local Moran's I clusters and outliers"
    map_title = f"{method} by community area"
    legend_title = "Gi* class" if fill == "gi" else "Moran cluster"
    subtitle = charts.chart_subtitle(me_source, f"3-month window {window_label}", refreshed)
    notes.append(
        f"All overdose deaths ({HOTSPOT_MEASURES[measure].lower()}), window {window_label}: the latest "
        f"3-month window ending by {data.format_month(end)}. Significance: 1,999 conditional "
        "permutations, Benjamini–Hochberg false-discovery rate 5%. The drug filter does not apply."
    )
    key_col = "gi_class" if fill == "gi" else "moran_cluster"
    csv_frames["areas"] = (
        areas.select("community_area_number", "community_area", "in_region")
        .join(chosen.select("community_area_number", "window_label", "gi_class", "gi_bin", "moran_cluster"),
              on="community_area_number", how="left")
        .select(
            pl.col("community_area_number").alias("area_number"), "community_area",
            pl.lit(measure).alias("measure"), "window_label",
            pl.col(key_col).fill_null("not significant").alias(key_col),
            *([pl.col("gi_bin").alias("gi_confidence_bin")] if fill == "gi" else []),
        )
    )  # fmt: skip
else:
    built = positivity_layer(version, strip, start, end, threshold, alpha)
    if built is None:
        st.info("No test-strip data has been published yet.")
        st.stop()
    features, table = built
    secondary = bool(
        table.select(pl.any_horizontal(pl.col("tests_read_display", "positives_display").eq(SECONDARY_MARK)).any()).item()
    )
    bins = map_layers.positivity_legend(threshold, secondary)
    map_title = f"{STRIPS[strip]}-strip positivity by community area"
    legend_title = "Positive ÷ strips read"
    subtitle = charts.chart_subtitle(field_source, period_text, field_refreshed)
    notes.append(
        "Positivity with Wilson 95% CI, by the area where the strip was used; the task force "
        "publishes no site locations finer than the community area."
    )
    if secondary:
        notes.append(SECONDARY_FOOTNOTE)
    csv_frames["areas"] = (
        areas.select("community_area_number", "community_area")
        .join(table, on="community_area_number", how="left")
        .select(
            pl.col("community_area_number").alias("area_number"), "community_area",
            pl.lit(strip).alias("strip_type"),
            pl.col("tests_read_display").fill_null("0").alias("tests_read"),
            pl.col("positives_display").fill_null("0").alias("positives"),
            (pl.col("positivity") * 100).round(1).alias("positivity_pct"),
            (pl.col("positivity_lower") * 100).round(1).alias("positivity_95ci_lower_pct"),
            (pl.col("positivity_upper") * 100).round(1).alias("positivity_95ci_upper_pct"),
        )
    )  # fmt: skip

legends.append(map_layers.legend_html(legend_title, bins, region, selected=bool(view.areas)))

overlays = []
if hex_choice in map_layers.HEX_METRICS:
    data_to = freshness.data_to
    if hex_choice != "overdose_deaths" and marts["hex_counts"] is not None:
        field_months = marts["hex_counts"].filter(
            pl.col("metric") == hex_choice, pl.col("period_type") == "month"
        ).get_column("period")
        data_to = field_months.max() if not field_months.is_empty() else data_to
    built_hex = hex_count_layer(version, hex_choice, start, end, threshold, data_to)
    if built_hex is None or not built_hex[0]:
        notes.append(f"No hexagon has {threshold} or more {map_layers.HEX_METRICS[hex_choice].lower()} "
                     "in the published periods.")  # fmt: skip
    else:
        objects, hex_table, hex_bins, hex_period = built_hex
        overlays.append(map_layers.hex_layer(objects))
        legends.append(
            map_layers.legend_html(
                f"{map_layers.HEX_METRICS[hex_choice]} per hexagon, {hex_period}", hex_bins, shape="hex"
            )
        )
        notes.append(
            f"Hexagons: {map_layers.HEX_METRICS[hex_choice].lower()} in {hex_period}, one published "
            f"period (cells with fewer than {threshold} are never published, so periods are not added up)."
            + (" Hexagon deaths are all overdose deaths, whatever the drug filter." if hex_choice == "overdose_deaths" else "")
        )  # fmt: skip
        csv_frames["hexagons"] = hex_table.select(
            "h3_cell",
            pl.col("community_area_number").replace_strict(area_names, default=None).alias("community_area"),
            pl.lit(hex_choice).alias("metric"),
            pl.lit(hex_period).alias("period"),
            pl.col("count_display").alias("count"),
            "is_provisional",
        )
elif hex_choice in MEMBER_HEX and member:
    built_hex = hex_class_layer(version, hex_choice, end)
    if built_hex is not None:
        objects, hex_classes, hex_window = built_hex
        key_col = "gi_class" if hex_choice == "gi" else "moran_cluster"
        significant = hex_classes.filter(pl.col(key_col) != "not significant").height
        overlays.append(map_layers.hex_layer(objects))
        styles = map_layers.GI_STYLES if hex_choice == "gi" else map_layers.MORAN_STYLES
        hex_bins = [map_layers.LegendBin(c, label) for c, label in styles.values()]
        hex_title = "Hexagon Gi* hot spots" if hex_choice == "gi" else "Hexagon Moran clusters"
        legends.append(map_layers.legend_html(f"{hex_title}, {hex_window}", hex_bins, shape="hex"))
        notes.append(
            f"Member view: hexagon {'Gi*' if hex_choice == 'gi' else 'Local Moran'} classes of overdose "
            f"deaths, window {hex_window}: {significant} of {len(objects)} region hexagons significant."
        )
        csv_frames["hexagons"] = hex_classes.select(
            "h3_cell",
            pl.col("community_area_number").replace_strict(area_names, default=None).alias("community_area"),
            "measure", "window_label", key_col,
        )  # fmt: skip

markers: list = []
marked: list[int] = []
badges = marts["alert_badges"]
if show_alerts and badges is not None and not badges.is_empty():
    alert_objects = map_layers.alert_markers(badges, areas, member=member)
    if alert_objects:
        markers = map_layers.alert_layers(alert_objects)
        marked = [m["community_area_number"] for m in alert_objects]
        legends.append(map_layers.legend_html("Recent spike alerts", map_layers.alert_legend(), shape="dot"))
    elsewhere = badges.filter(pl.col("area_level") != "community_area")
    if not elsewhere.is_empty():
        listed = "; ".join(
            f"{row['area']}: {row['alert_type']} in {map_layers.SERIES_LABELS.get(row['series'], row['series'])}"
            f" ({row['granularity']} of {row['period']:%d %b %Y}, {row['severity']})"
            for row in elsewhere.unique(["area", "series"], keep="last", maintain_order=True).iter_rows(named=True)
        )
        notes.append(f"Recent alerts for the whole region or city: {listed}.")
    columns = ["area_level", "area", "series", "granularity", "period", "alert_type", "severity", "methods"]
    if member:
        columns += ["observed_display", "episode_start"]
    csv_frames["alerts"] = badges.select(columns)

selected_features = map_layers.selected_outline(areas, view.areas)
view_state = map_layers.region_view_state(areas)
outside = areas.filter(pl.col("community_area_number").is_in(list(view.areas)), ~pl.col("in_region"))
if not outside.is_empty():
    # A selected area outside the region: open the map on it rather than on the region.
    view_state.longitude = float(outside.get_column("centroid_lon").mean())
    view_state.latitude = float(outside.get_column("centroid_lat").mean())
deck = map_layers.build_deck(
    features,
    outline,
    map_layers.region_labels(areas, extra=view.areas, marked=marked),
    view_state,
    overlays=overlays,
    selected=selected_features,
    markers=markers,
)

# ---- The map ----------------------------------------------------------------------------------
with title_slot.container():
    st.markdown(f"##### {map_title}", anchors=False)
    st.caption(" · ".join(subtitle))
with map_col:
    st.pydeck_chart(
        deck,
        height=500,
        on_select="rerun",
        selection_mode="single-object",
        key=f"{MAP_KEY}_{generation}",
        alt=f"Map of Chicago community areas coloured by {map_title.lower()}, {period_text}, with the "
        f"{region} outlined. The same numbers are in the table below the map.",
    )
with side_col:
    for legend in legends:
        st.html(legend)
    st.caption("Hover for details; click an area to select it on every page.")

if area_metrics is not None and view.areas:
    picked_rows = area_metrics.filter(pl.col("community_area_number").is_in(list(view.areas)))
    summary = "; ".join(
        f"{row['community_area']}: {row['deaths_display']} deaths, crude rate {data.format_rate(row['rate'])}, "
        f"age-adjusted {data.format_rate(row['age_adjusted_rate'])} per 100,000/yr"
        for row in picked_rows.iter_rows(named=True)
    )
    st.markdown(f"**{drug_label}, {period_text}** — {summary}")
if notes:
    st.caption(" ".join(notes))
if options.months and fill in ("count", "rate"):
    provisional = data.provisional_months(data.load_monthly(version))
    if provisional and end >= provisional[0]:
        st.caption(
            f":material/hourglass_top: {data.format_period(provisional[0], provisional[-1])} are "
            "provisional (toxicology pending): their counts will rise as cases close."
        )

# ---- Downloads --------------------------------------------------------------------------------
file_stem = f"map_{fill}_{drug}_{start:%Y-%m}_{end:%Y-%m}"
png_subtitle = [
    *subtitle,
    f"Orange outline: {region}" + ("; black outline: selected area" if view.areas else ""),
]


def _map_png() -> bytes:
    """The area map as a PNG; built only when the button is clicked (Altair validation is slow)."""
    chart = map_layers.static_map_chart(
        features, outline, bins, title=map_title, subtitle=png_subtitle, legend_title=legend_title,
        selected=selected_features,
    )  # fmt: skip
    return charts.chart_png(chart)


with st.container(horizontal=True, gap="small"):
    st.download_button(
        "Map (PNG)",
        data=_map_png,
        file_name=f"{file_stem}.png",
        mime="image/png",
        icon=":material/image:",
        on_click="ignore",
        key="map_download_png",
        help="The coloured areas as an image for slides (hexagons and markers are in the CSVs).",
    )
    for name, frame in csv_frames.items():
        st.download_button(
            f"{name.capitalize()} (CSV)",
            data=data.to_csv_bytes(frame),
            file_name=f"{file_stem}_{name}.csv",
            mime="text/csv",
            icon=":material/download:",
            on_click="ignore",
            key=f"map_download_{name}",
            help="The numbers behind this layer, as shown (small counts suppressed).",
        )

data.expander_table(
    "Community-area table (the numbers on the map)",
    csv_frames["areas"],
    key="map_area_table",
    width="stretch",
    caption=(
        "Crude rates: deaths per 100,000 residents (2020 census) per year, exact 95% CI. "
        f"{adjusted_rates.ADJUSTED_NOTE} "
        f"{adjusted_rates.unknown_age_note(unknown_age, where=' in the community areas')}"
        if fill in ("count", "rate")
        else ""
    ),
)
