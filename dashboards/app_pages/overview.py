"""Overview: is it getting worse? The headline numbers for the region (or the areas chosen).

Deaths in the last complete month and the last 12 months against the prior period, the death
rate (crude or age-adjusted, as the shared "Death rates" filter says) against Chicago's,
fentanyl and xylazine involvement, the task force's naloxone and warm hand-off work, and how
fresh each source is. Every count of 1–9 is shown as "<10"; the
numbers come from ``dashboards/components/overview_metrics.py`` (pure, tested functions).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import streamlit as st

from dashboards.components import access, adjusted_rates, data, filters, period_labels, table_display
from dashboards.components import overview_loaders, overview_metrics as om
from dashboards.components.selection import WITHHELD, WITHHELD_NOTE
from pipelines.settings import load_settings

settings = load_settings()
try:
    version = data.db_version(settings.app_db)
    community_areas = data.load_community_areas(version)
    publication = data.load_publication(version)
    freshness = data.load_freshness(version)
    options = data.load_filter_options(version)
    deaths = overview_loaders.load_area_deaths(version)
    outreach = overview_loaders.load_outreach(version)
    sources = overview_loaders.load_sources(version)
except data.AppDbUnavailable as exc:
    st.title("West Side Overdose Watch", anchor=False)
    st.error(str(exc), icon=":material/database_off:")
    st.stop()

if deaths.is_empty() or not options.months:
    st.title("West Side Overdose Watch", anchor=False)
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
    options, area_names=area_names, region_label=region, show=("areas", "drug", "rate")
)
scope = filters.area_scope_label(view, area_names, region)
drug_label = filters.DRUG_LABELS.get(view.drug, view.drug)
refreshed = data.format_refreshed(freshness.refreshed_at)
synthetic = bool(sources.get_column("is_synthetic").any())

provisional = sorted(
    deaths.filter(pl.col("is_provisional")).get_column("month").unique().to_list()
)
last_month = om.last_complete_month(freshness.data_to, provisional)
year_start = om.shift_months(last_month, -11)
prior_month = om.shift_months(last_month, -1)

# ---- Header -----------------------------------------------------------------------------------
with st.container(horizontal=True, vertical_alignment="center", gap="medium"):
    st.title(f"{scope}: overdose overview", anchor=False, width="content")
    if synthetic:
        st.badge(
            "Synthetic demo data",
            icon=":material/science:",
            color="orange",
            help="Every number here is generated for demonstration; none describes a real person.",
        )
st.caption(
    f"Deaths: {period_labels.source_text(freshness)}, deaths that occurred in Chicago community areas "
    f"({scope if view.areas else f'{region}, areas {publication.region_areas}'}) · "
    f"{drug_label.lower()} · data refreshed {refreshed}. Counts of 1–{threshold - 1} are "
    f"shown as \u201c<{threshold}\u201d."
)
if provisional:
    st.info(
        f"**Provisional data:** deaths from {data.format_period(provisional[0], provisional[-1])} "
        "are provisional — toxicology is still pending for some cases, so these counts and the "
        "drug shares will rise as cases close. The cards below use complete months only, up "
        f"to {data.format_month(last_month)}.",
        icon=":material/hourglass_top:",
    )

# ---- Deaths -----------------------------------------------------------------------------------
st.subheader("Overdose deaths", anchor=False)
geography = om.Geography.from_areas(community_areas)
month_change, year_change = om.deaths_changes(
    deaths, view.areas, view.drug, last_month, geography, threshold
)
rates = om.rate_comparison(
    deaths,
    community_areas,
    view.areas,
    view.drug,
    year_start,
    last_month,
    scope_label=scope,
    threshold=threshold,
    band_deaths=adjusted_rates.load_band_deaths(version, view.drug),
    band_population=adjusted_rates.load_band_population(version),
)
scope_rate, city_rate = rates.row(0, named=True), rates.row(1, named=True)
# The card shows the kind the "Death rates" filter chose; its help and the caption name both.
kind = "age_adjusted_rate" if view.rate == "adjusted" else "rate"
low, high = ("age_adjusted_lower", "age_adjusted_upper") if view.rate == "adjusted" else ("rate_lower", "rate_upper")
unstable = "age_adjusted_unstable" if view.rate == "adjusted" else "rate_unstable"
rate_label = adjusted_rates.RATE_LABELS[view.rate]


def both_rates(row: dict) -> str:
    """Both rates of one card's row with their intervals, for its help text."""
    crude = period_labels.format_rate_ci(row["rate"], row["rate_lower"], row["rate_upper"])
    aged = period_labels.format_rate_ci(row["age_adjusted_rate"], row["age_adjusted_lower"], row["age_adjusted_upper"])
    return f"crude {crude}; age-adjusted {aged}"


