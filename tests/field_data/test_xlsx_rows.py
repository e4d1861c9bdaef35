"""The fast worksheet reader yields exactly what openpyxl's read-only reader yields, fails where it fails."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from pipelines.defs.field_data.writing import workbook_bytes
from pipelines.defs.field_data.xlsx_rows import sheet_values


def _open(raw: bytes):
    return openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True, keep_links=False)


def _openpyxl_values(sheet):
    """openpyxl's own reading of a sheet with its recorded dimensions dropped: what sheet_values
    must match."""
    sheet.reset_dimensions()
    return sheet.iter_rows(values_only=True)


def _openpyxl_rows(raw: bytes, title: str) -> list[list]:
    workbook = _open(raw)
    try:
        return [list(row) for row in _openpyxl_values(workbook[title])]
    finally:
        workbook.close()


def _fast_rows(raw: bytes, title: str) -> list[list]:
    workbook = _open(raw)
    try:
        return [list(row) for row in sheet_values(workbook[title])]
    finally:
        workbook.close()


def _replace_sheet_xml(raw: bytes, xml: str, part: str = "xl/worksheets/sheet1.xml") -> bytes:
    source = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, xml.encode() if info.filename == part else source.read(info.filename))
    return out.getvalue()


def _typed_workbook() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Log"
    sheet.append(["tested_on", "team", "count", "ratio", "ok", "at", "note"])
    sheet.append([date(2026, 3, 1), "Austin Team", 12, 0.25, True, datetime(2026, 3, 1, 14, 30), None])
    sheet.append([datetime(2026, 3, 2), "  spaced  ", -3, 1e-7, False, time(9, 15), "=SUM(C2:C3)"])
    sheet.append([])  # a blank row in between
    sheet.append([None, None, None, None, None, None, None, "far right"])
    sheet["A7"] = 45962  # a bare serial number without a date style stays a number
    sheet["C7"] = CellRichText(["rich ", TextBlock(InlineFont(b=True), "bold")])
    sheet["A9"] = "after a gap"
    sheet.column_dimensions["B"].width = 30
    sheet.merge_cells("D9:E9")
    second = workbook.create_sheet("Second")
    second.append(["only", 1])
    return workbook_bytes(workbook)


def test_known_values_of_a_typed_workbook() -> None:
    rows = _fast_rows(_typed_workbook(), "Log")
    assert rows[1] == [datetime(2026, 3, 1), "Austin Team", 12, 0.25, True, datetime(2026, 3, 1, 14, 30)]
    assert rows[2] == [datetime(2026, 3, 2), "  spaced  ", -3, 1e-7, False, time(9, 15), None]  # formula: no cached value
    assert rows[3] == []
    assert rows[4] == [None] * 7 + ["far right"]
    assert rows[6][0] == 45962 and rows[6][2] == "rich bold"
    assert rows[7] == []  # row 8 is missing from the file
    assert rows[8] == ["after a gap"]
    assert len(rows) == 9


@pytest.mark.parametrize("title", ["Log", "Second"])
def test_equal_to_openpyxl_on_a_typed_workbook(title: str) -> None:
    raw = _typed_workbook()
    assert _fast_rows(raw, title) == _openpyxl_rows(raw, title)


# Shared strings, cells without references, out-of-order and repeated cells, rows without numbers,
# error and boolean and ISO-date cells, whitespace and entities in text, rich text and phonetic
# runs (left to openpyxl), a row numbered "3.0": hand-written XML as other spreadsheet programs
# (or a broken export) write it.
_ODD_SHEET = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<sheetViews><sheetView workbookViewId="0"/></sheetViews>
<cols><col min="1" max="2" width="12" customWidth="1"/></cols>
<sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="str"><v>plain str</v></c></row>
<row r="2" spans="1:4"><c t="inlineStr"><is><t xml:space="preserve"> a &amp; b </t></is></c><c><v>7</v></c><c t="b"><v>1</v></c><c t="e"><v>#N/A</v></c></row>
<row><c r="C3"><v>2.5E3</v></c><c r="A3"><v>1</v></c><c r="C3"><v>3</v></c></row>
<row r="5"><c r="B5" t="d"><v>2026-03-01T10:00:00</v></c><c r="D5" t="inlineStr"/><c r="E5" t="inlineStr"><is><t/></is></c></row>
<row r="6.0"><c r="A6" t="inlineStr"><is><r><t>rich </t></r><r><rPr><b/></rPr><t>text</t></r></is></c><c r="B6"><v></v></c></row>
<row r="7"><c r="A7" t="inlineStr"><is><t>kept</t><rPh sb="0" eb="1"><t>ph</t></rPh></is></c></row>
<row r="8"><c r="A8"><f>1+1</f><v>2</v></c><c r="AA8" t="s"><v>1</v></c></row>
<row r="4"><c r="A4"><v>4</v></c></row>
</sheetData>
<mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells>
<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>
</worksheet>"""

