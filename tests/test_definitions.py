"""The Dagster code location loads as `dagster dev -w workspace.yaml` loads it, with the full graph."""

from __future__ import annotations

import subprocess
import sys

import dagster as dg

from pipelines.settings import PROJECT_ROOT

EXPECTED_ASSETS = {
    "staging/community_areas",
    "raw/me_records",
    "staging/me_cases",
    "marts/community_areas",
    "marts/me_monthly_by_area",
    "marts/overdose_deaths_monthly",
    "marts/overdose_deaths_weekly",
    "marts/overdose_rates_annual",
    "marts/drug_involvement_annual",
    "marts/data_quality",
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
    assert parents == {"raw/me_records", "staging/community_areas"}
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
