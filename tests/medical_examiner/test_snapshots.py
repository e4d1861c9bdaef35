"""Raw snapshots: byte-for-byte pages, manifest, atomic publication, verification, watermark."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import stat
from dataclasses import replace
from pathlib import Path

import pytest
import requests
from soda_server import SodaServer

from pipelines.defs.medical_examiner import snapshots as snapshots_module
from pipelines.defs.medical_examiner.client import USER_AGENT, PullResult, SocrataClient
from pipelines.defs.medical_examiner.snapshots import (
    Snapshot,
    last_updated_at,
    latest_snapshot,
    list_snapshots,
    save_snapshot,
    verify_snapshot,
)

T1 = "2024-03-01T08:00:00.000Z"
T2 = "2024-05-01T12:00:00.000Z"
TOKEN = "snapshot-test-token-xyz"


def make_records(n: int, start: int = 0) -> list[dict]:
    return [
        {"casenumber": f"ME2024-{i:05d}", "age": str(30 + i), "manner": "ACCIDENT", "residence_zip": "60644"}
        for i in range(start, start + n)
    ]


def pull(server: SodaServer, updated_since: str | None = None, **overrides) -> PullResult:
    session = requests.Session()
    session.trust_env = False  # stay on 127.0.0.1 whatever proxy the environment names
    options = {"page_size": 4, "timeout": 5, "sleep": lambda _s: None, "rng": random.Random(0), "session": session}
    options.update(overrides)
    return SocrataClient(server.base_url, **options).pull(updated_since)


@pytest.fixture()
def full_pull() -> tuple[PullResult, str]:
    """A three-page pull (4 + 4 + 2 rows) with the app token set, and the server's base URL."""
    records = [dict(r, **{":updated_at": T1}) for r in make_records(10)]
    with SodaServer(records, faults=["503"]) as server:
        return pull(server, app_token=TOKEN), server.base_url


def test_save_writes_pages_byte_for_byte_and_manifest(tmp_path: Path, full_pull) -> None:
    result, base_url = full_pull
    snapshot = save_snapshot(tmp_path, result, mode="full", dataset_id="cjeq-bs86", base_url=base_url)

    assert snapshot.path.parent == tmp_path / "snapshots"
    assert re.fullmatch(r"\d{8}T\d{6}\d{6}Z-full", snapshot.path.name)
    assert sorted(p.name for p in snapshot.path.iterdir()) == [
        "manifest.json",
        "page-0001.json",
        "page-0002.json",
        "page-0003.json",
    ]
    assert [p.read_bytes() for p in snapshot.page_files] == [page.body for page in result.pages]

    manifest = json.loads((snapshot.path / "manifest.json").read_text())
    assert manifest == snapshot.manifest
    assert manifest["rows"] == 10 == snapshot.rows
    assert manifest["mode"] == "full" == snapshot.mode
    assert manifest["dataset_id"] == "cjeq-bs86" and manifest["base_url"] == base_url
    assert manifest["updated_since"] is None
    assert manifest["max_updated_at"] == T1 == snapshot.max_updated_at
    assert manifest["requests"] == 4 and manifest["retries"] == 1
    assert manifest["client"]["user_agent"] == USER_AGENT
    assert manifest["pulled_at"].endswith("+00:00")
    page_sums = []
    for entry, page, path in zip(manifest["pages"], result.pages, snapshot.page_files, strict=True):
        data = path.read_bytes()
        assert entry["number"] == page.number
        assert entry["url"] == page.url
        assert entry["rows"] == len(page.records)
        assert entry["bytes"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        page_sums.append(entry["sha256"])
    assert [e["rows"] for e in manifest["pages"]] == [4, 4, 2]
    assert manifest["sha256"] == hashlib.sha256("".join(page_sums).encode()).hexdigest()
    assert snapshot.records() == result.records
    verify_snapshot(snapshot)


def test_token_never_reaches_the_snapshot(tmp_path: Path, full_pull) -> None:
    result, base_url = full_pull
    snapshot = save_snapshot(tmp_path, result, mode="full", dataset_id="cjeq-bs86", base_url=base_url)
    for path in snapshot.path.iterdir():
        assert TOKEN.encode() not in path.read_bytes(), path


def test_files_are_read_only(tmp_path: Path, full_pull) -> None:
    result, base_url = full_pull
    snapshot = save_snapshot(tmp_path, result, mode="full", dataset_id="cjeq-bs86", base_url=base_url)
    for path in snapshot.path.iterdir():
        assert not os.stat(path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH), path


def _make_writable(path: Path) -> None:
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)


def test_tampered_page_is_detected(tmp_path: Path, full_pull) -> None:
    result, base_url = full_pull
    snapshot = save_snapshot(tmp_path, result, mode="full", dataset_id="cjeq-bs86", base_url=base_url)
    target = snapshot.page_files[1]
    _make_writable(target)
    data = target.read_bytes()
    # Same length, one changed digit: only the checksum can catch it.
    target.write_bytes(data.replace(b'"age": "34"', b'"age": "35"', 1))
    assert target.read_bytes() != data

    with pytest.raises(ValueError, match=r"page-0002\.json.*sha256"):
        verify_snapshot(snapshot)


def test_missing_or_extra_page_and_manifest_tamper_detected(tmp_path: Path, full_pull) -> None:
    result, base_url = full_pull
    snapshot = save_snapshot(tmp_path, result, mode="full", dataset_id="cjeq-bs86", base_url=base_url)

    extra = snapshot.path / "page-0009.json"
    extra.write_bytes(b"[]")
    with pytest.raises(ValueError, match=r"page-0009\.json.*not listed"):
        verify_snapshot(snapshot)
    extra.unlink()

    edited = replace(snapshot, manifest={**snapshot.manifest, "rows": 11})
    with pytest.raises(ValueError, match=r"manifest\.json.*rows"):
        verify_snapshot(edited)

    snapshot.page_files[2].unlink()
    with pytest.raises(ValueError, match=r"page-0003\.json.*missing"):
        verify_snapshot(snapshot)


