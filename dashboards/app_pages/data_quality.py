"""Data quality: can the numbers be trusted? Checks, freshness, row accounting, quarantine, ingests.

Everything but the check results comes from the published app database (``marts.asset_checks``,
``ingest_log``, ``me_quarantine``, ``data_quality``, ``source_freshness`` and the field-data
file tables). The check results come from Dagster's run history (``settings.dagster_home``),
read-only: the checks run alongside and after the publication, so only the run history knows
their latest outcome. The page is operational — rows, files and checks, not deaths by area — and
it shows no row's values: quarantined rows are listed by file, row number, field and reason.
Case numbers of quarantined Medical Examiner records are shown in member mode only.

The check summary heads the page; the sections below it are tabs drawn only while open
(``SECTIONS``), so opening the page costs one tab's tables, not the whole page's.
"""

from __future__ import annotations

from datetime import UTC, datetime

import altair as alt
import polars as pl
import streamlit as st

from dashboards.components import access, charts, check_results, data, nowcast_quality, quality, table_display
from dashboards.components.priorities import show_backtest
from dashboards.components.quality_loaders import load_check_history, load_quality_tables
from dashboards.components.quality_widgets import (
    as_chicago_time,
    check_lines,
    metric_card,
    section_heading,
    when_text,
)
from pipelines.defs.epidemiology.suppression import display_count
from pipelines.defs.field_data.schema import SPECS
from pipelines.settings import load_settings


PAGE_TITLE = "Data quality"
CHECKS_SOURCE = "Dagster run history (asset checks)"
FIELD_NAMES = tuple(sorted({column.name for spec in SPECS.values() for column in spec.columns}))
#: Colour-blind-safe categorical colours for the sources (Okabe–Ito).
SOURCE_COLOURS = {
    "Medical Examiner": "#0072B2",
    "Test strips": "#E69F00",
    "Outreach logs": "#009E73",
    "Hot-spot list": "#CC79A7",
}
#: The page's sections below the check summary, one tab each; only the open tab is drawn.
SECTIONS = ("Sources and row accounting", "Medical Examiner", "Quarantined rows", "Ingest log and files",
            "Forecast backtest")
SECTION_KEY = "dq_section"
OUTCOME_LABELS = {
    "failed": "✖ failed",
    "did not run": "⚠ did not run",
    "running": "… running",
    "no result": "— no result",
    "passed": "✔ passed",
}


# ---- Page ------------------------------------------------------------------------------------

settings = load_settings()
try:
    version = data.db_version(settings.app_db)
    publication = data.load_publication(version)
    tables = load_quality_tables(version)
except data.AppDbUnavailable as exc:
    st.title(PAGE_TITLE, anchor=False)
    st.error(str(exc), icon=":material/database_off:")
    st.stop()

if tables is None:
    st.title(PAGE_TITLE, anchor=False)
    st.warning(
        f"The published database `{settings.app_db}` predates the data-quality tables "
        "(ingest log, quarantine, placement by year, check catalogue). Run `make pipeline` to publish "
        "them, then reload this page.",
        icon=":material/update:",
    )
    st.stop()

threshold = max(settings.suppress_below, publication.suppress_below)
member = access.is_member()
published = data.format_refreshed(publication.published_at)
sources = tables["sources"]
synthetic = bool(sources.get_column("is_synthetic").any())
pipeline_source = "Pipeline ingest log" + (" — synthetic demo data" if synthetic else "")

with st.container(horizontal=True, vertical_alignment="center", gap="medium"):
    st.title(PAGE_TITLE, anchor=False, width="content")
    if synthetic:
        st.badge(
            "Synthetic demo data",
            icon=":material/science:",
            color="orange",
            help="The sources are the generator's synthetic demo files; no row describes a real person.",
        )
st.caption(
    "Can the numbers be trusted? The pipeline's checks, how fresh each source is, whether every "
    f"row received was loaded or quarantined, and why rows were turned away · published {published}"
)

# The check results need Dagster's run history (a slower read): their slot is kept at the top
# and filled last, so the rest of the page is not held up.
checks_slot = st.container()

