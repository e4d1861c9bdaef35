"""A corpus of mangled field files: nothing crashes, every refusal says why, and the rows add up.

Every case is ingested by the real ``ingest_source`` into an in-memory warehouse, for test strips
and for outreach logs. For each: the file is refused whole with a message a coordinator can act on,
or its rows are loaded or quarantined one by one with a reason; and in every case
``rows_in = rows_loaded + rows_quarantined`` in the report, the ingest log and the tables.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from field_data.helpers import TODAY, field_settings, write_csv
from openpyxl import Workbook

from pipelines.defs.field_data.ingest import ingest_source
from pipelines.defs.field_data.schema import HOTSPOTS, OUTREACH, TEST_STRIPS
from pipelines.defs.field_data.writing import csv_bytes, workbook_bytes

HOTSPOT_FILE = [
    ["hotspot_id", "name", "latitude", "longitude", "active"],
    ["HS-01", "Madison & Pulaski", "41.88105", "-87.72590", "yes"],
    ["HS-03", "Chicago & Central", "41.89545", "-87.76520", "yes"],
]
GOOD = {
    "test_strips": [
        ["tested_on", "team", "hotspot_id", "substance_as_sold", "strip_type", "result", "sample_id"],
        ["2026-03-01", "Austin Team", "HS-03", "dope", "fentanyl", "positive", "A-1"],
        ["2026-03-01", "Austin Team", "HS-03", "dope", "xylazine", "negative", "A-1"],
        ["2026-03-02", "Austin Team", "HS-01", "crack", "fentanyl", "negative", "A-2"],
    ],
    "outreach": [
        ["date", "team", "hotspot_id", "contacts", "naloxone_kits_distributed", "people_trained_naloxone"],
        ["2026-03-01", "Austin Team", "HS-03", "12", "10", "3"],
        ["2026-03-02", "Austin Team", "HS-01", "8", "6", "0"],
        ["2026-03-03", "Garfield Team", "HS-01", "20", "15", "4"],
    ],
}
SPECS = {"test_strips": TEST_STRIPS, "outreach": OUTREACH}
#: Formula-like text in the team column (and a second text column): quarantined, never loaded.
FORMULAS = ['=HYPERLINK("http://x","click")', "+cmd|' /C calc'!A0", "@SUM(A1:A9)", "-2+3"]
MAX_BYTES = 20_000


def _formula_rows(source: str) -> list[list[str]]:
    header, *rows = GOOD[source]
    bad = [[*rows[0][:1], formula, *rows[0][2:]] for formula in FORMULAS]
    return [header, *rows, *bad]


def _xlsx(rows: list[list[object]], *, merge_title: bool = False) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "March"
    width = len(rows[0])
    if merge_title:
        # Two title rows merged across the table, as coordinators lay their sheets out.
        sheet.append(["West Side outreach — March 2026"] + [None] * (width - 1))
        sheet.append(["When and who", None, "Where", *["What"] + [None] * (width - 4)])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
        sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=2)
        sheet.merge_cells(start_row=2, start_column=4, end_row=2, end_column=width)
    for row in rows:
        sheet.append(row)
    return workbook_bytes(workbook)


def _mixed_encoding(source: str) -> bytes:
    header, first, second, third = GOOD[source]
    top = csv_bytes([header, [first[0], "Café Team", *first[2:]]], encoding="utf-8")
    bottom = csv_bytes([[second[0], "Café Team", *second[2:]], third], encoding="cp1252")
    return top + bottom


#: name -> (file name, bytes builder, expected): expected is ("refused", words the message holds)
#: or ("read", rows loaded, rows quarantined).
CASES: dict[str, tuple[str, Callable[[str], bytes], tuple]] = {
    "empty": ("empty.csv", lambda s: b"", ("refused", ["empty"])),
    "header only": ("header.csv", lambda s: csv_bytes(GOOD[s][:1]), ("read", 0, 0)),
    "binary": ("photo.csv", lambda s: bytes(range(256)) * 8, ("refused", ["binary"])),
    "wrong delimiter": (
        "pipes.csv",
        lambda s: "\r\n".join("|".join(r) for r in GOOD[s]).encode(),
        ("refused", ["header"]),
    ),
    "huge": (
        "year.csv",
        lambda s: csv_bytes([GOOD[s][0], *GOOD[s][1:] * 300]),
        ("refused", ["limit is 20,000 bytes", "ODW_FIELD_MAX_BYTES"]),
    ),
    "merged header rows (csv)": (
        "titled.csv",
        lambda s: csv_bytes([["Outreach log March 2026", "", ""], ["When", "", "Where"], *GOOD[s]]),
        ("read", 3, 0),
    ),
    "merged header rows (xlsx)": ("titled.xlsx", lambda s: _xlsx(GOOD[s], merge_title=True), ("read", 3, 0)),
    "formulas (csv)": ("formulas.csv", lambda s: csv_bytes(_formula_rows(s)), ("read", 3, len(FORMULAS))),
    "formulas (xlsx)": ("formulas.xlsx", lambda s: _xlsx(_formula_rows(s)), ("read", 3, len(FORMULAS))),
    "mixed encodings": ("mixed.csv", _mixed_encoding, ("refused", ["UTF-8", "Windows-1252"])),
    "corrupt xlsx": (
        "broken.xlsx",
        lambda s: _xlsx(GOOD[s])[:1500],
        ("refused", ["xlsx"]),
    ),
    "windows-1252 (control)": (
        "ansi.csv",
        lambda s: csv_bytes([GOOD[s][0], *([r[0], "Café Team", *r[2:]] for r in GOOD[s][1:])], encoding="cp1252"),
        ("read", 3, 0),
    ),
}


@pytest.mark.parametrize("source", ["test_strips", "outreach"])
@pytest.mark.parametrize("case", list(CASES))
def test_bad_input(case: str, source: str, tmp_path: Path, con) -> None:
    name, build, expected = CASES[case]
    raw = tmp_path / "raw"
    settings = field_settings(raw, ODW_FIELD_MAX_BYTES=str(MAX_BYTES))
    write_csv(raw / "hotspots" / "hotspots.csv", HOTSPOT_FILE)
    ingest_source(con, settings, HOTSPOTS, today=TODAY, now=TODAY_NOON)
    folder = raw / source
    folder.mkdir(parents=True)
    (folder / name).write_bytes(build(source))

    report = ingest_source(con, settings, SPECS[source], today=TODAY, now=TODAY_NOON)

    (outcome,) = report.files
    if expected[0] == "refused":
        assert outcome.status == "refused", outcome
        for words in expected[1]:
            assert words in outcome.refusal, outcome.refusal
    else:
        _, loaded, quarantined = expected
        assert outcome.status == "loaded", outcome.refusal
        assert (outcome.rows_loaded, outcome.rows_quarantined) == (loaded, quarantined)

    # The numbers add up in the report, the ingest log and the tables.
    assert outcome.rows_in == outcome.rows_loaded + outcome.rows_quarantined
    ((log_in, log_loaded, log_quarantined),) = con.execute(
        "SELECT rows_in, rows_loaded, rows_quarantined FROM staging.ingest_log WHERE source = ?", [source]
    ).fetchall()
    assert (log_in, log_loaded, log_quarantined) == (outcome.rows_in, outcome.rows_loaded, outcome.rows_quarantined)
    assert con.execute(f"SELECT count(*) FROM staging.{source}").fetchall()[0][0] == outcome.rows_loaded
    reasons = [
        r[0]
        for r in con.execute(
            "SELECT reason FROM staging.quarantine WHERE source = ? AND row_number IS NOT NULL", [source]
        ).fetchall()
    ]
    assert len(reasons) == outcome.rows_quarantined and all(reasons)
    # Formula text is never stored: not in the loaded rows, and not echoed in a reason.
    text_columns = [
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'staging' "
            "AND table_name = ? AND data_type = 'VARCHAR'",
            [source],
        ).fetchall()
    ]
    for column in text_columns:
        stored = con.execute(f'SELECT "{column}" FROM staging.{source}').fetchall()
        assert not any(v and str(v).startswith(("=", "+", "@")) for (v,) in stored), column
    assert not any("HYPERLINK" in reason or "calc" in reason for reason in reasons)


TODAY_NOON = __import__("datetime").datetime(TODAY.year, TODAY.month, TODAY.day, 12, 0)
