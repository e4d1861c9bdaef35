"""Pulls from a failing portal: nothing lost, nothing doubled, and a killed run changes nothing.

Against the local SODA-compatible server (``tests/soda_server.py``, 127.0.0.1 only).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import requests
from reliability.helpers import database_checksums
from soda_server import SodaServer

from pipelines.defs.medical_examiner.assets import me_records
from pipelines.defs.medical_examiner.client import SocrataClient
from pipelines.defs.medical_examiner.ingest import ingest_live
from pipelines.defs.medical_examiner.snapshots import list_snapshots
from pipelines.defs.resources import build_resources
from pipelines.demo.medical_examiner import generate_me_records
from pipelines.settings import PROJECT_ROOT, load_settings
from pipelines.warehouse import run_sql_file

#: Every kind of failure the issue names: server errors, throttling with Retry-After (seconds and a
#: raw header), bodies cut short or dropped mid-way, an HTML error page, and answers slower than
#: the client's timeout.
MIXED_FAULTS = (
    "500",
    "503",
    ("429", 2),
    ("429", "7"),
    "truncated",
    "disconnect",
    "invalid_json",
    ("slow", 2.0),
)


@pytest.fixture(scope="module")
def served() -> list[dict]:
    """A small synthetic archive, shaped exactly like the portal's answers."""
    return generate_me_records(n=400, seed=11, end_month=date(2026, 10, 1))


def raw_records(warehouse: Path) -> dict[str, dict]:
    """``raw.me_records`` by casenumber, the columns the portal sent plus the SODA row id."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        frame = con.sql(
            "SELECT * EXCLUDE (soda_updated_at, source_file, source_row, pull_id) FROM raw.me_records"
        ).pl()
    return {row["casenumber"]: row for row in frame.iter_rows(named=True)}


def as_stored(record: dict) -> dict:
    """A served record as ``raw.me_records`` keeps it: every value as text, ``:id`` as soda_id."""

    def text(value: object) -> str | None:
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, dict):
            return json.dumps(value, separators=(",", ":"))
        return str(value)

    out = {k: text(v) for k, v in record.items() if not k.startswith(":")}
    out["soda_id"] = record[":id"]
    return out


def test_twenty_percent_mixed_faults_load_exactly_the_served_records(
    served: list[dict], isolated_env: dict[str, str]
) -> None:
    slept: list[float] = []
    with SodaServer(served, fault_rate=0.2, seed=30, random_faults=MIXED_FAULTS) as server:
        session = requests.Session()
        session.trust_env = False  # traffic stays on 127.0.0.1 whatever proxy is configured
        client = SocrataClient(
            server.base_url,
            server.dataset_id,
            page_size=10,
            timeout=0.5,  # below the 2 s "slow" fault: those time out and are retried
            max_retries=10,
            sleep=slept.append,  # backoff is recorded, not waited out
            rng=random.Random(5),
            session=session,
        )
        settings = load_settings()
        settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(settings.warehouse)) as con:
            run_sql_file(con, "raw/schema.sql")
            (report,) = ingest_live(con, settings, client)
        faults = [f for f in server.applied_faults if f is not None]
        expected = server.records

    assert len({str(f) for f in faults}) == len(MIXED_FAULTS), f"the seed must exercise every fault: {faults}"
    assert 0.12 <= len(faults) / len(server.applied_faults) <= 0.3
    # Retry-After is honoured exactly where it was sent.
    assert 2 in slept and 7 in slept
    stored = raw_records(settings.warehouse)
    assert report.rows_in == report.rows_loaded == len(served) and report.rows_quarantined == 0
    assert sorted(stored) == sorted(r["casenumber"] for r in expected)
    mismatched = [r["casenumber"] for r in expected if stored[r["casenumber"]] | as_stored(r) != stored[r["casenumber"]]]
    assert mismatched == []
    (snapshot,) = list_snapshots(settings.me_raw_dir)
    assert snapshot.records() == expected  # the snapshot holds exactly what was served, once


# ---------------------------------------------------------------------------- killed mid-pull

_PULL_IN_SUBPROCESS = """
import dagster as dg
from pipelines.defs.medical_examiner.assets import me_records
from pipelines.defs.resources import build_resources
dg.materialize([me_records], resources=build_resources())
"""


@pytest.mark.timeout(900)  # the session's demo pipeline may be built in this test's setup
def test_a_run_killed_mid_pull_changes_nothing_and_the_next_run_recovers(
    demo_pipeline, served: list[dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The previous good state: a copy of the demo warehouse and its published app database.
    for key, value in demo_pipeline.env.items():
        monkeypatch.setenv(key, value)
    warehouse, app_db, raw = tmp_path / "warehouse.duckdb", tmp_path / "app.duckdb", tmp_path / "raw"
    shutil.copy(demo_pipeline.warehouse, warehouse)
    shutil.copy(demo_pipeline.app_db, app_db)
    env = {
        "ODW_WAREHOUSE": str(warehouse),
        "ODW_APP_DB": str(app_db),
        "ODW_RAW_DIR": str(raw),
        "ODW_ME_SOURCE": "live",
        "ODW_SOCRATA_PAGE_SIZE": "50",
    }
    before = {p: database_checksums(p) for p in (warehouse, app_db)}

    blocked = threading.Event()

    def block_third_page(number: int):
        # Requests are numbered from 1: the third page hangs (the server parks it) until the
        # run is killed; every later request is answered normally.
        if number == 3:
            blocked.set()
            return ("slow", 300)
        return None

    with SodaServer(served, faults=block_third_page) as server:
        env["ODW_SOCRATA_BASE_URL"] = server.base_url
        # Dagster logs plenty: to a file, as a pipe left unread would block the run.
        log_file = (tmp_path / "killed-run.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-c", _PULL_IN_SUBPROCESS],
            cwd=PROJECT_ROOT,
            env={**os.environ, **env, "PYTHONPATH": str(PROJECT_ROOT), "NO_PROXY": "127.0.0.1"},
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 240
            while not blocked.wait(timeout=0.2):
                if proc.poll() is not None or time.monotonic() > deadline:
                    log_file.flush()
                    tail = (tmp_path / "killed-run.log").read_text(errors="replace")[-3000:]
                    pytest.fail(f"the pull never reached its third page:\n{tail}")
            time.sleep(0.2)
            proc.send_signal(signal.SIGKILL)
            assert proc.wait(timeout=30) == -signal.SIGKILL
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)
            log_file.close()
        assert len(server.data_requests()) == 3

        # Nothing changed: no snapshot (complete or partial) and identical databases.
        snapshots = raw / "medical_examiner" / "snapshots"
        assert not snapshots.exists() or [p.name for p in snapshots.iterdir() if not p.name.startswith(".")] == []
        assert {p: database_checksums(p) for p in (warehouse, app_db)} == before

        # The next run recovers: a complete full pull, exactly the served records.
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        assert dg.materialize([me_records], resources=build_resources()).success
        expected = server.records

    stored = raw_records(warehouse)
    assert sorted(stored) == sorted(r["casenumber"] for r in expected)
    assert all(stored[r["casenumber"]]["soda_id"] == r[":id"] for r in expected)
    (snapshot,) = list_snapshots(raw / "medical_examiner")
    assert snapshot.mode == "full" and snapshot.records() == expected
