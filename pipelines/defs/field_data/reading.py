"""Reading a coordinator's file into a table of text cells: format, encoding, delimiter, header row.

Files arrive as saved by Excel, Google Sheets or LibreOffice: CSV in UTF-8 (with or without BOM),
Windows-1252 or UTF-16 ("Unicode text"), separated by commas, semicolons or tabs; or XLSX workbooks.
The format is taken from the file's content, not its name (a CSV renamed ``.xlsx`` still reads).
The header is the row, among the first :data:`HEADER_SCAN_ROWS`, that names the most known columns,
so title rows above it are skipped. Nothing is interpreted here: every cell stays text.

Anything that cannot be read safely raises :class:`Refused` with a message a coordinator can act on
(too big, empty, binary, an old ``.xls``, mixed encodings, no recognisable header, malformed CSV).
The file itself is only ever read, never changed.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from pipelines.defs.field_data.schema import header_key
from pipelines.defs.field_data.xlsx_rows import sheet_values

#: The header row is looked for in this many first rows of a sheet or CSV file.
HEADER_SCAN_ROWS = 10
#: A row is a header candidate when its cells name at least this many different known columns.
MIN_HEADER_MATCHES = 2
#: Delimiters tried for CSV files, in order of preference on a tie.
DELIMITERS = (",", ";", "\t")

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PDF_MAGIC = b"%PDF"
# A complete UTF-8 multi-byte sequence: in a file that is not valid UTF-8 overall, it means part of
# the file was saved as UTF-8 and part as something else.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class Refused(Exception):
    """The whole file is refused; ``reason`` says why, for the coordinator who sent it.

    ``row_numbers`` are the file's data rows when they could be found (each is then quarantined
    with this reason); empty when the file could not be read that far.
    """

    def __init__(self, reason: str, row_numbers: Sequence[int] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.row_numbers = tuple(row_numbers)


@dataclass(frozen=True)
class Table:
    """One table found in a file: its header and its non-blank data rows, every cell as text.

    ``cells`` has ``row_number`` (Int64: the row as a spreadsheet program numbers it, the first row
    of the file being 1) and ``cells`` (List[String], one entry per cell, ragged as in the file).
    """

    sheet: str | None
    header_row: int
    headers: tuple[str, ...]
    cells: pl.DataFrame
    blank_rows: int


@dataclass(frozen=True)
class ReadResult:
    """What was found in a file and how it was decoded."""

    format: str
    encoding: str | None
    delimiter: str | None
    tables: tuple[Table, ...]

    @property
    def rows(self) -> int:
        """Non-blank data rows over all tables."""
        return sum(t.cells.height for t in self.tables)

    def row_numbers(self) -> list[int]:
        """The row number of every non-blank data row, table after table."""
        return [n for t in self.tables for n in t.cells["row_number"].to_list()]


def _size_text(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size:,} bytes"


def read_file(path: Path, header_keys: Mapping[str, str], *, max_bytes: int, max_rows: int) -> ReadResult:
    """Read ``path`` into tables of text cells, or raise :class:`Refused`.

    ``header_keys`` maps the :func:`header_key` form of every accepted header to its column (see
    ``SourceSpec.header_map``); it locates the header row (and, for CSV, the delimiter). Files over
    ``max_bytes`` are refused unread; more than ``max_rows`` non-blank data rows are refused too.
    """
    size = path.stat().st_size
    if size > max_bytes:
        raise Refused(
            f"the file is {_size_text(size)}; the limit is {_size_text(max_bytes)} "
            "(ODW_FIELD_MAX_BYTES) — split it into smaller files"
        )
    if size == 0:
        raise Refused("the file is empty")
    raw = path.read_bytes()
    if raw.startswith(_ZIP_MAGIC):
        return _read_xlsx(raw, header_keys, max_rows)
    if raw.startswith(_OLE_MAGIC):
        raise Refused(
            "this is an old Excel 97-2003 (.xls) workbook or a password-protected file; "
            "save it as .xlsx (without a password) or as CSV"
        )
    if raw.startswith(_PDF_MAGIC):
        raise Refused("this is a PDF, not a spreadsheet; send the .xlsx or CSV file")
    return _read_csv(raw, header_keys, max_rows)


# --- CSV ---------------------------------------------------------------------------------------


def decode_text(raw: bytes) -> tuple[str, str, str | None]:
    """Decode a CSV file's bytes; return ``(text, encoding, problem)``.

    UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1252. ``problem`` is a refusal
    message when the text cannot be trusted — a file that is not valid UTF-8 but contains UTF-8
    sequences mixes encodings, and a file that is not Windows-1252 either is something else; the
    text is then decoded with replacement characters only so that its rows can still be counted
    (and quarantined with the refusal). A binary file raises :class:`Refused` at once.
    """
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "utf-16", None
        except UnicodeDecodeError as exc:
            raise Refused(f"the file starts as UTF-16 text but is not valid UTF-16 ({exc.reason})") from exc
    if b"\x00" in raw[:65536]:
        raise Refused("this is a binary file, not CSV text or an .xlsx workbook")
    has_bom = raw.startswith(codecs.BOM_UTF8)
    try:
        return raw.decode("utf-8-sig"), "utf-8-sig" if has_bom else "utf-8", None
    except UnicodeDecodeError:
        pass
    if has_bom or _UTF8_SEQUENCE.search(raw):
        return raw.decode("cp1252", errors="replace"), "mixed", (
            "the file mixes UTF-8 and Windows-1252 (ANSI) text — parts of it would come out garbled; "
            "open it and save it again as 'CSV UTF-8'"
        )
    try:
        return raw.decode("cp1252"), "windows-1252", None
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace"), "unknown", (
            "the file is neither UTF-8 nor Windows-1252 text; save it again as 'CSV UTF-8'"
        )


def _header_score(row: Sequence[str | None], header_keys: Mapping[str, str]) -> int:
    # Distinct columns, so a row that names one column twice ("tested_on", "date") — as a row of
    # instructions does — is not taken for a header.
    return len({header_keys.get(header_key(str(cell))) for cell in row if cell is not None} - {None})


def find_header(rows: Sequence[Sequence[str | None]], header_keys: Mapping[str, str]) -> tuple[int, int]:
    """Index (0-based) and score (distinct known columns) of the best header row; score 0 when none."""
    best, best_score = 0, 0
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        score = _header_score(row, header_keys)
        if score > best_score:
            best, best_score = index, score
    return best, best_score


def _no_header(where: str) -> Refused:
    return Refused(
        f"no header row found in {where}: none of the first {HEADER_SCAN_ROWS} rows names at least "
        f"{MIN_HEADER_MATCHES} of the expected columns (see data_raw/templates/); "
        "columns must be separated by commas, semicolons or tabs"
    )


def _read_csv(raw: bytes, header_keys: Mapping[str, str], max_rows: int) -> ReadResult:
    text, encoding, problem = decode_text(raw)
    sample = text[:65536]
    if len(_CONTROL.findall(sample)) > max(2, len(sample) // 100):
        raise Refused("this is a binary file, not CSV text or an .xlsx workbook")
    best: tuple[int, int, str] | None = None
    for delimiter in DELIMITERS:
        try:
            head = list(_limited(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter), HEADER_SCAN_ROWS))
        except csv.Error:
            continue
        index, score = find_header(head, header_keys)
        if best is None or score > best[1]:
            best = (index, score, delimiter)
    if best is None or best[1] < MIN_HEADER_MATCHES:
        raise Refused(problem) if problem else _no_header("the file")
    header_index, _, delimiter = best
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = list(reader)
    except csv.Error as exc:
        raise Refused(f"the file is not valid CSV near line {reader.line_num}: {exc}") from exc
    headers = tuple(records[header_index])
    data = records[header_index + 1 :]
    # Records are numbered as a spreadsheet program shows them after opening the file.
    first_row_number = header_index + 2
    table = _table(None, header_index + 1, headers, data, first_row_number, max_rows)
    if problem:
        raise Refused(problem, table.cells["row_number"].to_list())
    return ReadResult("csv", encoding, delimiter, (table,))


def _limited(rows: Iterable[list[str]], n: int) -> Iterator[list[str]]:
    for i, row in enumerate(rows):
        if i >= n:
            return
        yield row


def cells_series(rows: Sequence[Sequence[str | None]]) -> pl.Series:
    """Ragged rows of text cells as one ``List[String]`` Series (an empty list for an empty row).

    Built from one flat Arrow array and the row offsets: handing Polars the nested Python lists
    converts them row by row, which took seconds for a hundred thousand rows.
    """
    offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum([len(row) for row in rows], out=offsets[1:])
    values = pa.array(list(itertools.chain.from_iterable(rows)), type=pa.large_string())
    return pl.Series("cells", pa.LargeListArray.from_arrays(pa.array(offsets), values)).cast(pl.List(pl.String))


def _table(
    sheet: str | None,
    header_row: int,
    headers: Sequence[str | None],
    data: list[list[str | None]],
    first_row_number: int,
    max_rows: int,
) -> Table:
    frame = pl.DataFrame(
        {
            "row_number": pl.int_range(first_row_number, first_row_number + len(data), eager=True),
            "cells": cells_series(data),
        },
        schema={"row_number": pl.Int64, "cells": pl.List(pl.String)},
    )
    non_blank = (
        pl.col("cells")
        .list.eval(pl.element().str.strip_chars().str.len_chars() > 0)
        .list.sum()
        .fill_null(0)
        > 0
    )
    kept = frame.filter(non_blank)
    if kept.height > max_rows:
        where = f"sheet '{sheet}'" if sheet else "the file"
        raise Refused(
            f"{where} has {kept.height:,} data rows; the limit is {max_rows:,} (ODW_FIELD_MAX_ROWS) — "
            "split it into smaller files"
        )
    return Table(
        sheet=sheet,
        header_row=header_row,
        headers=tuple("" if h is None else str(h) for h in headers),
        cells=kept,
        blank_rows=frame.height - kept.height,
    )


# --- XLSX --------------------------------------------------------------------------------------


def cell_text(value: object) -> str | None:
    """Text of an XLSX cell value as the validation reads it (dates as ISO, whole floats unsuffixed)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _read_xlsx(raw: bytes, header_keys: Mapping[str, str], max_rows: int) -> ReadResult:
    # Opening a workbook from a stranger can fail in many library-specific ways (bad zip, missing
    # parts, malformed XML); all of them mean the same thing to the coordinator.
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(
                io.BytesIO(raw), read_only=True, data_only=True, keep_links=False
            )
    except Exception as exc:
        raise Refused(
            f"this is not a readable Excel workbook (.xlsx): {type(exc).__name__}; "
            "open it in Excel and save it again as .xlsx or as CSV"
        ) from exc
    try:
        tables, seen = [], []
        for sheet in workbook.worksheets:
            if getattr(sheet, "sheet_state", "visible") != "visible":
                continue
            seen.append(sheet.title)
            table = _read_sheet(sheet, header_keys, max_rows)
            if table is not None:
                tables.append(table)
    except Refused:
        raise
    except Exception as exc:
        raise Refused(
            f"a sheet of this workbook could not be read ({type(exc).__name__}); "
            "open it in Excel and save it again as .xlsx or as CSV"
        ) from exc
    finally:
        workbook.close()
    if not tables:
        names = ", ".join(f"'{s}'" for s in seen) or "none visible"
        raise _no_header(f"any sheet (sheets: {names})")
    total = sum(t.cells.height for t in tables)
    if total > max_rows:
        raise Refused(
            f"the workbook has {total:,} data rows; the limit is {max_rows:,} (ODW_FIELD_MAX_ROWS) — "
            "split it into smaller files"
        )
    return ReadResult("xlsx", None, None, tuple(tables))