recon = quality.reconciliation(
    tables["data_quality"],
    sources.filter(pl.col("source") == "medical_examiner"),
    tables["field_files"],
    sources.filter(pl.col("source") != "medical_examiner"),
    tables["field_quarantine"],
)
if not recon.get_column("adds_up").all():
    # Above the tabs, whichever is open: lost or double-counted rows are the page's worst finding.
    off = ", ".join(recon.filter(~pl.col("adds_up")).get_column("source").to_list())
    st.error(
        f"**Rows do not add up for: {off}.** Rows were lost or counted twice between receipt and "
        "loading; the blocking `*_rows_add_up` checks stop such data from reaching the marts. "
        f"See *{SECTIONS[0]}*.",
        icon=":material/error:",
    )

# The rest is in tabs drawn only while open (a closed tab's tables and chart are not sent): the
# first tab has only Markdown tables, so opening the page loads no chart, and no data grid unless
# a check failed (the check list above then opens by itself).
sections = dict(zip(SECTIONS, st.tabs(SECTIONS, key=SECTION_KEY, on_change="rerun"), strict=True))


def _open(name: str):
    """The tab ``name`` if it is the open one, else None (its content is skipped)."""
    return sections[name] if sections[name].open else None


# ---- Last refresh per source -------------------------------------------------------------------
if tab := _open(SECTIONS[0]):
    with tab:
        freshness_utc = quality.freshness_table(sources, datetime.now(UTC))
        freshness = as_chicago_time(freshness_utc, "refreshed_at")  # the CSV: Chicago wall-clock time
        section_heading(
            "Last refresh per source",
            [
                "Source: marts.source_freshness, marts.field_data_sources",
                "Period: each source's own",
                f"Published {published}",
            ],
        )
        table_display.show_small_table(quality.freshness_display(freshness_utc), right=["Age (days)"])
        table_display.csv_download(
            "Download freshness (CSV)", freshness, file_name="source_freshness.csv", key="dq_download_freshness"
        )

# ---- Rows in = loaded + quarantined ----------------------------------------------------------
if tab := _open(SECTIONS[0]):
    with tab:
        section_heading(
            "Rows in = rows loaded + rows quarantined",
            [
                f"Source: {pipeline_source}",
                "Period: everything held now (the archive; field-data files present)",
                f"Published {published}",
            ],
        )
        table_display.show_small_table(quality.reconciliation_display(recon))
        st.caption(
            "Medical Examiner: records in the merged archive against cases staged and records quarantined "
            "at staging. Field data: rows in the files present (ingest log) against rows in the staging "
            "tables and quarantined rows — each side counted from its own table."
        )
        table_display.csv_download(
            "Download row accounting (CSV)", recon, file_name="row_accounting.csv", key="dq_download_recon"
        )

