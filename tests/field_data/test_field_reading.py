"""Reading coordinators' files: encodings, delimiters, XLSX, header rows — and clear refusals."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from field_data.helpers import write_csv, write_xlsx

from pipelines.defs.field_data.reading import Refused, read_file
from pipelines.defs.field_data.schema import TEST_STRIPS

KEYS = TEST_STRIPS.header_map()
HEADER = ["tested_on", "team", "hotspot_id", "strip_type", "result"]
ROW = ["2026-03-01", "Équipe Pilsen", "HS-01", "fentanyl", "positive"]


def read(path: Path, **limits):
    return read_file(path, KEYS, max_bytes=limits.get("max_bytes", 10_000_000), max_rows=limits.get("max_rows", 1000))


def cells(result) -> list[list[str | None]]:
    return [row for t in result.tables for row in t.cells["cells"].to_list()]


@pytest.mark.parametrize(
    ("encoding", "label"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "windows-1252"), ("utf-16", "utf-16")],
)
def test_encodings(tmp_path: Path, encoding: str, label: str) -> None:
    path = write_csv(tmp_path / "f.csv", [HEADER, ROW], encoding=encoding)
    result = read(path)
    assert result.encoding == label
    assert result.tables[0].headers == tuple(HEADER)  # no BOM left on the first header
    assert cells(result) == [ROW]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiters(tmp_path: Path, delimiter: str) -> None:
    row = ["2026-03-01", "Team, with comma", "HS-01", "fentanyl", "positive"]
    result = read(write_csv(tmp_path / "f.csv", [HEADER, row], delimiter=delimiter))
    assert result.delimiter == delimiter
    assert cells(result) == [row]


def test_title_rows_above_the_header_and_blank_rows_are_skipped(tmp_path: Path) -> None:
    rows = [["West Side test strips, March"], [], HEADER, ROW, ["", "", "", "", ""], ROW]
    result = read(write_csv(tmp_path / "f.csv", rows))
    table = result.tables[0]
    assert table.header_row == 3
    # Row numbers are those a spreadsheet program shows: the blank row 5 is skipped, not renumbered.
    assert table.cells["row_number"].to_list() == [4, 6]
    assert table.blank_rows == 1


def test_header_only_file_has_no_rows(tmp_path: Path) -> None:
    result = read(write_csv(tmp_path / "f.csv", [HEADER]))
    assert result.rows == 0


def test_xlsx_with_date_cells_and_numbers(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "f.xlsx",
        {"Sheet1": [HEADER + ["latitude", "longitude"],
                    [date(2026, 3, 1), "Team A", "HS-01", "fentanyl", "positive", 41.88105, -87.7259],
                    [46000, "Team A", None, "xylazine", "negative", 41.9, -87.7],
                    [datetime(2026, 3, 2, 14, 30), "Team A", 7.0, "fentanyl", "invalid", None, None]]},
    )
    result = read(path)
    assert result.format == "xlsx"
    assert cells(result) == [
        ["2026-03-01", "Team A", "HS-01", "fentanyl", "positive", "41.88105", "-87.7259"],
        ["46000", "Team A", None, "xylazine", "negative", "41.9", "-87.7"],
        # The reader leaves trailing empty cells out; they read as blank anyway.
        ["2026-03-02 14:30:00", "Team A", "7", "fentanyl", "invalid"],
    ]


def test_xlsx_reads_every_visible_data_sheet_and_skips_hidden_and_other_sheets(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "f.xlsx",
        {
            "Read me": [["How to fill in this workbook"], ["tested_on", "the day of the test"]],
            "Jan": [HEADER, ROW],
            "Feb": [["Feb tests"], HEADER, ROW, ROW],
            "secret": [HEADER, ROW],
        },
        hidden=["secret"],
    )
    result = read(path)
    assert [t.sheet for t in result.tables] == ["Jan", "Feb"]
    assert [t.cells["row_number"].to_list() for t in result.tables] == [[2], [3, 4]]


def test_csv_named_xlsx_is_read_by_content(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.xlsx", [HEADER, ROW])
    assert read(path).format == "csv"


def test_ragged_rows_are_kept_as_they_are(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("tested_on,team,strip_type,result\n2026-03-01,A,fentanyl\n2026-03-01,A,fentanyl,positive,extra\n")
    assert cells(read(path)) == [["2026-03-01", "A", "fentanyl"], ["2026-03-01", "A", "fentanyl", "positive", "extra"]]


# --- refusals: each with a message that says what to do, never a crash -------------------------


def refusal(path: Path, **limits) -> str:
    with pytest.raises(Refused) as info:
        read(path, **limits)
    return info.value.reason


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"")
    assert refusal(path) == "the file is empty"


def test_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [HEADER] + [ROW] * 2000)
    reason = refusal(path, max_bytes=20_000)
    assert "limit is 20,000 bytes (ODW_FIELD_MAX_BYTES)" in reason and "split it" in reason


def test_too_many_rows(tmp_path: Path) -> None:
    assert "ODW_FIELD_MAX_ROWS" in refusal(write_csv(tmp_path / "f.csv", [HEADER] + [ROW] * 11), max_rows=10)
    assert "ODW_FIELD_MAX_ROWS" in refusal(write_xlsx(tmp_path / "f.xlsx", {"S": [HEADER] + [ROW] * 11}), max_rows=10)


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "photo.csv"
    path.write_bytes(bytes(range(256)) * 40)
    assert "binary file" in refusal(path)


def test_old_xls_workbook(tmp_path: Path) -> None:
    path = tmp_path / "f.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    assert "save it as .xlsx" in refusal(path)


def test_pdf(tmp_path: Path) -> None:
    path = tmp_path / "f.pdf"
    path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    assert "PDF" in refusal(path)


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "f.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert "not a readable Excel workbook" in refusal(path)


def test_truncated_workbook(tmp_path: Path) -> None:
    good = write_xlsx(tmp_path / "good.xlsx", {"S": [HEADER, ROW]})
    path = tmp_path / "f.xlsx"
    path.write_bytes(good.read_bytes()[:300])
    assert "not a readable Excel workbook" in refusal(path)


def test_mixed_encodings(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(",".join(HEADER).encode() + b"\n2026-03-01,Equipo Pe\xc3\xb1a,HS-01,fentanyl,positive\n"
                     + b"2026-03-01,Equipo Pe\xf1a,HS-01,fentanyl,positive\n")
    with pytest.raises(Refused) as info:
        read(path)
    assert "mixes UTF-8 and Windows-1252" in info.value.reason
    assert info.value.row_numbers == (2, 3)  # still counted, so both rows are quarantined


def test_neither_utf8_nor_windows_1252(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(",".join(HEADER).encode() + b"\n2026-03-01,Team \x81,HS-01,fentanyl,positive\n")
    with pytest.raises(Refused) as info:
        read(path)
    assert info.value.reason.startswith("the file is neither UTF-8 nor Windows-1252")
    assert info.value.row_numbers == (2,)


def test_wrong_delimiter_means_no_header(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [HEADER, ROW], delimiter="|")
    assert "no header row found" in refusal(path)


def test_unrelated_spreadsheet_has_no_header(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "budget.xlsx", {"Budget": [["item", "amount"], ["kits", 100]]})
    reason = refusal(path)
    assert "no header row found in any sheet" in reason and "'Budget'" in reason


def test_formula_cells_read_as_their_cached_value_or_blank(tmp_path: Path) -> None:
    # openpyxl writes no cached values, so a formula cell has none to read: it is blank, never code.
    path = write_xlsx(tmp_path / "f.xlsx", {"S": [HEADER, ["2026-03-01", '=HYPERLINK("http://x","A")', "HS-01",
                                                           "fentanyl", "positive"]]})
    assert cells(read(path)) == [["2026-03-01", None, "HS-01", "fentanyl", "positive"]]
