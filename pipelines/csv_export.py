"""Every CSV the project hands to people goes through here: cells made safe for spreadsheets.

A cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return, which Excel strips
first) is evaluated as a formula when the file is opened — ``=HYPERLINK("http://…","click")`` in a
downloaded table would be a live link ("CSV injection", OWASP). :func:`escape_csv_cell` puts an
apostrophe in front of such text, which spreadsheets show as plain text. Number values (int,
float, Decimal) are never changed: ``-3`` or ``-87.72`` is a value, not a formula; text is always
checked, even text that looks like a number.

Field files the pipeline *reads* are inputs, not exports: they are written verbatim only by the
demo generator and the tests (``pipelines.defs.field_data.writing.csv_bytes``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

#: First characters that make a spreadsheet evaluate a cell.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_csv_cell(value: object) -> str:
    """Text of one CSV cell; a leading apostrophe defuses spreadsheet formulas (CSV injection).

    None is empty, booleans are yes/no, dates ISO; number values are left alone.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    if isinstance(value, int | float | Decimal):
        return text
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_export_bytes(header: Sequence[object], rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 CSV with BOM (so Excel reads accents and dashes) and CRLF line ends, every cell escaped."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([escape_csv_cell(name) for name in header])
    for row in rows:
        writer.writerow([escape_csv_cell(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
