"""One field-data file, from its bytes to the rows validation takes: the path both the pipeline and
the dashboard's "Submit field data" page use.

:func:`read_one` reads a file's bytes (CSV or XLSX, by content), applies the PII guard and returns
what became of it — refused whole with the reason, or its rows for validation plus its totals rows
quarantined as such — all in memory. :func:`check_rows` validates rows against the references
exactly as the pipeline's run does. ``ingest.py`` runs them over a source folder's files and writes
the result; ``submission.py`` runs them over an upload beside the folder's files and writes nothing
until the person submitting has seen the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl

from pipelines.defs.field_data.locations import AreaIndex
from pipelines.defs.field_data.pii import guard
from pipelines.defs.field_data.reading import ReadResult, Refused, read_bytes
from pipelines.defs.field_data.schema import SourceSpec
from pipelines.defs.field_data.validation import QUARANTINE_SCHEMA, ROW_COLUMNS, Validated, empty_rows, validate
from pipelines.settings import Settings


@dataclass
class FileOutcome:
    """What became of one file in this run."""

    file: str
    checksum: str
    size_bytes: int
    status: str
    """``loaded`` (read; rows loaded or quarantined one by one) or ``refused`` (all rows quarantined)."""
    refusal: str | None = None
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    blank_rows: int = 0
    ignored_columns: tuple[str, ...] = ()
    dropped_columns: tuple[str, ...] = ()
    skipped_sheets: tuple[str, ...] = ()
    read_as: str = ""
    watermark: str | None = None
    log_mode: str | None = None
    """The ingest-log entry this run wrote for the file, if any."""


@dataclass
class FileRead:
    """A file read and guarded: its outcome, its rows for validation (``file`` +
    :data:`ROW_COLUMNS` + the spec's fields; none when refused) and its quarantine rows decided
    before validation (:data:`QUARANTINE_SCHEMA`: every row of a refused file, or its totals rows)."""

    outcome: FileOutcome
    rows: pl.DataFrame
    quarantine: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=QUARANTINE_SCHEMA))


def describe(result: ReadResult) -> str:
    """How a file was read, in a few words ("xlsx, sheet 'Log'", "csv, utf-8, comma-separated")."""
    if result.format == "xlsx":
        sheets = ", ".join(f"'{t.sheet}'" for t in result.tables)
        return f"xlsx, sheet {sheets}" if len(result.tables) == 1 else f"xlsx, sheets {sheets}"
    names = {",": "comma", ";": "semicolon", "\t": "tab"}
    return f"csv, {result.encoding}, {names.get(result.delimiter or '', result.delimiter)}-separated"


def row_columns(spec: SourceSpec) -> list[str]:
    """The columns of a rows frame :func:`validate` takes, in order."""
    return ["file", *[c for c in ROW_COLUMNS if c != "file"], *spec.names]


def refused_read(outcome: FileOutcome, exc: Refused, spec: SourceSpec) -> FileRead:
    """The :class:`FileRead` of a file refused whole: every row found quarantined with the reason
    (one entry without a row number when the file could not be read that far)."""
    outcome.status = "refused"
    outcome.refusal = exc.reason
    rows = list(exc.row_numbers)
    outcome.rows_in = outcome.rows_quarantined = len(rows)
    quarantine = pl.DataFrame(
        {"file": outcome.file, "row_number": rows or [None], "reason": f"file refused: {exc.reason}"},
        schema=QUARANTINE_SCHEMA,
    )
    return FileRead(outcome, empty_rows(spec).select(row_columns(spec)), quarantine)


def read_one(raw: bytes, name: str, checksum: str, spec: SourceSpec, settings: Settings) -> FileRead:
    """Read and PII-guard one file's bytes (already within the size limit); never raises
    :class:`Refused` — a refusal is the outcome's ``status``/``refusal``."""
    outcome = FileOutcome(name, checksum, len(raw), "loaded")
    try:
        result = read_bytes(raw, spec.header_map(settings.field_column_map), max_rows=settings.field_max_rows)
        outcome.read_as = describe(result)
        outcome.skipped_sheets = result.skipped_sheets
        mapped = guard(result, spec, column_map=settings.field_column_map, drop_columns=settings.field_drop_columns)
    except Refused as exc:
        return refused_read(outcome, exc, spec)
    outcome.rows_in = mapped.frame.height + mapped.totals.height
    outcome.blank_rows = mapped.blank_rows
    outcome.ignored_columns = mapped.ignored_columns
    outcome.dropped_columns = mapped.dropped_columns
    rows = mapped.frame.with_columns(pl.lit(name).alias("file")).select(row_columns(spec))
    totals = mapped.totals.select(pl.lit(name).alias("file"), "row_number", "reason").cast(QUARANTINE_SCHEMA)
    return FileRead(outcome, rows, totals)


def check_rows(
    reads: list[FileRead],
    spec: SourceSpec,
    *,
    areas: AreaIndex,
    hotspots: pl.DataFrame | None,
    today: date,
) -> tuple[Validated, pl.DataFrame]:
    """Validate the rows of ``reads`` (in their order: which of two duplicates loads) and return the
    validation's outcome and every quarantine row decided before it (refusals, totals rows)."""
    frames = [r.rows for r in reads if r.rows.height]
    rows = pl.concat(frames) if frames else empty_rows(spec).select(row_columns(spec))
    result = validate(rows, spec, areas=areas, hotspots=hotspots, today=today)
    early = [r.quarantine for r in reads if r.quarantine.height]
    before = pl.concat(early) if early else pl.DataFrame(schema=QUARANTINE_SCHEMA)
    return result, before