def test_half_written_folders_are_ignored(tmp_path: Path, full_pull) -> None:
    result, base_url = full_pull
    good = save_snapshot(tmp_path, result, mode="full", dataset_id="cjeq-bs86", base_url=base_url)
    parent = tmp_path / "snapshots"

    # A crashed writer's temp folder, even one that already holds a manifest, is hidden.
    temp = parent / ".tmp-deadbeef"
    temp.mkdir()
    (temp / "page-0001.json").write_bytes(b"[]")
    (temp / "manifest.json").write_text(json.dumps({**good.manifest, "max_updated_at": "2099-01-01T00:00:00.000Z"}))
    # A folder with a proper name but no manifest is not complete either.
    incomplete = parent / "29991231T235959999999Z-full"
    incomplete.mkdir()
    (incomplete / "page-0001.json").write_bytes(b"[]")
    # A corrupt manifest is skipped rather than crashing every reader.
    corrupt = parent / "29991231T235959999998Z-incremental"
    corrupt.mkdir()
    (corrupt / "manifest.json").write_text('{"pages": [')

    assert [s.path for s in list_snapshots(tmp_path)] == [good.path]
    assert latest_snapshot(tmp_path) == good
    assert last_updated_at(tmp_path) == T1


def test_crash_before_rename_leaves_no_complete_snapshot(tmp_path: Path, full_pull, monkeypatch) -> None:
    result, base_url = full_pull

    def crash(src, dst):  # noqa: ANN001 - mirrors os.rename
        raise OSError("simulated crash at publication")

    monkeypatch.setattr(snapshots_module.os, "rename", crash)
    with pytest.raises(OSError, match="simulated crash"):
        save_snapshot(tmp_path, result, mode="full", dataset_id="cjeq-bs86", base_url=base_url)
    monkeypatch.undo()

    assert list_snapshots(tmp_path) == []
    assert latest_snapshot(tmp_path) is None
    # Nothing but (at most) hidden leftovers remain.
    assert all(p.name.startswith(".") for p in (tmp_path / "snapshots").iterdir())


def test_listing_order_latest_and_watermark(tmp_path: Path) -> None:
    assert list_snapshots(tmp_path) == [] and latest_snapshot(tmp_path) is None
    assert last_updated_at(tmp_path) is None

    records = [dict(r, **{":updated_at": T1}) for r in make_records(6)]
    with SodaServer(records) as server:
        base_url = server.base_url
        first = pull(server)
        s1 = save_snapshot(tmp_path, first, mode="full", dataset_id="cjeq-bs86", base_url=base_url)
        assert last_updated_at(tmp_path) == T1

        server.upsert([dict(records[1], age="77")] + make_records(2, start=50), updated_at=T2)
        second = pull(server, updated_since=last_updated_at(tmp_path))
        s2 = save_snapshot(tmp_path, second, mode="incremental", dataset_id="cjeq-bs86", base_url=base_url)

        # Nothing changed since: an empty incremental must not move the watermark backwards.
        third = pull(server, updated_since=last_updated_at(tmp_path))
        s3 = save_snapshot(tmp_path, third, mode="incremental", dataset_id="cjeq-bs86", base_url=base_url)

    assert second.row_count == 3 and second.updated_since == T1
    assert s2.manifest["updated_since"] == T1 and s2.mode == "incremental"
    assert third.row_count == 0 and s3.max_updated_at is None and s3.rows == 0
    assert [s.path for s in list_snapshots(tmp_path)] == [s1.path, s2.path, s3.path]
    assert latest_snapshot(tmp_path).path == s3.path
    assert last_updated_at(tmp_path) == T2
    for snapshot in list_snapshots(tmp_path):
        verify_snapshot(snapshot)


def test_same_timestamp_gets_a_distinct_folder(tmp_path: Path, full_pull) -> None:
    result, base_url = full_pull
    a = save_snapshot(tmp_path, result, mode="full", dataset_id="cjeq-bs86", base_url=base_url)
    b = save_snapshot(tmp_path, result, mode="full", dataset_id="cjeq-bs86", base_url=base_url)
    assert a.path != b.path
    assert [s.path for s in list_snapshots(tmp_path)] == [a.path, b.path]
    verify_snapshot(a)
    verify_snapshot(b)


def test_bad_mode_or_empty_result_rejected(tmp_path: Path, full_pull) -> None:
    result, base_url = full_pull
    with pytest.raises(ValueError, match="mode"):
        save_snapshot(tmp_path, result, mode="partial", dataset_id="cjeq-bs86", base_url=base_url)
    empty = replace(result, pages=[])
    with pytest.raises(ValueError, match="without pages"):
        save_snapshot(tmp_path, empty, mode="full", dataset_id="cjeq-bs86", base_url=base_url)
    assert list_snapshots(tmp_path) == []


def test_snapshot_is_a_value_object(tmp_path: Path, full_pull) -> None:
    result, base_url = full_pull
    snapshot = save_snapshot(tmp_path, result, mode="full", dataset_id="cjeq-bs86", base_url=base_url)
    reloaded = list_snapshots(tmp_path)[0]
    assert isinstance(reloaded, Snapshot)
    assert reloaded.manifest == snapshot.manifest and reloaded.path == snapshot.path
    assert reloaded.page_files == snapshot.page_files