year_text = data.format_period(year_start, last_month)
prior_year_text = data.format_period(om.shift_months(last_month, -23), om.shift_months(last_month, -12))

cols = st.columns(4)
cols[0].metric(
    f"Deaths, {data.format_month(last_month)}",
    month_change.current_display,
    delta=om.change_text(month_change, data.format_month(prior_month)),
    delta_color="inverse",
    help=f"{drug_label}, {scope}: the last complete month of data "
    f"(prior month: {month_change.previous_display}). Provisional months are left out.",
    border=True,
)
cols[1].metric(
    "Deaths, last 12 months",
    year_change.current_display,
    delta=om.change_text(year_change, "prior 12 mo"),
    delta_color="inverse",
    help=f"{drug_label}, {scope}: {year_text} against {prior_year_text} "
    f"({year_change.previous_display}).",
    border=True,
)
cols[2].metric(
    f"{rate_label}, {scope}",
    period_labels.format_rate(scope_rate[kind]),
    help="Deaths per 100,000 residents per year over the last 12 months (2020 census population): "
    f"{both_rates(scope_rate)}. Age-adjusted: standardised to the 2000 US standard population."
    + (" Fewer than 20 deaths: the rate is unstable." if scope_rate[unstable] else ""),
    border=True,
)
# Chicago's total (so both its rates) is withheld when exactly one of its parts is hidden.
city_withheld = city_rate["deaths_display"] == WITHHELD
CITY_WITHHELD_TEXT = (
    f"not shown: with the figures published for the {region}, the rest of Chicago and the deaths "
    f"not placed in an area it would give a count below {threshold} back"
)
cols[3].metric(
    f"{rate_label}, Chicago",
    WITHHELD if city_withheld else period_labels.format_rate(city_rate[kind]),
    help="Deaths per 100,000 residents per year over the same 12 months: every death that occurred "
    "in Chicago, including those that could not be placed in a community area (both rates count "
    f"them): {CITY_WITHHELD_TEXT if city_withheld else both_rates(city_rate)}.",
    border=True,
)
if scope_rate[kind] is not None and city_rate[kind] is not None:
    ratio = scope_rate[kind] / city_rate[kind] if city_rate[kind] else None
    overlap = scope_rate[low] <= city_rate[high] and city_rate[low] <= scope_rate[high]
    st.caption(
        f"{rate_label} per 100,000 per year, {year_text}: **{scope}** "
        f"{period_labels.format_rate_ci(scope_rate[kind], scope_rate[low], scope_rate[high])} · "
        f"**Chicago** {period_labels.format_rate_ci(city_rate[kind], city_rate[low], city_rate[high])}"
        + (f" · {ratio:.1f}× the city rate" if ratio else "")
        + ("" if overlap else " (the intervals do not overlap)")
        + "."
        + (
            f" {adjusted_rates.ADJUSTED_NOTE} "
            + adjusted_rates.unknown_age_note(scope_rate["deaths_unknown_age_display"], where=f" in {scope}")
            if view.rate == "adjusted"
            else " Crude rates: deaths ÷ residents; the age-adjusted rates (sidebar) compare places "
            "with older or younger residents fairly."
        )
    )
elif scope_rate["deaths"] is None:
    st.caption(
        f"The {scope} rate is not shown: fewer than {threshold} deaths in {year_text}, "
        "and a rate would give the count back."
    )
elif city_withheld:
    # Escaped: a caption starting with "* " would render as a bullet list.
    st.caption(f"\\{WITHHELD} Chicago's rate for {year_text} is {CITY_WITHHELD_TEXT}.")
if provisional:
    so_far = om.period_total(
        deaths, view.areas, view.drug, provisional[0], provisional[-1], geography, threshold
    )
    st.caption(
        f"Provisional months {data.format_period(provisional[0], provisional[-1])}: "
        f"{so_far.display} deaths recorded so far ({drug_label.lower()}, {scope}); "
        "not compared, since pending cases are still being added."
    )

