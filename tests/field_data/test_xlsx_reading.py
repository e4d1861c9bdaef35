"""The workbook reader (fastexcel): today's results on the project's workbooks, and the shapes
coordinators' workbooks take — title rows, an empty first column, merged headers, totals rows,
hidden and extra sheets, formulas."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pytest

from pipelines.defs.field_data.file_check import read_one
from pipelines.defs.field_data.reading import Refused, read_bytes
from pipelines.defs.field_data.schema import SPECS, TEST_STRIPS
from pipelines.defs.field_data.writing import workbook_bytes
from field_data.helpers import field_settings

ROOT = Path(__file__).resolve().parents[2]
KEYS = TEST_STRIPS.header_map()
HEADER = ["tested_on", "team", "hotspot_id", "strip_type", "result"]


def _reference_text(value: object) -> str | None:
    """How the former reader (openpyxl, values only) wrote a cell as text: the baseline."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0, 0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _reference_rows(raw: bytes, title: str) -> list[list[str | None]]:
    workbook = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    try:
        sheet = workbook[title]
        sheet.reset_dimensions()
        return [[_reference_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _trimmed(row: list[str | None]) -> list[str | None]:
    while row and row[-1] is None:
        row = row[:-1]
    return row


def _workbook(sheets: dict[str, list[list[object]]], *, hidden: tuple[str, ...] = ()) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if title in hidden:
            sheet.sheet_state = "hidden"
    return workbook_bytes(workbook)


def _project_workbooks(tmp_path: Path) -> list[Path]:
    from pipelines.demo.field_data import write_field_demo

    write_field_demo(tmp_path, end_month=date(2026, 10, 1))
    demo = sorted(tmp_path.glob("*/*.xlsx"))
    assert len(demo) == 8
    return demo + sorted((ROOT / "data_raw" / "templates").glob("*.xlsx"))


def test_project_workbooks_read_as_the_former_reader_read_them(tmp_path: Path) -> None:
    for path in _project_workbooks(tmp_path):
        source = next(s for s in SPECS.values() if path.name.startswith((s.source, f"synthetic_demo_{s.source}")))
        raw = path.read_bytes()
        result = read_bytes(raw, source.header_map(), max_rows=100_000)
        for table in result.tables:
            expected = _reference_rows(raw, table.sheet)
            assert list(table.headers) == _trimmed(expected[table.header_row - 1]), path.name
            for number, cells in table.cells.select("row_number", "cells").iter_rows():
                assert cells == _trimmed(expected[number - 1]), (path.name, number)
            blank = [n for n, row in enumerate(expected, 1) if n > table.header_row and not any(
                c is not None and c.strip() for c in row)]
            assert table.blank_rows == len(blank), path.name


def test_typed_cells() -> None:
    raw = _workbook({"Log": [
        HEADER + ["count", "ratio"],
        [date(2026, 3, 1), "Austin Team", "HS-01", "fentanyl", "positive", 12, 0.25],
        [datetime(2026, 3, 2, 14, 30), "  spaced  ", 7.0, "xylazine", None, -3, None, None, "far right"],
    ]})
    result = read_bytes(raw, KEYS, max_rows=10)
    assert result.format == "xlsx" and result.tables[0].sheet == "Log"
    assert result.tables[0].cells["cells"].to_list() == [
        ["2026-03-01", "Austin Team", "HS-01", "fentanyl", "positive", "12", "0.25"],
        ["2026-03-02 14:30:00", "  spaced  ", "7", "xylazine", None, "-3", None, None, "far right"],
    ]


def test_title_row_empty_first_column_merged_header_and_totals_row(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "March"
    sheet["B1"] = "West Side test strips — March 2026"
    sheet.merge_cells("B1:F1")
    sheet.append([])
    sheet.append([None, *HEADER, "notes taken"])
    sheet.merge_cells("G3:H3")  # a merged header cell: its value sits in G3 only
    sheet.append([None, "2026-03-01", "Austin Team", "HS-01", "fentanyl", "positive"])
    sheet.append([None, "2026-03-02", "Austin Team", "HS-03", "fentanyl", "negative"])
    sheet.append([None, "Total", None, None, None, 2])
    raw = workbook_bytes(workbook)
    result = read_bytes(raw, KEYS, max_rows=10)
    table = result.tables[0]
    assert table.header_row == 3 and list(table.headers) == [*HEADER, "notes taken"]
    assert table.cells["row_number"].to_list() == [4, 5, 6]
    assert table.cells["is_totals"].to_list() == [False, False, True]
    # Through the shared path: the totals row is quarantined as such, the others go to validation.
    read = read_one(raw, "march.xlsx", "sha", TEST_STRIPS, field_settings(tmp_path / "raw"))
    assert read.outcome.status == "loaded" and read.outcome.rows_in == 3
    assert read.rows["row_number"].to_list() == [4, 5]
    assert read.quarantine.rows() == [("march.xlsx", 6, "totals row")]


@pytest.mark.parametrize("label", ["Total", "TOTALS", "Grand total:", "Sum", "Subtotal"])
def test_totals_labels(label: str) -> None:
    raw = _workbook({"S": [HEADER, ["2026-03-01", "Austin Team", "HS-01", "fentanyl", "positive"], [label, None, 5]]})
    assert read_bytes(raw, KEYS, max_rows=10).tables[0].cells["is_totals"].to_list() == [False, True]


def test_a_team_called_total_something_is_not_a_totals_row() -> None:
    raw = _workbook({"S": [HEADER, ["2026-03-01", "Totally Team", "HS-01", "fentanyl", "positive"]]})
    assert read_bytes(raw, KEYS, max_rows=10).tables[0].cells["is_totals"].to_list() == [False]


def test_hidden_and_non_data_sheets_are_skipped_and_named() -> None:
    row = ["2026-03-01", "Austin Team", "HS-01", "fentanyl", "positive"]
    sheets = {"Instructions": [["Fill in one row per strip"]], "Jan": [HEADER, row], "Old": [HEADER, row],
              **{f"Chart {n}": [["x", n]] for n in range(7)}}
    result = read_bytes(_workbook(sheets, hidden=("Old",)), KEYS, max_rows=10)
    assert len(sheets) == 10
    assert [t.sheet for t in result.tables] == ["Jan"]
    assert result.skipped_sheets == ("Instructions", *(f"Chart {n}" for n in range(7)))


def test_a_workbook_without_a_data_sheet_names_its_sheets() -> None:
    with pytest.raises(Refused) as info:
        read_bytes(_workbook({"Budget": [["item", "amount"], ["kits", 100]], "Notes": [["x"]]}), KEYS, max_rows=10)
    assert "no header row found in any sheet (sheets: 'Budget', 'Notes')" in info.value.reason


def _with_cached_formula(raw: bytes, cached: str) -> bytes:
    """The workbook with cell B2 a HYPERLINK formula whose cached value is ``cached`` (as Excel saves it)."""
    source = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                start = content.index(b'<c r="B2"')
                end = content.index(b"</c>", start) + 4
                cell = (f'<c r="B2" t="str"><f>HYPERLINK("http://x","A")</f><v>{cached}</v></c>').encode()
                content = content[:start] + cell + content[end:]
            target.writestr(info, content)
    return out.getvalue()


def test_formula_cells_read_as_their_cached_value_never_the_formula() -> None:
    raw = _workbook({"S": [HEADER, ["2026-03-01", "placeholder", "HS-01", "fentanyl", "positive"]]})
    cells = read_bytes(_with_cached_formula(raw, "Austin Team"), KEYS, max_rows=10).tables[0].cells["cells"]
    assert cells.to_list() == [["2026-03-01", "Austin Team", "HS-01", "fentanyl", "positive"]]
    # A cached value that is itself formula-like text stays text (validation quarantines it).
    cells = read_bytes(_with_cached_formula(raw, "=cmd|' /C calc'!A0"), KEYS, max_rows=10).tables[0].cells["cells"]
    assert cells.to_list()[0][1] == "=cmd|' /C calc'!A0"


def test_too_many_sheets_is_refused() -> None:
    sheets = {f"S{n}": [["x"]] for n in range(51)}
    with pytest.raises(Refused, match="51 sheets; the limit is 50"):
        read_bytes(_workbook(sheets), KEYS, max_rows=10)
