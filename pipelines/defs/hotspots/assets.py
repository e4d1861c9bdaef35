"""Hot-spot and spike-alert assets — thin wrappers: read with ``sql/hotspots``, compute with the pure
modules of this package, write, report.

* ``marts.hex_counts`` (public) — overdose deaths, positive test strips and outreach contacts per
  H3 cell and month/year, small cells left out;
* ``marts.hotspot_statistics`` (internal), ``marts.area_hotspots``, ``marts.hex_hotspots`` and
  ``marts.emerging_hotspots`` (public, classes only) — Gi\\*, Local Moran and emerging hot spots;
* ``marts.alerts`` (internal) and ``marts.alert_badges`` (public) — EARS and seasonal spike alerts.

Field data (``staging.test_strips``, ``staging.outreach``) are used when those tables exist; the
assets do not depend on the field-data assets, so they run (on deaths alone) without them.
"""

from datetime import date, timedelta

import dagster as dg
import duckdb
import polars as pl
from dagster_duckdb import DuckDBResource

from pipelines.defs.epidemiology.provisional import provisional_start
from pipelines.defs.geography.death_points import with_geocoded_points
from pipelines.defs.hotspots import analysis
from pipelines.defs.hotspots.alerts import area_keys, public_badges, source_alerts
from pipelines.defs.hotspots.grid import (
    build_grid,
    count_by_cell,
    public_hex_counts,
)
from pipelines.defs.hotspots.permutation_cache import PermutationCache, cache_folder
from pipelines.defs.marts.regions import region_label
from pipelines.defs.resources import SettingsResource, warehouse
from pipelines.settings import Settings
from pipelines.warehouse import fetch_row, query_sql_file, read_sql, run_sql_file

GROUP = "hotspots"
ME_CASES = dg.AssetKey(["staging", "me_cases"])
COMMUNITY_AREAS = dg.AssetKey(["staging", "community_areas"])
HEX_COUNTS = dg.AssetKey(["marts", "hex_counts"])
HOTSPOT_STATISTICS = dg.AssetKey(["marts", "hotspot_statistics"])
AREA_HOTSPOTS = dg.AssetKey(["marts", "area_hotspots"])
HEX_HOTSPOTS = dg.AssetKey(["marts", "hex_hotspots"])
EMERGING_HOTSPOTS = dg.AssetKey(["marts", "emerging_hotspots"])
ALERTS = dg.AssetKey(["marts", "alerts"])
ALERT_BADGES = dg.AssetKey(["marts", "alert_badges"])

#: Field-data tables the hex layer counts when present; declared so one run builds them first.
FIELD_INPUTS = [dg.AssetKey(["staging", "test_strips"]), dg.AssetKey(["staging", "outreach"])]

#: Tables safe to copy into the dashboard's database (aggregated, suppressed or classes only).
PUBLIC_TABLES = [
    "marts.hex_counts",
    "marts.area_hotspots",
    "marts.hex_hotspots",
    "marts.emerging_hotspots",
    "marts.alert_badges",
]


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether ``schema.table`` exists in the warehouse."""
    return bool(
        fetch_row(con, read_sql("hotspots/table_exists.sql"), {"schema_name": schema, "table_name": table})[0]
    )


def field_events(con: duckdb.DuckDBPyConnection) -> dict[str, pl.DataFrame]:
    """Positive test strips and outreach contacts as events, for the field tables that exist."""
    sources = {}
    for metric, table, sql in (
        ("positive_test_strips", "test_strips", "hotspots/test_strip_events.sql"),
        ("outreach_contacts", "outreach", "hotspots/outreach_events.sql"),
    ):
        if table_exists(con, "staging", table):
            sources[metric] = query_sql_file(con, sql).pl()
    return sources


def overdose_events(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Overdose deaths as events, each with its point: the archive's coordinates, or the geocoder's
    for a death placed by geocoding (:mod:`pipelines.defs.geography.death_points`)."""
    return with_geocoded_points(
        query_sql_file(con, "hotspots/overdose_events.sql").pl(),
        query_sql_file(con, "hotspots/geocoded_points.sql").pl(),
    )


def _write(con: duckdb.DuckDBPyConnection, sql_name: str, frames: dict[str, pl.DataFrame]) -> None:
    for name, frame in frames.items():
        con.register(name, frame.to_arrow())
    try:
        run_sql_file(con, sql_name)
    finally:
        for name in frames:
            con.unregister(name)


def data_span(con: duckdb.DuckDBPyConnection) -> tuple[date, date]:
    first, last = fetch_row(con, read_sql("hotspots/data_span.sql"))
    if first is None:
        raise dg.Failure("staging.me_cases is empty: nothing to analyse")
    return first, last


def _provisional_from(cfg: Settings, last_day: date) -> date:
    return provisional_start(last_day, cfg.provisional_months)


