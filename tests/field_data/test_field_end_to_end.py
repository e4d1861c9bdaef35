"""End to end: drop files into the folders, run the assets (with their checks), look in the warehouse."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from field_data.helpers import write_csv

from pipelines.defs.field_data.assets import FIELD_DATA_ASSETS, FIELD_DATA_MARTS
from pipelines.defs.field_data.checks import FIELD_DATA_CHECKS
from pipelines.defs.field_data.sensors import FIELD_DATA_SELECTION, field_data_sensor
from pipelines.defs.geography.assets import community_areas
from pipelines.defs.resources import SettingsResource, build_resources
from pipelines.demo.field_data import write_field_demo

END_MONTH = date(2026, 10, 1)


def seed_me_cases(env: dict[str, str]) -> None:
    """A small ``staging.me_cases`` (the columns the coverage mart reads) in place of the ME pipeline.

    Deaths per area: 3 x area number - 60 (9..33) for the region's areas 23-31, one a day from
    2026-01-15 (so the last falls in February), plus one death that is not an overdose and one
    outside Chicago.
    """
    Path(env["ODW_WAREHOUSE"]).parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(env["ODW_WAREHOUSE"]) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS staging")
        con.execute(
            """
            CREATE TABLE staging.me_cases AS
            SELECT TIMESTAMP '2026-01-15 10:00' + to_days(i::INTEGER) AS death_date,
                   area AS community_area_number, true AS is_overdose
            FROM range(23, 32) AS a(area), LATERAL range(3 * area - 60) AS r(i)
            UNION ALL SELECT TIMESTAMP '2026-02-01', 25, false
            UNION ALL SELECT TIMESTAMP '2026-02-01', NULL, true
            """
        )


def run_assets(selection: dg.AssetSelection | None = None) -> dg.ExecuteInProcessResult:
    """Materialise the community areas and the field-data assets, checks included."""
    return run_assets_on(dg.DagsterInstance.ephemeral(), selection)


def run_assets_on(instance: dg.DagsterInstance, selection: dg.AssetSelection | None = None) -> dg.ExecuteInProcessResult:
    """:func:`run_assets` on ``instance`` (whose storage and logs a test can then search)."""
    job = dg.define_asset_job("field_test_job", selection=selection or dg.AssetSelection.all(),
                              executor_def=dg.in_process_executor)
    defs = dg.Definitions(
        assets=[community_areas, *FIELD_DATA_ASSETS],
        asset_checks=FIELD_DATA_CHECKS,
        jobs=[job],
        resources=build_resources(),
    )
    return defs.resolve_job_def("field_test_job").execute_in_process(instance=instance)


def query(env: dict[str, str], sql: str) -> list[tuple]:
    with duckdb.connect(env["ODW_WAREHOUSE"], read_only=True) as con:
        return con.execute(sql).fetchall()


def metadata(result: dg.ExecuteInProcessResult, key: str) -> dict:
    for event in result.get_asset_materialization_events():
        if event.materialization.asset_key.to_user_string() == key:
            return {k: v.value for k, v in event.materialization.metadata.items()}
    raise KeyError(key)


def test_demo_files_to_marts_and_corrections(isolated_env: dict[str, str]) -> None:
    raw = Path(isolated_env["ODW_RAW_DIR"])
    written = write_field_demo(raw, end_month=END_MONTH)
    seed_me_cases(isolated_env)
    result = run_assets()
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert len(checks) == len(FIELD_DATA_CHECKS) and all(c.passed for c in checks)

    # Every row of every file: loaded or quarantined, file by file and in total.
    for source in ("hotspots", "test_strips", "outreach"):
        meta = metadata(result, f"staging/{source}")
        assert meta["rows_in"] == written[source] == meta["rows_loaded"] + meta["rows_quarantined"]
    assert query(isolated_env, "SELECT count(*) FROM marts.field_data_files WHERE rows_in <> rows_loaded + rows_quarantined") == [(0,)]
    assert query(isolated_env, "SELECT count(*), count(*) FILTER (WHERE status = 'refused') FROM marts.field_data_files") == [(26, 1)]

    # The demo's bad rows, one per rule, and the refused notes file.
    reasons = dict(query(isolated_env, "SELECT reason, count(*) FROM marts.field_data_quarantine GROUP BY reason"))
    expected_starts = [
        "tested_on 2062-02-14 is in the future", "community_area 'Austn'", "hotspot_id 'HS-99'", "result is missing",
        "exact duplicate of row", "coordinates 41.8799, 87.7271", "result 'pos?'", "contacts -3 is negative",
        "contacts 25000 is implausibly large", "naloxone_kits_distributed 'lots'", "team is missing",
        "date '13/45/2026'", "file refused: column 'Notes' looks like free-text notes",
    ]
    for start in expected_starts:
        assert any(r.startswith(start) for r in reasons), start
    assert sum(reasons.values()) == 12 + 3

    # Marts: positivity with bounded Wilson intervals, co-detection, cumulative training, coverage.
    bad_ci = query(isolated_env, "SELECT count(*) FROM marts.test_strip_positivity WHERE tests_read > 0 AND NOT "
                                 "(0 <= positivity_lower AND positivity_lower <= positivity AND positivity <= positivity_upper "
                                 "AND positivity_upper <= 1)")
    assert bad_ci == [(0,)]
    strips = query(isolated_env, "SELECT sum(strips_used) FROM marts.test_strip_positivity "
                                 "WHERE area_level = 'all' AND substance_as_sold = 'all'")[0][0]
    assert strips == query(isolated_env, "SELECT count(*) FROM staging.test_strips")[0][0]
    assert query(isolated_env, "SELECT sum(samples_tested_both) > 0 FROM marts.test_strip_codetection WHERE area_level = 'all'") == [(True,)]
    trained, cumulative = query(isolated_env, "SELECT (SELECT sum(people_trained_naloxone) FROM staging.outreach), "
                                              "max(people_trained_cumulative) FROM marts.naloxone_cumulative")[0]
    assert trained == cumulative and query(isolated_env, "SELECT count(*) FROM marts.naloxone_cumulative") == [(12,)]
    assert query(isolated_env, "SELECT count(*) FROM marts.naloxone_coverage") == [(78,)]
    region = query(isolated_env, "SELECT naloxone_kits_distributed, overdose_deaths, kits_per_death FROM marts.naloxone_coverage "
                                 "WHERE area_level = 'region'")[0]
    # The period both sources cover: the outreach months up to the last month with ME deaths.
    assert query(isolated_env, "SELECT DISTINCT first_month, last_month FROM marts.naloxone_coverage") == [
        (date(2025, 11, 1), date(2026, 2, 1))
    ]
    kits = query(isolated_env, "SELECT sum(naloxone_kits_distributed) FROM staging.outreach "
                               "WHERE community_area_number BETWEEN 23 AND 31 AND month <= DATE '2026-02-01'")[0][0]
    assert region == (kits, sum(3 * a - 60 for a in range(23, 32)), pytest.approx(kits / 189))
    assert query(isolated_env, "SELECT overdose_deaths FROM marts.naloxone_coverage WHERE community_area_number = 25") == [(15,)]
    funnel = query(isolated_env, "SELECT stage, sum(stage_count) FROM marts.warm_handoff_funnel WHERE area_level = 'all' "
                                 "GROUP BY stage, stage_order ORDER BY stage_order")
    assert [s for s, _ in funnel][:2] == ["Contacts", "Any warm hand-off"] and funnel[0][1] > funnel[1][1] > 0
    labels = query(isolated_env, "SELECT label FROM marts.field_data_sources ORDER BY source")
    assert all(label.endswith("— synthetic demo data") for (label,) in labels)
    for table in FIELD_DATA_MARTS:
        assert query(isolated_env, f"SELECT count(*) FROM {table}")[0][0] > 0, table

    # A coordinator corrects a file, drops in a new one and takes one away; only field data re-runs.
    outreach = raw / "outreach"
    # The refused notes file left the raw folder in the first run.
    assert not (outreach / "synthetic_demo_outreach_late_entries.csv").exists()
    write_csv(outreach / "extra_shifts.csv", [["date", "team", "community_area", "contacts"],
                                              ["2026-10-30", "Austin Team", "Austin", "40"]])
    (raw / "test_strips" / "synthetic_demo_test_strips_2026-10.csv").write_bytes(
        (raw / "test_strips" / "synthetic_demo_test_strips_2026-10.csv").read_bytes().replace(b"\r\n", b"\n")
    )
    again = run_assets(FIELD_DATA_SELECTION)
    assert again.success and all(c.passed for c in again.get_asset_check_evaluations())
    modes = dict(query(isolated_env, "SELECT file, list(mode ORDER BY ingested_at) FROM staging.ingest_log "
                                     "WHERE source IN ('outreach', 'test_strips') GROUP BY file"))
    # Kept in the refused folder (and listed as refused) until its retention ends: no new entry.
    assert modes["synthetic_demo_outreach_late_entries.csv"] == ["refused"]
    assert modes["extra_shifts.csv"] == ["new"]
    assert modes["synthetic_demo_test_strips_2026-10.csv"] == ["new", "replaced"]
    assert modes["synthetic_demo_test_strips_2026-09.csv"] == ["new"]
    assert query(isolated_env, "SELECT count(*) FROM staging.test_strips")[0][0] == strips
    assert query(isolated_env, "SELECT label FROM marts.field_data_sources WHERE source = 'outreach'") == [
        ("Street-outreach logs — includes synthetic demo data",)
    ]


def evaluate(cursor: str | None):
    context = dg.build_sensor_context(cursor=cursor, resources={"settings": SettingsResource()})
    return field_data_sensor(context)


def test_sensor_fires_once_per_change(isolated_env: dict[str, str]) -> None:
    raw = Path(isolated_env["ODW_RAW_DIR"])
    assert isinstance(evaluate(None), dg.SkipReason)  # nothing there yet

    path = write_csv(raw / "outreach" / "week1.csv", [["date", "team", "community_area"], ["2026-10-01", "A", "Austin"]])
    first = evaluate(None)
    assert len(first.run_requests) == 1 and first.run_requests[0].tags["field_data_changes"] == "1 added"
    assert list(json.loads(first.cursor)) == ["outreach/week1.csv"]
    assert isinstance(evaluate(first.cursor), dg.SkipReason)  # same content: no second run

    path.touch()  # a new modification time without new content changes nothing
    assert isinstance(evaluate(first.cursor), dg.SkipReason)

    path.write_text("date,team,community_area\n2026-10-02,A,Austin\n")
    changed = evaluate(first.cursor)
    assert changed.run_requests[0].tags["field_data_changes"] == "1 changed"

    path.unlink()
    removed = evaluate(changed.cursor)
    assert removed.run_requests[0].tags["field_data_changes"] == "1 removed"
    # Back to an earlier state is still a change, with a run key of its own.
    path.write_text("date,team,community_area\n2026-10-02,A,Austin\n")
    back = evaluate(removed.cursor)
    keys = {r.run_requests[0].run_key for r in (first, changed, removed, back)}
    assert len(keys) == 4


def test_sensor_targets_the_field_data_assets_and_their_dependents() -> None:
    defs = dg.Definitions(
        assets=[community_areas, *FIELD_DATA_ASSETS],
        sensors=[field_data_sensor],
        resources=build_resources(),
    )
    graph = defs.resolve_asset_graph()
    selected = FIELD_DATA_SELECTION.resolve(graph)
    assert dg.AssetKey(["staging", "outreach"]) in selected
    assert dg.AssetKey(["marts", "naloxone_coverage"]) in selected
    assert dg.AssetKey(["staging", "me_cases"]) not in selected
    assert defs.resolve_sensor_def("field_data_files").default_status == dg.DefaultSensorStatus.RUNNING


def test_field_data_joins_the_code_location() -> None:
    """The assets, checks and sensor are found in the defs folder and fit in without clashing keys."""
    from pipelines.definitions import defs as project_defs

    defs = project_defs()
    graph = defs.resolve_asset_graph()
    assert {key for a in FIELD_DATA_ASSETS for key in a.keys} <= set(graph.get_all_asset_keys())
    assert {key for c in FIELD_DATA_CHECKS for key in c.check_keys} <= set(graph.asset_check_keys)
    assert defs.resolve_sensor_def("field_data_files").name == field_data_sensor.name
    assert dg.AssetKey(["marts", "naloxone_coverage"]) in graph.get_all_asset_keys()
    assert dg.AssetKey(["staging", "me_cases"]) in graph.get(dg.AssetKey(["marts", "naloxone_coverage"])).parent_keys
