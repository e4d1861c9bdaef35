"""Data-quality checks on the field-data staging tables (blocking: bad data must not reach the marts).

Each check is a plain function of a connection (tested directly) wrapped by a thin asset check.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from pipelines.defs.field_data.schema import SPECS, staging_columns
from pipelines.defs.resources import SettingsResource, warehouse
from pipelines.warehouse import fetch_row, query_sql_file, run_sql_file

STAGING_KEYS = {source: dg.AssetKey(["staging", source]) for source in SPECS}


@contextmanager
def _field_warehouse(duckdb: DuckDBResource, settings: SettingsResource) -> Iterator[duckdb.DuckDBPyConnection]:
    # The field-data tables exist even before their first ingest, so a check never fails on that.
    with warehouse(duckdb, settings.get()) as con:
        run_sql_file(con, "field_data/schema.sql")
        yield con


def rows_add_up(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, int]:
    """Rows in (latest ingest-log entry of each present file) against rows staged and quarantined."""
    rows_in, staged, quarantined, files_off = query_sql_file(
        con, "field_data/rows_add_up.sql", {"source": source}
    ).fetchall()[0]
    return {
        "rows_in": int(rows_in),
        "staged": int(staged),
        "quarantined": int(quarantined),
        "files_not_adding_up": int(files_off),
    }


def unexpected_columns(con: duckdb.DuckDBPyConnection, source: str) -> list[str]:
    """Columns of a source's staging table that are not in its documented list."""
    schema, table = SPECS[source].table.split(".")
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = $schema AND table_name = $table",
        {"schema": schema, "table": table},
    ).fetchall()
    return sorted({r[0] for r in rows} - set(staging_columns(SPECS[source])))


def unknown_test_strip_values(con: duckdb.DuckDBPyConnection) -> int:
    """Test-strip rows whose strip type, result or substance is not in the documented lists."""
    spec = SPECS["test_strips"]
    return int(fetch_row(
        con,
        "SELECT count(*) FROM staging.test_strips WHERE NOT list_contains($strips, strip_type) "
        "OR NOT list_contains($results, result) OR NOT list_contains($substances, substance_as_sold)",
        {
            "strips": list(spec.column("strip_type").allowed),
            "results": list(spec.column("result").allowed),
            "substances": list(spec.column("substance_as_sold").allowed),
        },
    )[0])


def duplicated_hotspot_ids(con: duckdb.DuckDBPyConnection) -> int:
    """Hot-spot ids that appear more than once in ``staging.hotspots``."""
    return int(fetch_row(
        con, "SELECT count(*) FROM (SELECT hotspot_id FROM staging.hotspots GROUP BY 1 HAVING count(*) > 1)"
    )[0])


def _rows_add_up_check(source: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=STAGING_KEYS[source],
        name=f"{source}_rows_add_up",
        blocking=True,
        description="Nothing lost or double-counted: for the files present, rows in (ingest log) = "
        "rows in the staging table + rows quarantined, file by file.",
    )
    def check(duckdb: DuckDBResource, settings: SettingsResource) -> dg.AssetCheckResult:
        with _field_warehouse(duckdb, settings) as con:
            counts = rows_add_up(con, source)
        passed = counts["files_not_adding_up"] == 0 and counts["rows_in"] == counts["staged"] + counts["quarantined"]
        return dg.AssetCheckResult(passed=passed, metadata=counts)

    return check


def _allowed_columns_check(source: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=STAGING_KEYS[source],
        name=f"{source}_only_allowed_columns",
        blocking=True,
        description="PII guard: the staging table has only the documented columns, none personal.",
    )
    def check(duckdb: DuckDBResource, settings: SettingsResource) -> dg.AssetCheckResult:
        with _field_warehouse(duckdb, settings) as con:
            unexpected = unexpected_columns(con, source)
        return dg.AssetCheckResult(passed=not unexpected, metadata={"unexpected_columns": unexpected})

    return check


@dg.asset_check(
    asset=STAGING_KEYS["test_strips"],
    blocking=True,
    description="Allowed values only: strip type, result and substance as sold from the documented lists.",
)
def test_strips_allowed_values(duckdb: DuckDBResource, settings: SettingsResource) -> dg.AssetCheckResult:
    with _field_warehouse(duckdb, settings) as con:
        bad = unknown_test_strip_values(con)
    return dg.AssetCheckResult(passed=bad == 0, metadata={"rows_with_unknown_values": bad})


@dg.asset_check(asset=STAGING_KEYS["hotspots"], blocking=True, description="One row per hotspot_id.")
def hotspots_unique_id(duckdb: DuckDBResource, settings: SettingsResource) -> dg.AssetCheckResult:
    with _field_warehouse(duckdb, settings) as con:
        dupes = duplicated_hotspot_ids(con)
    return dg.AssetCheckResult(passed=dupes == 0, metadata={"duplicated_hotspot_ids": dupes})


#: Every field-data asset check, for the definitions.
FIELD_DATA_CHECKS = [
    *(_rows_add_up_check(s) for s in SPECS),
    *(_allowed_columns_check(s) for s in SPECS),
    test_strips_allowed_values,
    hotspots_unique_id,
]
