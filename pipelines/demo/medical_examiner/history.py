"""The synthetic archive's pull history: monthly snapshots in the live layout, ending at the last pull.

The pipeline keeps every live pull as an immutable snapshot (``snapshots.py``) and learns its own
reporting delays from them (the nowcast). The demo gets the same: :func:`write_me_history` writes
``pulls`` monthly pulls, each taken at 23:00 on the last day of a month, the last one in the demo's
last month — a first full pull, then incremental pulls holding only what changed since the one
before (new cases, and cases whose toxicology closed). Each record is as it stood at the pull: a
case appears a day or so after death, while its toxicology is outstanding with manner ``PENDING``
and cause ``PENDING`` or none (see :func:`~.timing.draw_reporting`), later with its final cause.

System fields are those the portal returns for ``$select=:*, *``: ``:id``, ``:created_at`` (the
case's first appearance), ``:updated_at`` (its latest change). Replaying the pulls through the live
merge gives exactly the records of the demo file (``write_me_demo``). SYNTHETIC data.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.defs.medical_examiner.client import Page, PullResult
from pipelines.defs.medical_examiner.snapshots import save_snapshot, snapshots_dir
from pipelines.demo.medical_examiner.generator import DemoArchive, generate_me_archive
from pipelines.demo.medical_examiner.writing import object_strings, write_frame

#: Monthly pulls the demo history holds by default (3 years and 4 months).
DEFAULT_PULLS = 40
#: The base URL recorded in the demo manifests: no server was asked.
DEMO_BASE_URL = "synthetic://demo"
_CAUSES = ("primarycause_linea", "primarycause_lineb", "primarycause_linec", "secondarycause")


def pull_times(final_pull: np.datetime64, pulls: int) -> np.ndarray:
    """The ``pulls`` monthly pull times ending at ``final_pull`` (23:00 on each month's last day)."""
    if pulls < 1:
        raise ValueError(f"a pull history needs at least one pull, got {pulls}")
    last_month = (final_pull + 60).astype("datetime64[M]") - 1
    months = np.arange(last_month - (pulls - 1), last_month + 1, dtype="datetime64[M]")
    return (months + 1).astype("datetime64[m]") - 60


def _soda_time(values: np.ndarray) -> pl.Series:
    """SODA system timestamps (``2026-10-31T23:00:00.000Z``) from datetime64[m] values."""
    return pl.Series(values.astype("datetime64[ms]")).dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _pending_version(frame: pl.DataFrame, pending_text: np.ndarray) -> pl.DataFrame:
    """Every record as it reads while its toxicology is outstanding."""
    return frame.with_columns(
        # The archive's title-case manners ("Accident") stay title case ("Pending").
        manner=pl.when(pl.col("manner") == pl.col("manner").str.to_uppercase())
        .then(pl.lit("PENDING")).otherwise(pl.lit("Pending")),
        primarycause=pl.when(pl.Series(pending_text)).then(pl.lit("PENDING")),
        opioids=pl.lit(None, dtype=pl.Boolean),
        **{name: pl.lit(None, dtype=pl.String) for name in _CAUSES},
    )


def pull_rows(archive: DemoArchive, times: np.ndarray, index: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of pull ``index`` (a full pull for the first) and which of them are still pending."""
    rep = archive.reporting
    now = times[index]
    resolved = rep.resolved
    closed = ~np.isnat(resolved) & (resolved <= now)
    pending = (rep.appear <= now) & ~np.isnat(resolved) & ~closed
    if index == 0:
        rows = rep.appear <= now
    else:
        before = times[index - 1]
        new = (rep.appear > before) & (rep.appear <= now)
        changed = (rep.appear <= before) & closed & (resolved > before)
        rows = new | changed
    return np.flatnonzero(rows), pending


def _page_body(archive: DemoArchive, pending_frame: pl.DataFrame, rows: np.ndarray,
               pending: np.ndarray, now: np.datetime64) -> bytes:
    rep = archive.reporting
    take = pl.Series(rows)
    is_pending = pl.Series(pending[rows])
    final = archive.frame[take]
    frame = pl.concat([final.filter(~is_pending), pending_frame[take].filter(is_pending)])
    order = np.concatenate([rows[~pending[rows]], rows[pending[rows]]])
    resolved = rep.resolved[order]
    updated = np.where(~np.isnat(resolved) & (resolved <= now), resolved, rep.appear[order])
    system = pl.DataFrame({
        "id": pl.Series((archive.frame["objectid"][pl.Series(order)]).to_numpy()),
        "created": _soda_time(rep.appear[order]),
        "updated": _soda_time(updated),
    }).select(pl.concat_str([pl.lit('{":id":"row-'), pl.col("id"), pl.lit('",":created_at":"'),
                             pl.col("created"), pl.lit('",":updated_at":"'), pl.col("updated"),
                             pl.lit('",')]).alias("system")).to_series()
    # Keep the archive's case-number order within a page, as the portal's default order would.
    objects = object_strings(frame)
    lines = (pl.DataFrame({"order": order, "system": system, "obj": objects})
             .sort("order")
             .select(pl.concat_str([pl.col("system"), pl.col("obj").str.slice(1)]))
             .to_series())
    return ("[" + ",\n".join(lines.to_list()) + "]\n").encode("utf-8")


def _clear(folder: Path) -> None:
    """Remove an earlier demo history (its files are read-only, as every snapshot's)."""
    if not folder.exists():
        return
    for path in folder.rglob("*"):
        os.chmod(path, stat.S_IRWXU if path.is_dir() else stat.S_IRUSR | stat.S_IWUSR)
    shutil.rmtree(folder)


def write_me_history(root: Path, archive: DemoArchive, *, pulls: int = DEFAULT_PULLS,
                     dataset_id: str = "cjeq-bs86") -> list[Path]:
    """Write the monthly pull history of ``archive`` as snapshots under ``root/snapshots/``.

    Replaces any earlier history there. Returns the snapshot folders, oldest first.
    """
    folder = snapshots_dir(root)
    _clear(folder)
    times = pull_times(archive.final_pull, pulls)
    pending_frame = _pending_version(archive.frame, archive.reporting.pending_text)
    written = []
    for index, now in enumerate(times):
        rows, pending = pull_rows(archive, times, index)
        body = _page_body(archive, pending_frame, rows, pending, now)
        records = json.loads(body)
        at = datetime.fromisoformat(str(now.astype("datetime64[s]"))).replace(tzinfo=UTC)
        url = f"{DEMO_BASE_URL}/resource/{dataset_id}.json"
        result = PullResult(
            pages=[Page(number=1, url=url, body=body, records=records)],
            requests=1, retries=0, started_at=at, finished_at=at,
            updated_since=None, max_updated_at=max((r[":updated_at"] for r in records), default=None),
        )
        mode = "full" if index == 0 else "incremental"
        snapshot = save_snapshot(root, result, mode=mode, dataset_id=dataset_id, base_url=DEMO_BASE_URL)
        written.append(snapshot.path)
    return written




def write_me_demo_history(path: Path, *, pulls: int = DEFAULT_PULLS, **kwargs) -> int:
    """Write the demo file at ``path`` (as ``write_me_demo``) and the ``pulls`` monthly pulls that
    led to it under ``path.parent/snapshots/``; return the record count.

    Keyword arguments go to :func:`~.generator.generate_me_archive`. ``pulls`` 0 writes the file
    alone and removes an earlier history (a demo with one pull, as a fresh deployment has).
    """
    path = Path(path)
    archive = generate_me_archive(**kwargs)
    count = write_frame(path, archive.frame)
    if pulls > 0:
        write_me_history(path.parent, archive, pulls=pulls, dataset_id=path.stem)
    else:
        _clear(snapshots_dir(path.parent))
    return count
