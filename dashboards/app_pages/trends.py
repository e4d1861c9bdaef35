"""Trends: is it getting worse? Overdose deaths over time for the region (or the areas chosen)
against the rest of Chicago — weekly to yearly, year over year, by drug, by age, sex,
race/ethnicity and intent.

Every number comes from the ``dashboards/components/trend_*.py`` data modules (pure, tested
functions) and is suppressed there: counts of 1–9 show as "<10", complements as "*", and charts
leave them out. The tabs are drawn by ``dashboards/components/trend_tabs.py``; only the selected
tab is computed (lazy tabs), so a filter change redraws one tab.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards.components import adjusted_rates, charts, data, filters, period_labels, trend_page, trend_tabs
from dashboards.components import trend_charts as tc
from dashboards.components import (
    trend_breakdowns,
    trend_periods,
    trend_queries,
    trend_selection,
    trend_series,
)
from pipelines.defs.epidemiology import city_total as ct
from pipelines.defs.epidemiology.rates import period_years
from pipelines.settings import load_settings

settings = load_settings()
try:
    version = data.db_version(settings.app_db)
    community_areas = data.load_community_areas(version)
    monthly_areas = data.load_monthly(version)
    freshness = data.load_freshness(version)
    publication = data.load_publication(version)
    options = data.load_filter_options(version)
    deaths = trend_queries.load_deaths_monthly(version)
    weekly = trend_queries.load_deaths_weekly(version)
    suburbs = trend_queries.load_region_suburbs(version)
except data.AppDbUnavailable as exc:
    st.title("Trends", anchor=False)
    st.error(str(exc), icon=":material/database_off:")
    st.stop()

if deaths.is_empty() or not options.months:
    st.title("Trends", anchor=False)
    st.error("The published database holds no death counts yet. Run `make pipeline` again.")
    st.stop()

# The stricter of the local setting and the publication's threshold, as on every page.
threshold = max(settings.suppress_below, publication.suppress_below)
region = publication.region_label
area_names = dict(
    zip(
        community_areas.get_column("community_area_number").to_list(),
        community_areas.get_column("community_area").to_list(),
        strict=True,
    )
)
view = filters.render_sidebar(
    options,
    area_names=area_names,
    region_label=region,
    show=("period", "areas", "drug", "demographics", "rate"),
)
scope = filters.area_scope_label(view, area_names, region)
selection = trend_selection.make_selection(view, community_areas, scope)
drug_label = filters.DRUG_LABELS.get(view.drug, view.drug)
described = filters.describe(view, area_names, region)
data_months = list(options.months)
provisional = period_labels.provisional_months(monthly_areas)
start, end = view.start, view.end
period_text = data.format_period(start, end)
source = period_labels.source_text(freshness)
refreshed = data.format_refreshed(freshness.refreshed_at)
# Rates need a population: there is none by age, sex or race/ethnicity.
rates_ok = not view.has_demographic_filter
series_order = [selection.label, trend_selection.REST_LABEL, trend_selection.CITY_LABEL]
# Tables add the Chicago deaths not placed in an area, so that their rows add up to Chicago.
table_order = [selection.label, trend_selection.REST_LABEL, trend_selection.NOT_PLACED_LABEL, trend_selection.CITY_LABEL]
HIDDEN_MARKS = (f"<{threshold}", "*")
NOT_PLACED_NOTE = (
    f"Chicago counts every death that occurred in the city, in its deaths and in both its rates; "
    f"those that could not be placed in a community area are the \u201c{trend_selection.NOT_PLACED_LABEL}\u201d "
    f"row (no rate, crude or age-adjusted: no population), so {selection.label}, {trend_selection.REST_LABEL} "
    "and that row add up to Chicago."
)
# Crude or age-adjusted (the shared "Death rates" filter): which rate the cards and the annual chart show.
adjusted = view.rate == "adjusted"
rate_label = adjusted_rates.RATE_LABELS[view.rate]
RATE_COLS = (
    ("age_adjusted_rate", "age_adjusted_lower", "age_adjusted_upper", "age_adjusted_unstable")
    if adjusted
    else ("rate", "rate_lower", "rate_upper", "rate_unstable")
)
all_areas = community_areas.get_column("community_area_number").to_list()
# Each series' areas, for the age-adjusted rates (grouped as the crude ones; None = the whole city:
# every Chicago death, placed in an area or not). The deaths not placed in an area are no group:
# they have no population, so no rate of either kind.
series_areas = {
    selection.label: selection.areas,
    trend_selection.REST_LABEL: sorted(set(all_areas) - set(selection.areas)),
    trend_selection.CITY_LABEL: None,
}
# The two groups that, with the deaths not placed in an area, split Chicago on this page.
series_split = {selection.label: ct.SELECTION, trend_selection.REST_LABEL: ct.REST}
if rates_ok:
    band_deaths = adjusted_rates.load_band_deaths(version, view.drug)
    band_population = adjusted_rates.load_band_population(version)


# ---- Header -----------------------------------------------------------------------------------
with st.container(horizontal=True, vertical_alignment="center", gap="medium"):
    st.title(f"{scope}: trends", anchor=False, width="content")
    if freshness.is_synthetic:
        st.badge(
            "Synthetic demo data",
            icon=":material/science:",
            color="orange",
            help="Every number here is generated for demonstration; none describes a real person.",
        )
st.caption(
    f"Overdose deaths by Chicago community area of occurrence · {described} · {period_text} · "
    f"{source} · data refreshed {refreshed}. Chicago counts every death that occurred in the city, "
    f"including those that could not be placed in an area. Counts of 1–{threshold - 1} are shown as "
    f"\u201c<{threshold}\u201d."
)

# ---- KPIs: the period against the same months a year earlier -------------------------------------
rows = trend_selection.filter_rows(deaths, view)
before_start, before_end = trend_periods.same_months_last_year(start, end)
current = trend_series.period_totals(rows, selection, start, end, threshold=threshold)
if rates_ok:
    current = adjusted_rates.with_group_adjusted(
        current, adjusted_rates.in_months(band_deaths, start, end), band_population, series_areas,
        years=period_years(start, period_labels.next_month(end)), threshold=threshold, split=series_split,
    )  # fmt: skip
previous = trend_series.period_totals(rows, selection, before_start, before_end, threshold=threshold)
compared = trend_series.compare_periods(current, previous)
by_group = {row["group"]: row for row in compared.iter_rows(named=True)}
sel_row, rest_row = by_group[selection.label], by_group[trend_selection.REST_LABEL]
has_year_before = before_start >= data_months[0]

kpi_deaths, kpi_rate, kpi_yoy, kpi_rest = st.columns(4)
with kpi_deaths.container(border=True):
    st.metric(f"Deaths, {selection.label}", sel_row["deaths_display"] or "—")
    st.caption(f"{drug_label} · {period_text}")
with kpi_rate.container(border=True):
    if rates_ok:
        value, lower, upper, unstable = (sel_row[c] for c in RATE_COLS)
        st.metric(f"{rate_label} per 100,000 per year", period_labels.format_rate(value))
        rate_note = (
            f"95% CI {lower:,.1f}–{upper:,.1f}" if value is not None else f"Not shown: fewer than {threshold} deaths"
        )
        if value is not None and unstable:
            rate_note += " · unstable (<20 deaths)"
        if adjusted and value is not None:
            rate_note += f" · crude {period_labels.format_rate(sel_row['rate'])}"
        elif value is not None:
            rate_note += f" · age-adjusted {period_labels.format_rate(sel_row['age_adjusted_rate'])}"
        st.caption(rate_note)
    else:
        st.metric("Rate per 100,000 per year", "—")
        st.caption("No rate with a demographic filter: no population by age group, sex or race.")
# A period with provisional months is still filling in: a change against a closed year would
# show a fall that is only pending toxicology, so none is shown (as on the Overview).
period_is_provisional = any(start <= m <= end for m in provisional)
with kpi_yoy.container(border=True):
    change = sel_row["deaths_change_pct"] if has_year_before and not period_is_provisional else None
    st.metric(
        "Same months a year earlier",
        (sel_row["deaths_before_display"] or "—") if has_year_before else "—",
        delta=None if change is None else f"{change:+.0f}% now",
        delta_color="inverse",
    )
    st.caption(
        (
            data.format_period(before_start, before_end)
            + (" · no change shown: this period has provisional months" if period_is_provisional else "")
        )
        if has_year_before
        else "Before the first month of data"
    )
with kpi_rest.container(border=True):
    if rates_ok:
        st.metric(f"{trend_selection.REST_LABEL}, {rate_label.lower()}", period_labels.format_rate(rest_row[RATE_COLS[0]]))
        st.caption(f"{rest_row['deaths_display'] or '—'} deaths · per 100,000 per year")
    else:
        st.metric(f"{trend_selection.REST_LABEL}, deaths", rest_row["deaths_display"] or "—")
        st.caption(period_text)

in_period = [m for m in provisional if start <= m <= end]
notes = []
if provisional:
    notes.append(
        f":material/hourglass_top: {data.format_period(provisional[0], provisional[-1])} "
        "is provisional (toxicology pending): counts will rise as cases close; "
        "provisional periods are dashed and shaded."
        + (" The selected period includes it." if in_period else "")
    )
if suburbs and not view.areas:
    notes.append(
        f"The {region} also counts deaths in {', '.join(suburbs)}; they are not included here, "
        "where the region is compared with the rest of Chicago (population figures cover Chicago only)."
    )
if rates_ok and adjusted:
    notes.append(
        f"{adjusted_rates.ADJUSTED_NOTE} "
        + adjusted_rates.unknown_age_note(sel_row["deaths_unknown_age_display"], where=f" in {selection.label}")
    )
trend_page.note(*notes)

# What every tab reads (band deaths and population only when rates are shown).
page = trend_page.TrendsPage(
    hidden_marks=HIDDEN_MARKS,
    not_placed_note=NOT_PLACED_NOTE,
    adjusted=adjusted,
    area_names=area_names,
    band_deaths=band_deaths if rates_ok else None,
    band_population=band_population if rates_ok else None,
    before_start=before_start,
    before_end=before_end,
    compared=compared,
    data_months=data_months,
    deaths=deaths,
    drug_label=drug_label,
    start=start,
    end=end,
    has_year_before=has_year_before,
    in_period=in_period,
    period_text=period_text,
    provisional=provisional,
    rate_label=rate_label,
    rates_ok=rates_ok,
    region=region,
    rows=rows,
    selection=selection,
    series_areas=series_areas,
    series_order=series_order,
    series_split=series_split,
    table_order=table_order,
    threshold=threshold,
    version=version,
    view=view,
    weekly=weekly,
    source=source,
    refreshed=refreshed,
    described=described,
)

tab_names = ["Over time", "Year over year", "Drugs", "Age, sex, race", "Intent"]
tabs = st.tabs(tab_names, key="trends_tab", on_change="rerun")
open_tab = {name: tab for name, tab in zip(tab_names, tabs, strict=True)}

# ---- Over time ------------------------------------------------------------------------------
with open_tab["Over time"]:
    if open_tab["Over time"].open:
        trend_tabs.over_time_tab(page)

# ---- Year over year -----------------------------------------------------------------------------
with open_tab["Year over year"]:
    if open_tab["Year over year"].open:
        trend_tabs.year_over_year_tab(page)

# ---- Drugs ---------------------------------------------------------------------------------------
with open_tab["Drugs"]:
    if open_tab["Drugs"].open:
        trend_tabs.drugs_tab(page)

# ---- Demographic and intent breakdowns ----------------------------------------------------------

city = trend_selection.Selection(
    label=trend_selection.CITY_LABEL,
    areas=tuple(community_areas.get_column("community_area_number").to_list()),
    population=selection.city_population,
    city_population=selection.city_population,
    not_placed=True,
    config_region=frozenset(community_areas.filter(pl.col("in_region")).get_column("community_area_number").to_list()),
)

with open_tab["Age, sex, race"]:
    if open_tab["Age, sex, race"].open:
        st.caption(
            "Counts and shares of deaths only: no population by these age groups, sex or "
            "race/ethnicity is published, so there are no rates for these groups. Small groups are hidden; the bars "
            "cover the whole period and the lines whole years, so that they carry information."
        )
        dimension = st.segmented_control(
            "Breakdown by",
            options=["age_group", "sex", "race_ethnicity"],
            format_func=lambda k: trend_breakdowns.DIMENSIONS[k][1],
            default="age_group",
            required=True,
            key="trends_dimension",
        ) or "age_group"
        left, right = st.columns([1, 1.25])
        with left:
            trend_tabs.breakdown_section(page, dimension, selection, key="trends_demographic", colour=tc.OKABE_ITO[0])
        with right:
            trend_tabs.history_section(page, dimension, selection, key="trends_demographic")

with open_tab["Intent"]:
    if open_tab["Intent"].open:
        st.caption(
            "Manner of death as the Medical Examiner recorded it: accident, suicide or "
            "undetermined. Suicides and undetermined deaths are few in a small area: compare with "
            "all of Chicago to see their trend."
        )
        where = st.segmented_control(
            "Area",
            options=["selection", "city"],
            format_func={"selection": selection.label, "city": trend_selection.CITY_LABEL}.get,
            default="selection",
            required=True,
            key="trends_intent_scope",
        ) or "selection"
        scope_for_intent = selection if where == "selection" else city
        left, right = st.columns([1, 1.25])
        with left:
            trend_tabs.breakdown_section(page, "intent", scope_for_intent, key="trends_intent", colour=tc.OKABE_ITO[0])
        with right:
            trend_tabs.history_section(page, "intent", scope_for_intent, key="trends_intent")
