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

from datetime import date, datetime

import altair as alt
import polars as pl
import streamlit as st

from dashboards.components import charts, data, filters
from dashboards.components.selection import (
    WITHHELD,
    WITHHELD_NOTE,
    SelectionTotal,
    hidden_areas,
    selection_total,
)
from dashboards.components.strip_tables import (
    codetection_display,
    codetection_table,
    pct,
    positivity_display,
    positivity_table,
)
from pipelines.defs.epidemiology.suppression import (
    SECONDARY_FOOTNOTE,
    SECONDARY_MARK,
    display_count,
    suppress,
)
from pipelines.defs.field_data.metrics import wilson_ci
from pipelines.settings import load_settings

PAGE_TITLE = "Test strips & outreach"
FIELD_SOURCE = "Task force field data"
#: The page's sections below the cards, one tab each; only the open tab is drawn.
FIELD_TABS = ("Test strips", "Outreach")
FIELD_TAB_KEY = "field_tab"
FIELD_TABLES = (
    "test_strip_positivity",
    "test_strip_codetection",
    "outreach_monthly",
    "naloxone_cumulative",
    "warm_handoff_funnel",
    "naloxone_coverage",
    "field_data_sources",
)
#: Monthly activity measures: column of ``marts.outreach_monthly`` -> chart label.
ACTIVITY = {
    "naloxone_kits_distributed": "Naloxone kits distributed",
    "people_trained_naloxone": "People trained in naloxone",
    "warm_handoffs_total": "Warm hand-offs",
    "naloxone_administrations": "Reversals (naloxone given)",
}
# The individual hand-off kinds add up to "Any warm hand-off", so they are suppressed as one group.
HANDOFF_KINDS = ("MOUD", "Detox", "Mental health", "Housing", "Medical")
#: Outreach totals on the KPI cards (also read per community area for an area selection).
OUTREACH_KPI_COLUMNS = ("naloxone_kits_distributed", "naloxone_administrations", "warm_handoffs_total")


# ---- Data access ------------------------------------------------------------------------------


def _query(version: data.DbVersion, sql: str) -> pl.DataFrame:
    """One read of ``version`` (checked to be that publication: see ``data.read_frame``)."""
    return data.read_frame(version, sql)


@st.cache_data(show_spinner=False, max_entries=8)
def load_field_marts(version: data.DbVersion) -> dict[str, pl.DataFrame] | None:
    """Every field-data mart this page reads, or None when the database predates them."""
    present = set(
        _query(
            version,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'",
        )
        .get_column("table_name")
        .to_list()
    )
    if not set(FIELD_TABLES) <= present:
        return None
    # Free-text and personal columns do not exist in these marts; source_url is left out because
    # it is a server path, of no use to a reader.
    return {
        "positivity": _query(
            version,
            """SELECT month, area_level, community_area_number, community_area, in_region,
                      strip_type, strips_used, tests_read, positives
               FROM marts.test_strip_positivity WHERE substance_as_sold = 'all'""",
        ),
        "codetection": _query(
            version,
            """SELECT month, area_level, community_area_number, community_area, in_region,
                      samples_tested_both, both_positive
               FROM marts.test_strip_codetection""",
        ),
        "outreach": _query(
            version, "SELECT * FROM marts.outreach_monthly WHERE area_level = 'all'"
        ),
        "outreach_areas": _query(
            version,
            f"""SELECT month, community_area_number, {", ".join(OUTREACH_KPI_COLUMNS)}
               FROM marts.outreach_monthly WHERE area_level = 'community_area'""",
        ),
        "cumulative": _query(version, "SELECT * FROM marts.naloxone_cumulative ORDER BY month"),
        "funnel": _query(
            version,
            """SELECT month, stage_order, stage, stage_count FROM marts.warm_handoff_funnel
               WHERE area_level = 'all'""",
        ),
        "coverage": _query(version, "SELECT * FROM marts.naloxone_coverage"),
        "sources": _query(
            version,
            """SELECT source, is_synthetic, refreshed_at FROM marts.field_data_sources
               WHERE source IN ('test_strips', 'outreach')""",
        ),
    }


# ---- Shaping (suppressed display frames: what is shown is what is downloaded) ----------------


