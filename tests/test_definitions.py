"""The Dagster code location loads as `dagster dev -w workspace.yaml` loads it, with the full graph."""

from __future__ import annotations

import subprocess
import sys

import dagster as dg

from pipelines.settings import PROJECT_ROOT

EXPECTED_ASSETS = {
    "staging/community_areas",
    "raw/me_records",
    "staging/me_geocodes",
    "staging/me_cases",
    "marts/community_areas",
    "marts/me_monthly_by_area",
    "marts/overdose_deaths_monthly",
    "marts/overdose_deaths_weekly",
    "marts/overdose_rates_annual",
    "marts/drug_involvement_annual",
    "marts/data_quality",
    "marts/me_placement_annual",
    "marts/source_freshness",
    "app/published_db",
}


def test_asset_graph_and_lineage():
    from pipelines.definitions import defs

    repo = defs().get_repository_def()
    graph = repo.asset_graph
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert EXPECTED_ASSETS <= keys
    parents = {
        key.to_user_string() for key in graph.get(dg.AssetKey(["staging", "me_cases"])).parent_keys
    }
    assert parents == {"raw/me_records", "staging/community_areas", "staging/me_geocodes"}
    geocode_parents = {
        key.to_user_string() for key in graph.get(dg.AssetKey(["staging", "me_geocodes"])).parent_keys
    }
    assert geocode_parents == {"raw/me_records", "staging/community_areas"}
    published_parents = graph.get(dg.AssetKey(["app", "published_db"])).parent_keys
    assert dg.AssetKey(["marts", "overdose_rates_annual"]) in published_parents
    assert repo.has_job("overdose_watch_job")


def test_workspace_yaml_validates():
    result = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "overdose_watch" in result.stdout + result.stderr


def test_unattended_operation_is_defined():
    """Jobs, Chicago-time schedules, sensors and freshness checks of docs/running-unattended.md."""
    from pipelines.definitions import defs

    repo = defs().get_repository_def()
    assert {"overdose_watch_job", "me_daily_job", "weekly_eblast_job", "monthly_pack_job",
            "source_freshness_job"} <= {job.name for job in repo.get_all_jobs()}
    schedules = {s.name: s for s in repo.schedule_defs}
    assert set(schedules) == {"me_daily_pull", "weekly_eblast", "monthly_meeting_pack", "source_freshness_hourly"}
    assert {s.execution_timezone for s in schedules.values()} == {"America/Chicago"}
    assert {"field_data_files", "new_spike_alerts", "run_failure_notifier"} <= {s.name for s in repo.sensor_defs}
    checks = {(key.asset_key.to_user_string(), key.name) for key in repo.asset_graph.asset_check_keys}
    for asset in ("raw/me_records", "staging/test_strips", "staging/outreach"):
        assert (asset, "loaded_recently") in checks
    for asset in ("staging/me_cases", "staging/test_strips", "staging/outreach"):
        assert (asset, "newest_record_recent") in checks
