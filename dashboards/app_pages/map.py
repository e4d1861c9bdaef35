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

import polars as pl
import streamlit as st

from dashboards.components import (
    adjusted_rates,
    charts,
    data,
    filters,
    map_alerts,
    map_classes,
    map_deck,
    map_hexagons,
    map_labels,
    map_positivity,
    map_static,
    map_style,
    period_labels,
    period_metrics,
    table_display,
)
from dashboards.components import trend_selection
from dashboards.components.map_data import (
    HOTSPOT_MEASURES,
    STRIPS,
    class_layer,
    death_layer,
    death_totals,
    hex_class_layer,
    hex_count_layer,
    load_area_names,
    load_map_marts,
    positivity_layer,
    static_geometry,
)
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
area_names = load_area_names(version)

# ---- A click on an area selects it for every page ---------------------------------------------
# Read before the sidebar is drawn: the shared filter widgets may only be changed before they
# render in this run.
generation = st.session_state.get(GENERATION_KEY, 0)
pick = map_deck.selected_area(st.session_state.get(f"{MAP_KEY}_{generation}"))
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
me_source = period_labels.source_text(freshness)
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
    csv_frames["areas"] = period_metrics.area_display_frame(
        area_metrics, region, death_totals(version, drug, start, end, threshold, region)
    )
    notes.append(
        f"The table ends with the {region}, the rest of Chicago, the Chicago deaths that could not be "
        f"placed in an area (\u201c{trend_selection.NOT_PLACED_LABEL}\u201d, not on the map) and Chicago, which "
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
    styles = map_style.GI_STYLES if fill == "gi" else map_style.MORAN_STYLES
    bins = [map_classes.LegendBin(colour, label) for colour, label in styles.values()]
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
    bins = map_positivity.positivity_legend(threshold, secondary)
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

legends.append(map_classes.legend_html(legend_title, bins, region, selected=bool(view.areas)))

overlays = []
if hex_choice in map_hexagons.HEX_METRICS:
    data_to = freshness.data_to
    if hex_choice != "overdose_deaths" and marts["hex_counts"] is not None:
        field_months = marts["hex_counts"].filter(
            pl.col("metric") == hex_choice, pl.col("period_type") == "month"
        ).get_column("period")
        data_to = field_months.max() if not field_months.is_empty() else data_to
    built_hex = hex_count_layer(version, hex_choice, start, end, threshold, data_to)
    if built_hex is None or not built_hex[0]:
        notes.append(f"No hexagon has {threshold} or more {map_hexagons.HEX_METRICS[hex_choice].lower()} "
                     "in the published periods.")  # fmt: skip
    else:
        objects, hex_table, hex_bins, hex_period = built_hex
        overlays.append(map_hexagons.hex_layer(objects))
        legends.append(
            map_classes.legend_html(
                f"{map_hexagons.HEX_METRICS[hex_choice]} per hexagon, {hex_period}", hex_bins, shape="hex"
            )
        )
        notes.append(
            f"Hexagons: {map_hexagons.HEX_METRICS[hex_choice].lower()} in {hex_period}, one published "
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
        overlays.append(map_hexagons.hex_layer(objects))
        styles = map_style.GI_STYLES if hex_choice == "gi" else map_style.MORAN_STYLES
        hex_bins = [map_classes.LegendBin(c, label) for c, label in styles.values()]
        hex_title = "Hexagon Gi* hot spots" if hex_choice == "gi" else "Hexagon Moran clusters"
        legends.append(map_classes.legend_html(f"{hex_title}, {hex_window}", hex_bins, shape="hex"))
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
    alert_objects = map_alerts.alert_markers(badges, areas, member=member)
    if alert_objects:
        markers = map_alerts.alert_layers(alert_objects)
        marked = [m["community_area_number"] for m in alert_objects]
        legends.append(map_classes.legend_html("Recent spike alerts", map_alerts.alert_legend(), shape="dot"))
    elsewhere = badges.filter(pl.col("area_level") != "community_area")
    if not elsewhere.is_empty():
        listed = "; ".join(
            f"{row['area']}: {row['alert_type']} in {map_alerts.SERIES_LABELS.get(row['series'], row['series'])}"
            f" ({row['granularity']} of {row['period']:%d %b %Y}, {row['severity']})"
            for row in elsewhere.unique(["area", "series"], keep="last", maintain_order=True).iter_rows(named=True)
        )
        notes.append(f"Recent alerts for the whole region or city: {listed}.")
    columns = ["area_level", "area", "series", "granularity", "period", "alert_type", "severity", "methods"]
    if member:
        columns += ["observed_display", "episode_start"]
    csv_frames["alerts"] = badges.select(columns)

selected_features = map_labels.selected_outline(areas, view.areas)
view_state = map_labels.region_view_state(areas)
outside = areas.filter(pl.col("community_area_number").is_in(list(view.areas)), ~pl.col("in_region"))
if not outside.is_empty():
    # A selected area outside the region: open the map on it rather than on the region.
    view_state.longitude = float(outside.get_column("centroid_lon").mean())
    view_state.latitude = float(outside.get_column("centroid_lat").mean())
deck = map_deck.build_deck(
    features,
    outline,
    map_labels.region_labels(areas, extra=view.areas, marked=marked),
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
        f"{row['community_area']}: {row['deaths_display']} deaths, crude rate {period_labels.format_rate(row['rate'])}, "
        f"age-adjusted {period_labels.format_rate(row['age_adjusted_rate'])} per 100,000/yr"
        for row in picked_rows.iter_rows(named=True)
    )
    st.markdown(f"**{drug_label}, {period_text}** — {summary}")
if notes:
    st.caption(" ".join(notes))
if options.months and fill in ("count", "rate"):
    provisional = period_labels.provisional_months(data.load_monthly(version))
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
    chart = map_static.static_map_chart(
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
            data=table_display.to_csv_bytes(frame),
            file_name=f"{file_stem}_{name}.csv",
            mime="text/csv",
            icon=":material/download:",
            on_click="ignore",
            key=f"map_download_{name}",
            help="The numbers behind this layer, as shown (small counts suppressed).",
        )

table_display.expander_table(
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
