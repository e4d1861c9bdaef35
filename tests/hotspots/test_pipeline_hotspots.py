"""End to end: demo data with injected spikes and a cluster → the assets find them, the public tables
stay aggregated and suppressed, the checks pass, and field data are used when present."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta

import dagster as dg
import duckdb
import polars as pl
import pytest
from conftest import pipeline_env

from pipelines.defs.geography.assets import community_areas
from pipelines.defs.hotspots import assets as hot
from pipelines.defs.hotspots import checks as hot_checks
from pipelines.defs.medical_examiner.assets import me_cases, me_records
from pipelines.defs.medical_examiner.ingest import demo_path
from pipelines.defs.resources import build_resources
from pipelines.demo.injections import write_injected_demo
from pipelines.settings import Settings, load_settings
from pipelines.warehouse import SQL_DIR, run_sql_file

CHECKS = dg.load_asset_checks_from_modules([hot_checks])


@dataclass(frozen=True)
class Run:
    cfg: Settings
    result: dg.ExecuteInProcessResult
    truth: pl.DataFrame

    def query(self, sql: str, params=None) -> pl.DataFrame:
        with duckdb.connect(str(self.cfg.warehouse), read_only=True) as con:
            return con.sql(sql, params=params).pl()


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    env = pipeline_env(tmp_path_factory.mktemp("hotspots_pipeline"))
    with pytest.MonkeyPatch.context() as mp:
        for key in [k for k in os.environ if k.startswith(("ODW_", "SMTP_"))]:
            mp.delenv(key)
        for key, value in env.items():
            mp.setenv(key, value)
        cfg = load_settings()
        # The demo file is written before the pipeline runs, so the ingest reads it instead of
        # generating the plain demo archive.
        truth = write_injected_demo(demo_path(cfg), end_month=cfg.demo_end_month)
        result = dg.materialize(
            [community_areas, me_records, me_cases, hot.hex_counts, hot.hotspots, hot.spike_alerts, *CHECKS],
            resources=build_resources(),
        )
        yield Run(cfg, result, truth)


def _truth(run: Run, injection: str) -> dict:
    return run.truth.filter(pl.col("injection") == injection).row(0, named=True)


def test_run_and_checks_pass(run):
    assert run.result.success
    evaluations = run.result.get_asset_check_evaluations()
    assert {e.check_name for e in evaluations} == {"no_small_counts_published", "alerts_consistent"}
    assert all(e.passed for e in evaluations)


def test_injected_weekly_spike_is_an_initial_spike_alert(run):
    spike = _truth(run, "spike-1")
    alerts = run.query(
        "SELECT * FROM marts.alerts WHERE granularity = 'week' AND period = $week AND community_area_number = $area",
        {"week": spike["start"], "area": spike["community_area_number"]},
    )
    assert set(alerts["alert_type"]) == {"initial spike"}
    assert {"ears_c1", "ears_c2", "farrington_glm"} <= set(alerts["method"])
    assert (alerts["observed"] >= spike["deaths"]).all()
    assert not alerts["is_provisional"].any()


def test_injected_one_day_spike_is_found_daily(run):
    spike = _truth(run, "spike-2")
    alerts = run.query(
        "SELECT method, alert_type FROM marts.alerts WHERE granularity = 'day' AND period = $day "
        "AND community_area_number = $area",
        {"day": spike["start"], "area": spike["community_area_number"]},
    )
    assert {"ears_c1", "ears_c2"} <= set(alerts["method"]) and set(alerts["alert_type"]) == {"initial spike"}


def test_injected_cluster_is_a_new_hot_spot(run):
    cluster = _truth(run, "cluster-1")
    latest = run.query(
        "SELECT gi_class, window_start, window_end FROM marts.hex_hotspots WHERE is_latest_window AND h3_cell = $cell",
        {"cell": cluster["h3_cell"]},
    ).row(0, named=True)
    assert latest["gi_class"] == "hot spot"
    assert (latest["window_start"], latest["window_end"]) == (cluster["start"], cluster["end"])
    emerging = run.query(
        "SELECT category FROM marts.emerging_hotspots WHERE level = 'hex' AND h3_cell = $cell",
        {"cell": cluster["h3_cell"]},
    )
    assert emerging["category"].to_list() == ["new"]


def test_west_side_areas_are_hot_spots(run):
    latest = run.query(
        "SELECT community_area_number FROM marts.area_hotspots WHERE is_latest_window AND measure = 'eb_rate' "
        "AND gi_class = 'hot spot'"
    )
    # The demo's heaviest burden: West Garfield Park (26) and North Lawndale (29).
    assert {26, 29} <= set(latest["community_area_number"])
    classes = run.query("SELECT DISTINCT moran_cluster FROM marts.area_hotspots")["moran_cluster"].to_list()
    assert "high-high" in classes


def test_public_tables_hold_no_points_cases_or_small_counts(run):
    threshold = run.cfg.suppress_below
    for table in hot.PUBLIC_TABLES:
        columns = set(run.query(f"SELECT * FROM {table} LIMIT 0").columns)
        assert not columns & {
            "latitude",
            "longitude",
            "casenumber",
            "death_date",
            "expected",
            "gi_z",
            "value",
        }, table
    hexes = run.query("SELECT count, count_display FROM marts.hex_counts")
    assert (hexes["count"] >= threshold).all()
    badges = run.query("SELECT observed, observed_display FROM marts.alert_badges")
    shown = badges.filter(pl.col("observed").is_not_null())
    assert (shown["observed"] >= threshold).all()
    assert (badges.filter(pl.col("observed").is_null())["observed_display"] == f"<{threshold}").all()
    # The internal tables carry the detail, and are not meant for publication.
    assert run.query("SELECT count(*) AS n FROM marts.hotspot_statistics")["n"][0] > 0


def test_field_data_are_used_when_present(run):
    cell_lat, cell_lon = 41.8807, -87.7256  # a West Garfield Park block
    start = date(2026, 3, 2)
    strips = pl.DataFrame(
        {
            "tested_on": [start + timedelta(days=d % 120) for d in range(150)],
            "result": ["positive" if d % 3 else "negative" for d in range(150)],
        }
    )
    with duckdb.connect(str(run.cfg.warehouse)) as con:
        run_sql_file(con, "field_data/schema.sql")
        con.register("strip_rows", strips.to_arrow())
        con.execute(
            "INSERT INTO staging.test_strips (tested_on, team, latitude, longitude, substance_as_sold, strip_type, "
            "result, month, location_source, community_area_number, is_synthetic, source_file, source_row) "
            "SELECT tested_on, 'Team A', $lat, $lon, 'dope', 'fentanyl', result, date_trunc('month', tested_on), "
            "'coordinates', 26, true, 'synthetic_demo_test.csv', 1 FROM strip_rows",
            {"lat": cell_lat, "lon": cell_lon},
        )
        con.execute(
            "INSERT INTO staging.outreach (date, team, latitude, longitude, contacts, month, location_source, "
            "community_area_number, is_synthetic, source_file, source_row) VALUES "
            "(DATE '2026-04-07', 'Team A', $lat, $lon, 30, DATE '2026-04-01', 'coordinates', 26, true, 'o.csv', 1)",
            {"lat": cell_lat, "lon": cell_lon},
        )
        con.unregister("strip_rows")
    again = dg.materialize([hot.hex_counts, hot.spike_alerts], resources=build_resources())
    assert again.success
    metrics = set(run.query("SELECT DISTINCT metric FROM marts.hex_counts")["metric"])
    assert {"positive_test_strips", "outreach_contacts"} <= metrics
    series = set(run.query("SELECT DISTINCT series FROM marts.alerts")["series"])
    assert "overdose_deaths" in series
    contacts = run.query(
        "SELECT count FROM marts.hex_counts WHERE metric = 'outreach_contacts' AND period_type = 'month'"
    )
    assert contacts["count"].to_list() == [30]


def test_sql_files_bind_parameters():
    # Values reach SQL only as $parameters (house rule); a quick guard on this package's files.
    for path in sorted((SQL_DIR / "hotspots").glob("*.sql")):
        text = path.read_text()
        assert "{" not in text and "%s" not in text, path.name


def test_definitions_with_the_hotspot_package_load():
    # pipelines/definitions.py registers the package's assets, checks and sensor.
    from pipelines.definitions import defs as project_defs

    defs = project_defs()
    dg.Definitions.validate_loadable(defs)
    repo = defs.get_repository_def()
    graph = repo.asset_graph
    parents = {k.to_user_string() for k in graph.get(hot.ALERTS).parent_keys}
    assert parents == {
        "staging/me_cases", "staging/community_areas", "staging/test_strips", "staging/outreach",
    }
    assert repo.has_sensor_def("new_spike_alerts")
    assert {
        hot.HEX_COUNTS,
        hot.AREA_HOTSPOTS,
        hot.HEX_HOTSPOTS,
        hot.EMERGING_HOTSPOTS,
        hot.ALERT_BADGES,
    } <= set(graph.get_all_asset_keys())
