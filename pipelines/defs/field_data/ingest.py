"""Ingesting one field-data source: its folder of files → staging table, quarantine and ingest log.

Every run rebuilds the source from the files present now, so the warehouse always equals "what the
folder holds, validated against the current hot-spot list and settings":

* a file re-submitted under the same name replaces its earlier rows (nothing counted twice);
* a file removed from the folder loses its rows on the next run;
* a hot spot added later turns "unknown hot spot" rows into loaded rows on the next run.

``staging.ingest_log`` keeps the history: one entry whenever a file appears (``new``), changes
content (``replaced``), changes outcome without changing content (``revalidated`` — e.g. the
hot-spot list changed), is refused (``refused``) or disappears (``removed``). Each entry's
``rows_in`` equals ``rows_loaded + rows_quarantined``. The staging table, the source's quarantine
rows and the log entries are written in one transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl

from pipelines.defs.field_data.file_check import FileOutcome, FileRead, check_rows, read_one, refused_read
from pipelines.defs.field_data.locations import AreaIndex
from pipelines.defs.field_data.reading import Refused, check_size
from pipelines.defs.field_data.refused_files import kept_refused, move_refused, purge_refused
from pipelines.defs.field_data.schema import SourceSpec
from pipelines.defs.field_data.location_rules import HOTSPOT_REFERENCE_SCHEMA
from pipelines.settings import Settings
from pipelines.warehouse import query_sql_file, run_sql_file

#: Quarantine ``stage`` of rows that failed validation, and of rows of a refused file.
STAGE_VALIDATION = "validation"
STAGE_REFUSED = "refused"


def source_dir(settings: Settings, source: str) -> Path:
    """The folder a source's files are dropped into: ``ODW_RAW_DIR/<source>/``."""
    return settings.raw_dir / source


def discover(folder: Path) -> Iterator[tuple[str, Path]]:
    """``(name, path)`` of every file under ``folder`` (subfolders too), in name order.

    ``name`` is the path relative to ``folder`` with forward slashes: the file's identity for
    corrections. Hidden files and Office lock files (``~$book.xlsx``) are not data and are skipped.
    """
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith((".", "~$")) for part in relative.parts) or not path.is_file():
            continue
        yield relative.as_posix(), path


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_fingerprint(path: Path, max_bytes: int) -> str:
    """The file's SHA-256, or for a file over ``max_bytes`` (refused unread anyway) its size and
    modification time — hashing a huge file on every run or sensor tick would only cost time."""
    stat = path.stat()
    if stat.st_size > max_bytes:
        return f"oversize:{stat.st_size}:{stat.st_mtime_ns}"
    return file_sha256(path)


@dataclass
class SourceReport:
    """The outcome of ingesting a source: per-file outcomes, removed files and totals."""

    source: str
    files: list[FileOutcome] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def rows_in(self) -> int:
        """Data rows in all present files."""
        return sum(f.rows_in for f in self.files)

    @property
    def rows_loaded(self) -> int:
        """Rows loaded into the staging table."""
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        """Rows quarantined (by validation or because their file was refused)."""
        return sum(f.rows_quarantined for f in self.files)

    @property
    def refused(self) -> list[FileOutcome]:
        """The files refused whole."""
        return [f for f in self.files if f.status == "refused"]


#: The refusal of a kept refused file that the current settings would accept.
REFUSED_EARLIER = "refused earlier and moved to ODW_REFUSED_DIR; send the file again to load it"


def _read_path(name: str, path: Path, spec: SourceSpec, settings: Settings) -> FileRead:
    fingerprint = file_fingerprint(path, settings.field_max_bytes)
    try:
        check_size(path.stat().st_size, settings.field_max_bytes)
    except Refused as exc:
        return refused_read(FileOutcome(name, fingerprint, path.stat().st_size, "loaded"), exc, spec)
    return read_one(path.read_bytes(), name, fingerprint, spec, settings)