@dg.asset(
    key=HEX_COUNTS,
    deps=[ME_CASES, COMMUNITY_AREAS, *FIELD_INPUTS],
    group_name=GROUP,
    kinds={"duckdb", "polars", "h3"},
    description="Public hex layer: overdose deaths, positive test strips and outreach contacts per "
    "H3 cell (resolution ODW_H3_RESOLUTION) and month/year; cells below the suppression threshold "
    "are left out, and no point locations are stored.",
)
def hex_counts(duckdb: DuckDBResource, settings: SettingsResource) -> dg.MaterializeResult:
    cfg = settings.get()
    with warehouse(duckdb, cfg) as con:
        areas = query_sql_file(con, "hotspots/community_areas.sql").pl()
        # Deaths on the city grid are deaths in Chicago (a suburban point can fall in an edge cell).
        deaths = overdose_events(con)
        events = {"overdose_deaths": deaths.filter(pl.col("community_area_number").is_not_null())}
        events.update(field_events(con))
        _, last_day = data_span(con)
        grid = build_grid(areas, cfg.h3_resolution, cfg.region_areas)
        counts = pl.concat([count_by_cell(frame, grid, metric) for metric, frame in events.items()])
        table, hidden = public_hex_counts(
            counts, grid, threshold=cfg.suppress_below, provisional_from=_provisional_from(cfg, last_day)
        )
        _write(con, "hotspots/write_hex_counts.sql", {"hex_counts_frame": table})
    return dg.MaterializeResult(
        metadata={
            "rows": table.height,
            "cell_periods_hidden": hidden,
            "grid_cells": grid.cells.height,
            "h3_resolution": cfg.h3_resolution,
            "metrics": sorted(events),
        }
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            HOTSPOT_STATISTICS,
            deps=[ME_CASES, COMMUNITY_AREAS],
            kinds={"duckdb", "polars"},
            description="Internal: every hot-spot statistic (counts, EB rates, Gi* z/p/q, Local "
            "Moran I/p/q) per community area or region hex cell and time window. Never published.",
        ),
        dg.AssetSpec(
            AREA_HOTSPOTS,
            deps=[ME_CASES, COMMUNITY_AREAS],
            kinds={"duckdb"},
            description="Public: Gi* hot/cold spot class and bin, and Local Moran cluster type, per "
            "community area, time window and measure (deaths; EB-smoothed rate).",
        ),
        dg.AssetSpec(
            HEX_HOTSPOTS,
            deps=[ME_CASES, COMMUNITY_AREAS],
            kinds={"duckdb", "h3"},
            description="Public: Gi* and Local Moran classes per H3 cell of the region and time window.",
        ),
        dg.AssetSpec(
            EMERGING_HOTSPOTS,
            deps=[ME_CASES, COMMUNITY_AREAS],
            kinds={"duckdb"},
            description="Public: emerging-hot-spot category (new, intensifying, persistent, "
            "diminishing, ...) per community area and region hex cell over the recent windows.",
        ),
    ],
    group_name=GROUP,
)
def hotspots(context: dg.AssetExecutionContext, duckdb: DuckDBResource, settings: SettingsResource):
    """Gi\\*, Local Moran and emerging hot spots for community areas and the region's hex grid."""
    cfg = settings.get()
    # Windows whose input is unchanged since the last run are read back, not drawn again
    # (ODW_REBUILD_UNCHANGED: every window drawn again, and the cache refreshed).
    cache = PermutationCache(cache_folder(cfg.warehouse), refresh=cfg.rebuild_unchanged)
    with warehouse(duckdb, cfg) as con:
        areas = query_sql_file(con, "hotspots/community_areas.sql").pl()
        deaths = overdose_events(con)
        _, last_day = data_span(con)
        result = analysis.hotspot_tables(
            deaths.filter(pl.col("community_area_number").is_not_null()),
            areas,
            build_grid(areas, cfg.h3_resolution, cfg.region_areas),
            region_areas=cfg.region_areas,
            end=_provisional_from(cfg, last_day),
            window_months=cfg.hotspot_window_months,
            steps=cfg.emerging_steps,
            permutations=cfg.hotspot_permutations,
            fdr=cfg.hotspot_fdr,
            cache=cache,
        )
        pruned = cache.prune()
        tables = {
            "hotspot_statistics_frame": result.statistics,
            "area_hotspots_frame": result.area_hotspots,
            "hex_hotspots_frame": result.hex_hotspots,
            "emerging_hotspots_frame": result.emerging,
        }
        _write(con, "hotspots/write_hotspot_tables.sql", tables)
    labels = result.windows.get_column("window_label")
    latest = result.area_hotspots.filter(pl.col("is_latest_window"), pl.col("measure") == "eb_rate")
    hot_areas = latest.filter(pl.col("gi_class") == "hot spot").get_column("community_area").to_list()
    context.log.info("latest window %s: hot community areas (EB rate) %s", labels[-1], hot_areas)
    context.log.info(
        "permutation statistics (one per window and statistic): %d from the cache, %d computed, "
        "%d old entries removed",
        cache.hits, cache.misses, pruned,
    )
    shared = {
        "windows": f"{labels[0]} … {labels[-1]}",
        "permutation cache (hits / computed)": f"{cache.hits} / {cache.misses}",
        **{f"permutations ({level})": n for level, n in result.permutations.items()},
    }
    emerging = result.emerging
    yield dg.MaterializeResult(
        asset_key=HOTSPOT_STATISTICS, metadata={"rows": tables["hotspot_statistics_frame"].height, **shared}
    )
    yield dg.MaterializeResult(
        asset_key=AREA_HOTSPOTS,
        metadata={
            "rows": tables["area_hotspots_frame"].height,
            "hot areas, latest window (EB rate)": ", ".join(hot_areas) or "none",
            **shared,
        },
    )
    yield dg.MaterializeResult(
        asset_key=HEX_HOTSPOTS,
        metadata={
            "rows": tables["hex_hotspots_frame"].height,
            "region cells": result.region.cells.height,
            "hot cells, latest window": int(
                tables["hex_hotspots_frame"]
                .filter(pl.col("is_latest_window"), pl.col("gi_class") == "hot spot")
                .height
            ),
            **shared,
        },
    )
    yield dg.MaterializeResult(
        asset_key=EMERGING_HOTSPOTS,
        metadata={
            "rows": emerging.height,
            "categories": dg.MetadataValue.json(
                {
                    f"{r['level']}/{r['measure']}/{r['category']}": r["len"]
                    for r in emerging.group_by("level", "measure", "category")
                    .len()
                    .sort("level", "measure", "category")
                    .iter_rows(named=True)
                }
            ),
            **shared,
        },
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ALERTS,
            deps=[ME_CASES, COMMUNITY_AREAS, *FIELD_INPUTS],
            kinds={"duckdb", "polars"},
            description="Internal: spike alerts (EARS C1/C2/C3 daily and weekly; Farrington-style "
            "seasonal regression weekly) per region community area, region and Chicago, with "
            "observed, expected, threshold, method, alert type and severity.",
        ),
        dg.AssetSpec(
            ALERT_BADGES,
            deps=[ME_CASES, COMMUNITY_AREAS, *FIELD_INPUTS],
            kinds={"duckdb"},
            description="Public: one badge per alerting area, series and period (methods, type, "
            "severity), observed count suppressed; what the map and the new-alert sensor read.",
        ),
    ],
    group_name=GROUP,
)
def spike_alerts(duckdb: DuckDBResource, settings: SettingsResource):
    """Spike alerts on overdose deaths (and positive test strips, when loaded)."""
    cfg = settings.get()
    with warehouse(duckdb, cfg) as con:
        areas = query_sql_file(con, "hotspots/community_areas.sql").pl()
        names = dict(
            zip(areas["community_area_number"].to_list(), areas["community_area"].to_list(), strict=True)
        )
        places = area_keys(list(cfg.region_areas), names, region_label(cfg.region_areas))
        first_day, last_day = data_span(con)
        options = {
            "min_sigma": cfg.alert_min_sigma,
            "min_count": cfg.alert_min_count,
            "region_municipalities": cfg.region_municipalities,
        }
        parts = [
            source_alerts(
                overdose_events(con),
                places,
                "overdose_deaths",
                first_day=first_day,
                last_day=last_day,
                provisional_from=_provisional_from(cfg, last_day),
                **options,
            )
        ]
        strips = field_events(con).get("positive_test_strips")
        if strips is not None and strips.height:
            strip_first, strip_last = strips["day"].min(), strips["day"].max()
            # Field logs are final when entered: nothing about them is provisional.
            parts.append(
                source_alerts(
                    strips,
                    places,
                    "positive_test_strips",
                    first_day=strip_first,
                    last_day=strip_last,
                    provisional_from=strip_last + timedelta(days=1),
                    **options,
                )
            )
        alerts = pl.concat(parts)
        badges = public_badges(alerts, threshold=cfg.suppress_below)
        _write(con, "hotspots/write_alert_tables.sql", {"alerts_frame": alerts, "alert_badges_frame": badges})
    recent = badges.filter(pl.col("is_recent"))
    yield dg.MaterializeResult(
        asset_key=ALERTS,
        metadata={
            "rows": alerts.height,
            "by method": dg.MetadataValue.json(
                dict(alerts.group_by("method").len().sort("method").iter_rows())
            ),
            "by type": dg.MetadataValue.json(
                dict(alerts.group_by("alert_type").len().sort("alert_type").iter_rows())
            ),
        },
    )
    yield dg.MaterializeResult(
        asset_key=ALERT_BADGES,
        metadata={
            "rows": badges.height,
            "recent badges": recent.height,
            "recent": dg.MetadataValue.md(
                "\n".join(
                    f"- {r['area']}: {r['alert_type']} ({r['severity']}), {r['granularity']} of {r['period']}"
                    for r in recent.iter_rows(named=True)
                )
                or "none"
            ),
        },
    )
