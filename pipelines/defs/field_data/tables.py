"""What reading a field-data file produces, whatever its format: tables of text cells, or a refusal.

Shared by the CSV reader (``reading.py``) and the workbook reader (``xlsx_reading.py``): the header
row search, the table built from a sheet's rows (blank rows skipped, the row limit, totals rows
marked) and :class:`Refused`, the one way a file is refused whole.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl
import pyarrow as pa

from pipelines.defs.field_data.schema import header_key

#: The header row is looked for in this many first rows of a sheet or CSV file.
HEADER_SCAN_ROWS = 10
#: A row is a header candidate when its cells name at least this many different known columns.
MIN_HEADER_MATCHES = 2
#: The quarantine reason of a totals row (see :data:`TOTALS_LABEL`).
TOTALS_REASON = "totals row"
#: A row whose first non-blank cell is one of these words is a sheet's totals row, not data.
TOTALS_LABEL = r"(?i)^\s*(grand\s+|sub-?)?(totals?|sums?)\s*:?\s*$"


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
    of the file being 1), ``cells`` (List[String], one entry per cell) and ``is_totals`` (Boolean:
    a totals row, quarantined as :data:`TOTALS_REASON` after the PII guard has seen it).
    """

    sheet: str | None
    header_row: int
    headers: tuple[str, ...]
    cells: pl.DataFrame
    blank_rows: int


@dataclass(frozen=True)
class ReadResult:
    """What was found in a file and how it was decoded.

    ``skipped_sheets``: visible sheets of a workbook without a header row (instructions, lists).
    """

    format: str
    encoding: str | None
    delimiter: str | None
    tables: tuple[Table, ...]
    skipped_sheets: tuple[str, ...] = field(default=())

    @property
    def rows(self) -> int:
        """Non-blank data rows over all tables."""
        return sum(t.cells.height for t in self.tables)

    def row_numbers(self) -> list[int]:
        """The row number of every non-blank data row, table after table."""
        return [n for t in self.tables for n in t.cells["row_number"].to_list()]


def size_text(size: int) -> str:
    """A file size as a coordinator reads it: "1.2 MB" or "4,321 bytes"."""
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size:,} bytes"


def _header_score(row: Sequence[str | None], header_keys: Mapping[str, str]) -> int:
    # Distinct columns, so a row that names one column twice ("tested_on", "date") — as a row of
    # instructions does — is not taken for a header.
    return len({header_keys.get(header_key(str(cell))) for cell in row if cell is not None} - {None})


def find_header(rows: Sequence[Sequence[str | None]], header_keys: Mapping[str, str]) -> tuple[int, int]:
    """Index (0-based) and score (distinct known columns) of the best header row; score 0 when none.

    On a tie the first row wins, so a header repeated lower down is not taken for it.
    """
    best, best_score = 0, 0
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        score = _header_score(row, header_keys)
        if score > best_score:
            best, best_score = index, score
    return best, best_score


def no_header(where: str) -> Refused:
    """The refusal of a file (or workbook) in which no header row was found."""
    return Refused(
        f"no header row found in {where}: none of the first {HEADER_SCAN_ROWS} rows names at least "
        f"{MIN_HEADER_MATCHES} of the expected columns (see data_raw/templates/); "
        "columns must be separated by commas, semicolons or tabs"
    )


def cells_series(rows: Sequence[Sequence[str | None]]) -> pl.Series:
    """Ragged rows of text cells as one ``List[String]`` Series (an empty list for an empty row).

    Built from one flat Arrow array and the row offsets: handing Polars the nested Python lists
    converts them row by row, which took seconds for a hundred thousand rows.
    """
    offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum([len(row) for row in rows], out=offsets[1:])
    values = pa.array(list(itertools.chain.from_iterable(rows)), type=pa.large_string())
    return pl.Series("cells", pa.LargeListArray.from_arrays(pa.array(offsets), values)).cast(pl.List(pl.String))


def make_table(
    sheet: str | None,
    header_row: int,
    headers: Sequence[str | None],
    data: pl.Series,
    first_row_number: int,
    max_rows: int,
) -> Table:
    """The :class:`Table` of a sheet's data rows (``data``: List[String], the rows under the header,
    the first numbered ``first_row_number``); blank rows counted and dropped, totals rows marked.
    Raises :class:`Refused` over ``max_rows`` non-blank rows."""
    frame = pl.DataFrame(
        {
            "row_number": pl.int_range(first_row_number, first_row_number + len(data), eager=True),
            "cells": data.cast(pl.List(pl.String)),
        },
        schema={"row_number": pl.Int64, "cells": pl.List(pl.String)},
    )
    filled = pl.element().str.strip_chars().str.len_chars() > 0
    non_blank = pl.col("cells").list.eval(filled).list.sum().fill_null(0) > 0
    kept = frame.filter(non_blank)
    if kept.height > max_rows:
        where = f"sheet '{sheet}'" if sheet else "the file"
        raise Refused(
            f"{where} has {kept.height:,} data rows; the limit is {max_rows:,} (ODW_FIELD_MAX_ROWS) — "
            "split it into smaller files"
        )
    first_value = pl.col("cells").list.eval(pl.element().filter(filled)).list.first()
    kept = kept.with_columns(first_value.str.contains(TOTALS_LABEL).fill_null(False).alias("is_totals"))
    return Table(
        sheet=sheet,
        header_row=header_row,
        headers=tuple("" if h is None else str(h) for h in headers),
        cells=kept,
        blank_rows=frame.height - kept.height,
    )


def strip_trailing_blanks(values: Sequence[str | None]) -> list[str | None]:
    """A row without its trailing empty cells (a header as wide as its last named column)."""
    values = list(values)
    while values and (values[-1] is None or not str(values[-1]).strip()):
        values.pop()
    return values

