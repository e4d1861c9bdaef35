"""Data-quality checks on the field-data staging tables (blocking: bad data must not reach the marts)."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.defs.field_data.schema import SPECS, staging_columns
from pipelines.defs.resources import SettingsResource, warehouse
from pipelines.warehouse import fetch_row, query_sql_file, run_sql_file

STAGING_KEYS = {source: dg.AssetKey(["staging", source]) for source in SPECS}


def _rows_add_up(source: str):
    @dg.asset_check(
        asset=STAGING_KEYS[source],
        name=f"{source}_rows_add_up",
        blocking=True,
        description="Nothing lost or double-counted: for the files present, rows in (ingest log) = "
        "rows in the staging table + rows quarantined, file by file.",
    )
    def check(duckdb: DuckDBResource, settings: SettingsResource) -> dg.AssetCheckResult:
        with warehouse(duckdb, settings.get()) as con:
            run_sql_file(con, "field_data/schema.sql")
            rows = query_sql_file(con, "field_data/rows_add_up.sql", {"source": source}).fetchall()[0]
        rows_in, staged, quarantined, files_off = rows
        return dg.AssetCheckResult(
            passed=files_off == 0 and rows_in == staged + quarantined,
            metadata={
                "rows_in": int(rows_in),
                "staged": int(staged),
                "quarantined": int(quarantined),
                "files_not_adding_up": int(files_off),
            },
        )

    return check


def _only_allowed_columns(source: str):
    @dg.asset_check(
        asset=STAGING_KEYS[source],
        name=f"{source}_only_allowed_columns",
        blocking=True,
        description="PII guard: the staging table has exactly the documented columns, none personal.",
    )
    def check(duckdb: DuckDBResource, settings: SettingsResource) -> dg.AssetCheckResult:
        schema, table = SPECS[source].table.split(".")
        with warehouse(duckdb, settings.get()) as con:
            columns = [
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = $schema AND table_name = $table ORDER BY ordinal_position",
                    {"schema": schema, "table": table},
                ).fetchall()
            ]
        unexpected = sorted(set(columns) - set(staging_columns(SPECS[source])))
        return dg.AssetCheckResult(passed=not unexpected, metadata={"unexpected_columns": unexpected})

    return check


@dg.asset_check(
    asset=STAGING_KEYS["test_strips"],
    blocking=True,
    description="Allowed values only: strip type, result and substance as sold from the documented lists.",
)
def test_strips_allowed_values(duckdb: DuckDBResource, settings: SettingsResource) -> dg.AssetCheckResult:
    spec = SPECS["test_strips"]
    with warehouse(duckdb, settings.get()) as con:
        run_sql_file(con, "field_data/schema.sql")
        bad = fetch_row(
            con,
            "SELECT count(*) FROM staging.test_strips WHERE NOT list_contains($strips, strip_type) "
            "OR NOT list_contains($results, result) OR NOT list_contains($substances, substance_as_sold)",
            {
                "strips": list(spec.column("strip_type").allowed),
                "results": list(spec.column("result").allowed),
                "substances": list(spec.column("substance_as_sold").allowed),
            },
        )[0]
    return dg.AssetCheckResult(passed=bad == 0, metadata={"rows_with_unknown_values": bad})


@dg.asset_check(asset=STAGING_KEYS["hotspots"], blocking=True, description="One row per hotspot_id.")
def hotspots_unique_id(duckdb: DuckDBResource, settings: SettingsResource) -> dg.AssetCheckResult:
    with warehouse(duckdb, settings.get()) as con:
        run_sql_file(con, "field_data/schema.sql")
        dupes = fetch_row(
            con, "SELECT count(*) FROM (SELECT hotspot_id FROM staging.hotspots GROUP BY 1 HAVING count(*) > 1)"
        )[0]
    return dg.AssetCheckResult(passed=dupes == 0, metadata={"duplicated_hotspot_ids": dupes})


FIELD_DATA_CHECKS = [
    *(_rows_add_up(s) for s in SPECS),
    *(_only_allowed_columns(s) for s in SPECS),
    test_strips_allowed_values,
    hotspots_unique_id,
]
