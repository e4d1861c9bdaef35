"""Field-data assets: hot spots, test strips and outreach logs from spreadsheets, and their marts.

Thin wrappers: the work is in ``ingest.py`` (files → staging, quarantine, ingest log) and
``marts.py`` (with ``metrics.py`` for Wilson intervals and the SQL in ``sql/field_data/``).
"""

import re
from collections import Counter
from datetime import UTC, datetime

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from pipelines.defs.field_data import marts
from pipelines.defs.field_data.ingest import SourceReport, ingest_source
from pipelines.defs.field_data.schema import HOTSPOTS, OUTREACH, TEST_STRIPS, SourceSpec
from pipelines.defs.resources import SettingsResource, warehouse
from pipelines.settings import Settings
from pipelines.warehouse import fetch_row

GROUP = "field_data"
COMMUNITY_AREAS = dg.AssetKey(["staging", "community_areas"])
ME_CASES = dg.AssetKey(["staging", "me_cases"])


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _md(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def _files_table(report: SourceReport) -> str:
    lines = [
        "| file | status | read as | rows in | loaded | quarantined | change | note |",
        "|---|---|---|---:|---:|---:|---|---|",
    ]
    for f in report.files:
        notes = []
        if f.refusal:
            notes.append(f.refusal)
        if f.ignored_columns:
            notes.append("ignored columns: " + ", ".join(f.ignored_columns))
        if f.dropped_columns:
            notes.append("dropped columns: " + ", ".join(f.dropped_columns))
        if f.blank_rows:
            notes.append(f"{f.blank_rows} blank rows skipped")
        lines.append(
            f"| {_md(f.file)} | {f.status} | {_md(f.read_as)} | {f.rows_in} | {f.rows_loaded} | "
            f"{f.rows_quarantined} | {f.log_mode or '—'} | {_md('; '.join(notes))} |"
        )
    for name in report.removed:
        lines.append(f"| {_md(name)} | removed | | 0 | 0 | 0 | removed | rows taken out |")
    return "\n".join(lines)


def _reason_kinds(con, source: str) -> dict[str, int]:
    """Quarantine reasons counted by rule (values and numbers blanked), for a quick overview."""
    rows = con.execute(
        "SELECT stage, reason FROM staging.quarantine WHERE source = $source", {"source": source}
    ).fetchall()
    kinds: Counter[str] = Counter()
    for stage, reason in rows:
        parts = [reason] if stage == "refused" else reason.split("; ")
        for part in parts:
            kinds[re.sub(r"'[^']*'|-?\d[\d.,:/-]*", "…", part)[:120]] += 1
    return dict(kinds.most_common(15))


def _ingest(
    context: dg.AssetExecutionContext, duckdb: DuckDBResource, cfg: Settings, spec: SourceSpec
) -> dg.MaterializeResult:
    now = _now()
    with warehouse(duckdb, cfg) as con:
        report = ingest_source(con, cfg, spec, today=now.date(), now=now)
        reason_kinds = _reason_kinds(con, spec.source)
    for f in report.refused:
        context.log.warning("%s/%s refused: %s", spec.source, f.file, f.refusal)
    for name in report.removed:
        context.log.info("%s/%s was removed: its rows are taken out", spec.source, name)
    return dg.MaterializeResult(
        metadata={
            "folder": str(cfg.raw_dir / spec.source),
            "files": len(report.files),
            "files_refused": len(report.refused),
            "files_removed": len(report.removed),
            "rows_in": report.rows_in,
            "rows_loaded": report.rows_loaded,
            "rows_quarantined": report.rows_quarantined,
            "rows_add_up": report.rows_in == report.rows_loaded + report.rows_quarantined,
            "per_file": dg.MetadataValue.md(_files_table(report)),
            "quarantine_reasons": dg.MetadataValue.json(reason_kinds),
        }
    )


@dg.asset(
    key=["staging", "hotspots"],
    deps=[COMMUNITY_AREAS],
    group_name=GROUP,
    kinds={"duckdb", "polars", "excel"},
    description="Outreach hot spots from the files in ODW_RAW_DIR/hotspots/ (CSV or XLSX), "
    "validated and placed in a community area; bad rows quarantined, PII-carrying files refused.",
)
def hotspots(
    context: dg.AssetExecutionContext, duckdb: DuckDBResource, settings: SettingsResource
) -> dg.MaterializeResult:
    return _ingest(context, duckdb, settings.get(), HOTSPOTS)


@dg.asset(
    key=["staging", "test_strips"],
    deps=[COMMUNITY_AREAS, hotspots],
    group_name=GROUP,
    kinds={"duckdb", "polars", "excel"},
    description="Fentanyl/xylazine test-strip results (one row per strip) from ODW_RAW_DIR/test_strips/; "
    "every row loaded or quarantined with a reason; rows in = loaded + quarantined per file.",
)
def test_strips(
    context: dg.AssetExecutionContext, duckdb: DuckDBResource, settings: SettingsResource
) -> dg.MaterializeResult:
    return _ingest(context, duckdb, settings.get(), TEST_STRIPS)


@dg.asset(
    key=["staging", "outreach"],
    deps=[COMMUNITY_AREAS, hotspots],
    group_name=GROUP,
    kinds={"duckdb", "polars", "excel"},
    description="Street-outreach logs (one row per team shift and location) from ODW_RAW_DIR/outreach/; "
    "every row loaded or quarantined with a reason; rows in = loaded + quarantined per file.",
)
def outreach(
    context: dg.AssetExecutionContext, duckdb: DuckDBResource, settings: SettingsResource
) -> dg.MaterializeResult:
    return _ingest(context, duckdb, settings.get(), OUTREACH)


@dg.asset(
    key=["marts", "test_strip_positivity"],
    deps=[test_strips, COMMUNITY_AREAS],
    group_name=GROUP,
    kinds={"duckdb"},
    description="Test-strip positivity by month × community area × strip type × substance as sold "
    "(with all-substance and all-area roll-ups): positives / strips read, Wilson 95% CI.",
)
def test_strip_positivity(duckdb: DuckDBResource, settings: SettingsResource) -> dg.MaterializeResult:
    cfg = settings.get()
    with warehouse(duckdb, cfg) as con:
        table = marts.build_test_strip_positivity(con, cfg)
    totals = table.filter((pl.col("area_level") == "all") & (pl.col("substance_as_sold") == "all"))
    return dg.MaterializeResult(metadata={"rows": table.height, "strips": int(totals["strips_used"].sum())})


@dg.asset(
    key=["marts", "test_strip_codetection"],
    deps=[test_strips, COMMUNITY_AREAS],
    group_name=GROUP,
    kinds={"duckdb"},
    description="Fentanyl + xylazine co-detection per drug sample (samples with both strips read), by "
    "month × community area: xylazine among fentanyl-positive samples and both-positive share, Wilson 95% CI.",
)
def test_strip_codetection(duckdb: DuckDBResource, settings: SettingsResource) -> dg.MaterializeResult:
    cfg = settings.get()
    with warehouse(duckdb, cfg) as con:
        table = marts.build_test_strip_codetection(con, cfg)
    samples = int(table.filter(pl.col("area_level") == "all")["samples_tested_both"].sum())
    return dg.MaterializeResult(metadata={"rows": table.height, "samples_tested_both": samples})


def _sql_mart(duckdb: DuckDBResource, settings: SettingsResource, table: str) -> dg.MaterializeResult:
    cfg = settings.get()
    with warehouse(duckdb, cfg) as con:
        rows = marts.build_sql_mart(con, cfg, table)
    return dg.MaterializeResult(metadata={"rows": rows})


@dg.asset(
    key=["marts", "outreach_monthly"],
    deps=[outreach, COMMUNITY_AREAS],
    group_name=GROUP,
    kinds={"duckdb"},
    description="Street-outreach totals by month × community area (and all areas): contacts, naloxone "
    "training, kits, reversals, overdoses responded, warm hand-offs by kind, strips and deactivation kits.",
)
def outreach_monthly(duckdb: DuckDBResource, settings: SettingsResource) -> dg.MaterializeResult:
    return _sql_mart(duckdb, settings, "marts.outreach_monthly")


@dg.asset(
    key=["marts", "naloxone_cumulative"],
    deps=[outreach],
    group_name=GROUP,
    kinds={"duckdb"},
    description="Monthly and cumulative people trained in naloxone (towards ODW_NALOXONE_TRAINED_GOAL, "
    "from ODW_NALOXONE_TRAINED_BASELINE), kits distributed and reversals, all areas.",
)
def naloxone_cumulative(duckdb: DuckDBResource, settings: SettingsResource) -> dg.MaterializeResult:
    cfg = settings.get()
    with warehouse(duckdb, cfg) as con:
        rows = marts.build_sql_mart(con, cfg, "marts.naloxone_cumulative")
        last = fetch_row(
            con, "SELECT month, people_trained_cumulative FROM marts.naloxone_cumulative ORDER BY month DESC LIMIT 1"
        )
    return dg.MaterializeResult(
        metadata={
            "rows": rows,
            "people_trained_cumulative": int(last[1]) if last else cfg.naloxone_trained_baseline,
            "people_trained_goal": cfg.naloxone_trained_goal,
            "through": str(last[0]) if last else "no outreach logs",
        }
    )


@dg.asset(
    key=["marts", "warm_handoff_funnel"],
    deps=[outreach_monthly],
    group_name=GROUP,
    kinds={"duckdb"},
    description="Warm hand-off funnel (contacts → any hand-off → MOUD, detox, mental health, housing, "
    "medical) by month × community area, long form, with the share of contacts.",
)
def warm_handoff_funnel(duckdb: DuckDBResource, settings: SettingsResource) -> dg.MaterializeResult:
    return _sql_mart(duckdb, settings, "marts.warm_handoff_funnel")


@dg.asset(
    key=["marts", "naloxone_coverage"],
    deps=[outreach, ME_CASES, COMMUNITY_AREAS],
    group_name=GROUP,
    kinds={"duckdb"},
    description="Naloxone kits distributed per overdose death by community area and for the region, "
    "over the months both outreach logs and the Medical Examiner archive cover (raw counts: suppress "
    "small death counts and kits_per_death with them before display).",
)
def naloxone_coverage(duckdb: DuckDBResource, settings: SettingsResource) -> dg.MaterializeResult:
    return _sql_mart(duckdb, settings, "marts.naloxone_coverage")


@dg.asset(
    key=["marts", "field_data_files"],
    deps=[hotspots, test_strips, outreach],
    group_name=GROUP,
    kinds={"duckdb"},
    description="One row per field-data file present: loaded or refused (with the reason), rows in, "
    "loaded and quarantined, synthetic or not.",
)
def field_data_files(duckdb: DuckDBResource, settings: SettingsResource) -> dg.MaterializeResult:
    cfg = settings.get()
    with warehouse(duckdb, cfg) as con:
        rows = marts.build_sql_mart(con, cfg, "marts.field_data_files")
        refused, added_up = fetch_row(
            con,
            "SELECT count(*) FILTER (WHERE status = 'refused'), "
            "coalesce(bool_and(rows_in = rows_loaded + rows_quarantined), true) FROM marts.field_data_files",
        )
    return dg.MaterializeResult(metadata={"files": rows, "files_refused": refused, "rows_add_up": added_up})


@dg.asset(
    key=["marts", "field_data_quarantine"],
    deps=[hotspots, test_strips, outreach],
    group_name=GROUP,
    kinds={"duckdb"},
    description="Field-data rows not loaded, with the reason (file, row number, reason — no personal data).",
)
def field_data_quarantine(duckdb: DuckDBResource, settings: SettingsResource) -> dg.MaterializeResult:
    return _sql_mart(duckdb, settings, "marts.field_data_quarantine")


@dg.asset(
    key=["marts", "field_data_sources"],
    deps=[field_data_files, hotspots, test_strips, outreach],
    group_name=GROUP,
    kinds={"duckdb"},
    description="One row per field-data source in the columns of marts.source_freshness: label (marked "
    "'synthetic demo data' when the files are the generator's), period covered, last change, rows.",
)
def field_data_sources(duckdb: DuckDBResource, settings: SettingsResource) -> dg.MaterializeResult:
    return _sql_mart(duckdb, settings, "marts.field_data_sources")


#: Every field-data asset, for the definitions and the sensor.
FIELD_DATA_ASSETS = [
    hotspots, test_strips, outreach, test_strip_positivity, test_strip_codetection, outreach_monthly,
    naloxone_cumulative, warm_handoff_funnel, naloxone_coverage, field_data_files, field_data_quarantine,
    field_data_sources,
]

#: The marts this package adds, for the dashboard's published database.
FIELD_DATA_MARTS = [
    "marts.test_strip_positivity", "marts.test_strip_codetection", "marts.outreach_monthly",
    "marts.naloxone_cumulative", "marts.warm_handoff_funnel", "marts.naloxone_coverage",
    "marts.field_data_files", "marts.field_data_quarantine", "marts.field_data_sources",
]