# ---- Medical Examiner quality metrics -----------------------------------------------------------
if tab := _open(SECTIONS[1]):
    with tab:
        me_rows = sources.filter(pl.col("source") == "medical_examiner")
        me_refreshed = when_text(me_rows.get_column("refreshed_at")[0]) if not me_rows.is_empty() else published
        me_period = (
            data.format_period(me_rows.get_column("data_from")[0], me_rows.get_column("data_to")[0])
            if not me_rows.is_empty()
            else "—"
        )
        me_source = "Cook County Medical Examiner" + (" — synthetic demo data" if synthetic else "")
        dq = tables["data_quality"]
        unplaced = quality.quality_metric(
            dq, "unplaced_share", minimum=settings.min_placed_share, higher_is_better=False
        )
        agreement = quality.quality_metric(
            dq, "opioid_flag_agreement_overdoses", minimum=settings.min_opioid_flag_agreement
        )
        section_heading(
            "Medical Examiner: placement and opioid flag",
            [f"Source: {me_source}", f"Period: {me_period}", f"Data refreshed {me_refreshed}"],
        )

        unplaced_col, agreement_col = st.columns(2)
        metric_card(
            unplaced_col,
            "Unplaced cases",
            unplaced,
            f"at most {1 - settings.min_placed_share:.0%} (placed share ≥ {settings.min_placed_share:.0%})",
            "Chicago cases",
            threshold,
        )
        metric_card(
            agreement_col,
            "Opioid-flag agreement",
            agreement,
            f"at least {settings.min_opioid_flag_agreement:.0%} (a warning: the flag is imperfect)",
            "overdose deaths",
            threshold,
        )
        metrics_table = dq.select(
            "metric",
            "description",
            pl.col("numerator").map_elements(lambda v: display_count(v, threshold), return_dtype=pl.String),
            pl.col("denominator").map_elements(lambda v: display_count(v, threshold), return_dtype=pl.String),
            pl.when(pl.col("numerator").is_between(1, threshold - 1))
            .then(None)
            .otherwise((pl.col("value") * 100).round(2))
            .alias("share_pct"),
        )
        table_display.expander_table(
            "All Medical Examiner quality metrics",
            metrics_table,
            key="dq_metrics_table",
            caption=f"Counts of cases from 1 to {threshold - 1} are shown as “<{threshold}” with no share. "
            "Thresholds are the pipeline's settings ODW_MIN_PLACED_SHARE and ODW_MIN_OPIOID_FLAG_AGREEMENT.",
            width="stretch",
            column_config={
                "metric": "Metric",
                "description": st.column_config.TextColumn("What it counts", width="large"),
                "numerator": "Numerator",
                "denominator": "Denominator",
                "share_pct": st.column_config.NumberColumn("Share", format="%.2f%%"),
            },
        )
        table_display.csv_download(
            "Download quality metrics (CSV)",
            metrics_table,
            file_name="me_quality_metrics.csv",
            key="dq_download_metrics",
        )

        section_heading(
            "Medical Examiner: how deaths in Chicago were placed, by year",
            [f"Source: {me_source}", f"Period: {me_period}", f"Data refreshed {me_refreshed}"],
        )
        placement_table = quality.placement_by_year(tables["placement_annual"], threshold)
        table_display.show_small_table(placement_table, right=placement_table.columns[1:])
        st.caption(
            "Deaths in Chicago or of unknown place, by year of death (the cases of the unplaced share). "
            "*By archive*: placed by its community area or its coordinates; *geocoded*: placed by the "
            "point the US Census Bureau's geocoder gave the street address (only with ODW_GEOCODER=census); "
            f"*unplaced*: neither. Counts from 1 to {threshold - 1} are shown as “<{threshold}” with no "
            "share; “*” hides another count so that it cannot be worked out from the year's total."
        )
        table_display.csv_download(
            "Download placement by year (CSV)",
            placement_table,
            file_name="me_placement_by_year.csv",
            key="dq_download_placement",
        )
        nowcast_quality.render(version)

