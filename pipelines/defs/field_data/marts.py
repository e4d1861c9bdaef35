"""Building the field-data marts from the staging tables: one function per mart, SQL in sql/field_data/.

The assets in ``assets.py`` call these; tests call them on a plain DuckDB connection.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import polars as pl

from pipelines.defs.field_data.metrics import with_proportion
from pipelines.defs.field_data.schema import SOURCES, SPECS, SYNTHETIC_PREFIX
from pipelines.defs.marts.regions import region_label
from pipelines.settings import PROJECT_ROOT, Settings
from pipelines.warehouse import fetch_row, query_sql_file, replace_table, run_sql_file


def build_test_strip_positivity(con: duckdb.DuckDBPyConnection, cfg: Settings) -> pl.DataFrame:
    """``marts.test_strip_positivity``: counts in SQL, positivity and its Wilson interval in Python."""
    counts = query_sql_file(con, "field_data/test_strip_positivity.sql", {"region_areas": list(cfg.region_areas)}).pl()
    table = with_proportion(counts, successes_col="positives", trials_col="tests_read", prefix="positivity")
    replace_table(con, "marts.test_strip_positivity", table)
    return table


def build_test_strip_codetection(con: duckdb.DuckDBPyConnection, cfg: Settings) -> pl.DataFrame:
    """``marts.test_strip_codetection``: sample counts in SQL, shares with Wilson intervals in Python."""
    counts = query_sql_file(con, "field_data/test_strip_codetection.sql", {"region_areas": list(cfg.region_areas)}).pl()
    table = with_proportion(
        counts, successes_col="both_positive", trials_col="fentanyl_positive", prefix="xylazine_among_fentanyl_positive"
    )
    table = with_proportion(
        table, successes_col="both_positive", trials_col="samples_tested_both", prefix="both_positive_share"
    )
    replace_table(con, "marts.test_strip_codetection", table)
    return table


def _display_dir(cfg: Settings) -> str:
    try:
        return cfg.raw_dir.relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return cfg.raw_dir.as_posix()


#: The marts built by one SQL file each: table → (file, parameters from the settings).
SQL_MARTS: dict[str, tuple[str, Callable[[Settings], dict]]] = {
    "marts.outreach_monthly": (
        "field_data/outreach_monthly.sql", lambda cfg: {"region_areas": list(cfg.region_areas)}
    ),
    "marts.naloxone_cumulative": (
        "field_data/naloxone_cumulative.sql",
        lambda cfg: {"trained_baseline": cfg.naloxone_trained_baseline, "trained_goal": cfg.naloxone_trained_goal},
    ),
    "marts.warm_handoff_funnel": ("field_data/warm_handoff_funnel.sql", lambda cfg: {}),
    "marts.naloxone_coverage": (
        "field_data/naloxone_coverage.sql",
        lambda cfg: {"region_areas": list(cfg.region_areas), "region_label": region_label(cfg.region_areas)},
    ),
    "marts.field_data_files": (
        "field_data/field_data_files.sql", lambda cfg: {"sources": list(SOURCES), "synthetic_prefix": SYNTHETIC_PREFIX}
    ),
    "marts.field_data_quarantine": ("field_data/field_data_quarantine.sql", lambda cfg: {"sources": list(SOURCES)}),
    "marts.field_data_sources": (
        "field_data/field_data_sources.sql",
        lambda cfg: {**{f"{s}_label": SPECS[s].label for s in SOURCES}, "raw_dir": _display_dir(cfg)},
    ),
}


def build_sql_mart(con: duckdb.DuckDBPyConnection, cfg: Settings, table: str) -> int:
    """Build one of :data:`SQL_MARTS`; return its row count."""
    sql, params = SQL_MARTS[table]
    run_sql_file(con, sql, params(cfg))
    return int(fetch_row(con, f"SELECT count(*) FROM {table}")[0])


def build_all(con: duckdb.DuckDBPyConnection, cfg: Settings) -> dict[str, int]:
    """Build every field-data mart in dependency order; return the row count of each."""
    counts = {
        "marts.test_strip_positivity": build_test_strip_positivity(con, cfg).height,
        "marts.test_strip_codetection": build_test_strip_codetection(con, cfg).height,
    }
    for table in SQL_MARTS:
        counts[table] = build_sql_mart(con, cfg, table)
    return counts