_SHARED = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2">
<si><t>tested_on</t></si><si><r><t>te</t></r><r><t>am</t></r></si></sst>"""


def _odd_workbook(sheet_xml: str = _ODD_SHEET) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.title = "Odd"
    workbook.active["A1"] = "placeholder"
    raw = _replace_sheet_xml(workbook_bytes(workbook), sheet_xml)
    source = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "[Content_Types].xml":
                content = content.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            if info.filename == "xl/_rels/workbook.xml.rels":
                content = content.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
                )
            target.writestr(info, content)
        target.writestr("xl/sharedStrings.xml", _SHARED)
    return out.getvalue()


def test_equal_to_openpyxl_on_hand_written_xml() -> None:
    raw = _odd_workbook()
    rows = _fast_rows(raw, "Odd")
    assert rows == _openpyxl_rows(raw, "Odd")
    assert rows[0] == ["tested_on", "team", "plain str"]
    assert rows[1] == [" a & b ", 7, True, "#N/A"]
    assert rows[2] == [1, None, 3]  # a later cell of the same column wins; C3 was 2500.0 first
    assert rows[5][0] == "rich text" and rows[6] == ["kept"]
    assert len(rows) == 8  # row 4 comes after row 8 in the file: skipped, as openpyxl does


@pytest.mark.parametrize(
    "bad_row",
    [
        '<row r="2"><c r="A2"><v>not a number</v></c></row>',  # openpyxl raises ValueError
        '<row r="2"><c r="2A"><v>1</v></c></row>',  # an invalid cell reference
        '<row r="2.5"><c r="A2"><v>1</v></c></row>',  # a fractional row number
        '<row r="2"><c r="A2" s="x"><v>1</v></c></row>',  # a style that is not a number
        # not well-formed after the rows (a sheet broken earlier is refused when the workbook opens)
        '<row r="2"><c r="A2"><v>1</v></c></row></sheetData><oops></worksheet><sheetData>',
        # an unknown entity after the rows
        '<row r="2"><c r="A2"><v>1</v></c></row></sheetData><headerFooter><oddHeader>&undefined;</oddHeader>'
        "</headerFooter><sheetData>",
    ],
)
def test_fails_where_openpyxl_fails_after_the_same_rows(bad_row: str) -> None:
    good = "".join(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>v{n}</t></is></c></row>' for n in (1,))
    xml = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        f"{good}{bad_row}</sheetData></worksheet>"
    )
    raw = _odd_workbook(xml)

    def outcome(read) -> tuple[list, str | None]:
        rows: list = []
        workbook = _open(raw)
        try:
            for row in read(workbook["Odd"]):
                rows.append(list(row))
        except Exception as exc:
            return rows, type(exc).__name__
        finally:
            workbook.close()
        return rows, None

    expected = outcome(_openpyxl_values)
    assert expected[1] is not None, "the case must make openpyxl fail"
    assert outcome(sheet_values) == expected
    assert expected[0][0] == ["v1"]


def test_demo_workbooks_read_alike(tmp_path: Path) -> None:
    from pipelines.demo.field_data import write_field_demo

    write_field_demo(tmp_path, end_month=date(2026, 10, 1))
    workbooks = sorted(tmp_path.glob("*/*.xlsx"))
    assert len(workbooks) == 8
    for path in workbooks:
        raw = path.read_bytes()
        title = _open(raw).sheetnames[0]
        assert _fast_rows(raw, title) == _openpyxl_rows(raw, title), path.name
