"""Test strips & outreach page: the task force's own field data for a chosen period.

Reads the field-data marts the pipeline publishes into the app database (test-strip positivity
and co-detection, outreach totals, naloxone training and coverage, the warm hand-off funnel).
Only aggregates are shown — never a row of an individual test or any free text. Tests from 1 to
``threshold - 1`` hide their positivity and interval and show "<10"; small death counts in the
naloxone-coverage table are suppressed with their kits-per-death ratio.

The cards cover both; below them, *Test strips* (positivity and co-detection tables) and
*Outreach* (monthly activity, warm hand-off funnel, naloxone coverage) are tabs drawn only while
open (``FIELD_TABS``).
"""

from __future__ import annotations

from datetime import datetime

import altair as alt
import polars as pl
import streamlit as st

from dashboards.components import charts, data, filters, table_display
from dashboards.components.field_frames import (
    activity_frame,
    area_totals,
    chosen_total,
    coverage_frame,
    funnel_frame,
    proportion_text,
    selection_proportion_text,
    selection_strip_totals,
    strip_totals,
    total_and_areas,
)
from dashboards.components.field_loaders import OUTREACH_KPI_COLUMNS, load_field_marts
from dashboards.components.selection import WITHHELD, WITHHELD_NOTE
from dashboards.components.strip_tables import (
    codetection_display,
    codetection_table,
    positivity_display,
    positivity_table,
)
from pipelines.defs.epidemiology.suppression import SECONDARY_FOOTNOTE, SECONDARY_MARK, display_count
from pipelines.settings import load_settings


PAGE_TITLE = "Test strips & outreach"
FIELD_SOURCE = "Task force field data"
#: The page's sections below the cards, one tab each; only the open tab is drawn.
FIELD_TABS = ("Test strips", "Outreach")
FIELD_TAB_KEY = "field_tab"


def _no_field_data(raw_dir: str) -> None:
    """Explain how field data gets into the dashboard, then stop the page."""
    st.title(PAGE_TITLE, anchor=False)
    st.info(
        "No test-strip or outreach data has been published yet.\n\n"
        f"To add it, save the spreadsheets (XLSX or CSV) into the folders under `{raw_dir}/`:\n\n"
        "- `test_strips/` — one row per fentanyl or xylazine test strip used "
        "(template `data_raw/templates/test_strips.xlsx` or `.csv`)\n"
        "- `outreach/` — one row per team shift and location "
        "(template `data_raw/templates/outreach.xlsx` or `.csv`)\n"
        "- `hotspots/` — the hot-spot list the other two refer to "
        "(template `data_raw/templates/hotspots.xlsx` or `.csv`)\n\n"
        "The Dagster sensor picks new files up within a minute when `make dagster` is running; "
        "otherwise run `make pipeline`. Then reload this page.",
        icon=":material/upload_file:",
    )
    st.stop()


# ---- Page -------------------------------------------------------------------------------------

settings = load_settings()
try:
    version = data.db_version(settings.app_db)
    marts = load_field_marts(version)
    publication = data.load_publication(version)
except data.AppDbUnavailable as exc:
    st.title(PAGE_TITLE, anchor=False)
    st.error(str(exc), icon=":material/database_off:")
    st.stop()

if marts is None or (marts["positivity"].is_empty() and marts["outreach"].is_empty()):
    _no_field_data(str(settings.raw_dir))

# The stricter of the local setting and the publication's threshold (as on the Map page).
threshold = max(settings.suppress_below, publication.suppress_below)
positivity, outreach, sources = marts["positivity"], marts["outreach"], marts["sources"]
months = sorted(
    set(positivity.get_column("month").to_list()) | set(outreach.get_column("month").to_list())
)
synthetic = bool(sources.get_column("is_synthetic").any())
source = f"{FIELD_SOURCE} — synthetic demo data" if synthetic else FIELD_SOURCE
refreshed_at = sources.get_column("refreshed_at").drop_nulls().max()
refreshed = data.format_refreshed(
    refreshed_at if isinstance(refreshed_at, datetime) else publication.published_at
)

# ---- Shared filters: period and community areas (held in the URL, shared with every page) ----
try:
    options = data.load_filter_options(version)
    community_areas = data.load_community_areas(version)
