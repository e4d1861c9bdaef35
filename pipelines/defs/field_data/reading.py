"""Reading a coordinator's file into a table of text cells: format, encoding, delimiter, header row.

Files arrive as saved by Excel, Google Sheets or LibreOffice: CSV in UTF-8 (with or without BOM),
Windows-1252 or UTF-16 ("Unicode text"), separated by commas, semicolons or tabs; or XLSX workbooks
(read by ``xlsx_reading.py``).
The format is taken from the file's content, not its name (a CSV renamed ``.xlsx`` still reads).
The header is the row, among the first :data:`HEADER_SCAN_ROWS`, that names the most known columns,
so title rows above it are skipped. Nothing is interpreted here: every cell stays text.

Anything that cannot be read safely raises :class:`Refused` with a message a coordinator can act on
(too big, empty, binary, an old ``.xls``, mixed encodings, no recognisable header, malformed CSV).
The file itself is only ever read, never changed. :func:`read_bytes` works on bytes in memory — the
dashboard's "Submit field data" page checks an upload with it before anything is saved — and
:func:`read_file` is the pipeline's way in, through the same function.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from pipelines.defs.field_data.tables import (
    HEADER_SCAN_ROWS,
    MIN_HEADER_MATCHES,
    ReadResult,
    Refused,
    Table,
    cells_series,
    find_header,
    make_table,
    no_header,
    size_text,
)
from pipelines.defs.field_data.xlsx_reading import read_xlsx

__all__ = [
    "HEADER_SCAN_ROWS", "MIN_HEADER_MATCHES", "ReadResult", "Refused", "Table", "check_size",
    "decode_text", "find_header", "read_bytes", "read_file",
]

#: Delimiters tried for CSV files, in order of preference on a tie.
DELIMITERS = (",", ";", "\t")

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PDF_MAGIC = b"%PDF"
# A complete UTF-8 multi-byte sequence: in a file that is not valid UTF-8 overall, it means part of
# the file was saved as UTF-8 and part as something else.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# The start of an HTML page (a web page saved as .csv, or an error page downloaded instead of a file).
_HTML_START = re.compile(rb"^\s*(<!doctype\s+html|<html|<\?xml|<head|<body|<table)", re.IGNORECASE)


def check_size(size: int, max_bytes: int, setting: str = "ODW_FIELD_MAX_BYTES") -> None:
    """Raise :class:`Refused` for an empty file or one over ``max_bytes`` (named by ``setting``)."""
    if size > max_bytes:
        raise Refused(
            f"the file is {size_text(size)}; the limit is {size_text(max_bytes)} "
            f"({setting}) — split it into smaller files"
        )
    if size == 0:
        raise Refused("the file is empty")


def read_file(path: Path, header_keys: Mapping[str, str], *, max_bytes: int, max_rows: int) -> ReadResult:
    """Read ``path`` into tables of text cells, or raise :class:`Refused`.

    ``header_keys`` maps the :func:`header_key` form of every accepted header to its column (see
    ``SourceSpec.header_map``); it locates the header row (and, for CSV, the delimiter). Files over
    ``max_bytes`` are refused unread; more than ``max_rows`` non-blank data rows are refused too.
    """
    check_size(path.stat().st_size, max_bytes)
    return read_bytes(path.read_bytes(), header_keys, max_rows=max_rows)


def read_bytes(raw: bytes, header_keys: Mapping[str, str], *, max_rows: int) -> ReadResult:
    """Read a file's bytes (already within the size limit) as :func:`read_file` does: the format
    is taken from the content, never from a name."""
    if not raw:
        raise Refused("the file is empty")
    if raw.startswith(_ZIP_MAGIC):
        return read_xlsx(raw, header_keys, max_rows)
    if raw.startswith(_OLE_MAGIC):
        raise Refused(
            "this is an old Excel 97-2003 (.xls) workbook or a password-protected file; "
            "save it as .xlsx (without a password) or as CSV"
        )
    if raw.startswith(_PDF_MAGIC):
        raise Refused("this is a PDF, not a spreadsheet; send the .xlsx or CSV file")
    if _HTML_START.match(raw[:1024].lstrip(b"\xef\xbb\xbf")):
        raise Refused("this is a web page (HTML), not a spreadsheet; send the .xlsx or CSV file itself")
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
        raise Refused(problem) if problem else no_header("the file")
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
    table = make_table(None, header_index + 1, headers, cells_series(data), first_row_number, max_rows)
    if problem:
        raise Refused(problem, table.cells["row_number"].to_list())
    return ReadResult("csv", encoding, delimiter, (table,))


def _limited(rows: Iterable[list[str]], n: int) -> Iterator[list[str]]:
    for i, row in enumerate(rows):
        if i >= n:
            return
        yield row
