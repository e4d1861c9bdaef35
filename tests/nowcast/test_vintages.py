"""Vintages rebuilt from a hand-made pull history: a case pending then resolved, one seeded from
:created_at, one that leaves the archive; and the counts known at any moment."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import duckdb
import numpy as np
import pytest

from pipelines.defs.medical_examiner.client import Page, PullResult
from pipelines.defs.medical_examiner.snapshots import list_snapshots, save_snapshot
from pipelines.defs.nowcast.run import load_events
from pipelines.defs.nowcast.series import minutes, month_index
from pipelines.defs.nowcast.vintages import build_vintages, seeding_mode
from pipelines.settings import load_settings
from pipelines.warehouse import run_sql_file

PULL_1 = datetime(2025, 1, 31, 23)
PULL_2 = datetime(2025, 2, 28, 23)
PULL_3 = datetime(2025, 3, 31, 23)


def _record(case: str, died: str, manner: str, cause: str | None, created: str, updated: str) -> dict:
    record = {":id": f"row-{case}", ":created_at": created, ":updated_at": updated, "casenumber": case,
              "death_date": died, "manner": manner}
    if cause:
        record["primarycause"] = cause
    return record


def _pull(root, when: datetime, mode: str, records: list[dict]) -> None:
    body = json.dumps(records).encode()
    at = when.replace(tzinfo=UTC)
    result = PullResult(pages=[Page(1, "http://127.0.0.1/x.json", body, records)], requests=1, retries=0,
                        started_at=at, finished_at=at, updated_since=None,
                        max_updated_at=max(r[":updated_at"] for r in records))
    save_snapshot(root, result, mode=mode, dataset_id="cjeq-bs86", base_url="http://127.0.0.1")


@pytest.fixture
def history(tmp_path):
    a_pending = _record("ME2025-00002", "2025-01-10T08:00:00.000", "PENDING", "PENDING",
                        "2025-01-11T09:00:00.000Z", "2025-01-11T09:00:00.000Z")
    a_final = _record("ME2025-00002", "2025-01-10T08:00:00.000", "ACCIDENT",
                      "COMBINED COCAINE AND FENTANYL TOXICITY", "2025-01-11T09:00:00.000Z", "2025-02-20T10:00:00.000Z")
    b = _record("ME2025-00001", "2025-01-05T14:00:00.000", "ACCIDENT", "FENTANYL TOXICITY",
                "2025-01-06T12:00:00.000Z", "2025-01-25T16:00:00.000Z")
    c = _record("ME2025-00003", "2025-01-20T22:00:00.000", "HOMICIDE", "GUNSHOT WOUND OF HEAD",
                "2025-01-21T07:00:00.000Z", "2025-01-21T07:00:00.000Z")
    _pull(tmp_path, PULL_1, "full", [b, a_pending, c])
    _pull(tmp_path, PULL_2, "incremental", [a_final])
    _pull(tmp_path, PULL_3, "full", [b, a_final])  # C has left the archive
    con = duckdb.connect()
    run_sql_file(con, "raw/schema.sql")
    con.execute("""
        CREATE TABLE staging.me_cases AS SELECT * FROM (VALUES
            ('ME2025-00001', TIMESTAMP '2025-01-05 14:00', 26, 'Chicago', true),
            ('ME2025-00002', TIMESTAMP '2025-01-10 08:00', 27, 'Chicago', true),
            ('ME2025-00003', TIMESTAMP '2025-01-20 22:00', 8, 'Chicago', true)
        ) AS t(casenumber, death_date, community_area_number, municipality, in_chicago)
    """)
    seeding = build_vintages(con, list_snapshots(tmp_path))
    yield con, seeding
    con.close()


def test_versions_of_each_case(history):
    con, seeding = history
    assert seeding.usable
    rows = con.execute("""
        SELECT casenumber, valid_from, valid_to, is_overdose, is_pending, fentanyl, cocaine
        FROM staging.me_vintages ORDER BY casenumber, valid_from
    """).fetchall()
    assert rows == [
        # Seeded: pending from :created_at, an overdose since its :updated_at before the first pull.
        ("ME2025-00001", datetime(2025, 1, 6, 12), datetime(2025, 1, 25, 16), False, True, False, False),
        ("ME2025-00001", datetime(2025, 1, 25, 16), None, True, False, True, False),
        # Pending in the first pull, an overdose with both drugs from the pull that showed it.
        ("ME2025-00002", datetime(2025, 1, 11, 9), PULL_2, False, True, False, False),
        ("ME2025-00002", PULL_2, None, True, False, True, True),
        # A homicide (neither counted nor pending) until the full pull it is missing from.
        ("ME2025-00003", datetime(2025, 1, 21, 7), PULL_3, False, False, False, False),
    ]


def test_counts_known_at_any_moment(history, monkeypatch):
    con, _ = history
    monkeypatch.setenv("ODW_REGION_AREAS", "23-31")
    events, number = load_events(con, load_settings())
    jan = month_index(datetime(2025, 1, 1))

    def known(drug: str, when: datetime) -> float:
        return float(events.count_at(number[("region", drug)], jan, minutes(when)))

    assert known("all", datetime(2025, 1, 20)) == 0
    assert known("all", PULL_1) == 1  # B
    assert known("pending", PULL_1) == 1  # A
    assert known("all", PULL_2) == 2 and known("pending", PULL_2) == 0
    assert known("cocaine", PULL_2) == 1 and known("fentanyl", PULL_2) == 2
    assert known("all", PULL_3) == 2
    # Chicago counts C among the deaths, never among the overdoses.
    assert float(events.count_at(number[("chicago", "all")], jan, minutes(PULL_3))) == 2


def test_no_pulls_gives_an_empty_table(tmp_path):
    con = duckdb.connect()
    run_sql_file(con, "raw/schema.sql")
    seeding = build_vintages(con, [])
    assert not seeding.usable and seeding.reason == "no pulls yet"
    assert con.execute("SELECT count(*) FROM staging.me_vintages").fetchone() == (0,)


def test_a_full_replace_makes_created_at_unusable():
    first = datetime(2024, 6, 1)
    deaths = [datetime(2016 + i % 8, 1 + i % 12, 1) for i in range(100)]
    spread = [d.replace(day=3) for d in deaths]
    assert seeding_mode(spread, deaths, first).usable
    replaced = [datetime(2023, 3, 2, 4, 5, 6)] * 100
    verdict = seeding_mode(replaced, deaths, first)
    assert not verdict.usable and "full replace" in verdict.reason
    recreated = [datetime(2024, 1, 1) + (first - datetime(2024, 1, 1)) * (i / 100) for i in range(100)]
    verdict = seeding_mode(recreated, deaths, first)
    assert not verdict.usable and "re-created" in verdict.reason
    assert not seeding_mode([None] * 100, deaths, first).usable
    assert not seeding_mode([], [], None).usable


def test_minutes_and_months_agree():
    assert month_index(np.datetime64("1970-02-15")) == 1
    assert minutes(datetime(1970, 1, 1, 1)) == 60
