"""Reading an XLSX workbook into tables of text cells, through fastexcel (calamine, in Rust).

fastexcel is the reader behind Polars' ``read_excel(engine="calamine")``: it parses the workbook in
Rust and hands each sheet over as Arrow columns, so no Python object is built per cell. Every sheet
is read with ``header_row=None`` and ``skip_rows=0`` — every row from the sheet's first, as text —
and the header row is found here (:func:`~.tables.find_header`), so a title row above it, an empty
first column or a merged header cell (whose value calamine reports in its top-left cell only) do
not matter. Empty leading columns are not part of the sheet's used range and are left out by
calamine; row numbers are the sheet's own.

Cells come as calamine writes them as text: numbers without a trailing ``.0``, dates as
``YYYY-MM-DD`` (a date-time at midnight loses its time, as dates typed in a sheet are stored),
booleans ``true``/``false``. A formula cell reads as its cached value — never the formula — and
a formula without one is blank. Error cells (``#DIV/0!``) are blank.

Hidden sheets are skipped, as are visible sheets without a header row (instructions, lists), whose
names are reported so the person sending the file sees what was not read.
"""

from __future__ import annotations

from collections.abc import Mapping

import fastexcel
import polars as pl

from pipelines.defs.field_data.tables import (
    MIN_HEADER_MATCHES,
    HEADER_SCAN_ROWS,
    ReadResult,
    Refused,
    Table,
    find_header,
    make_table,
    no_header,
    strip_trailing_blanks,
)

#: A workbook with more sheets than this is refused: a field log has one data sheet or a few.
MAX_SHEETS = 50
# A date-time at midnight, as calamine writes it: what a date typed into a cell is stored as.
_MIDNIGHT = r"^(\d{4}-\d{2}-\d{2}) 00:00:00$"


def _unreadable(exc: Exception) -> Refused:
    return Refused(
        f"this is not a readable Excel workbook (.xlsx): {type(exc).__name__}; "
        "open it in Excel and save it again as .xlsx or as CSV"
    )


def _midnight_to_date(column: pl.Expr) -> pl.Expr:
    # "2026-03-01 00:00:00" → "2026-03-01": what a date typed into a cell is stored as.
    midnight = column.str.ends_with(" 00:00:00") & (column.str.len_bytes() == 19) & column.str.contains(_MIDNIGHT)
    return pl.when(midnight).then(column.str.slice(0, 10)).otherwise(column)


def _sheet_cells(frame: pl.DataFrame) -> pl.Series:
    """A sheet's rows as one List[String] Series, each row as long as its last non-empty cell (as
    a CSV row is), midnight date-times shortened to their date."""
    if frame.width == 0:
        return pl.Series("cells", [[] for _ in range(frame.height)], dtype=pl.List(pl.String))
    columns = [_midnight_to_date(pl.col(c).cast(pl.String)) for c in frame.columns]
    width = pl.max_horizontal(
        [pl.when(pl.col(c).is_not_null()).then(pl.lit(i + 1, pl.UInt32)).otherwise(pl.lit(0, pl.UInt32))
         for i, c in enumerate(frame.columns)]
    )
    return frame.select(pl.concat_list(columns).list.head(width).alias("cells")).to_series()


def _read_sheet(name: str, frame: pl.DataFrame, header_keys: Mapping[str, str], max_rows: int) -> Table | None:
    cells = _sheet_cells(frame)
    head = cells.head(HEADER_SCAN_ROWS).to_list()
    index, score = find_header(head, header_keys)
    if score < MIN_HEADER_MATCHES:
        return None
    headers = strip_trailing_blanks(head[index])
    return make_table(name, index + 1, headers, cells.slice(index + 1), index + 2, max_rows)


def read_xlsx(raw: bytes, header_keys: Mapping[str, str], max_rows: int) -> ReadResult:
    """Read a workbook's bytes into a :class:`ReadResult` (one table per data sheet), or raise
    :class:`Refused` (not a workbook, a sheet that cannot be read, no data sheet, too many rows)."""
    # Opening a stranger's workbook can fail in many library-specific ways (bad zip, missing parts,
    # malformed XML); all of them mean the same thing to the coordinator.
    try:
        reader = fastexcel.read_excel(raw)
        names = reader.sheet_names
    except Exception as exc:
        raise _unreadable(exc) from exc
    if len(names) > MAX_SHEETS:
        raise Refused(
            f"the workbook has {len(names)} sheets; the limit is {MAX_SHEETS} — "
            "keep the log's sheets only, or send each as its own file"
        )
    tables: list[Table] = []
    seen: list[str] = []
    skipped: list[str] = []
    for name in names:
        try:
            sheet = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string")
            if sheet.visible != "visible":
                continue
            frame = sheet.to_polars()
        except Exception as exc:
            raise Refused(
                f"sheet '{name}' of this workbook could not be read ({type(exc).__name__}); "
                "open it in Excel and save it again as .xlsx or as CSV"
            ) from exc
        seen.append(name)
        table = _read_sheet(name, frame, header_keys, max_rows)
        if table is None:
            skipped.append(name)
        else:
            tables.append(table)
    if not tables:
        listed = ", ".join(f"'{s}'" for s in seen) or "none visible"
        raise no_header(f"any sheet (sheets: {listed})")
    total = sum(t.cells.height for t in tables)
    if total > max_rows:
        raise Refused(
            f"the workbook has {total:,} data rows; the limit is {max_rows:,} (ODW_FIELD_MAX_ROWS) — "
            "split it into smaller files"
        )
    return ReadResult("xlsx", None, None, tuple(tables), tuple(skipped))
