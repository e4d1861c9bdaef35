"""Starting the field-data job from the dashboard: the page's GraphQL client against a real Dagster
webserver (``dagster-webserver -w workspace.yaml``) on 127.0.0.1, started once for the module."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from dashboards.components.dagster_runs import RunError, client_for, launch_field_data_job, run_state
from pipelines.defs.field_data.writing import csv_bytes
from tests.conftest import PipelineRun, pipeline_env
from tests.dashboards.browser_support import free_port

ROOT = Path(__file__).resolve().parents[2]
WEBSERVER = Path(sys.executable).with_name("dagster-webserver")
SUBMITTED = "march__20260320T140509Z__ana-at-westside.org__0123456789ab.csv"


@pytest.fixture(scope="module")
def dagster(demo_pipeline: PipelineRun, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict]]:
    """A webserver on a copy of the demo warehouse and raw folders; yields (URL, environment)."""
    root = tmp_path_factory.mktemp("dagster_web")
    env = pipeline_env(root, DAGSTER_HOME=str(root / "dagster_home"))
    shutil.copyfile(demo_pipeline.warehouse, env["ODW_WAREHOUSE"])
    shutil.copytree(demo_pipeline.env["ODW_RAW_DIR"], env["ODW_RAW_DIR"])
    home = Path(env["DAGSTER_HOME"])
    home.mkdir()
    # Runs launch at once (Dagster queues them for the daemon by default; this test runs none);
    # nothing sent anywhere.
    (home / "dagster.yaml").write_text(
        "run_coordinator:\n  module: dagster._core.run_coordinator\n  class: DefaultRunCoordinator\n"
        "telemetry:\n  enabled: false\n"
    )
    port = free_port()
    process_env = {k: v for k, v in os.environ.items() if not k.startswith("ODW_")} | env
    log = (root / "webserver.log").open("w")
    proc = subprocess.Popen(
        [str(WEBSERVER), "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=ROOT, env=process_env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"dagster-webserver exited: {(root / 'webserver.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/server_info", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError("dagster-webserver did not answer") from None
                time.sleep(1)
        yield url, env
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.mark.timeout(900)
def test_a_member_starts_the_field_data_job_and_reads_its_outcome(dagster) -> None:
    url, env = dagster
    submitted = Path(env["ODW_RAW_DIR"]) / "test_strips" / SUBMITTED
    submitted.write_bytes(csv_bytes([
        ["tested_on", "team", "community_area", "strip_type", "result"],
        ["2026-09-03", "Submitted Team", "Austin", "fentanyl", "positive"],
        ["2026-09-03", "Submitted Team", "Austin", "xylazine", "negative"],
    ]))
    state = launch_field_data_job(url, submitted_file=f"test_strips/{SUBMITTED}")
    assert state.link == f"{url}/runs/{state.run_id}" and not state.finished
    deadline = time.monotonic() + 600
    while not state.finished and time.monotonic() < deadline:
        time.sleep(2)
        state = run_state(url, state.run_id)
    assert state.status == "SUCCESS", state.status
    assert state.text == "finished: the data is loaded"
    with duckdb.connect(env["ODW_WAREHOUSE"], read_only=True) as con:
        rows = con.execute("SELECT count(*) FROM staging.test_strips WHERE source_file = ?", [SUBMITTED]).fetchone()
    assert rows == (2,)
    # The run republished the dashboard's database of this environment.
    with duckdb.connect(env["ODW_APP_DB"], read_only=True) as con:
        files = con.execute("SELECT file FROM marts.field_data_files WHERE source = 'test_strips'").fetchall()
    assert (SUBMITTED,) in files


def test_an_unknown_run_and_an_unreachable_server_give_clear_errors(dagster) -> None:
    url, _env = dagster
    with pytest.raises(RunError, match="could not be asked about run"):
        run_state(url, "00000000-0000-0000-0000-000000000000")
    with pytest.raises(RunError, match="did not start the run"):
        launch_field_data_job(f"http://127.0.0.1:{free_port()}", submitted_file="x.csv")


def test_client_for_reads_the_address() -> None:
    client = client_for("https://watch.example.org:8443/dagster/")
    assert client._url == "https://watch.example.org:8443/dagster/graphql"
    with pytest.raises(RunError, match="not an http"):
        client_for("ftp://watch.example.org")
