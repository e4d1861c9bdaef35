"""A daily pull that brings nothing new skips the steps after it; one with new rows rebuilds.

Known answers for the decision, then the real ``me_daily_job`` on the live path against the local
SODA server (``tests/soda_server.py``), on one persistent Dagster instance as production runs it.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from soda_server import SodaServer

from pipelines.defs.freshness import last_loaded
from pipelines.defs.medical_examiner.refresh_skip import decide_skip, pulled_nothing
from pipelines.demo.medical_examiner import generate_me_records

ME_RECORDS = dg.AssetKey(["raw", "me_records"])
CHANGE = datetime(2026, 11, 2, 6, 0)  # naive UTC, as staging.ingest_log stores it
BEFORE, AFTER = CHANGE.replace(tzinfo=UTC).timestamp() - 60, CHANGE.replace(tzinfo=UTC).timestamp() + 60


def test_pulled_nothing_is_true_only_when_every_pull_was_empty():
    assert pulled_nothing([]) and pulled_nothing([0, 0])
    assert not pulled_nothing([0, 3])


@pytest.mark.parametrize(
    ("rows_in", "built", "rebuild", "skip", "reason"),
    [
        ([0], {"a": AFTER, "b": AFTER}, False, True, "no new records"),
        ([5], {"a": AFTER}, False, False, "new records: rebuilding"),
        ([0], {"a": AFTER, "b": None}, False, False, "no new records, but b was never built: rebuilding"),
        ([0], {"a": AFTER, "b": BEFORE}, False, False, "no new records, but b predates the last change: rebuilding"),
        ([0], {"a": AFTER}, True, False, "ODW_REBUILD_UNCHANGED is set: rebuilding"),
        ([0], {}, False, False, "no new records, but nothing downstream to skip"),
    ],
)
def test_decide_skip_known_answers(rows_in, built, rebuild, skip, reason):
    decision = decide_skip(rows_in, CHANGE, built, rebuild_unchanged=rebuild)
    assert (decision.skip, decision.reason) == (skip, reason)


def test_work_left_for_the_next_run_is_not_skipped():
    decision = decide_skip([0], CHANGE, {"staging/me_geocodes": AFTER}, rebuild_unchanged=False,
                           unfinished=["staging/me_geocodes"])
    assert (decision.skip, decision.reason) == (
        False, "no new records, but staging/me_geocodes left work for this run: rebuilding")


def test_decide_skip_compares_naive_and_aware_times_alike():
    aware = CHANGE.replace(tzinfo=UTC)
    assert decide_skip([0], aware, {"a": AFTER}, rebuild_unchanged=False).skip
    assert not decide_skip([0], aware, {"a": BEFORE}, rebuild_unchanged=False).skip


def _instance(tmp_path: Path) -> dg.DagsterInstance:
    """A Dagster instance on disk: its history is what the skip decision reads."""
    (tmp_path / "dagster_home").mkdir()
    return dg.DagsterInstance.local_temp(str(tmp_path / "dagster_home"))


def _daily(instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    from pipelines.definitions import defs

    return defs().resolve_job_def("me_daily_job").execute_in_process(instance=instance)


def _digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _cases(warehouse: str) -> int:
    with duckdb.connect(warehouse, read_only=True) as con:
        return con.execute("SELECT count(*) FROM staging.me_cases").fetchone()[0]


def _skipped(result: dg.ExecuteInProcessResult) -> list[str]:
    return [e.step_key for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_SKIPPED]


def test_live_daily_refresh_skips_downstream_when_nothing_is_new_and_rebuilds_on_new_rows(
    isolated_env, monkeypatch, tmp_path
):
    records = generate_me_records(n=300, seed=11, end_month=date(2026, 10, 1))
    instance = _instance(tmp_path)
    with SodaServer(records) as server:
        monkeypatch.setenv("ODW_ME_SOURCE", "live")
        monkeypatch.setenv("ODW_SOCRATA_BASE_URL", server.base_url)
        # The first full build (the main job: the daily job's upstream inputs too).
        from conftest import run_main_job

        run_main_job(instance=instance)
        first = _daily(instance)  # a full pull is merged already: this pull brings nothing
        assert first.success and _skipped(first), "an empty pull after a full build skips the steps after it"
        app_before = _digest(isolated_env["ODW_APP_DB"])
        warehouse_cases = _cases(isolated_env["ODW_WAREHOUSE"])

        quiet = _daily(instance)
        assert quiet.success
        skipped = _skipped(quiet)
        ran = {e.step_key for e in quiet.all_events if e.event_type == dg.DagsterEventType.STEP_SUCCESS}
        assert ran == {"raw__me_records"}
        assert "staging__me_cases" in skipped and "app__published_db" in skipped
        assert _digest(isolated_env["ODW_APP_DB"]) == app_before, "the app database must be untouched"
        assert quiet.asset_materializations_for_node("raw__me_records") == []
        observed = instance.fetch_observations(ME_RECORDS, limit=1).records[0]
        assert observed.event_log_entry.asset_observation.metadata["new_records"].value == 0
        # The freshness check counts the empty pull as a load.
        assert last_loaded(instance, ME_RECORDS).timestamp() == pytest.approx(observed.timestamp)

        new = dict(records[0], casenumber="ME2026-NEW-000001")
        server.upsert([new], updated_at="2026-11-20T10:00:00.000Z")
        busy = _daily(instance)
        assert busy.success and _skipped(busy) == []
        assert _cases(isolated_env["ODW_WAREHOUSE"]) == warehouse_cases + 1
        assert _digest(isolated_env["ODW_APP_DB"]) != app_before

        # Forced: the same empty pull rebuilds everything.
        monkeypatch.setenv("ODW_REBUILD_UNCHANGED", "true")
        forced = _daily(instance)
        assert forced.success and _skipped(forced) == []


def test_a_run_that_failed_after_its_merge_is_finished_by_the_next_empty_pull(isolated_env, monkeypatch, tmp_path):
    records = generate_me_records(n=200, seed=12, end_month=date(2026, 10, 1))
    instance = _instance(tmp_path)
    with SodaServer(records) as server:
        monkeypatch.setenv("ODW_ME_SOURCE", "live")
        monkeypatch.setenv("ODW_SOCRATA_BASE_URL", server.base_url)
        from conftest import run_main_job

        run_main_job(instance=instance)
        server.upsert([dict(records[0], casenumber="ME2026-NEW-000002")], updated_at="2026-11-20T10:00:00.000Z")
        # Only the pull runs (as if every later step had failed): the new row is merged, not built.
        from pipelines.definitions import defs

        partial = defs().resolve_job_def("me_daily_job").get_subset(asset_selection={ME_RECORDS})
        assert partial.execute_in_process(instance=instance).success
        cases = _cases(isolated_env["ODW_WAREHOUSE"])
        after = _daily(instance)  # this pull is empty, but the downstream predates the merge
    assert after.success and _skipped(after) == []
    assert _cases(isolated_env["ODW_WAREHOUSE"]) == cases + 1