except data.AppDbUnavailable as exc:
    st.error(str(exc), icon=":material/database_off:")
    st.stop()
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
    region_label=publication.region_label,
    show=("period", "areas"),
)
chosen = view.areas
chosen_names = [area_names[a] for a in chosen]
scope_text = (
    filters.area_scope_label(view, area_names, publication.region_label) if chosen else "All areas"
)

# ---- Header -----------------------------------------------------------------------------------
with st.container(horizontal=True, vertical_alignment="center", gap="medium"):
    st.title(PAGE_TITLE, anchor=False, width="content")
    if synthetic:
        st.badge(
            "Synthetic demo data",
            icon=":material/science:",
            color="orange",
            help="Every number here is generated for demonstration; none describes a real test or person.",
        )
st.caption(
    "Fentanyl and xylazine test strips and street outreach by the task force's teams, "
    + (f"in {scope_text}" if chosen else "all areas they worked")
    + f" · data refreshed {refreshed}"
)

# The shared period spans the death data; field data starts later, so clip to what it covers.
start, end = max(view.start, months[0]), min(view.end, months[-1])
if start > end:
    st.info(
        f"No field data in {data.format_period(view.start, view.end)}: test strips and outreach "
        f"cover {data.format_period(months[0], months[-1])}. Choose a later period in the sidebar.",
        icon=":material/date_range:",
    )
    st.stop()
if (start, end) != (view.start, view.end):
    st.caption(
        f"Field data covers {data.format_period(months[0], months[-1])}; "
        f"shown: {data.format_period(start, end)}."
    )
period_text = data.format_period(start, end)
subtitle = charts.chart_subtitle(source, period_text, refreshed)
file_period = f"{start:%Y-%m}_{end:%Y-%m}"

# ---- KPIs -------------------------------------------------------------------------------------
fent_used, fent_read, fent_pos = strip_totals(positivity, "fentanyl", start, end)
xyl_used, xyl_read, xyl_pos = strip_totals(positivity, "xylazine", start, end)
in_period = outreach.filter(pl.col("month").is_between(start, end))


def _total(column: str) -> int:
    """All-areas total of one outreach count over the period."""
    return int(in_period.get_column(column).sum())


cumulative = marts["cumulative"].filter(pl.col("month") <= end)
trained_total = (
    int(cumulative.get_column("people_trained_cumulative")[-1]) if not cumulative.is_empty() else 0
)
goal_rows = marts["cumulative"].get_column("people_trained_goal")
trained_goal = int(goal_rows[0]) if not goal_rows.is_empty() else settings.naloxone_trained_goal

if chosen:
    # An area selection: every total is checked against the per-area views (selection.py).
    strip_rows = positivity.filter(pl.col("area_level") != "all")
    used = chosen_total(area_totals(strip_rows, "strips_used", start, end), chosen, threshold)
    fent_sel = selection_strip_totals(positivity, "fentanyl", start, end, chosen, threshold)
    xyl_sel = selection_strip_totals(positivity, "xylazine", start, end, chosen, threshold)
    outreach_areas = marts["outreach_areas"]

    def _count(column: str) -> str:
        return chosen_total(area_totals(outreach_areas, column, start, end), chosen, threshold).display

    tests_text = used.display
    fent_text = selection_proportion_text(*fent_sel, threshold)
    xyl_text = selection_proportion_text(*xyl_sel, threshold)
    kits_text, reversals_text, handoffs_text = (_count(c) for c in OUTREACH_KPI_COLUMNS)
else:
    tests_text = display_count(fent_used + xyl_used, threshold)
    fent_text = proportion_text(fent_pos, fent_read, threshold)
    xyl_text = proportion_text(xyl_pos, xyl_read, threshold)
    kits_text, reversals_text, handoffs_text = (
        display_count(_total(c), threshold) for c in OUTREACH_KPI_COLUMNS
    )

