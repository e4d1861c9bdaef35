"""Helpers for the field-data tests: reference data and writers for messy files."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import polars as pl
from openpyxl import Workbook

from pipelines.defs.field_data.schema import SourceSpec
from pipelines.defs.field_data.validation import ROW_COLUMNS
from pipelines.defs.field_data.writing import csv_bytes, workbook_bytes
from pipelines.settings import Settings, load_settings

#: "Today" for validation in these tests, so "in the future" does not move with the calendar.
TODAY = date(2026, 3, 20)

#: Hot spots of the tests' reference list (id, latitude, longitude, community area number).
HOTSPOT_ROWS = [
    ("HS-01", 41.88105, -87.72590, 26),  # Madison & Pulaski, West Garfield Park
    ("HS-03", 41.89545, -87.76520, 25),  # Chicago & Central, Austin
]


def rows_frame(spec: SourceSpec, records: Sequence[dict], *, file: str = "f.csv") -> pl.DataFrame:
    """A rows frame as ``validate`` takes it: one dict of text cells per row (missing keys = blank).

    A record may set ``file`` and ``row_number``; rows are numbered 2, 3, ... per file otherwise.
    """
    out, counters = [], {}
    for record in records:
        name = record.get("file", file)
        counters[name] = counters.get(name, 1) + 1
        row = {"file": name, "sheet": None, "row_number": record.get("row_number", counters[name]), "extra_values": 0}
        row.update({n: (None if record.get(n) in (None, "") else str(record[n])) for n in spec.names})
        out.append(row)
    schema = {"file": pl.String, "sheet": pl.String, "row_number": pl.Int64, "extra_values": pl.Int32}
    schema.update({n: pl.String for n in spec.names})
    return pl.DataFrame(out, schema=schema).select(*ROW_COLUMNS, *spec.names)


def write_csv(path: Path, rows: Sequence[Sequence[object]], *, delimiter: str = ",", encoding: str = "utf-8") -> Path:
    """Write rows as CSV in the given encoding (``utf-8-sig`` for a BOM)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(csv_bytes(rows, delimiter=delimiter, encoding=encoding))
    return path


def write_xlsx(path: Path, sheets: dict[str, Sequence[Sequence[object]]], hidden: Sequence[str] = ()) -> Path:
    """Write a workbook with one sheet per entry (rows of cell values, typed as given)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
        if title in hidden:
            sheet.sheet_state = "hidden"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(workbook_bytes(workbook))
    return path


def field_settings(raw_dir: Path, **env: str) -> Settings:
    """Settings with ``ODW_RAW_DIR`` at ``raw_dir`` (refused files beside it, in ``refused/``) and
    the given extra variables."""
    return load_settings({"ODW_RAW_DIR": str(raw_dir), "ODW_REFUSED_DIR": str(raw_dir.parent / "refused"), **env})
