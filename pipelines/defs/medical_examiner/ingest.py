"""Getting Medical Examiner records into ``raw.me_records``: from the live portal or the demo file.

Live pulls go through :class:`SocrataClient`; every pull is first saved as an immutable snapshot
(see ``snapshots.py``) and only then merged, each snapshot once, in order, in one transaction.
A failed pull therefore changes nothing, and a run that died after saving a snapshot is completed
by the next run, which merges what is still pending.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.defs.medical_examiner.client import SocrataClient
from pipelines.defs.medical_examiner.snapshots import (
    Snapshot,
    last_updated_at,
    list_snapshots,
    save_snapshot,
)
from pipelines.settings import Settings
from pipelines.warehouse import fetch_row, run_sql_file

log = logging.getLogger(__name__)
SOURCE = "medical_examiner"


@dataclass(frozen=True)
class MergeReport:
    """What one merge did: the pull it came from and its row accounting."""

    pull_id: str
    mode: str
    rows_in: int
    rows_loaded: int
    rows_quarantined: int


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def demo_path(settings: Settings) -> Path:
    """The demo archive file the generator writes (SODA JSON array)."""
    return settings.demo_dir / "medical_examiner" / f"{settings.me_dataset_id}.json"


def ensure_demo_file(settings: Settings) -> Path:
    """Return the demo file, generating it (and its pull history) deterministically when missing."""
    path = demo_path(settings)
    if not path.exists():
        from pipelines.demo.medical_examiner.history import write_me_demo_history

        log.info("generating synthetic demo Medical Examiner data at %s", path)
        write_me_demo_history(path, pulls=settings.demo_pulls, end_month=settings.demo_end_month)
    return path


def snapshot_root(settings: Settings) -> Path:
    """Where this deployment's pulls are kept: the live snapshots, or the demo's pull history."""
    return settings.me_raw_dir if settings.me_source == "live" else demo_path(settings).parent


def demo_pull_id(snapshot: Snapshot) -> str:
    """The ingest-log name of a demo pull: its folder and checksum (a regenerated demo differs)."""
    return f"demo:{snapshot.name}:{str(snapshot.manifest.get('sha256'))[:16]}"


def merge_files(
    con: duckdb.DuckDBPyConnection,
    files: list[Path],
    *,
    pull_id: str,
    mode: str,
    checksum: str | None,
    watermark: str | None,
) -> MergeReport:
    """Merge JSON-array files into ``raw.me_records`` (latest wins) in one transaction, and log it."""
    now = datetime.now(UTC).replace(tzinfo=None)
    con.execute("BEGIN TRANSACTION")
    try:
        run_sql_file(
            con,
            "raw/me_merge.sql",
            {
                "files": [str(f) for f in files],
                "pull_id": pull_id,
                "full_refresh": mode == "full",
                "now": now,
            },
        )
        rows_in, keyed, superseded = fetch_row(
            con, "SELECT count(*), count(nullif(casenumber, '')), (SELECT count(*) FROM me_superseded) FROM me_keys"
        )
        loaded = keyed - superseded
        report = MergeReport(pull_id, mode, rows_in, loaded, rows_in - loaded)
        con.execute(
            "INSERT INTO staging.ingest_log (source, file, checksum, mode, rows_in, rows_loaded, rows_quarantined, "
            "watermark, ingested_at) VALUES ($source, $file, $checksum, $mode, $rows_in, "
            "$loaded, $quarantined, $watermark, $now)",
            {
                "source": SOURCE,
                "file": pull_id,
                "checksum": checksum,
                "mode": mode,
                "rows_in": rows_in,
                "loaded": loaded,
                "quarantined": report.rows_quarantined,
                "watermark": watermark,
                "now": now,
            },
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        # The keys of a large pull take a few hundred MB; free them before the next step.
        con.execute("DROP TABLE IF EXISTS me_keys")
        con.execute("DROP TABLE IF EXISTS me_superseded")
    return report


def applied_pulls(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Pull ids already merged into the warehouse."""
    rows = con.execute(
        "SELECT DISTINCT file FROM staging.ingest_log WHERE source = $source", {"source": SOURCE}
    ).fetchall()
    return {r[0] for r in rows}


def pending_snapshots(
    snapshots: list[Snapshot], applied: set[str], pull_id: Callable[[Snapshot], str] = lambda s: s.path.name
) -> list[Snapshot]:
    """Snapshots still to merge: from the latest full pull on, those not merged yet, oldest first."""
    full = [i for i, s in enumerate(snapshots) if s.mode == "full"]
    start = full[-1] if full else 0
    return [s for s in snapshots[start:] if pull_id(s) not in applied]


def merge_snapshots(
    con: duckdb.DuckDBPyConnection, snapshots: list[Snapshot], pull_id: Callable[[Snapshot], str]
) -> list[MergeReport]:
    """Merge snapshots in order, each in its own transaction (the live and the demo path alike)."""
    return [
        merge_files(
            con,
            snapshot.page_files,
            pull_id=pull_id(snapshot),
            mode=snapshot.mode,
            checksum=snapshot.manifest.get("sha256"),
            watermark=snapshot.max_updated_at,
        )
        for snapshot in snapshots
    ]


def ingest_demo(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[MergeReport]:
    """Replay the demo's pull history through the live merge, or (no history) load the demo file
    as one full pull; what is already merged is not merged again."""
    path = ensure_demo_file(settings)
    snapshots = list_snapshots(path.parent)
    if snapshots:
        todo = pending_snapshots(snapshots, applied_pulls(con), demo_pull_id)
        if not todo and _raw_rows(con):
            return []
        return merge_snapshots(con, todo or pending_snapshots(snapshots, set(), demo_pull_id), demo_pull_id)
    checksum = sha256_file(path)
    pull_id = f"demo:{path.name}:{checksum[:16]}"
    if pull_id in applied_pulls(con) and _raw_rows(con):
        return []
    return [merge_files(con, [path], pull_id=pull_id, mode="full", checksum=checksum, watermark=None)]


def ingest_live(
    con: duckdb.DuckDBPyConnection, settings: Settings, client: SocrataClient
) -> list[MergeReport]:
    """Pull from the portal (incrementally once a full pull exists), snapshot, and merge."""
    root = settings.me_raw_dir
    existing = list_snapshots(root)
    has_full = any(s.mode == "full" for s in existing)
    full = settings.me_full_refresh or not has_full
    watermark = None if full else last_updated_at(root)
    result = client.pull(updated_since=watermark)
    save_snapshot(
        root,
        result,
        mode="full" if full else "incremental",
        dataset_id=settings.me_dataset_id,
        base_url=settings.socrata_base_url,
    )
    pull_id = lambda s: s.path.name  # noqa: E731 - live pulls are logged under their folder name
    return merge_snapshots(con, pending_snapshots(list_snapshots(root), applied_pulls(con)), pull_id)


def _raw_rows(con: duckdb.DuckDBPyConnection) -> int:
    return fetch_row(con, "SELECT count(*) FROM raw.me_records")[0]
