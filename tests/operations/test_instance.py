"""The persistent Dagster instance template: run queue of one, run retries, created by make."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import dagster as dg
import pytest

from pipelines.settings import PROJECT_ROOT


def make_dagster_home(home: Path) -> None:
    subprocess.run(["make", "--no-print-directory", "dagster-home", f"DAGSTER_HOME={home}"], cwd=PROJECT_ROOT,
                   check=True, capture_output=True, timeout=60)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_puts_the_template_in_dagster_home_and_keeps_an_edited_copy(tmp_path):
    home = tmp_path / "dagster_home"
    make_dagster_home(home)
    assert (home / "dagster.yaml").read_text() == (PROJECT_ROOT / "deploy" / "dagster.yaml").read_text()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    make_dagster_home(home)
    assert (home / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"


def test_the_template_queues_runs_one_at_a_time_and_retries_them(tmp_path, monkeypatch):
    shutil.copy(PROJECT_ROOT / "deploy" / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        # One writer for the one DuckDB file: a second run waits in the queue.
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1
        assert instance.run_retries_enabled and instance.run_retries_max_retries == 0
        assert instance.run_monitoring_enabled
        assert not instance.telemetry_enabled
        # History lives in DAGSTER_HOME, so it survives restarts.
        assert (tmp_path / "history" / "runs.db").exists()
