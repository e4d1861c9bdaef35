"""Schedules: cron strings in Chicago time, the run requests they make, and what each job runs."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from dagster._utils.schedules import cron_string_iterator

from pipelines.defs.schedules import (
    ME_DAILY_SELECTION,
    MONTHLY_PACK_SELECTION,
    WEEKLY_EBLAST_SELECTION,
    build_schedules,
)
from pipelines.settings import load_settings

CHICAGO = ZoneInfo("America/Chicago")


def schedules(**env: str) -> dict[str, dg.ScheduleDefinition]:
    return {s.name: s for s in build_schedules(load_settings(env))}


def request(schedule: dg.ScheduleDefinition, when: datetime) -> dg.RunRequest:
    context = dg.build_schedule_context(scheduled_execution_time=when)
    result = schedule.evaluate_tick(context)
    assert len(result.run_requests) == 1
    return result.run_requests[0]


def next_ticks(schedule: dg.ScheduleDefinition, after: datetime, n: int) -> list[datetime]:
    ticks = cron_string_iterator(after.timestamp(), schedule.cron_schedule, schedule.execution_timezone)
    return [next(ticks) for _ in range(n)]


def test_cron_strings_jobs_and_timezone():
    found = schedules()
    expected = {
        "me_daily_pull": ("0 6 * * *", "me_daily_job"),
        "weekly_eblast": ("0 8 * * 1", "weekly_eblast_job"),
        "monthly_meeting_pack": ("0 7 5 * *", "monthly_pack_job"),
        "source_freshness_hourly": ("15 * * * *", "source_freshness_job"),
    }
    assert {name: (s.cron_schedule, s.job_name) for name, s in found.items()} == expected
    assert {s.execution_timezone for s in found.values()} == {"America/Chicago"}


def test_daily_pull_is_six_in_the_morning_in_chicago_across_daylight_saving():
    daily = schedules()["me_daily_pull"]
    # Chicago leaves daylight saving time on Sunday 1 November 2026: 06:00 is 11:00 UTC before, 12:00 after.
    ticks = next_ticks(daily, datetime(2026, 10, 30, 12, 0, tzinfo=UTC), 4)
    assert [t.astimezone(CHICAGO).strftime("%m-%d %H:%M") for t in ticks] == [
        "10-31 06:00", "11-01 06:00", "11-02 06:00", "11-03 06:00",
    ]
    assert [t.astimezone(UTC).hour for t in ticks] == [11, 12, 12, 12]


def test_weekly_eblast_is_monday_eight_and_pack_is_the_fifth_at_seven():
    found = schedules()
    mondays = next_ticks(found["weekly_eblast"], datetime(2026, 11, 24, tzinfo=CHICAGO), 2)
    assert [t.strftime("%a %Y-%m-%d %H:%M") for t in mondays] == ["Mon 2026-11-30 08:00", "Mon 2026-12-07 08:00"]
    packs = next_ticks(found["monthly_meeting_pack"], datetime(2026, 11, 24, tzinfo=CHICAGO), 2)
    assert [t.strftime("%Y-%m-%d %H:%M") for t in packs] == ["2026-12-05 07:00", "2027-01-05 07:00"]


@pytest.mark.parametrize(
    ("name", "when", "run_key", "period"),
    [
        # A tick given in UTC is read in Chicago time: 12:00 UTC in November is 06:00 CST.
        ("me_daily_pull", datetime(2026, 11, 23, 12, 0, tzinfo=UTC), "me_daily_job:2026-11-23T06:00", "2026-11-23"),
        ("me_daily_pull", datetime(2026, 7, 6, 6, 0, tzinfo=CHICAGO), "me_daily_job:2026-07-06T06:00", "2026-07-06"),
        ("weekly_eblast", datetime(2026, 11, 23, 8, 0, tzinfo=CHICAGO), "weekly_eblast_job:2026-11-23T08:00",
         "2026-11-16/2026-11-22"),
        ("monthly_meeting_pack", datetime(2026, 12, 5, 7, 0, tzinfo=CHICAGO), "monthly_pack_job:2026-12-05T07:00",
         "2026-11"),
        ("monthly_meeting_pack", datetime(2027, 1, 5, 7, 0, tzinfo=CHICAGO), "monthly_pack_job:2027-01-05T07:00",
         "2026-12"),
    ],
)
def test_run_request_of_a_tick(name: str, when: datetime, run_key: str, period: str):
    run = request(schedules()[name], when)
    assert run.run_key == run_key
    assert run.tags["odw/period"] == period
    assert run.tags["odw/scheduled_for"] == when.astimezone(CHICAGO).isoformat(timespec="minutes")


def test_schedules_are_stopped_unless_the_environment_turns_them_on():
    assert {s.default_status for s in schedules().values()} == {dg.DefaultScheduleStatus.STOPPED}
    on = schedules(ODW_SCHEDULES_RUNNING="true")
    assert {s.default_status for s in on.values()} == {dg.DefaultScheduleStatus.RUNNING}


def test_job_selections_follow_the_asset_graph():
    """The daily job is the ME pull and all downstream (not the reports); the report jobs their assets."""
    from pipelines.definitions import defs

    graph = defs().resolve_asset_graph()

    daily = {key.to_user_string() for key in ME_DAILY_SELECTION.resolve(graph)}
    assert {"raw/me_records", "staging/me_cases", "marts/overdose_rates_annual", "marts/alert_badges",
            "marts/naloxone_coverage", "app/published_db"} <= daily
    # Upstream reference data and the field-data staging tables are not the ME pull's business.
    assert not daily & {"staging/community_areas", "staging/test_strips", "staging/outreach"}
    assert not {k for k in daily if k.startswith("reports/")}
    weekly = WEEKLY_EBLAST_SELECTION.resolve(graph)
    monthly = MONTHLY_PACK_SELECTION.resolve(graph)
    # Monday: the e-blast and the team briefs (issue #19) go out together.
    assert sorted(k.path[-1] for k in weekly) == ["team_briefs", "weekly_eblast"]
    assert [k.path[-1] for k in monthly] == ["meeting_pack"]


def test_scheduled_jobs_ask_for_run_retries_and_run_in_process():
    from pipelines.definitions import defs

    repo = defs().get_repository_def()
    for name in ("me_daily_job", "weekly_eblast_job", "monthly_pack_job"):
        job = repo.get_job(name)
        assert job.tags["dagster/max_retries"] == "2"
        assert job.tags["dagster/retry_strategy"] == "FROM_FAILURE"
        assert job.executor_def.name == "in_process"
    # The freshness job only runs the "loaded recently" checks: no asset, so it never writes.
    freshness = repo.get_job("source_freshness_job")
    assert freshness.asset_layer.selected_asset_keys == set()
    assert sorted(node.name for node in freshness.graph.nodes) == [
        "raw__me_records_loaded_recently", "staging__outreach_loaded_recently", "staging__test_strips_loaded_recently",
    ]


def test_daily_job_refreshes_the_warehouse_the_full_build_left(demo_pipeline, tmp_path, monkeypatch):
    """What the 06:00 run does, on a copy of the demo warehouse: ME, marts, alerts, publication; no reports."""
    import shutil
    from pathlib import Path

    from conftest import pipeline_env

    from pipelines.definitions import defs

    env = pipeline_env(tmp_path)
    shutil.copy(demo_pipeline.warehouse, env["ODW_WAREHOUSE"])
    shutil.copytree(demo_pipeline.env["ODW_RAW_DIR"], env["ODW_RAW_DIR"])
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = defs().resolve_job_def("me_daily_job").execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert result.success
    materialized = {
        e.event_specific_data.materialization.asset_key.to_user_string()
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
    }
    assert {"raw/me_records", "staging/me_cases", "marts/alert_badges", "app/published_db"} <= materialized
    assert not materialized & {"meeting_pack", "weekly_eblast", "staging/test_strips", "staging/community_areas"}
    assert Path(env["ODW_APP_DB"]).is_file()
    freshness = {(e.asset_key.to_user_string(), e.check_name): e.passed for e in result.get_asset_check_evaluations()
                 if e.check_name in {"loaded_recently", "newest_record_recent"}}
    assert freshness == {("raw/me_records", "loaded_recently"): True, ("staging/me_cases", "newest_record_recent"): True}