def activity_frame(outreach: pl.DataFrame, start: date, end: date, threshold: int) -> pl.DataFrame:
    """Monthly all-areas activity in long form; small counts hidden (one group per measure)."""
    long = (
        outreach.filter(pl.col("month").is_between(start, end))
        .unpivot(index="month", on=list(ACTIVITY), variable_name="measure", value_name="count")
        .with_columns(pl.col("measure").replace_strict(ACTIVITY), pl.col("count").cast(pl.Int64))
        .sort("measure", "month")
    )
    long = suppress(long, "count", threshold=threshold, complementary_by=["measure"])
    return long.select(
        pl.col("month").dt.strftime("%Y-%m").alias("month"),
        "measure",
        pl.col("count_display").alias("count"),
    )


def funnel_frame(funnel: pl.DataFrame, start: date, end: date, threshold: int) -> pl.DataFrame:
    """Contacts → any warm hand-off → each kind, summed over the period, suppressed."""
    totals = (
        funnel.filter(pl.col("month").is_between(start, end))
        .group_by("stage_order", "stage")
        .agg(pl.col("stage_count").sum().cast(pl.Int64).alias("people"))
        .sort("stage_order")
    )
    contacts = totals.filter(pl.col("stage") == "Contacts").get_column("people").sum()
    kinds = totals.filter(pl.col("stage").is_in(HANDOFF_KINDS))
    head = totals.filter(~pl.col("stage").is_in(HANDOFF_KINDS))
    shown = pl.concat(
        [
            suppress(head, "people", threshold=threshold, complementary_by=None),
            suppress(kinds, "people", threshold=threshold, complementary_by=[]).drop(
                "people_group_total_suppressed"
            ),
        ]
    ).sort("stage_order")
    share = pl.col("people") / contacts if contacts else pl.lit(None, dtype=pl.Float64)
    return shown.select(
        "stage",
        pl.col("people_display").alias("people"),
        pct(share).alias("share_of_contacts_pct"),
        pl.col("people").alias("plotted"),
    )


def coverage_frame(coverage: pl.DataFrame, threshold: int) -> pl.DataFrame:
    """Kits per overdose death: the region, its areas and any other area with kits, suppressed.

    The region's areas are one complementary group whose total (the region row) is shown.
    """
    areas = coverage.filter(pl.col("area_level") == "community_area").filter(
        pl.col("in_region") | (pl.col("naloxone_kits_distributed") > 0)
    )
    region = coverage.filter(pl.col("area_level") == "region")
    in_region = suppress(
        areas.filter(pl.col("in_region")),
        "overdose_deaths",
        threshold=threshold,
        rate_cols=["kits_per_death"],
        complementary_by=[],
    ).drop("overdose_deaths_group_total_suppressed")
    others = suppress(
        areas.filter(~pl.col("in_region")),
        "overdose_deaths",
        threshold=threshold,
        rate_cols=["kits_per_death"],
    )
    top = suppress(region, "overdose_deaths", threshold=threshold, rate_cols=["kits_per_death"])
    # Kits are a small count too (1–9 → "<10", with the ratio); the region row is their total.
    in_region = suppress(
        in_region, "naloxone_kits_distributed", threshold=threshold, rate_cols=["kits_per_death"],
        complementary_by=[],
    ).drop("naloxone_kits_distributed_group_total_suppressed")
    others = suppress(others, "naloxone_kits_distributed", threshold=threshold, rate_cols=["kits_per_death"])
    top = suppress(top, "naloxone_kits_distributed", threshold=threshold, rate_cols=["kits_per_death"])
    return pl.concat([top, in_region, others]).select(
        pl.col("community_area").alias("area"),
        pl.col("naloxone_kits_distributed_display").alias("kits_distributed"),
        pl.col("overdose_deaths_display").alias("overdose_deaths"),
        pl.col("kits_per_death").round(1).alias("kits_per_death"),
    )


