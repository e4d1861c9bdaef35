"""Immutable raw snapshots of Medical Examiner pulls, kept byte-for-byte as received.

Layout::

    <root>/snapshots/<YYYYmmddTHHMMSSffffffZ>-<mode>/
        page-0001.json  page-0002.json ...   (response bodies, unchanged)
        manifest.json                        (written last)

A snapshot is assembled in a dot-prefixed temporary folder inside ``<root>/snapshots/`` and only
then renamed into place, so a crash can leave at most a hidden temporary folder, never a folder
that looks complete. Readers accept only folders that do not start with ``.`` and hold a manifest.
Files are made read-only: a snapshot is evidence of what the portal said and is never edited.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import stat
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipelines.defs.medical_examiner.client import CLIENT_VERSION, PullResult, max_timestamp

log = logging.getLogger(__name__)

SNAPSHOTS_DIR = "snapshots"
MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1
MODES = ("full", "incremental")
_NAME_RE = re.compile(r"\d{8}T\d{12}Z-(?:full|incremental)")
_READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH


def page_file_name(number: int) -> str:
    """File name of page ``number`` (1-based) inside a snapshot folder."""
    return f"page-{number:04d}.json"


def combined_sha256(page_checksums: list[str]) -> str:
    """SHA-256 over the concatenated hex page checksums, in page order: one fingerprint per pull."""
    return hashlib.sha256("".join(page_checksums).encode("ascii")).hexdigest()


@dataclass(frozen=True)
class Snapshot:
    """A complete snapshot folder and its parsed manifest."""

    path: Path
    manifest: dict

    @property
    def page_files(self) -> list[Path]:
        """Page files in page order, as listed in the manifest."""
        return [self.path / page["file"] for page in self.manifest["pages"]]

    @property
    def rows(self) -> int:
        """Total records over all pages."""
        return int(self.manifest["rows"])

    @property
    def max_updated_at(self) -> str | None:
        """Latest ``:updated_at`` seen in this pull (None when it returned no rows)."""
        return self.manifest.get("max_updated_at")

    @property
    def mode(self) -> str:
        """``"full"`` or ``"incremental"``."""
        return self.manifest["mode"]

    @property
    def name(self) -> str:
        """The folder name (``<timestamp>-<mode>``), which sorts oldest first."""
        return self.path.name

    def records(self) -> list[dict]:
        """Decode every page file and return all records in page order."""
        records: list[dict] = []
        for page_file in self.page_files:
            records.extend(json.loads(page_file.read_bytes()))
        return records


def snapshots_dir(root: Path) -> Path:
    """The folder holding all snapshot folders under ``root``."""
    return Path(root) / SNAPSHOTS_DIR


def _write_file(path: Path, data: bytes) -> None:
    # fsync before the rename so a power cut cannot leave a renamed folder with empty files.
    with open(path, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(path, _READ_ONLY)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        # Some platforms cannot open directories; the rename is still atomic there.
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_tree(path: Path) -> None:
    # The temp folder is flat; files are read-only, which some platforms refuse to delete.
    for child in path.iterdir():
        os.chmod(child, stat.S_IRUSR | stat.S_IWUSR)
    shutil.rmtree(path)


def save_snapshot(root: Path, result: PullResult, *, mode: str, dataset_id: str, base_url: str) -> Snapshot:
    """Write ``result`` as a new snapshot under ``root/snapshots/`` and return it.

    Page bodies are stored exactly as received, then ``manifest.json``; the folder appears under its
    final name only once complete (atomic rename). Raises ValueError for an unknown ``mode`` or a
    result without pages.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if not result.pages:
        raise ValueError("a pull result without pages cannot be a snapshot (every pull reads at least one page)")
    parent = snapshots_dir(root)
    parent.mkdir(parents=True, exist_ok=True)
    pulled_at = result.finished_at.astimezone(UTC)
    temp = parent / f".tmp-{uuid.uuid4().hex}"
    temp.mkdir()
    try:
        pages = []
        for page in result.pages:
            file_name = page_file_name(page.number)
            _write_file(temp / file_name, page.body)
            pages.append(
                {
                    "number": page.number,
                    "file": file_name,
                    "url": page.url,
                    "rows": len(page.records),
                    "bytes": len(page.body),
                    "sha256": hashlib.sha256(page.body).hexdigest(),
                }
            )
        manifest = {
            "format": MANIFEST_FORMAT,
            "pulled_at": pulled_at.isoformat(),
            "started_at": result.started_at.astimezone(UTC).isoformat(),
            "finished_at": pulled_at.isoformat(),
            "dataset_id": dataset_id,
            "base_url": base_url,
            "mode": mode,
            "updated_since": result.updated_since,
            "max_updated_at": result.max_updated_at,
            "pages": pages,
            "rows": sum(page["rows"] for page in pages),
            "bytes": sum(page["bytes"] for page in pages),
            "sha256": combined_sha256([page["sha256"] for page in pages]),
            "client": {"version": CLIENT_VERSION, "user_agent": result.user_agent},
            "requests": result.requests,
            "retries": result.retries,
        }
        _write_file(temp / MANIFEST_NAME, json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8") + b"\n")
        _fsync_dir(temp)
        final = _rename_into_place(temp, parent, pulled_at, mode)
    except BaseException:
        # Leave nothing behind that a reader might mistake for data; it is hidden anyway, this is tidiness.
        if temp.exists():
            _remove_tree(temp)
        raise
    _fsync_dir(parent)
    log.info("saved %s snapshot %s (%d rows, %d pages)", mode, final, manifest["rows"], len(pages))
    return Snapshot(path=final, manifest=manifest)


def _rename_into_place(temp: Path, parent: Path, pulled_at: datetime, mode: str) -> Path:
    """Rename ``temp`` to the first free ``<timestamp>-<mode>`` name, bumping by 1 µs on collision."""
    when = pulled_at
    for _ in range(1000):
        final = parent / f"{when.strftime('%Y%m%dT%H%M%S%fZ')}-{mode}"
        if not final.exists():
            try:
                # os.rename onto an existing non-empty folder fails rather than merging, on POSIX.
                os.rename(temp, final)
                return final
            except OSError:
                if not final.exists():
                    raise
        when = when + timedelta(microseconds=1)
    raise FileExistsError(f"no free snapshot name near {pulled_at.isoformat()} in {parent}")


def _load(path: Path) -> Snapshot | None:
    manifest_path = path / MANIFEST_NAME
    if path.name.startswith(".") or not path.is_dir() or not manifest_path.is_file():
        return None
    try:
        manifest = json.loads(manifest_path.read_bytes())
    except ValueError as exc:
        log.warning("skipping snapshot %s: unreadable manifest (%s)", path, exc)
        return None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("pages"), list):
        log.warning("skipping snapshot %s: manifest has no page list", path)
        return None
    return Snapshot(path=path, manifest=manifest)