def read_source(settings: Settings, spec: SourceSpec) -> list[tuple[Path, FileRead]]:
    """Read and PII-guard every file of a source (:func:`~.file_check.read_one`), in name order:
    the files of its folder, and the refused files kept in ``ODW_REFUSED_DIR`` under their names
    (always refused; a file of the same name in the folder takes their place).

    A file over ``ODW_FIELD_MAX_BYTES`` is refused unread.
    """
    reads = [(path, _read_path(name, path, spec, settings)) for name, path in discover(source_dir(settings, spec.source))]
    present = {read.outcome.file for _, read in reads}
    for name, path in kept_refused(settings, spec.source):
        if name in present:
            continue
        read = _read_path(name, path, spec, settings)
        if read.outcome.status != "refused":
            rows = read.rows["row_number"].to_list() + read.quarantine["row_number"].to_list()
            outcome = FileOutcome(name, read.outcome.checksum, read.outcome.size_bytes, "loaded")
            read = refused_read(outcome, Refused(REFUSED_EARLIER, sorted(rows)), spec)
        reads.append((path, read))
    return sorted(reads, key=lambda item: item[1].outcome.file)


def load_references(con: duckdb.DuckDBPyConnection, spec: SourceSpec) -> tuple[AreaIndex, pl.DataFrame | None]:
    """The community areas and (for test strips and outreach) the hot spots rows are checked against."""
    areas = con.sql(
        "SELECT community_area_number, community_area, geometry_wkt FROM staging.community_areas"
    ).pl()
    if spec.source == "hotspots":
        return AreaIndex(areas), None
    hotspots = con.sql(
        "SELECT hotspot_id, latitude, longitude, community_area_number FROM staging.hotspots"
    ).pl()
    return AreaIndex(areas), hotspots.cast(HOTSPOT_REFERENCE_SCHEMA)


def _previous(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, dict]:
    rows = query_sql_file(con, "field_data/latest_ingest.sql", {"source": source}).pl()
    return {r["file"]: r for r in rows.to_dicts()}


def _log_mode(outcome: FileOutcome, previous: dict | None) -> str | None:
    if previous is None or previous["mode"] == "removed":
        return "refused" if outcome.status == "refused" else "new"
    if previous["checksum"] != outcome.checksum:
        return "refused" if outcome.status == "refused" else "replaced"
    same = (previous["rows_in"], previous["rows_loaded"], previous["rows_quarantined"]) == (
        outcome.rows_in, outcome.rows_loaded, outcome.rows_quarantined
    )
    was_refused = previous["mode"] == "refused"
    if same and was_refused == (outcome.status == "refused"):
        return None
    return "refused" if outcome.status == "refused" else "revalidated"