def proportion_text(successes: int, trials: int, threshold: int) -> tuple[str, str]:
    """KPI value and caption for a positivity: hidden when the strips read or the positive strips
    are 1 to ``threshold - 1`` (a shown share and total would give the positives back), else the
    share with its Wilson CI."""
    if trials == 0:
        return "—", "No strips read in this period"
    if trials < threshold:
        return "—", f"Not shown: fewer than {threshold} strips read"
    if 0 < successes < threshold:
        return "—", f"Not shown: fewer than {threshold} positive strips of {trials:,} read"
    lower, upper = wilson_ci(successes, trials)
    return (
        f"{successes / trials:.0%}",
        f"95% CI {float(lower):.0%}–{float(upper):.0%} · {trials:,} strips read",
    )


def _strip_totals(
    positivity: pl.DataFrame, strip: str, start: date, end: date
) -> tuple[int, int, int]:
    """All-areas strips used, read and positive for one strip type over the period."""
    rows = positivity.filter(
        pl.col("area_level") == "all",
        pl.col("strip_type") == strip,
        pl.col("month").is_between(start, end),
    )
    return (
        int(rows.get_column("strips_used").sum()),
        int(rows.get_column("tests_read").sum()),
        int(rows.get_column("positives").sum()),
    )


def area_totals(frame: pl.DataFrame, column: str, start: date, end: date) -> dict[int, int]:
    """Per-community-area totals of ``column`` over the period (rows without an area left out)."""
    period = frame.filter(
        pl.col("month").is_between(start, end), pl.col("community_area_number").is_not_null()
    )
    return dict(period.group_by("community_area_number").agg(pl.col(column).sum()).iter_rows())


def chosen_total(per_area: dict[int, int], areas: tuple[int, ...], threshold: int) -> SelectionTotal:
    """Total over the chosen areas, withheld when it would give away an area the per-area views
    hide (the all-areas total is published too; see ``components/selection.py``)."""
    every = set(per_area) | set(areas)
    full = {a: int(per_area.get(a, 0)) for a in every}
    return selection_total(
        full,
        areas,
        threshold,
        hidden=hidden_areas(full, dict.fromkeys(every, "all"), threshold),
        wholes=(every,),
    )


def selection_strip_totals(
    positivity: pl.DataFrame, strip: str, start: date, end: date, areas: tuple[int, ...], threshold: int
) -> tuple[SelectionTotal, SelectionTotal]:
    """Strips read and positive strips for one strip type in the chosen areas (suppressed totals)."""
    rows = positivity.filter(pl.col("area_level") != "all", pl.col("strip_type") == strip)
    read = chosen_total(area_totals(rows, "tests_read", start, end), areas, threshold)
    positives = chosen_total(area_totals(rows, "positives", start, end), areas, threshold)
    return read, positives


def selection_proportion_text(
    read: SelectionTotal, positives: SelectionTotal, threshold: int
) -> tuple[str, str]:
    """Positivity KPI for an area selection: hidden with its strips-read or positive-strips total."""
    if read.value == 0:
        return "—", "No strips read in this period"
    if not read.shown:
        return "—", f"Not shown: fewer than {threshold} strips read, or it would reveal an area"
    if not positives.shown:
        return "—", f"Not shown: fewer than {threshold} positive strips, or it would reveal an area"
    return proportion_text(positives.value, read.value, threshold)


def total_and_areas(frame: pl.DataFrame, column: str, names: list[str]) -> pl.DataFrame:
    """``frame``'s first row (the total, kept as context) and its rows for the areas ``names``,
    suppressed as in the all-areas view (nothing is recomputed for the selection)."""
    return frame.head(1).vstack(frame.slice(1).filter(pl.col(column).is_in(names)))


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
fent_used, fent_read, fent_pos = _strip_totals(positivity, "fentanyl", start, end)
xyl_used, xyl_read, xyl_pos = _strip_totals(positivity, "xylazine", start, end)
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
        # grid code to load for this tab (see data.show_small_table).
        strip_display = positivity_display(strip_table)
        data.show_small_table(strip_display, right=strip_display.columns[1:])
        if strip_table.select(pl.col("tests_read", "positives").eq(SECONDARY_MARK).any()).row(0) != (False, False):
            st.caption(SECONDARY_FOOTNOTE)
        data.csv_download(
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
        data.show_small_table(co_display, right=co_display.columns[1:])
        data.csv_download(
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
                data.expander_table(
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
