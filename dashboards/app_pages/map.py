"""Map page: West Side overdose deaths by community area for a chosen period, and the monthly trend.

Every number comes from the published app database; counts of 1–9 (below the publication
threshold) and anything that would reveal them are shown as "<10" / "*", never as numbers.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards.components import charts, data, map_layers
from pipelines.defs.epidemiology.suppression import SECONDARY_FOOTNOTE, SECONDARY_MARK
from pipelines.settings import load_settings

settings = load_settings()
try:
    version = data.db_version(settings.app_db)
    areas = data.load_community_areas(version)
    monthly = data.load_monthly(version)
    freshness = data.load_freshness(version)
    publication = data.load_publication(version)
except data.AppDbUnavailable as exc:
    st.title("West Side Overdose Watch")
    st.error(str(exc), icon=":material/database_off:")
    st.stop()

if monthly.is_empty():
    st.title("West Side Overdose Watch")
    st.error("The published database holds no monthly counts yet. Run `make pipeline` again.")
    st.stop()

# The stricter of the dashboard setting and the threshold the pipeline published with, so a
# lower local setting can never unmask what the publication meant to hide.
threshold = max(settings.suppress_below, publication.suppress_below)
region = publication.region_label
months = data.month_options(monthly)
provisional = data.provisional_months(monthly)
source = data.source_text(freshness)
refreshed = data.format_refreshed(freshness.refreshed_at)

# A new publish can drop months that an open session still has selected; fall back to the
# default period rather than fail on a value that is no longer an option.
stored = st.session_state.get("period")
if stored is not None and not all(month in months for month in stored):
    del st.session_state["period"]

# ---- Header -----------------------------------------------------------------------------------
with st.container(horizontal=True, vertical_alignment="center", gap="medium"):
    st.title(f"{region} overdose deaths", anchor=False, width="content")
    if freshness.is_synthetic:
        st.badge(
            "Synthetic demo data",
            icon=":material/science:",
            color="orange",
            help="Every number here is generated for demonstration; none describes a real death.",
        )
st.caption(
    f"Chicago community areas {publication.region_areas} · deaths that occurred in Chicago · "
    f"data refreshed {refreshed}"
)

# ---- Controls ---------------------------------------------------------------------------------
period_col, drug_col, metric_col = st.columns([2.6, 1.5, 2.5], vertical_alignment="bottom")
start, end = period_col.select_slider(
    "Period",
    options=months,
    value=data.default_period(months),
    format_func=data.format_month,
    key="period",
    help="Default: the 12 months ending with the latest month of data (provisional months included).",
)
drug = drug_col.selectbox(
    "Deaths",
    options=list(data.DRUGS),
    format_func=lambda key: data.DRUGS[key][0],
    key="drug",
)
metric = metric_col.segmented_control(
    "Map shows",
    options=list(data.METRICS),
    format_func=lambda key: data.METRICS[key],
    default="count",
    required=True,
    key="metric",
)
drug_label = data.DRUGS[drug][0]
period_text = data.format_period(start, end)
subtitle = charts.chart_subtitle(source, period_text, refreshed)

# ---- KPIs -------------------------------------------------------------------------------------
groups = data.group_period_metrics(
    monthly, areas, start, end, drug, region_label=region, threshold=threshold
)
by_group = {row["group"]: row for row in groups.iter_rows(named=True)}
region_row, rest_row = by_group[region], by_group[data.REST_LABEL]
share = data.region_share(groups, region)
population_share = region_row["population"] / by_group[data.CITY_LABEL]["population"]

kpi_deaths, kpi_rate, kpi_share = st.columns(3)
with kpi_deaths.container(border=True):
    st.metric(f"{drug_label}, {region}", region_row["deaths_display"] or "—")
    st.caption(period_text)
with kpi_rate.container(border=True):
    st.metric("Rate per 100,000 per year", data.format_rate(region_row["rate"]))
    rate_note = (
        f"95% CI {region_row['rate_lower']:,.1f}–{region_row['rate_upper']:,.1f}"
        if region_row["rate"] is not None
        else f"Not shown: fewer than {threshold} deaths"
    )
    if region_row["rate"] is not None and region_row["rate_unstable"]:
        rate_note += " · unstable: fewer than 20 deaths"
    st.caption(f"{rate_note} · {data.REST_LABEL}: {data.format_rate(rest_row['rate'])}")
with kpi_share.container(border=True):
    st.metric("Share of Chicago's deaths", "—" if share is None else f"{share:.0%}")
    st.caption(f"{region} has {population_share:.0%} of Chicago's population")

if provisional:
    in_period = [m for m in provisional if start <= m <= end]
    st.caption(
        f":material/hourglass_top: The last {len(provisional)} months "
        f"({data.format_period(provisional[0], provisional[-1])}) are provisional: toxicology pending, "
        "so their counts will rise as cases close."
        + (" The selected period includes them." if in_period else "")
    )

# ---- Map --------------------------------------------------------------------------------------
metrics = data.area_period_metrics(monthly, areas, start, end, drug, threshold=threshold)
value_col = "deaths" if metric == "count" else "rate"
edges = map_layers.class_breaks(
    metrics.filter(~pl.col("deaths_suppressed")).get_column(value_col).to_list()
)
features = map_layers.build_features(
    metrics,
    areas,
    value_col=value_col,
    edges=edges,
    threshold=threshold,
    count_label=drug_label,
)
deck = map_layers.build_deck(
    features,
    map_layers.region_outline(areas),
    map_layers.region_labels(areas),
    map_layers.region_view_state(areas),
)
map_title = (
    f"{drug_label} by community area"
    if metric == "count"
    else f"{drug_label} per 100,000 residents per year, by community area"
)
st.markdown(f"##### {map_title}", anchors=False)
st.caption(" · ".join(subtitle))

map_col, legend_col = st.columns([4, 1.15])
map_col.pydeck_chart(
    deck,
    height=470,
    alt=f"Choropleth map of {drug_label.lower()} by Chicago community area, {period_text}, "
    f"with the {region} outlined. The same numbers are in the table below the map.",
)
with legend_col:
    legend_title = "Deaths" if metric == "count" else "Rate per 100,000/yr"
    has_secondary = bool(metrics.get_column("deaths_display").eq(SECONDARY_MARK).any())
    bins = map_layers.legend_bins(
        edges, integer=metric == "count", threshold=threshold, secondary=has_secondary
    )
    st.html(map_layers.legend_html(legend_title, bins, region))
    notes = ["Hover an area for its count, rate (95% CI) and population."]
    if has_secondary:
        notes.append(SECONDARY_FOOTNOTE)
    if metric == "rate":
        notes.append("Rates from fewer than 20 deaths are unstable; see the tooltip.")
    st.caption(" ".join(notes))

area_table = data.area_display_frame(metrics, region)
with st.expander("Community-area table (the numbers on the map)"):
    st.dataframe(
        area_table,
        hide_index=True,
        width="stretch",
        column_config={
            "area_number": st.column_config.NumberColumn("No.", format="%d"),
            "community_area": "Community area",
            "part_of_city": "Part of city",
            "deaths": "Deaths",
            "rate_per_100k_per_year": st.column_config.NumberColumn("Rate /100k/yr", format="%.1f"),
            "rate_95ci_lower": st.column_config.NumberColumn("95% CI low", format="%.1f"),
            "rate_95ci_upper": st.column_config.NumberColumn("95% CI high", format="%.1f"),
            "rate_unstable_under_20_deaths": st.column_config.CheckboxColumn("Unstable rate"),
            "population_2020": st.column_config.NumberColumn("Population 2020", format="localized"),
        },
    )
data.csv_download(
    "Download map data (CSV)",
    area_table,
    file_name=f"community_areas_{drug}_{start:%Y-%m}_{end:%Y-%m}.csv",
    key="download_map",
)

# ---- Trend ------------------------------------------------------------------------------------
monthly_metrics = data.monthly_group_metrics(
    monthly, areas, start, end, drug, region_label=region, threshold=threshold
)
trend = charts.trend_display_frame(monthly_metrics)
# Two short lines rather than one long one: Vega truncates a title that outgrows a phone.
trend_title = [
    f"{drug_label} per month"
    if metric == "count"
    else f"{drug_label} per 100,000 per year, by month",
    f"{region} vs {data.REST_LABEL}",
]
st.altair_chart(
    charts.trend_chart(
        trend,
        metric=metric,
        title=trend_title,
        subtitle=subtitle,
        region_label=region,
        rest_label=data.REST_LABEL,
    ),
    width="stretch",
)
hidden_months = trend.filter(pl.col("deaths").is_in([f"<{threshold}", SECONDARY_MARK]))
trend_notes = [
    "Dashed, shaded months are provisional (toxicology pending).",
    "Rates are monthly counts scaled to a full year." if metric == "rate" else "",
]
if not hidden_months.is_empty():
    listing = ", ".join(
        f"{row['series']} {row['month']}" for row in hidden_months.iter_rows(named=True)
    )
    trend_notes.append(
        f"Months with 1–{threshold - 1} deaths are not plotted (gaps) to protect privacy: {listing}."
    )
st.caption(" ".join(note for note in trend_notes if note))
data.csv_download(
    "Download trend data (CSV)",
    trend,
    file_name=f"monthly_trend_{drug}_{start:%Y-%m}_{end:%Y-%m}.csv",
    key="download_trend",
)
