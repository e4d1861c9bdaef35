"""Nowcast assets: the vintages rebuilt from every pull, then the nowcast beside its backtest."""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from pipelines.defs.medical_examiner.ingest import snapshot_root
from pipelines.defs.medical_examiner.snapshots import list_snapshots
from pipelines.defs.nowcast.run import run_nowcast
from pipelines.defs.nowcast.vintages import Seeding, build_vintages
from pipelines.defs.resources import SettingsResource, warehouse
from pipelines.warehouse import fetch_row, replace_table

ME_CASES = dg.AssetKey(["staging", "me_cases"])
ME_RECORDS = dg.AssetKey(["raw", "me_records"])
VINTAGES = dg.AssetKey(["staging", "me_vintages"])


@dg.asset(
    key=VINTAGES,
    deps=[ME_CASES, ME_RECORDS],
    group_name="nowcast",
    kinds={"duckdb"},
    description="Each case's versions as the Medical Examiner pulls saw it (overdose or not, drug "
    "flags, pending), rebuilt from every snapshot: the count known at any past pull. Seeded from "
    ":created_at where the portal's dates are usable.",
)
def me_vintages(duckdb: DuckDBResource, settings: SettingsResource) -> dg.MaterializeResult:
    cfg = settings.get()
    snapshots = list_snapshots(snapshot_root(cfg))
    with warehouse(duckdb, cfg) as con:
        seeding = build_vintages(con, snapshots)
        con.execute(
            "CREATE OR REPLACE TABLE staging.me_vintage_seeding AS SELECT $mode AS seeding, $reason AS reason",
            {"mode": seeding.mode, "reason": seeding.reason},
        )
        rows = fetch_row(con, "SELECT count(*) FROM staging.me_vintages")[0]
    return dg.MaterializeResult(metadata={"rows": rows, "pulls": len(snapshots), "seeding": seeding.mode})


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["marts", "nowcast"], deps=[VINTAGES, ME_CASES], group_name="nowcast", kinds={"duckdb"},
                     description="Expected final overdose deaths of the latest months (region and Chicago, "
                     "each drug), with 50% and 90% ranges and whether the public views show them."),
        dg.AssetSpec(["marts", "nowcast_backtest"], deps=[VINTAGES, ME_CASES], group_name="nowcast",
                     kinds={"duckdb"}, description="The nowcast's rolling-origin backtest by series and "
                     "horizon: coverage of the 50%/90% ranges, weighted interval score, errors against "
                     "the provisional counts'."),
        dg.AssetSpec(["marts", "nowcast_status"], deps=[VINTAGES, ME_CASES], group_name="nowcast",
                     kinds={"duckdb"}, description="Per series: the pooled backtest, whether the nowcast "
                     "is shown and why not, and how history was seeded."),
    ],
)
def nowcast(duckdb: DuckDBResource, settings: SettingsResource):
    cfg = settings.get()
    snapshots = list_snapshots(snapshot_root(cfg))
    with warehouse(duckdb, cfg) as con:
        mode, reason = fetch_row(con, "SELECT seeding, reason FROM staging.me_vintage_seeding")
        tables = run_nowcast(con, cfg, snapshots, Seeding(mode == "created_at", reason))
        replace_table(con, "staging.nowcast_backtest_rows", tables.detail)
        if not tables.triangle.is_empty():
            replace_table(con, "staging.nowcast_triangle", tables.triangle)
        replace_table(con, "marts.nowcast", tables.nowcast)
        replace_table(con, "marts.nowcast_backtest", tables.summary)
        replace_table(con, "marts.nowcast_status", tables.status)
    shown = tables.status.filter(pl.col("shown")).height
    region = tables.status.filter((pl.col("geography") == "region") & (pl.col("drug") == "all"))
    coverage = region["coverage_90"][0] if region.height else None
    yield dg.MaterializeResult(asset_key=["marts", "nowcast"], metadata={
        "rows": tables.nowcast.height, "shown": f"{shown} of {tables.status.height} series"})
    yield dg.MaterializeResult(asset_key=["marts", "nowcast_backtest"], metadata={
        "rows": tables.summary.height, "vintages": int(tables.status["vintages"].max() or 0),
        "coverage_90_region": round(coverage, 3) if coverage is not None else "none"})
    yield dg.MaterializeResult(asset_key=["marts", "nowcast_status"], metadata={"rows": tables.status.height})