def _row_text(row) -> list[str | None]:
    """A worksheet row's values as text (:func:`cell_text`). Most cells are text already, which
    ``cell_text`` returns unchanged: the call is skipped for them."""
    return [v if type(v) is str else cell_text(v) for v in row]


def _read_sheet(sheet, header_keys: Mapping[str, str], max_rows: int) -> Table | None:
    # Rows as openpyxl's read-only reader gives them once the sheet's recorded dimensions are
    # dropped (some writers record wrong ones), through a faster parser: see xlsx_rows.py.
    values = sheet_values(sheet)
    rows: list[list[str | None]] = []
    for row in values:
        rows.append(_row_text(row))
        if len(rows) == HEADER_SCAN_ROWS:
            break
    index, score = find_header(rows, header_keys)
    if score < MIN_HEADER_MATCHES:
        # Not a data sheet (instructions, lists, a chart's data): not read any further.
        return None
    non_blank = 0
    # Blank rows still cost time to read: a sheet formatted down to row 1,048,576 must not stall
    # the pipeline, so reading stops well past the row limit.
    row_budget = max_rows * 5 + HEADER_SCAN_ROWS
    for row in values:
        cells = _row_text(row)
        rows.append(cells)
        if any(c is not None and c.strip() for c in cells):
            non_blank += 1
        if non_blank > max_rows or len(rows) > row_budget:
            raise Refused(
                f"sheet '{sheet.title}' has more than {max_rows:,} rows (ODW_FIELD_MAX_ROWS) — "
                "split it into smaller files"
            )
    return _table(sheet.title, index + 1, rows[index], rows[index + 1 :], index + 2, max_rows)