kpis = [
    ("Tests run", tests_text, f"strips used, {period_text}"),
    ("Fentanyl-strip positivity", *fent_text),
    ("Xylazine-strip positivity", *xyl_text),
    ("Naloxone kits distributed", kits_text, period_text),
    (
        "People trained (cumulative)",
        display_count(trained_total, threshold),
        f"{trained_total / trained_goal:.0%} of the {trained_goal:,} goal by {data.format_month(end)}"
        + (" · all areas" if chosen else ""),
    ),
    ("Reversals", reversals_text, "naloxone given by teams"),
    ("Warm hand-offs", handoffs_text, "to treatment and services"),
]
for row in (kpis[:4], kpis[4:]):
    for column, (label, value, note) in zip(st.columns(4), row, strict=False):
        with column.container(border=True):
            st.metric(label, value)
            st.caption(note)
if any(value == WITHHELD for _label, value, _note in kpis):
    st.caption(WITHHELD_NOTE.format(t=threshold))
if chosen:
    st.caption(
        f"Cards: {scope_text}. Tables list the chosen areas (suppressed as in the all-areas view); "
        "the monthly chart and the hand-off funnel cover all areas, because per-area monthly "
        "counts are too small to publish safely."
    )

# ---- Test strips | Outreach: tabs drawn only while open --------------------------------------
# A closed tab's tables and charts are not sent, so opening the page draws the cards and one tab.
strips_tab, outreach_tab = st.tabs(FIELD_TABS, key=FIELD_TAB_KEY, on_change="rerun")
if strips_tab.open:
    with strips_tab:
        # ---- Positivity -------------------------------------------------------------------------------
        st.markdown("##### Test-strip positivity by community area", anchors=False)
        st.caption(
            " · ".join(subtitle)
            + f" · positivity = positive ÷ strips read (invalid strips left out), Wilson 95% CI; areas with "
            f"1–{threshold - 1} strips read or positive show “<{threshold}” and no positivity"
        )
        strip_table = positivity_table(positivity, start, end, threshold)
        if chosen:
            strip_table = strip_table.filter(pl.col("community_area").is_in(chosen_names))
        # Markdown, not the data grid: a table per area that reads the same on a projector, and no
        # grid code to load for this tab (see table_display.show_small_table).
        strip_display = positivity_display(strip_table)
        table_display.show_small_table(strip_display, right=strip_display.columns[1:])
        if strip_table.select(pl.col("tests_read", "positives").eq(SECONDARY_MARK).any()).row(0) != (False, False):
            st.caption(SECONDARY_FOOTNOTE)
        table_display.csv_download(
            "Download positivity (CSV)",
            strip_table,
            file_name=f"test_strip_positivity_{file_period}.csv",
            key="download_positivity",
        )

        st.markdown("##### Fentanyl + xylazine co-detection", anchors=False)
        st.caption(
            "Share of drug samples with both a fentanyl and a xylazine strip read that were positive for "
            "both (Wilson 95% CI). Samples without a sample ID cannot be paired and are left out."
        )
        co_table = codetection_table(marts["codetection"], start, end, threshold)
        if chosen:
            co_table = total_and_areas(co_table, "community_area", chosen_names)
        co_display = codetection_display(co_table)
        table_display.show_small_table(co_display, right=co_display.columns[1:])
        table_display.csv_download(
            "Download co-detection (CSV)",
            co_table,
            file_name=f"test_strip_codetection_{file_period}.csv",
            key="download_codetection",
        )