# ---- Drug involvement -------------------------------------------------------------------------
st.subheader("What is involved", anchor=False)
share_cols = st.columns(len(om.SHARE_DRUGS))
for col, (drug_key, label) in zip(share_cols, om.SHARE_DRUGS.items(), strict=True):
    share = om.involvement_share(
        deaths, view.areas, drug_key, year_start, last_month, geography, threshold
    )
    col.metric(
        label,
        share.display,
        help=f"Share of all overdose deaths in {scope}, {year_text}, with {drug_key} found by "
        "toxicology. One death can involve several drugs.",
        border=True,
    )
    col.caption(share.note)

# ---- Field work -------------------------------------------------------------------------------
st.subheader("Task-force field work", anchor=False)
field_span = om.field_period(outreach)
if field_span is None:
    st.caption("No outreach data has been published yet (see *Test strips & outreach*).")
else:
    field_start, field_end = field_span
    field = om.field_kpis(outreach, view.areas, field_start, field_end, geography, threshold)
    field_cols = st.columns(len(om.FIELD_KPIS))
    for col, column in zip(field_cols, om.FIELD_KPIS, strict=True):
        kpi = field[column]
        extra = (
            f" Teams responded to {field['overdoses_responded'].display} overdoses."
            if column == "naloxone_administrations"
            else ""
        )
        col.metric(
            kpi.label,
            kpi.display,
            help=f"Street-outreach logs, {scope}, {data.format_period(field_start, field_end)}.{extra}",
            border=True,
        )
    st.caption(
        f"Street-outreach logs of the task force's teams in {scope}, "
        f"{data.format_period(field_start, field_end)} (the latest 12 months of field data). "
        "Reversals: naloxone given at an overdose the team responded to. "
        "Details: *Test strips & outreach*."
    )

shown_counts = [month_change.current_display, year_change.current_display]
if field_span is not None:
    shown_counts += [kpi.display for kpi in field.values()]
if WITHHELD in shown_counts:
    st.caption(WITHHELD_NOTE.format(t=threshold))

# ---- Freshness --------------------------------------------------------------------------------
st.subheader("Data freshness", anchor=False)
rules = {
    "medical_examiner": om.StaleRule(
        timedelta(hours=settings.freshness_me_max_hours),
        timedelta(days=settings.freshness_me_max_record_age_days),
    ),
    **{
        source: om.StaleRule(
            timedelta(days=settings.freshness_field_max_days),
            timedelta(days=settings.freshness_field_max_record_age_days),
        )
        for source in ("test_strips", "outreach")
    },
}
now = datetime.now(UTC).replace(tzinfo=None)
table = om.freshness_table(sources, now, rules)
for row in table.filter(pl.col("stale")).iter_rows(named=True):
    st.warning(f"**{row['label']}** may be stale: {row['warning']}.", icon=":material/schedule:")
# One row per source: drawn as Markdown, so the landing page loads no data-grid code (table_display.show_small_table).
table_display.show_small_table(
    table.select(
        pl.col("label").alias("Source"),
        pl.col("data_from").alias("Data from"),
        pl.col("data_to").alias("Data to"),
        pl.col("refreshed_at")
        .map_elements(data.format_refreshed, return_dtype=pl.String)
        .alias("Last loaded (Chicago time)"),
        pl.when(pl.col("stale")).then(pl.lit("Check")).otherwise(pl.lit("OK")).alias("Status"),
    )
)

# ---- Member detail ----------------------------------------------------------------------------
if access.is_member():
    st.subheader("Hot-spot detail (members)", anchor=False)
    detail = overview_loaders.load_hotspot_detail(version)
    detail = om.in_scope(detail, view.areas)
    hot = detail.filter(
        (pl.col("gi_class") == "hot spot") | (pl.col("hot_cells") > 0) | pl.col("emerging").is_in(["persistent", "sporadic", "new", "intensifying"])
    )
    window = detail.get_column("window_label").drop_nulls()
    st.caption(
        "Getis-Ord Gi* class and local Moran cluster of overdose deaths per community area in the "
        f"latest window{f' ({window[0]})' if len(window) else ''}, the emerging-hot-spot category, "
        "and the number of H3 hexagons (about 0.7 km²) flagged as hot spots. Member view: "
        "not for projection. No death locations are shown."
    )
    if hot.is_empty():
        st.caption(f"No hot spots in {scope} in the latest window.")
    else:
        table_display.show_table(
            hot.select(
                pl.col("community_area").alias("Community area"),
                pl.col("gi_class").alias("Gi* class"),
                pl.col("moran_cluster").alias("Moran cluster"),
                pl.col("emerging").alias("Emerging hot spot"),
                pl.col("hot_cells").alias("Hot-spot hexagons"),
            ),
            width="stretch",
        )
