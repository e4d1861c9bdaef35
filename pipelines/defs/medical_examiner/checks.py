"""Data-quality checks on the Medical Examiner tables (blocking ones stop bad data reaching marts)."""


import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.defs.resources import SettingsResource, warehouse
from pipelines.warehouse import fetch_row

ME_CASES = dg.AssetKey(["staging", "me_cases"])


def _scalar(duckdb: DuckDBResource, settings: SettingsResource, sql: str) -> int:
    with warehouse(duckdb, settings.get()) as con:
        return fetch_row(con, sql)[0]


@dg.asset_check(asset=ME_CASES, blocking=True, description="Exactly one row per casenumber.")
def me_cases_unique_casenumber(
    duckdb: DuckDBResource, settings: SettingsResource
) -> dg.AssetCheckResult:
    dupes = _scalar(
        duckdb,
        settings,
        "SELECT count(*) FROM (SELECT casenumber FROM staging.me_cases GROUP BY 1 HAVING count(*) > 1)",
    )
    return dg.AssetCheckResult(passed=dupes == 0, metadata={"duplicated_casenumbers": dupes})


@dg.asset_check(
    asset=ME_CASES, blocking=True, description="casenumber and death_date present on every case."
)
def me_cases_required_fields(
    duckdb: DuckDBResource, settings: SettingsResource
) -> dg.AssetCheckResult:
    missing = _scalar(
        duckdb,
        settings,
        "SELECT count(*) FROM staging.me_cases WHERE casenumber IS NULL OR death_date IS NULL",
    )
    return dg.AssetCheckResult(passed=missing == 0, metadata={"rows_missing_required": missing})


@dg.asset_check(
    asset=ME_CASES, blocking=True, description="community_area_number is null or within 1–77."
)
def me_cases_area_in_range(
    duckdb: DuckDBResource, settings: SettingsResource
) -> dg.AssetCheckResult:
    bad = _scalar(
        duckdb,
        settings,
        "SELECT count(*) FROM staging.me_cases WHERE community_area_number NOT BETWEEN 1 AND 77",
    )
    return dg.AssetCheckResult(passed=bad == 0, metadata={"rows_out_of_range": bad})


@dg.asset_check(
    asset=ME_CASES,
    blocking=True,
    description="Nothing lost: every raw record is a staged case or a quarantined row.",
)
def me_cases_rows_add_up(duckdb: DuckDBResource, settings: SettingsResource) -> dg.AssetCheckResult:
    with warehouse(duckdb, settings.get()) as con:
        raw, staged, quarantined = fetch_row(
            con,
            """
            SELECT
                (SELECT count(*) FROM raw.me_records),
                (SELECT count(*) FROM staging.me_cases),
                (SELECT count(*) FROM staging.quarantine
                 WHERE source = 'medical_examiner' AND stage = 'staging')
            """,
        )
    return dg.AssetCheckResult(
        passed=raw == staged + quarantined,
        metadata={"raw_records": raw, "staged": staged, "quarantined": quarantined},
    )
