"""End to end in live mode: the whole job against a local SODA-compatible server on 127.0.0.1."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
from conftest import run_main_job
from soda_server import SodaServer

from pipelines.defs.medical_examiner.snapshots import list_snapshots
from pipelines.demo.medical_examiner import generate_me_records


def counts(warehouse: str) -> dict[str, int]:
    with duckdb.connect(warehouse, read_only=True) as con:
        return dict(
            zip(
                ["raw", "cases", "quarantined_staging", "pulls"],
                con.execute(
                    """
                    SELECT (SELECT count(*) FROM raw.me_records),
                           (SELECT count(*) FROM staging.me_cases),
                           (SELECT count(*) FROM staging.quarantine
                            WHERE source = 'medical_examiner' AND stage = 'staging'),
                           (SELECT count(*) FROM staging.ingest_log WHERE source = 'medical_examiner')
                    """
                ).fetchone(),
                strict=True,
            )
        )


@pytest.fixture
def records() -> list[dict]:
    return generate_me_records(n=730, seed=7, end_month=date(2026, 10, 1))


def test_live_pull_loads_exactly_the_served_cases_and_a_second_run_adds_none(
    isolated_env, monkeypatch, records
):
    with SodaServer(records) as server:
        monkeypatch.setenv("ODW_ME_SOURCE", "live")
        monkeypatch.setenv("ODW_SOCRATA_BASE_URL", server.base_url)
        monkeypatch.setenv("ODW_SOCRATA_PAGE_SIZE", "100")
        run_main_job()
        first = counts(isolated_env["ODW_WAREHOUSE"])
        pages = server.data_requests()
        assert len(pages) == 8  # 730 records in pages of 100
        assert all(p["$order"] == ":id" for p in pages)
        assert [int(p["$offset"]) for p in pages] == list(range(0, 800, 100))

        run_main_job()
        second = counts(isolated_env["ODW_WAREHOUSE"])
        incremental = server.data_requests()[-1]

    assert first["raw"] == len(records) == first["cases"] + first["quarantined_staging"]
    assert first["cases"] == len(records)
    assert second["raw"] == first["raw"] and second["cases"] == first["cases"]
    assert "$where" in incremental, "the second run must be an incremental pull"
    snapshots = list_snapshots(Path(isolated_env["ODW_RAW_DIR"]) / "medical_examiner")
    assert [s.mode for s in snapshots] == ["full", "incremental"]
    assert [s.rows for s in snapshots] == [len(records), 0]


def test_incremental_pull_merges_updates_latest_wins(isolated_env, monkeypatch, records):
    with SodaServer(records) as server:
        monkeypatch.setenv("ODW_ME_SOURCE", "live")
        monkeypatch.setenv("ODW_SOCRATA_BASE_URL", server.base_url)
        run_main_job()
        changed = dict(records[0], manner="HOMICIDE")
        new = dict(records[1], casenumber="ME2026-99999")
        server.upsert([changed, new], updated_at="2026-11-20T10:00:00.000Z")
        run_main_job()

    with duckdb.connect(isolated_env["ODW_WAREHOUSE"], read_only=True) as con:
        assert con.execute("SELECT count(*) FROM staging.me_cases").fetchone()[0] == len(records) + 1
        manner = con.execute(
            "SELECT manner FROM staging.me_cases WHERE casenumber = ?", [records[0]["casenumber"]]
        ).fetchone()[0]
    assert manner == "HOMICIDE"


def test_failed_pull_keeps_the_last_good_data(isolated_env, monkeypatch, records):
    with SodaServer(records) as server:
        monkeypatch.setenv("ODW_ME_SOURCE", "live")
        monkeypatch.setenv("ODW_SOCRATA_BASE_URL", server.base_url)
        run_main_job()
        before = counts(isolated_env["ODW_WAREHOUSE"])
    # The server is gone: every request now fails (connection refused) until retries run out.
    monkeypatch.setenv("ODW_SOCRATA_MAX_RETRIES", "1")
    result = run_main_job(raise_on_error=False)
    assert not result.success
    assert counts(isolated_env["ODW_WAREHOUSE"]) == before
    snapshots = list_snapshots(Path(isolated_env["ODW_RAW_DIR"]) / "medical_examiner")
    assert len(snapshots) == 1
