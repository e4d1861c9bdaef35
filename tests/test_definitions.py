"""The Dagster code location loads as `dg` loads it (`dg check defs`, `dg list defs`, `dg dev`),
with the full graph; `workspace.yaml` names the same location."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import yaml

from pipelines.settings import PROJECT_ROOT

#: The ``dg`` CLI of the environment running the tests, as `make` runs it.
DG = Path(sys.executable).parent / "dg"

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


@pytest.fixture(scope="module")
def dg_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Dagster home with the project's instance settings (telemetry off), as `make` makes it."""
    home = tmp_path_factory.mktemp("dg_home")
    shutil.copy(PROJECT_ROOT / "deploy" / "dagster.yaml", home)
    return home


def dg_command(home: Path, *args: str) -> subprocess.CompletedProcess:
    """Run ``dg`` from the project root in the project's environment, as `make` does."""
    env = {**os.environ, "VIRTUAL_ENV": sys.prefix, "DAGSTER_HOME": str(home)}
    return subprocess.run(
        [str(DG), *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_dg_check_defs_passes_from_the_project_root(dg_home: Path):
    result = dg_command(dg_home, "check", "defs")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All definitions loaded successfully." in result.stdout
    assert result.stderr == ""  # no warning either (e.g. a mismatched environment)


def test_dg_help_shows_the_options(dg_home: Path):
    """``dg launch --help`` lists ``--job`` and ``--config`` (typer is held below 0.26 for it)."""
    result = dg_command(dg_home, "launch", "--help")
    assert result.returncode == 0 and "--job" in result.stdout and "--config" in result.stdout


def test_dg_lists_the_location_the_tests_load(dg_home: Path):
    """`dg list defs` finds, through [tool.dg] in pyproject.toml, exactly the definitions that
    ``pipelines.definitions`` builds."""
    from pipelines.definitions import defs

    result = dg_command(dg_home, "list", "defs", "--json")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    repo = defs().get_repository_def()
    assert {a["asset_key"] for a in listed["assets"]} == {
        key.to_user_string() for key in repo.asset_graph.get_all_asset_keys()
    }
    assert {c["key"] for c in listed["asset_checks"]} == {
        f"{key.asset_key.to_user_string()}:{key.name}" for key in repo.asset_graph.asset_check_keys
    }
    assert {j["name"] for j in listed["jobs"]} >= {"overdose_watch_job", "me_daily_job"}
    assert {s["name"] for s in listed["schedules"]} == {s.name for s in repo.schedule_defs}
    assert {s["name"] for s in listed["sensors"]} == {s.name for s in repo.sensor_defs}


def test_dg_and_workspace_yaml_name_the_same_location():
    import tomllib

    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["dg"]["project"]
    (entry,) = yaml.safe_load((PROJECT_ROOT / "workspace.yaml").read_text())["load_from"]
    assert entry["python_module"] == {
        "module_name": project["code_location_target_module"],
        "location_name": project["code_location_name"],
    }


def test_the_defs_folder_holds_no_definitions_function():
    """A ``@dg.definitions`` function in a module of ``pipelines/defs/`` would silently hide every
    other object of its module from ``load_from_defs_folder``; the location is assembled in
    ``pipelines/definitions.py`` only."""
    offenders = [
        str(path.relative_to(PROJECT_ROOT))
        for path in sorted((PROJECT_ROOT / "pipelines" / "defs").rglob("*.py"))
        if "dg.definitions" in path.read_text() or "dg.Definitions(" in path.read_text()
    ]
    assert offenders == []


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
