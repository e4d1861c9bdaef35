"""A field-data file submitted from the dashboard: checked in memory, then saved atomically.

:func:`preview_upload` runs the pipeline's own path (``file_check``: reading, PII guard, totals
rows, then validation beside the files already in the source's folder, against the hot spots the
next run will load) on the upload's bytes, and returns what the next run will do with its rows —
nothing is written. :func:`save_submission` then writes an accepted file under
``ODW_RAW_DIR/<source>/`` with a name that says what it was, who sent it, when, and its checksum::

    <name>__<YYYYmmddTHHMMSSZ>__<submitter>__<sha256[:12]>.<csv|xlsx>

``<name>`` is the uploaded file's name reduced to ``a-z 0-9 - _`` (so ``../`` or odd characters
never reach a path), ``<submitter>`` the member's e-mail made safe for a file name, or
``shared-password``; the extension follows the content, not the uploaded name. Sending a file of
the same name again replaces the earlier submission (and a hand-dropped ``<name>.csv|xlsx``), as
dropping a file of the same name into the folder always has. A refused file is never written.

The write is atomic: a hidden temporary file in the same folder (which the pipeline and the sensor
skip), flushed to disk, then renamed over the final name.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from pipelines.defs.field_data.file_check import FileOutcome, check_rows, read_one, refused_read
from pipelines.defs.field_data.ingest import read_source, source_dir
from pipelines.defs.field_data.location_rules import HOTSPOT_REFERENCE_SCHEMA
from pipelines.defs.field_data.locations import AreaIndex
from pipelines.defs.field_data.reading import Refused, check_size
from pipelines.defs.field_data.schema import HOTSPOTS, SPECS, SourceSpec
from pipelines.settings import Settings

#: ``<submitter>`` for a member signed in with the shared member password.
SHARED_PASSWORD = "shared-password"
_NAME_PART = re.compile(r"[^a-z0-9_-]+")
_STAMP = "%Y%m%dT%H%M%SZ"


def _slug(text: str, limit: int) -> str:
    return _NAME_PART.sub("-", text.lower()).strip("-_")[:limit].strip("-_")


def submitter_slug(email: str | None) -> str:
    """``<submitter>`` of a stored name: the e-mail made safe (``ana-at-example.org``), or
    :data:`SHARED_PASSWORD`."""
    if not email or not email.strip():
        return SHARED_PASSWORD
    local, _, domain = email.strip().lower().partition("@")
    domain = re.sub(r"[^a-z0-9.-]+", "-", domain).strip(".-")
    return f"{_slug(local, 40)}-at-{domain[:60]}" if domain else _slug(local, 40) or SHARED_PASSWORD


def upload_stem(original_name: str) -> str:
    """``<name>`` of a stored name: the uploaded name without folders or extension, made safe."""
    base = re.split(r"[\\/]", original_name or "")[-1]
    stem = base.rsplit(".", 1)[0] if "." in base.strip(".") else base
    return _slug(stem, 60) or "upload"


def stored_name(original_name: str, raw: bytes, submitter: str | None, when: datetime) -> str:
    """The file name a submission is saved under (see the module docstring)."""
    extension = "xlsx" if raw.startswith(b"PK\x03\x04") else "csv"
    digest = hashlib.sha256(raw).hexdigest()[:12]
    stamp = when.astimezone(UTC).strftime(_STAMP)
    return f"{upload_stem(original_name)}__{stamp}__{submitter_slug(submitter)}__{digest}.{extension}"


def replaced_files(folder: Path, stem: str) -> list[Path]:
    """The files in ``folder`` a new submission named ``stem`` replaces: earlier submissions of that
    name and a hand-dropped ``<stem>.csv``/``<stem>.xlsx``."""
    if not folder.is_dir():
        return []
    pattern = re.compile(
        rf"{re.escape(stem)}(__\d{{8}}T\d{{6}}Z__[a-z0-9._-]+__[0-9a-f]{{12}})?\.(csv|xlsx)", re.IGNORECASE
    )
    return sorted(p for p in folder.iterdir() if p.is_file() and pattern.fullmatch(p.name))


@dataclass(frozen=True)
class Preview:
    """What the next run will do with an upload: its outcome (``status`` ``loaded`` or ``refused``,
    with the reason), the rows that will load (staging columns) and those quarantined (``row_number``,
    ``reason`` — reasons never show a personal column's value), and the files it replaces."""

    source: str
    name: str
    outcome: FileOutcome
    loaded: pl.DataFrame
    quarantined: pl.DataFrame
    replaces: tuple[str, ...]

    @property
    def accepted(self) -> bool:
        """Whether the file may be saved (it was not refused)."""
        return self.outcome.status != "refused"


def hotspot_reference(settings: Settings, areas: AreaIndex, today: date) -> pl.DataFrame:
    """The hot spots the next run will load from ``ODW_RAW_DIR/hotspots/`` (validated as it does)."""
    reads = [read for _, read in read_source(settings, HOTSPOTS)]
    result, _ = check_rows(reads, HOTSPOTS, areas=areas, hotspots=None, today=today)
    return result.loaded.select(list(HOTSPOT_REFERENCE_SCHEMA)).cast(HOTSPOT_REFERENCE_SCHEMA)


def preview_upload(
    settings: Settings,
    spec: SourceSpec,
    raw: bytes,
    original_name: str,
    submitter: str | None,
    *,
    areas: AreaIndex,
    now: datetime,
) -> Preview:
    """Check an upload as the next run will, in memory (see the module docstring)."""
    name = stored_name(original_name, raw, submitter, now)
    checksum = hashlib.sha256(raw).hexdigest()
    folder = source_dir(settings, spec.source)
    replaces = replaced_files(folder, upload_stem(original_name))
    try:
        check_size(len(raw), settings.upload_max_bytes, "ODW_UPLOAD_MAX_BYTES")
    except Refused as exc:
        read = refused_read(FileOutcome(name, checksum, len(raw), "loaded"), exc, spec)
    else:
        read = read_one(raw, name, checksum, spec, settings)
    empty = pl.DataFrame(schema={"row_number": pl.Int64, "reason": pl.String})
    if read.outcome.status == "refused":
        return Preview(spec.source, name, read.outcome, pl.DataFrame(), empty, tuple(p.name for p in replaces))
    today = now.astimezone(UTC).date()
    hotspots = None if spec.source == HOTSPOTS.source else hotspot_reference(settings, areas, today)
    # The folder's files as the next run will find them (in name order: which duplicate loads).
    others = [r for path, r in read_source(settings, spec) if path not in replaces]
    reads = sorted([*others, read], key=lambda r: r.outcome.file)
    result, before = check_rows(reads, spec, areas=areas, hotspots=hotspots, today=today)
    loaded = result.loaded.filter(pl.col("source_file") == name)
    quarantined = (
        pl.concat([result.quarantined, before])
        .filter(pl.col("file") == name)
        .select("row_number", "reason")
        .sort("row_number")
    )
    outcome = read.outcome
    outcome.rows_loaded, outcome.rows_quarantined = loaded.height, quarantined.height
    return Preview(spec.source, name, outcome, loaded, quarantined, tuple(p.name for p in replaces))


def save_submission(settings: Settings, preview: Preview, raw: bytes) -> Path:
    """Write an accepted upload under ``ODW_RAW_DIR/<source>/<preview.name>`` atomically, then remove
    the files it replaces; return the path. Raises ``ValueError`` for a refused file (never written)
    or bytes other than those previewed."""
    if not preview.accepted:
        raise ValueError("a refused file is never saved")
    if hashlib.sha256(raw).hexdigest() != preview.outcome.checksum:
        raise ValueError("the file changed since it was checked; check it again")
    if preview.source not in SPECS or "/" in preview.name or preview.name.startswith("."):
        raise ValueError("not a field-data source or file name")
    folder = source_dir(settings, preview.source)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / preview.name
    if target.resolve().parent != folder.resolve():
        raise ValueError("the file name leaves the source folder")
    handle, temporary = tempfile.mkstemp(prefix=".upload-", suffix=".part", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(raw)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o640)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    for name in preview.replaces:
        if name != preview.name:
            (folder / name).unlink(missing_ok=True)
    return target
