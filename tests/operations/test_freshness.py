"""Freshness checks: pass on current demo data, fail visibly (known answers) on stale data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.defs import freshness
from pipelines.defs.freshness import (
    LAST_LOAD_CHECKS,
    RECORD_AGE_CHECKS,
    assess_last_load,
    assess_record_age,
    demo_as_of,
    severity_for,
)
from pipelines.defs.resources import build_resources
from pipelines.settings import load_settings

ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN
NOW = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)  # 12:00 in Chicago


# --- the pure assessments ---------------------------------------------------------------------------


def test_last_load_passes_up_to_the_threshold_and_fails_after_it():
    limit = timedelta(hours=30)
    at_limit = assess_last_load("ME", NOW - limit, NOW, limit, "ODW_FRESHNESS_ME_MAX_HOURS", ERROR)
    assert at_limit.passed and at_limit.metadata["hours_since_load"] == 30.0
    late = assess_last_load("ME", NOW - timedelta(hours=31), NOW, limit, "ODW_FRESHNESS_ME_MAX_HOURS", ERROR)
    assert not late.passed and late.severity == ERROR
    assert late.description.startswith("ME: STALE — last loaded 31.0 hours ago (2026-11-23 05:00 CST)")
    assert "expected within 30.0 hours (ODW_FRESHNESS_ME_MAX_HOURS)" in late.description
    never = assess_last_load("ME", None, NOW, limit, "ODW_FRESHNESS_ME_MAX_HOURS", WARN)
    assert not never.passed and "never loaded" in never.description


def test_record_age_counts_days_and_names_what_it_judged_against():
    fresh = assess_record_age("ME", "death date", date(2026, 11, 10), date(2026, 11, 24), 14, "S", ERROR, False, 5)
    assert fresh.passed and fresh.metadata["age_days"] == 14
    stale = assess_record_age("ME", "death date", date(2026, 11, 9), date(2026, 11, 24), 14, "S", ERROR, False, 5)
    assert not stale.passed and stale.metadata["age_days"] == 15
    assert "newest death date 2026-11-09 is 15 days before 2026-11-24 (today (America/Chicago))" in stale.description
    demo = assess_record_age("ME", "death date", date(2026, 8, 31), date(2026, 11, 1), 14, "S", WARN, True, 5)
    assert not demo.passed and "make demo-data" in demo.description
    empty = assess_record_age("Outreach", "shift date", None, date(2026, 11, 24), 45, "S", WARN, False, 0)
    assert not empty.passed and empty.metadata["newest_record"] == "none"


def test_synthetic_data_is_judged_as_of_the_end_of_its_period():
    assert demo_as_of(load_settings({"ODW_DEMO_END_MONTH": "2026-10"}), date(2030, 1, 1)) == date(2026, 11, 1)
    assert demo_as_of(load_settings({"ODW_DEMO_END_MONTH": "2026-12"}), date(2030, 1, 1)) == date(2027, 1, 1)
    # Unset: the generator's default, the month before today's.
    assert demo_as_of(load_settings({}), date(2026, 11, 24)) == date(2026, 11, 1)
    assert demo_as_of(load_settings({}), date(2027, 1, 3)) == date(2027, 1, 1)


def test_only_stale_live_medical_examiner_data_is_an_error():
    assert severity_for("medical_examiner", synthetic=False) == ERROR
    assert severity_for("medical_examiner", synthetic=True) == WARN
    assert severity_for("test_strips", synthetic=False) == WARN


# --- the checks on the demo pipeline ----------------------------------------------------------------


def test_freshness_checks_pass_on_the_demo_pipeline(demo_pipeline):
    evaluations = {
        (e.asset_key.to_user_string(), e.check_name): e
        for e in demo_pipeline.result.get_asset_check_evaluations()
        if e.check_name in {"loaded_recently", "newest_record_recent"}
    }
    assert set(evaluations) == {
        (asset, name)
        for asset in ("raw/me_records", "staging/test_strips", "staging/outreach")
        for name in ("loaded_recently",)
    } | {(asset, "newest_record_recent") for asset in ("staging/me_cases", "staging/test_strips", "staging/outreach")}
    assert all(e.passed for e in evaluations.values()), [e.description for e in evaluations.values()]
    me = evaluations[("staging/me_cases", "newest_record_recent")].metadata
    # The demo archive ends with October 2026 and is judged as of 1 November 2026, whatever today is.
    assert me["newest_record"].value == "2026-10-31" and me["as_of"].value == "2026-11-01"
    assert me["judged_against"].value == "the end of the synthetic demo period"


# --- stale data, known answers -----------------------------------------------------------------------


def small_warehouse(path: Path, me_dates: list[date], strip_dates: list[date], synthetic: bool) -> None:
    """A warehouse holding only what the record-age checks read."""
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA staging")
        con.execute("CREATE TABLE staging.me_cases (death_date TIMESTAMP)")
        con.executemany("INSERT INTO staging.me_cases VALUES (?)", [(datetime(d.year, d.month, d.day, 14),) for d in me_dates])
        con.execute("CREATE TABLE staging.test_strips (tested_on DATE, is_synthetic BOOLEAN)")
        con.executemany("INSERT INTO staging.test_strips VALUES (?, ?)", [(d, synthetic) for d in strip_dates])
        con.execute("CREATE TABLE staging.outreach (date DATE, is_synthetic BOOLEAN)")


def run_checks(checks, instance: dg.DagsterInstance | None = None) -> dict[str, dg.AssetCheckEvaluation]:
    result = dg.materialize(
        [*checks],
        selection=dg.AssetSelection.checks(*checks),
        resources=build_resources(),
        instance=instance or dg.DagsterInstance.ephemeral(),
        raise_on_error=True,
    )
    return {e.asset_key.to_user_string(): e for e in result.get_asset_check_evaluations()}


@pytest.fixture
def at_noon(monkeypatch: pytest.MonkeyPatch) -> datetime:
    monkeypatch.setattr(freshness, "_now", lambda: NOW)
    return NOW


def test_record_age_checks_fail_on_stale_live_data(isolated_env, monkeypatch, tmp_path, at_noon):
    monkeypatch.setenv("ODW_ME_SOURCE", "live")
    small_warehouse(Path(isolated_env["ODW_WAREHOUSE"]), [date(2026, 8, 1), date(2026, 8, 31)],
                    [date(2026, 10, 1), date(2026, 10, 10)], synthetic=False)
    results = run_checks(RECORD_AGE_CHECKS)
    me = results["staging/me_cases"]
    assert not me.passed and me.severity == ERROR
    assert me.metadata["age_days"].value == (date(2026, 11, 24) - date(2026, 8, 31)).days == 85
    assert me.metadata["judged_against"].value == "today (America/Chicago)"
    strips = results["staging/test_strips"]
    assert strips.passed and strips.metadata["age_days"].value == 45  # 10 Oct → 24 Nov: exactly the limit
    outreach = results["staging/outreach"]
    assert not outreach.passed and outreach.severity == WARN and outreach.metadata["rows"].value == 0


def test_record_age_of_old_synthetic_data_is_a_warning(isolated_env, at_noon):
    # Demo data ending in August, judged as of the end of ODW_DEMO_END_MONTH (2026-10): 62 days.
    small_warehouse(Path(isolated_env["ODW_WAREHOUSE"]), [date(2026, 8, 31)], [date(2026, 10, 31)], synthetic=True)
    results = run_checks(RECORD_AGE_CHECKS[:2])
    me = results["staging/me_cases"]
    assert not me.passed and me.severity == WARN and me.metadata["age_days"].value == 62
    assert results["staging/test_strips"].passed


def test_last_load_checks_fail_once_the_pipeline_stops(isolated_env, monkeypatch):
    """The hourly job: passes 29 h after the last ME load, fails at 31 h; never opens the warehouse."""
    from pipelines.definitions import defs

    monkeypatch.setenv("ODW_ME_SOURCE", "live")
    instance = dg.DagsterInstance.ephemeral()
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=["raw", "me_records"]))
    loaded = datetime.fromtimestamp(
        instance.get_latest_materialization_event(dg.AssetKey(["raw", "me_records"])).timestamp, UTC
    )
    job = defs().resolve_job_def("source_freshness_job")

    def evaluate(hours: float) -> dict[str, dg.AssetCheckEvaluation]:
        monkeypatch.setattr(freshness, "_now", lambda: loaded + timedelta(hours=hours))
        result = job.execute_in_process(instance=instance)
        return {e.asset_key.to_user_string(): e for e in result.get_asset_check_evaluations()}

    early = evaluate(29)
    assert early["raw/me_records"].passed
    late = evaluate(31)
    me = late["raw/me_records"]
    assert not me.passed and me.severity == ERROR and me.metadata["hours_since_load"].value == 31.0
    assert "STALE — last loaded 31.0 hours ago" in me.description
    # Field data never loaded in this instance: a warning that says so.
    assert not late["staging/outreach"].passed and late["staging/outreach"].severity == WARN
    assert not Path(isolated_env["ODW_WAREHOUSE"]).exists()
    assert len(LAST_LOAD_CHECKS) == 3
