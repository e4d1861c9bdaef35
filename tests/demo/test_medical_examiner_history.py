"""The demo's pull history: monthly snapshots in the live layout whose replay through the live
merge gives exactly the demo file; cases appear pending and are resolved in later pulls."""

from __future__ import annotations

import json
from datetime import date

import duckdb

from pipelines.defs.medical_examiner.ingest import demo_pull_id, merge_files, merge_snapshots, pending_snapshots
from pipelines.defs.medical_examiner.snapshots import list_snapshots, verify_snapshot
from pipelines.demo.medical_examiner.history import write_me_demo_history
from pipelines.warehouse import run_sql_file

END = date(2026, 10, 1)
COLUMNS = "* EXCLUDE (soda_id, soda_updated_at, source_file, source_row, pull_id)"


def test_replaying_the_pulls_gives_the_demo_file(tmp_path):
    path = tmp_path / "medical_examiner" / "cjeq-bs86.json"
    assert write_me_demo_history(path, pulls=14, n=1500, end_month=END) == 1500
    snapshots = list_snapshots(path.parent)
    assert [s.mode for s in snapshots] == ["full"] + ["incremental"] * 13
    assert snapshots[-1].name == "20261031T230000000000Z-incremental"
    for snapshot in snapshots:
        verify_snapshot(snapshot)
    replay, direct = duckdb.connect(), duckdb.connect()
    for con in (replay, direct):
        run_sql_file(con, "raw/schema.sql")
    merge_snapshots(replay, pending_snapshots(snapshots, set(), demo_pull_id), demo_pull_id)
    merge_files(direct, [path], pull_id="file", mode="full", checksum=None, watermark=None)
    replayed = replay.sql(f"SELECT {COLUMNS} FROM raw.me_records ORDER BY casenumber").fetchall()
    assert replayed == direct.sql(f"SELECT {COLUMNS} FROM raw.me_records ORDER BY casenumber").fetchall()


def test_a_case_is_pending_then_resolved(tmp_path):
    path = tmp_path / "medical_examiner" / "cjeq-bs86.json"
    write_me_demo_history(path, pulls=14, n=1500, end_month=END)
    versions: dict[str, list[dict]] = {}
    for snapshot in list_snapshots(path.parent):
        for record in snapshot.records():
            versions.setdefault(record["casenumber"], []).append(record)
    changed = [v for v in versions.values() if len(v) > 1]
    assert changed
    for first, *_, last in changed:
        assert first["manner"].upper() == "PENDING" and last["manner"].upper() != "PENDING"
        assert first[":created_at"] == last[":created_at"] < last[":updated_at"]
    # Pulls are deterministic: the same arguments give byte-identical pages.
    again = tmp_path / "again" / "cjeq-bs86.json"
    write_me_demo_history(again, pulls=14, n=1500, end_month=END)
    pages = [json.loads(p.read_bytes()) for s in list_snapshots(path.parent) for p in s.page_files]
    assert pages == [json.loads(p.read_bytes()) for s in list_snapshots(again.parent) for p in s.page_files]