# ---- Quarantined rows ---------------------------------------------------------------------------
if tab := _open(SECTIONS[2]):
    with tab:
        listing = as_chicago_time(
            quality.quarantine_listing(
                tables["me_quarantine"], tables["field_quarantine"], FIELD_NAMES, include_case_numbers=member
            ),
            "quarantined_at",
        )
        by_rule = quality.quarantine_by_rule(listing)
        quarantine_subtitle = charts.chart_subtitle(
            pipeline_source, "rows held now (the archive; field-data files present)", published
        )
        st.markdown("##### Quarantined rows", anchors=False)
        total_quarantined = listing.height
        me_quarantined = listing.filter(pl.col("source") == quality.SOURCE_LABELS["medical_examiner"]).height
        st.caption(
            f"{total_quarantined:,} row(s) not loaded: {me_quarantined:,} Medical Examiner record(s) and "
            f"{total_quarantined - me_quarantined:,} field-data row(s). Listed by file, row number, field and "
            "reason — never the row's values."
            + (" Case numbers are shown in member mode." if member else "")
        )
        if by_rule.is_empty():
            st.success("No row is quarantined: every row received was loaded.", icon=":material/check_circle:")
        else:
            present = by_rule.get_column("source").unique().to_list()
            domain = [s for s in SOURCE_COLOURS if s in present] + sorted(set(present) - set(SOURCE_COLOURS))
            rule_chart = (
                alt.Chart(by_rule)
                .mark_bar()
                .encode(
                    y=alt.Y("rule:N", sort="-x", title=None, axis=alt.Axis(labelLimit=230)),
                    x=alt.X("sum(rows):Q", title="Quarantined rows", axis=alt.Axis(tickMinStep=1, format="d")),
                    color=alt.Color(
                        "source:N",
                        title=None,
                        scale=alt.Scale(domain=domain, range=[SOURCE_COLOURS.get(s, "#999999") for s in domain]),
                        # Stacked under the plot: Vega starts a legend at the plot's left edge, after the
                        # long rule labels, so a horizontal one runs off a phone-width chart.
                        legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=160),
                    ),
                    tooltip=[
                        alt.Tooltip("rule:N", title="Rule"),
                        alt.Tooltip("source:N", title="Source"),
                        alt.Tooltip("rows:Q", title="Rows"),
                    ],
                )
                .properties(
                    title=charts.chart_title(["Quarantined rows by rule"], quarantine_subtitle),
                    height=max(220, 34 * by_rule.get_column("rule").n_unique() + 120),
                )
            )
            st.altair_chart(rule_chart, width="stretch")
            st.caption("A row that breaks two rules counts under both.")
            charts.chart_downloads(rule_chart, by_rule, file_stem="quarantined_rows_by_rule", key="dq_rule_chart")
            table_display.show_table(
                listing,
                width="stretch",
                column_config={
                    "stage": "Stage",
                    "file": st.column_config.TextColumn("File", width="medium"),
                    "row_number": st.column_config.NumberColumn("Row", format="%d"),
                    "case_number": "Case number",
                    "field": "Field",
                    "rule": "Rule",
                    "reason": st.column_config.TextColumn("Reason", width="large"),
                    "quarantined_at": st.column_config.DatetimeColumn("Quarantined (Chicago)", format="D MMM YYYY, HH:mm"),
                },
            )
            table_display.csv_download(
                "Download quarantined rows (CSV)",
                listing,
                file_name="quarantined_rows.csv",
                key="dq_download_quarantine",
            )

# ---- Ingest log ------------------------------------------------------------------------------
if tab := _open(SECTIONS[3]):
    with tab:
        section_heading(
            "Ingest log",
            [f"Source: {pipeline_source}", "Period: every ingest on record, newest first", f"Published {published}"],
        )
        log = as_chicago_time(tables["ingest_log"], "ingested_at").select(
            pl.col("source").replace_strict(quality.SOURCE_LABELS, default=pl.col("source")),
            "file",
            "mode",
            "rows_in",
            "rows_loaded",
            "rows_quarantined",
            pl.col("watermark").alias("data_through"),
            "ingested_at",
            # Why a file was refused (a database published before the column existed has none).
            *(["reason"] if "reason" in tables["ingest_log"].columns else []),
        )
        table_display.show_table(
            log,
            width="stretch",
            column_config={
                "file": st.column_config.TextColumn("Pull or file", width="medium"),
                "mode": "Mode",
                "data_through": "Data through",
                "ingested_at": st.column_config.DatetimeColumn("Ingested (Chicago)", format="D MMM YYYY, HH:mm"),
            },
        )
        st.caption(
            "Medical Examiner: one entry per pull merged (mode full or incremental; *data through* is the "
            "newest `:updated_at` seen). Field data: one entry whenever a file appears (new), changes "
            "(replaced), changes outcome (revalidated), is refused (with the reason; the file is moved out "
            "of the raw folder and deleted after ODW_REFUSED_RETENTION_DAYS) or is removed."
        )
        table_display.csv_download("Download ingest log (CSV)", log, file_name="ingest_log.csv", key="dq_download_log")

        files = as_chicago_time(tables["field_files"], "last_changed_at").select(
            pl.col("source").replace_strict(quality.SOURCE_LABELS, default=pl.col("source")),
            "file",
            "status",
            "rows_in",
            "rows_loaded",
            "rows_quarantined",
            "refusal",
            "last_changed_at",
        )
        section_heading(
            "Field-data files held now",
            [f"Source: {pipeline_source}", "Period: files present at the last run", f"Published {published}"],
        )
        table_display.show_table(
            files,
            width="stretch",
            column_config={
                "file": st.column_config.TextColumn("File", width="medium"),
                "status": "Status",
                "refusal": st.column_config.TextColumn("Why refused", width="large"),
                "last_changed_at": st.column_config.DatetimeColumn("Last changed (Chicago)", format="D MMM YYYY, HH:mm"),
            },
        )
        table_display.csv_download(
            "Download field-data files (CSV)", files, file_name="field_data_files.csv", key="dq_download_files"
        )