def ingest_source(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    spec: SourceSpec,
    *,
    today: date,
    now: datetime,
) -> SourceReport:
    """Rebuild ``spec``'s staging table from its folder; quarantine, log, and return the accounting.

    Needs ``staging.community_areas`` (and ``staging.hotspots`` for test strips and outreach).
    ``today`` bounds dates; ``now`` stamps the quarantine and ingest-log rows.
    """
    run_sql_file(con, "field_data/schema.sql")
    reads = read_source(settings, spec)
    areas, hotspots = load_references(con, spec)
    result, before = check_rows([r for _, r in reads], spec, areas=areas, hotspots=hotspots, today=today)
    outcomes = [r.outcome for _, r in reads]
    refused_files = {o.file for o in outcomes if o.status == "refused"}
    refused = before.filter(pl.col("file").is_in(refused_files))
    totals = before.filter(~pl.col("file").is_in(refused_files))
    validation_quarantine = pl.concat([result.quarantined, totals])

    loaded_by_file = dict(result.loaded.group_by("source_file").len().iter_rows())
    quarantined_by_file = dict(validation_quarantine.group_by("file").len().iter_rows())
    date_col = spec.of_kind("date")[0].name if spec.needs_location else None
    watermarks = (
        dict(
            result.loaded.group_by("source_file")
            .agg(pl.col(date_col).max().dt.to_string("%Y-%m-%d"))
            .iter_rows()
        )
        if date_col
        else {}
    )
    previous = _previous(con, spec.source)
    report = SourceReport(spec.source)
    for outcome in outcomes:
        if outcome.status == "loaded":
            outcome.rows_loaded = loaded_by_file.get(outcome.file, 0)
            outcome.rows_quarantined = quarantined_by_file.get(outcome.file, 0)
            outcome.watermark = watermarks.get(outcome.file)
        if outcome.rows_in != outcome.rows_loaded + outcome.rows_quarantined:
            raise AssertionError(f"{spec.source}/{outcome.file}: rows do not add up")
        outcome.log_mode = _log_mode(outcome, previous.get(outcome.file))
        report.files.append(outcome)
    present = {o.file for o in outcomes}
    report.removed = [f for f, p in previous.items() if f not in present and p["mode"] != "removed"]

    quarantine = pl.concat(
        [
            validation_quarantine.with_columns(pl.lit(STAGE_VALIDATION).alias("stage")),
            refused.with_columns(pl.lit(STAGE_REFUSED).alias("stage")),
        ]
    ).select(
        pl.lit(spec.source).alias("source"),
        "stage",
        "file",
        "row_number",
        pl.lit(None, dtype=pl.String).alias("record_key"),
        "reason",
        pl.lit(now).alias("quarantined_at"),
    )
    log = pl.DataFrame(
        [
            {
                "source": spec.source, "file": o.file, "checksum": o.checksum, "mode": o.log_mode,
                "rows_in": o.rows_in, "rows_loaded": o.rows_loaded, "rows_quarantined": o.rows_quarantined,
                "watermark": o.watermark, "reason": o.refusal, "ingested_at": now,
            }
            for o in outcomes
            if o.log_mode is not None
        ]
        + [
            {
                "source": spec.source, "file": f, "checksum": previous[f]["checksum"], "mode": "removed",
                "rows_in": 0, "rows_loaded": 0, "rows_quarantined": 0, "watermark": None,
                "reason": _removal_reason(previous[f]), "ingested_at": now,
            }
            for f in report.removed
        ],
        schema={
            "source": pl.String, "file": pl.String, "checksum": pl.String, "mode": pl.String,
            "rows_in": pl.Int64, "rows_loaded": pl.Int64, "rows_quarantined": pl.Int64,
            "watermark": pl.String, "reason": pl.String, "ingested_at": pl.Datetime("us"),
        },
    )
    _write(con, spec, result.loaded, quarantine, log)
    # Only once the refusal is recorded: the file leaves the raw folder, its data kept nowhere else.
    folder = source_dir(settings, spec.source)
    for path, read in reads:
        if read.outcome.status == "refused" and folder in path.parents:
            move_refused(settings, spec.source, read.outcome.file, path, now)
    purge_refused(settings, now)
    return report


def _removal_reason(previous: dict) -> str | None:
    if previous["mode"] == "refused":
        return "refused file deleted from ODW_REFUSED_DIR (after ODW_REFUSED_RETENTION_DAYS, or by hand)"
    return None


def _write(
    con: duckdb.DuckDBPyConnection,
    spec: SourceSpec,
    loaded: pl.DataFrame,
    quarantine: pl.DataFrame,
    log: pl.DataFrame,
) -> None:
    con.register("field_loaded", loaded.to_arrow())
    con.register("field_quarantine", quarantine.to_arrow())
    con.register("field_log", log.to_arrow())
    con.execute("BEGIN TRANSACTION")
    try:
        # Table names come from the spec (our code), never from a file; values are bound.
        con.execute(f"DELETE FROM {spec.table}")
        con.execute(f"INSERT INTO {spec.table} BY NAME SELECT * FROM field_loaded")
        con.execute("DELETE FROM staging.quarantine WHERE source = $source", {"source": spec.source})
        con.execute("INSERT INTO staging.quarantine BY NAME SELECT * FROM field_quarantine")
        con.execute("INSERT INTO staging.ingest_log BY NAME SELECT * FROM field_log")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        for name in ("field_loaded", "field_quarantine", "field_log"):
            con.unregister(name)
