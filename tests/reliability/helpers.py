"""Shared pieces of the reliability tests: table checksums and the dashboard-like reader process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.settings import PROJECT_ROOT
from pipelines.warehouse import table_checksum

READER = Path(__file__).with_name("app_reader.py")

#: Columns that record *when* a run happened, not what it computed: left out of the idempotency
#: checksums. Everything else in every table must be identical after a second run.
TIMESTAMP_COLUMNS: dict[str, tuple[str, ...]] = {
    "marts.publication": ("published_at",),
    "staging.quarantine": ("quarantined_at",),
    "marts.field_data_quarantine": ("quarantined_at",),
    # A new id and time per publication; its checksums cover the timestamp columns above.
    "meta.publication_manifest": ("publication_id", "published_at", "checksum"),
}


def database_checksums(path: Path) -> dict[str, tuple[int, int]]:
    """``{schema.table: (row count, checksum)}`` for every table of the DuckDB file at ``path``."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_schema || '.' || table_name FROM information_schema.tables "
                "WHERE table_catalog = current_database() ORDER BY 1"
            ).fetchall()
        ]
        return {
            t: (
                con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0],
                table_checksum(con, t, exclude=TIMESTAMP_COLUMNS.get(t, ())),
            )
            for t in tables
        }


@dataclass
class ReaderLog:
    """What the reader process saw (see ``app_reader.py``)."""

    renders: list[dict]
    abandoned: int
    errors: list[str]
    held_reads: int


@contextmanager
def dashboard_reader(app_db: Path, workdir: Path) -> Iterator[list[ReaderLog]]:
    """Run ``app_reader.py`` on ``app_db`` for the duration of the block; its log lands in the list.

    Waits until the reader has rendered once before the block starts, so the block's writes
    happen while it is reading.
    """
    stop, out = workdir / "reader.stop", workdir / "reader.json"
    ready = out.with_name(out.name + ".ready")
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    stderr_path = workdir / "reader.stderr"
    with stderr_path.open("wb") as stderr_file:  # a file, not a pipe: nothing can block the reader
        proc = subprocess.Popen(
            [sys.executable, str(READER), str(app_db), str(stop), str(out)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr_file,
        )
    result: list[ReaderLog] = []
    try:
        deadline = time.monotonic() + 240
        while not ready.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the reader did not start: {stderr_path.read_text(errors='replace')[-2000:]}")
            time.sleep(0.05)
        yield result
    finally:
        stop.touch()
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    if proc.returncode != 0:
        raise RuntimeError(f"the reader failed ({proc.returncode}): {stderr_path.read_text(errors='replace')[-2000:]}")
    result.append(ReaderLog(**json.loads(out.read_text())))
