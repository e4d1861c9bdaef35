"""Shared fixtures: the real pipeline run once on generated demo data in a temporary folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from local_servers import Received, smtp_receiver, webhook_receiver

#: Fixed so the demo data (and every number the tests compare) does not move with the calendar.
DEMO_END_MONTH = "2026-10"


def pipeline_env(root: Path, **overrides: str) -> dict[str, str]:
    """Environment for a pipeline run whose every file lives under ``root``."""
    env = {
        "ODW_WAREHOUSE": str(root / "warehouse.duckdb"),
        "ODW_APP_DB": str(root / "app.duckdb"),
        "ODW_RAW_DIR": str(root / "raw"),
        "ODW_REFUSED_DIR": str(root / "refused"),
        "ODW_OUTPUT_DIR": str(root / "output"),
        "ODW_ME_SOURCE": "demo",
        "ODW_BOUNDARIES_SOURCE": "bundled",
        "ODW_DEMO_END_MONTH": DEMO_END_MONTH,
        # A failed pull is retried minutes later in production; tests that fail a pull on purpose
        # must not wait (tests/operations/test_retries.py turns retries on with a short delay).
        "ODW_PULL_STEP_RETRIES": "0",
    }
    env.update(overrides)
    return env


def run_main_job(
    raise_on_error: bool = True, instance: dg.DagsterInstance | None = None
) -> dg.ExecuteInProcessResult:
    """Run ``overdose_watch_job`` in process with the current environment's settings
    (on ``instance``, default a throw-away in-memory one)."""
    from pipelines.definitions import defs

    job = defs().resolve_job_def("overdose_watch_job")
    return job.execute_in_process(
        instance=instance or dg.DagsterInstance.ephemeral(), raise_on_error=raise_on_error
    )


@dataclass(frozen=True)
class PipelineRun:
    """A finished pipeline run: its environment and result."""

    env: dict[str, str]
    result: dg.ExecuteInProcessResult

    @property
    def warehouse(self) -> Path:
        return Path(self.env["ODW_WAREHOUSE"])

    @property
    def app_db(self) -> Path:
        return Path(self.env["ODW_APP_DB"])

    @property
    def dagster_home(self) -> Path:
        """The Dagster home holding the run's history (check results included)."""
        return Path(self.env["DAGSTER_HOME"])

    def query(self, sql: str, params=None) -> list[tuple]:
        """Read-only query against the warehouse."""
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql, params).fetchall()


@pytest.fixture(scope="session")
def demo_pipeline(tmp_path_factory: pytest.TempPathFactory):
    """The whole pipeline materialised once on the demo data (as `make demo` builds it)."""
    from pipelines.demo.field_data import write_field_demo

    root = tmp_path_factory.mktemp("demo_pipeline")
    # A real Dagster home (not an in-memory instance), so the Data quality page can read the
    # run's check results from it as it does from `make pipeline`'s.
    env = pipeline_env(root, DAGSTER_HOME=str(root / "dagster_home"))
    Path(env["DAGSTER_HOME"]).mkdir()
    (Path(env["DAGSTER_HOME"]) / "dagster.yaml").touch()
    write_field_demo(Path(env["ODW_RAW_DIR"]), end_month=date.fromisoformat(DEMO_END_MONTH + "-01"))
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
            result = run_main_job(instance=instance)
        yield PipelineRun(env, result)


@pytest.fixture(scope="session")
def demo_app_db(demo_pipeline: PipelineRun) -> Path:
    """The dashboard database published by the demo pipeline run."""
    return demo_pipeline.app_db


@pytest.fixture
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A fresh environment under ``tmp_path`` for tests that run the pipeline themselves."""
    env = pipeline_env(tmp_path)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    for key in [k for k in os.environ if k.startswith("ODW_") and k not in env]:
        monkeypatch.delenv(key)
    return env


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, Received]]:
    """A minimal SMTP server on 127.0.0.1; yields (port, received messages)."""
    with smtp_receiver() as server:
        yield server


@pytest.fixture
def webhook_server() -> Iterator[tuple[str, Received]]:
    """An HTTP server on 127.0.0.1 collecting the JSON bodies POSTed to it; yields (url, received)."""
    with webhook_receiver() as server:
        yield server