def list_snapshots(root: Path) -> list[Snapshot]:
    """Complete snapshots under ``root``, oldest first; temporary and manifest-less folders are skipped."""
    parent = snapshots_dir(root)
    if not parent.is_dir():
        return []
    snapshots = []
    for path in sorted(parent.iterdir(), key=lambda p: p.name):
        if not _NAME_RE.fullmatch(path.name):
            continue
        snapshot = _load(path)
        if snapshot is not None:
            snapshots.append(snapshot)
    return snapshots


def latest_snapshot(root: Path) -> Snapshot | None:
    """The newest complete snapshot under ``root``, or None."""
    snapshots = list_snapshots(root)
    return snapshots[-1] if snapshots else None


def verify_snapshot(snapshot: Snapshot) -> None:
    """Recompute sizes, checksums and row counts against the manifest.

    Raises ValueError naming the offending file on the first mismatch, a missing page file, an
    unlisted page file, or a malformed manifest.
    """
    try:
        _verify(snapshot)
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{snapshot.path / MANIFEST_NAME}: malformed manifest ({exc!r})") from exc


def _verify(snapshot: Snapshot) -> None:
    checksums = []
    total_rows = 0
    listed = set()
    for page in snapshot.manifest["pages"]:
        path = snapshot.path / page["file"]
        listed.add(page["file"])
        if not path.is_file():
            raise ValueError(f"{path}: page file listed in the manifest is missing")
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if len(data) != page["bytes"]:
            raise ValueError(f"{path}: {len(data)} bytes on disk, manifest says {page['bytes']}")
        if digest != page["sha256"]:
            raise ValueError(f"{path}: sha256 {digest} does not match the manifest's {page['sha256']}")
        try:
            rows = len(json.loads(data))
        except ValueError as exc:
            raise ValueError(f"{path}: not valid JSON ({exc})") from exc
        if rows != page["rows"]:
            raise ValueError(f"{path}: {rows} rows, manifest says {page['rows']}")
        checksums.append(digest)
        total_rows += rows
    manifest_path = snapshot.path / MANIFEST_NAME
    if combined_sha256(checksums) != snapshot.manifest["sha256"]:
        raise ValueError(f"{manifest_path}: combined sha256 does not match the page checksums")
    if total_rows != snapshot.manifest["rows"]:
        raise ValueError(f"{manifest_path}: rows {snapshot.manifest['rows']} but the pages hold {total_rows}")
    for extra in sorted(p.name for p in snapshot.path.glob("page-*.json")):
        if extra not in listed:
            raise ValueError(f"{snapshot.path / extra}: page file not listed in the manifest")


def last_updated_at(root: Path) -> str | None:
    """The latest ``max_updated_at`` over all complete snapshots: the next incremental watermark."""
    return max_timestamp([snapshot.max_updated_at for snapshot in list_snapshots(root)])
