"""Where the teams go next week — one step, thin over :mod:`.forecast`, :mod:`.events` and :mod:`.places`:

* ``marts.priority_backtest`` (public) — PAI at 5 % and 10 % for the forecast and both baselines,
  with the parameters the backtest chose;
* ``marts.outreach_priorities`` (member) — every city cell ranked for the week after the newest
  data, with its reasons;
* ``marts.hotspot_coverage`` (member) — each coalition hot spot's outreach against its forecast;
* ``marts.priority_teams`` (member) — each team's areas and its last 4 weeks of work;
* ``marts.area_priorities`` (public) — the community-area view, suppressed.

The forecast and backtest rerun on every build, so the parameters follow the data the pipeline has.
"""

from datetime import date, timedelta

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from pipelines.defs.epidemiology.assets import ME_GEOCODES
from pipelines.defs.hotspots.assets import ALERTS, COMMUNITY_AREAS, ME_CASES, data_span, overdose_events, table_exists
from pipelines.defs.hotspots.grid import build_grid
from pipelines.defs.priorities import events as ev
from pipelines.defs.priorities import forecast as fc
from pipelines.defs.priorities import places
from pipelines.defs.resources import SettingsResource, warehouse
from pipelines.warehouse import query_sql_file, run_sql_file

GROUP = "priorities"
FIELD_INPUTS = [dg.AssetKey(["staging", t]) for t in ("test_strips", "outreach", "hotspots")]
BACKTEST = dg.AssetKey(["marts", "priority_backtest"])
PRIORITIES = dg.AssetKey(["marts", "outreach_priorities"])
HOTSPOT_COVERAGE = dg.AssetKey(["marts", "hotspot_coverage"])
TEAMS = dg.AssetKey(["marts", "priority_teams"])
AREA_PRIORITIES = dg.AssetKey(["marts", "area_priorities"])

#: Every table of the step reads all of these (one step, not subsettable: the week and the ranks are shared).
INPUTS = [ME_CASES, ME_GEOCODES, COMMUNITY_AREAS, ALERTS, *FIELD_INPUTS]
#: Tables copied into the dashboard's database (the member ones are shown to members only).
PRIORITY_MARTS = [f"marts.{k.path[-1]}" for k in (BACKTEST, PRIORITIES, HOTSPOT_COVERAGE, TEAMS, AREA_PRIORITIES)]
#: A team's areas: where it logged visits in this many weeks.
TEAM_AREA_WEEKS = 12

_EMPTY_FIELD = {
    "priorities/outreach_visits.sql": {
        "day": pl.Date, "team": pl.String, "hotspot_id": pl.String, "latitude": pl.Float64,
        "longitude": pl.Float64, "community_area_number": pl.Int32, "contacts": pl.Int64,
        "naloxone_kits": pl.Int64, "reversals": pl.Int64,
    },
    "priorities/strip_results.sql": {
        "day": pl.Date, "team": pl.String, "hotspot_id": pl.String, "latitude": pl.Float64,
        "longitude": pl.Float64, "community_area_number": pl.Int32, "strip_type": pl.String, "positive": pl.Boolean,
    },
    "priorities/coalition_hotspots.sql": {
        "hotspot_id": pl.String, "name": pl.String, "latitude": pl.Float64, "longitude": pl.Float64,
        "community_area_number": pl.Int32,
    },
}


def _field(con, table: str, sql: str, since: date | None = None) -> pl.DataFrame:
    """A field-data query, or an empty frame of the same shape when the table is not loaded."""
    if not table_exists(con, "staging", table):
        return pl.DataFrame(schema=_EMPTY_FIELD[sql])
    return query_sql_file(con, sql, {"since": since} if since else None).pl()