# ---- Next week's forecast: its backtest (issue #19) --------------------------------------------
if tab := _open(SECTIONS[4]):
    with tab:
        show_backtest(version)

# ---- Asset checks (top of the page) ----------------------------------------------------------
catalogue = tables["checks"]
keys = tuple((row["asset"], row["check_name"]) for row in catalogue.iter_rows(named=True))
history = load_check_history(str(settings.dagster_home), keys)
status = check_results.check_status_table(catalogue, history)
counts = check_results.check_counts(status)
read_at = data.format_refreshed(datetime.now(UTC))


with checks_slot:
    st.markdown("##### Asset checks", anchors=False)
    st.caption(
        f"Source: {CHECKS_SOURCE} · Period: the latest result of each of "
        f"the {catalogue.height} checks the pipeline defines · Read {read_at}"
    )
    failed = status.filter(pl.col("outcome") == "failed")
    errors = failed.filter(pl.col("severity") != "WARN")
    warnings = failed.filter(pl.col("severity") == "WARN")
    not_run = status.filter(pl.col("outcome") == "did not run")
    if not history.available:
        # The server's paths are for the task force's operators, not the public.
        where = f" (looked in `{settings.dagster_home}`)" if member else ""
        st.info(history.message + where, icon=":material/history_toggle_off:")
    if not errors.is_empty():
        st.error(
            f"**{errors.height} check(s) failed** (severity ERROR):\n\n" + check_lines(errors),
            icon=":material/error:",
        )
    if not warnings.is_empty():
        st.warning(
            f"**{warnings.height} check(s) failed with a warning:**\n\n" + check_lines(warnings),
            icon=":material/warning:",
        )
    if not not_run.is_empty():
        st.warning(
            f"**{not_run.height} check(s) did not run** in their latest run (a step failed or a "
            "blocking check stopped it):\n\n" + check_lines(not_run),
            icon=":material/block:",
        )
    if history.available and counts["passed"] == catalogue.height:
        latest = status.get_column("evaluated_at").max()
        st.success(
            f"All {catalogue.height} checks passed in their latest run (latest {when_text(latest)}).",
            icon=":material/check_circle:",
        )
    cards = st.columns(4)
    for card, (label, outcome) in zip(
        cards,
        (("Passed", "passed"), ("Failed", "failed"), ("Did not run", "did not run"), ("No result", "no result")),
        strict=True,
    ):
        with card.container(border=True):
            st.metric(label, f"{counts[outcome]:,}")
    shown = as_chicago_time(status, "evaluated_at").select(
        pl.col("outcome").replace_strict(OUTCOME_LABELS, default=pl.col("outcome")).alias("outcome"),
        "severity",
        "check_name",
        "asset",
        "blocking",
        "description",
        "details",
        "evaluated_at",
    )
    table_display.expander_table(
        f"All {catalogue.height} checks",
        shown,
        key="dq_checks_table",
        expanded=not failed.is_empty(),
        width="stretch",
        column_config={
            "outcome": "Outcome",
            "severity": "Severity",
            "check_name": "Check",
            "asset": "Asset",
            "blocking": st.column_config.CheckboxColumn("Blocking"),
            "description": st.column_config.TextColumn("What it checks", width="large"),
            "details": st.column_config.TextColumn("What it found", width="large"),
            "evaluated_at": st.column_config.DatetimeColumn("When (Chicago)", format="D MMM YYYY, HH:mm"),
        },
    )
    table_display.csv_download(
        "Download check status (CSV)", shown, file_name="asset_check_status.csv", key="dq_download_checks"
    )