if outreach_tab.open:
    with outreach_tab:
        # ---- Monthly activity -------------------------------------------------------------------------
        activity = activity_frame(outreach, start, end, threshold)
        plot = activity.with_columns(
            (pl.col("month") + "-01").alias("month_start"),
            pl.col("count").str.replace_all(",", "").cast(pl.Int64, strict=False).alias("value"),
        )
        activity_chart = (
            alt.Chart(plot)
            .mark_line(point=True, strokeWidth=2.5, invalid="break-paths-show-domains")
            .encode(
                x=alt.X(
                    "utcyearmonth(month_start):T",
                    title=None,
                    axis=alt.Axis(format="%b %Y", labelAngle=0, labelOverlap=True, tickCount="month"),
                ),
                y=alt.Y("value:Q", title="Per month", scale=alt.Scale(zero=True)),
                color=alt.Color(
                    "measure:N", title=None, legend=alt.Legend(orient="top", direction="horizontal")
                ),
                tooltip=[
                    alt.Tooltip("month:N", title="Month"),
                    alt.Tooltip("measure:N", title="Measure"),
                    alt.Tooltip("count:N", title="Count"),
                ],
            )
            .properties(
                title=charts.chart_title(["Outreach activity per month", "All areas"], subtitle),
                height=400,
            )
        )
        st.altair_chart(activity_chart, width="stretch")
        if activity.get_column("count").is_in([f"<{threshold}", SECONDARY_MARK]).any():
            st.caption(
                f"Months with 1–{threshold - 1} of a measure are not plotted (gaps) to protect privacy."
            )
        charts.chart_downloads(
            activity_chart, activity, file_stem=f"outreach_monthly_{file_period}", key="download_activity"
        )

        # ---- Warm hand-off funnel and naloxone coverage -----------------------------------------------
        funnel_col, coverage_col = st.columns(2)
        funnel = funnel_frame(marts["funnel"], start, end, threshold)
        with funnel_col:
            funnel_chart = (
                alt.Chart(funnel)
                .mark_bar(color="#3b528b")
                .encode(
                    y=alt.Y("stage:N", sort=None, title=None),
                    x=alt.X("plotted:Q", title="People"),
                    tooltip=[
                        alt.Tooltip("stage:N", title="Stage"),
                        alt.Tooltip("people:N", title="People"),
                        alt.Tooltip("share_of_contacts_pct:Q", title="% of contacts", format=".1f"),
                    ],
                )
                .properties(
                    title=charts.chart_title(["Warm hand-off funnel", "All areas"], subtitle),
                    height=340,
                )
            )
            st.altair_chart(funnel_chart, width="stretch")
            funnel_csv = funnel.drop("plotted")
            charts.chart_downloads(
                funnel_chart, funnel_csv, file_stem=f"warm_handoff_funnel_{file_period}", key="download_funnel"
            )

        coverage_raw = marts["coverage"]
        with coverage_col:
            if coverage_raw.is_empty():
                st.info(
                    "Naloxone coverage needs outreach logs for months the Medical Examiner data covers."
                )
            else:
                coverage = coverage_frame(coverage_raw, threshold)
                if chosen:
                    coverage = total_and_areas(coverage, "area", chosen_names)
                first, last = (
                    coverage_raw.get_column("first_month")[0],
                    coverage_raw.get_column("last_month")[0],
                )
                coverage_period = data.format_period(first, last)
                coverage_subtitle = charts.chart_subtitle(
                    f"{source}; Cook County Medical Examiner", coverage_period, refreshed
                )
                coverage_chart = (
                    alt.Chart(coverage.filter(pl.col("kits_per_death").is_not_null()))
                    .mark_bar(color="#21918c")
                    .encode(
                        y=alt.Y("area:N", sort="-x", title=None),
                        x=alt.X("kits_per_death:Q", title="Kits per overdose death"),
                        tooltip=[
                            alt.Tooltip("area:N", title="Area"),
                            alt.Tooltip("kits_distributed:N", title="Kits"),
                            alt.Tooltip("overdose_deaths:N", title="Overdose deaths"),
                            alt.Tooltip("kits_per_death:Q", title="Kits per death", format=".1f"),
                        ],
                    )
                    .properties(
                        title=charts.chart_title(
                            ["Naloxone coverage", "Kits distributed per overdose death"], coverage_subtitle
                        ),
                        height=340,
                    )
                )
                st.altair_chart(coverage_chart, width="stretch")
                st.caption(
                    f"Over {coverage_period}, the months both sources cover (not the period selected above). "
                    f"Areas with 1–{threshold - 1} deaths or kits show “<{threshold}” and no ratio."
                )
                table_display.expander_table(
                    "Naloxone coverage table",
                    coverage,
                    key="field_coverage_table",
                    caption=SECONDARY_FOOTNOTE if coverage.get_column("overdose_deaths").eq(SECONDARY_MARK).any() else "",
                    width="stretch",
                    column_config={
                        "kits_distributed": "Kits",
                        "overdose_deaths": "Overdose deaths",
                        "kits_per_death": st.column_config.NumberColumn("Kits per death", format="%.1f"),
                    },
                )
                charts.chart_downloads(
                    coverage_chart,
                    coverage,
                    file_stem=f"naloxone_coverage_{first:%Y-%m}_{last:%Y-%m}",
                    key="download_coverage",
                )