def backtest_table(result: fc.Backtest, calendar: ev.Calendar, week_start: date, unplaced: int) -> pl.DataFrame:
    """``marts.priority_backtest`` rows from a :class:`~pipelines.defs.priorities.forecast.Backtest`."""
    starts = calendar.week_starts()
    rows = []
    for row in result.table:
        params = result.params if row["sample"] == "all" else result.held_out_params
        rows.append({
            **row,
            "first_origin": starts[int(result.origins[0 if row["sample"] == "all" else len(result.origins) // 2])],
            "last_origin": starts[int(result.origins[-1])],
            "half_life_weeks": params.half_life_weeks,
            "ring_weights": ", ".join(f"{w:g}" for w in params.ring_weights),
            "trend_weight": params.trend_weight,
            "alert_weight": params.alert_weight,
            "candidates": result.candidates,
            "calibration": result.scale,
            "deaths_without_cell": unplaced,
            "forecast_week": week_start,
        })
    return pl.DataFrame(rows)


def team_table(visits: pl.DataFrame, week_start: date) -> pl.DataFrame:
    """``marts.priority_teams``: per team, the areas it visited in 12 weeks and its last 4 weeks."""
    recent = visits.filter(pl.col("day") >= places.since(week_start, places.OUTREACH_WEEKS))
    areas = (
        visits.filter(pl.col("community_area_number").is_not_null())
        .group_by("team")
        .agg(pl.col("community_area_number").unique().sort().alias("community_area_numbers"))
    )
    work = recent.group_by("team").agg(
        pl.len().alias("visits_4w"),
        pl.col("contacts").sum().alias("contacts_4w"),
        pl.col("naloxone_kits").sum().alias("naloxone_kits_4w"),
        pl.col("reversals").sum().alias("reversals_4w"),
    )
    return (
        visits.select("team").unique()
        .join(areas, on="team", how="left")
        .join(work, on="team", how="left")
        .with_columns(pl.col(c).fill_null(0).cast(pl.Int64) for c in ("visits_4w", "contacts_4w", "naloxone_kits_4w", "reversals_4w"))
        .with_columns(pl.lit(week_start).alias("week_start"))
        .sort("team")
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(BACKTEST, deps=INPUTS, kinds={"duckdb", "numpy"},
                     description="Public: the forecast's backtest — PAI at 5 % and 10 % of Chicago's cells "
                     "flagged, over weekly origins of the last two years, for the forecast and two naive "
                     "baselines, with the parameters chosen."),
        dg.AssetSpec(PRIORITIES, deps=INPUTS,
                     kinds={"duckdb", "h3"},
                     description="Member only: every Chicago H3 cell ranked by expected overdose deaths in the "
                     "4 weeks after the newest data, with recent deaths (suppressed), strips, outreach, "
                     "alerts, the coverage gap and a sentence of reasons."),
        dg.AssetSpec(HOTSPOT_COVERAGE, deps=INPUTS, kinds={"duckdb"},
                     description="Member only: each active coalition hot spot's outreach in 4 weeks against "
                     "its cell's forecast."),
        dg.AssetSpec(TEAMS, deps=INPUTS, kinds={"duckdb"},
                     description="Member only: each outreach team's areas (12 weeks) and its visits, contacts, "
                     "naloxone kits and reversals in 4 weeks."),
        dg.AssetSpec(AREA_PRIORITIES, deps=INPUTS, kinds={"duckdb"},
                     description="Public: expected deaths per community area in the next 4 weeks (shown as "
                     "counts are, '<10') and its rank, recent deaths suppressed."),
    ],
    group_name=GROUP,
)
def outreach_priorities(context: dg.AssetExecutionContext, duckdb: DuckDBResource, settings: SettingsResource):
    """Forecast, backtest and the ranked places for next week."""
    cfg = settings.get()
    with warehouse(duckdb, cfg) as con:
        areas = query_sql_file(con, "hotspots/community_areas.sql").pl()
        grid = build_grid(areas, cfg.h3_resolution, cfg.region_areas)
        # Chicago's overdose deaths with their points, as the hot spots read them (one query).
        deaths = overdose_events(con).filter(pl.col("in_chicago")).select(list(ev.POINT_SCHEMA)).cast(ev.POINT_SCHEMA)
        placed = ev.with_cells(deaths, grid)
        if placed.height == 0:
            raise dg.Failure("no overdose deaths in Chicago: nothing to forecast")
        # To the newest day of the archive: weeks without an overdose death after it are real zeros.
        _, last_day = data_span(con)
        calendar = ev.Calendar.spanning(placed["day"].min(), max(placed["day"].max(), last_day))
        week_start = calendar.next_week
        inputs = ev.forecast_inputs(placed, grid, query_sql_file(con, "priorities/weekly_area_alerts.sql").pl(), calendar)
        result = fc.run_backtest(inputs)
        expected, ranks, _ = fc.forecast_next(inputs, result.params, result.scale)

        recent = placed.filter(pl.col("day") >= places.since(week_start, places.DEATH_WEEKS))
        visits = ev.with_cells(
            _field(con, "outreach", "priorities/outreach_visits.sql", places.since(week_start, TEAM_AREA_WEEKS)), grid
        )
        strips = ev.with_cells(
            _field(con, "test_strips", "priorities/strip_results.sql", places.since(week_start, places.STRIP_WEEKS)), grid
        )
        hotspots = ev.with_cells(_field(con, "hotspots", "priorities/coalition_hotspots.sql"), grid)
        current_alerts = query_sql_file(
            con, "priorities/current_alerts.sql", {"since": week_start - timedelta(days=places.ALERT_DAYS)}
        ).pl()
        names = dict(zip(areas["community_area_number"].to_list(), areas["community_area"].to_list(), strict=True))
        priorities = places.priorities_table(
            grid,
            week_start=week_start,
            forecast_deaths=expected,
            forecast_rank=ranks,
            recent_deaths=places.deaths_near(grid.cells, recent.filter(pl.col("latitude").is_not_null())),
            outreach=visits.filter(pl.col("day") >= places.since(week_start, places.OUTREACH_WEEKS)),
            strips=strips,
            hotspots=hotspots,
            alerts=current_alerts,
            area_names=names,
            threshold=cfg.suppress_below,
        )
        unplaced = int(placed.get_column("h3_cell").null_count())
        tables = {
            "priority_backtest_frame": backtest_table(result, calendar, week_start, unplaced),
            "outreach_priorities_frame": priorities,
            "hotspot_coverage_frame": places.hotspot_coverage(
                hotspots, visits.filter(pl.col("day") >= places.since(week_start, places.OUTREACH_WEEKS)), priorities
            ),
            "priority_teams_frame": team_table(visits, week_start),
            "area_priorities_frame": places.area_priorities(
                priorities,
                recent.filter(pl.col("community_area_number").is_not_null())
                .group_by("community_area_number")
                .len("recent_deaths"),
                threshold=cfg.suppress_below,
            ),
        }
        for name, frame in tables.items():
            con.register(name, frame.to_arrow())
        try:
            run_sql_file(con, "priorities/write_priorities.sql")
        finally:
            for name in tables:
                con.unregister(name)
    verdict = pl.DataFrame(result.table).filter(pl.col("sample") == "all")
    pai = {f"{r['model']}@{r['flagged_share']:.0%}": round(r["pai"], 2) for r in verdict.iter_rows(named=True)}
    context.log.info("forecast for the week of %s: %s; PAI %s", week_start, result.params.label(), pai)
    gaps = int(priorities.get_column("coverage_gap").sum())
    yield dg.MaterializeResult(asset_key=BACKTEST, metadata={
        "rows": tables["priority_backtest_frame"].height, "parameters": result.params.label(),
        "pai": dg.MetadataValue.json(pai), "deaths without a cell": unplaced,
    })
    yield dg.MaterializeResult(asset_key=PRIORITIES, metadata={
        "rows": priorities.height, "week": week_start.isoformat(), "coverage gaps": gaps,
    })
    yield dg.MaterializeResult(asset_key=HOTSPOT_COVERAGE, metadata={"rows": tables["hotspot_coverage_frame"].height})
    yield dg.MaterializeResult(asset_key=TEAMS, metadata={"rows": tables["priority_teams_frame"].height})
    yield dg.MaterializeResult(asset_key=AREA_PRIORITIES, metadata={"rows": tables["area_priorities_frame"].height})
