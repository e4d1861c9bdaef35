"""Asset checks on the hot-spot tables: nothing small leaks into public tables; alerts are consistent."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.defs.hotspots.assets import ALERT_BADGES, ALERTS, HEX_COUNTS
from pipelines.defs.resources import SettingsResource, warehouse
from pipelines.warehouse import fetch_row, read_sql


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            "no_small_counts_published",
            asset=HEX_COUNTS,
            blocking=True,
            description="No hex cell is published with a count below the suppression threshold.",
        ),
        dg.AssetCheckSpec(
            "no_small_counts_published",
            asset=ALERT_BADGES,
            blocking=True,
            description="No alert badge shows an observed count from 1 to the threshold minus one.",
        ),
    ],
)
def public_hotspot_counts_suppressed(duckdb: DuckDBResource, settings: SettingsResource):
    """Both public hot-spot tables hold no count below ``ODW_SUPPRESS_BELOW``."""
    cfg = settings.get()
    with warehouse(duckdb, cfg) as con:
        small_cells, small_badges = fetch_row(
            con, read_sql("hotspots/check_public_counts.sql"), {"threshold": cfg.suppress_below}
        )
    yield dg.AssetCheckResult(
        asset_key=HEX_COUNTS,
        check_name="no_small_counts_published",
        passed=small_cells == 0,
        metadata={"small_cells": small_cells},
    )
    yield dg.AssetCheckResult(
        asset_key=ALERT_BADGES,
        check_name="no_small_counts_published",
        passed=small_badges == 0,
        metadata={"small_badges": small_badges},
    )


@dg.asset_check(
    asset=ALERTS,
    description="Every spike is above its threshold (C3 may alarm on earlier periods' excess), every "
    "sustained-burden row at or above the threshold that opened its episode; ids, methods and "
    "severities present.",
)
def alerts_consistent(duckdb: DuckDBResource, settings: SettingsResource) -> dg.AssetCheckResult:
    with warehouse(duckdb, settings.get()) as con:
        bad = fetch_row(con, read_sql("hotspots/check_alert_columns.sql"))[0]
    return dg.AssetCheckResult(passed=bad == 0, metadata={"inconsistent_alerts": bad})
