"""Submitting a sheet from the dashboard: checked in memory exactly as the pipeline will, saved
atomically under a name that says who sent it, and never saved when refused."""

from __future__ import annotations

import io
import os
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from field_data.helpers import TODAY, field_settings, write_csv
from openpyxl import Workbook

from pipelines.defs.field_data.ingest import ingest_source
from pipelines.defs.field_data.schema import HOTSPOTS, TEST_STRIPS
from pipelines.defs.field_data.submission import (
    SHARED_PASSWORD,
    preview_upload,
    save_submission,
    stored_name,
    submitter_slug,
    upload_stem,
)
from pipelines.defs.field_data.writing import csv_bytes, workbook_bytes

NOW = datetime(2026, 3, 20, 14, 5, 9, tzinfo=UTC)
HEADER = ["tested_on", "team", "hotspot_id", "substance_as_sold", "strip_type", "result", "sample_id"]
GOOD = [
    ["2026-03-01", "Austin Team", "HS-03", "dope", "fentanyl", "positive", "A-1"],
    ["2026-03-01", "Austin Team", "HS-03", "dope", "xylazine", "negative", "A-1"],
    ["2026-03-02", "Austin Team", "HS-01", "crack", "fentanyl", "negative", "A-2"],
]
BAD = ["2026-03-02", "Austin Team", "HS-99", "crack", "fentanyl", "positive", "A-3"]  # unknown hot spot
HOTSPOT_FILE = [
    ["hotspot_id", "name", "latitude", "longitude", "active"],
    ["HS-01", "Madison & Pulaski", "41.88105", "-87.72590", "yes"],
    ["HS-03", "Chicago & Central", "41.89545", "-87.76520", "yes"],
]


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    folder = tmp_path / "raw"
    write_csv(folder / "hotspots" / "hotspots.csv", HOTSPOT_FILE)
    return folder


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _xlsx(rows: list[list[object]], sheets: int = 1) -> bytes:
    workbook = Workbook()
    workbook.active.title = "Strips"
    for row in rows:
        workbook.active.append(row)
    for n in range(1, sheets):
        workbook.create_sheet(f"Sheet {n}").append(["anything", n])
    return workbook_bytes(workbook)


def test_names_say_what_who_when_and_which_content() -> None:
    raw = csv_bytes([HEADER, GOOD[0]])
    name = stored_name("March strips (final).csv", raw, "Ana.Lopez@WestSide.org", NOW)
    stem, stamp, who, digest_ext = name.split("__")
    assert (stem, stamp, who) == ("march-strips-final", "20260320T140509Z", "ana-lopez-at-westside.org")
    assert digest_ext.endswith(".csv") and len(digest_ext) == 12 + 4
    assert submitter_slug(None) == SHARED_PASSWORD
    # Folders, dot-dot and odd characters never reach a path; the content decides the extension.
    assert upload_stem("../../etc/passwd") == "passwd"
    assert upload_stem("..\\..\\x.xlsx") == "x"
    assert upload_stem("....") == "upload" and upload_stem("") == "upload"
    assert stored_name("../../../tmp/evil.csv", _xlsx([HEADER]), None, NOW).startswith("evil__")
    assert stored_name("evil.csv", _xlsx([HEADER]), None, NOW).endswith(".xlsx")
    assert "/" not in stored_name("a/b\u0000c\u202e.csv", raw, "x/y@z", NOW)


def test_template_with_one_bad_row_previews_then_saves_atomically(raw: Path, areas) -> None:
    settings = field_settings(raw)
    upload = csv_bytes([HEADER, *GOOD, BAD])
    before = _files(raw.parent)
    preview = preview_upload(settings, TEST_STRIPS, upload, "march.csv", "ana@westside.org", areas=areas, now=NOW)
    assert _files(raw.parent) == before, "checking writes nothing"
    assert preview.accepted and preview.outcome.rows_in == 4
    assert preview.loaded.height == 3 and preview.outcome.rows_loaded == 3
    assert preview.quarantined.rows() == [(5, "hotspot_id 'HS-99' is not in the hot-spot list")]
    path = save_submission(settings, preview, upload)
    assert path.parent == raw / "test_strips" and path.read_bytes() == upload
    assert "__ana-at-westside.org__" in path.name
    assert _files(raw.parent) - before == {f"raw/test_strips/{path.name}"}, "no temporary file left behind"
    # The pipeline loads exactly what the preview promised.
    con = duckdb.connect()
    from pipelines.warehouse import run_sql_file

    run_sql_file(con, "raw/schema.sql")
    run_sql_file(con, "field_data/schema.sql")
    con.register("areas", areas.areas.to_arrow())
    con.execute("CREATE TABLE staging.community_areas AS SELECT * FROM areas")
    ingest_source(con, settings, HOTSPOTS, today=TODAY, now=NOW.replace(tzinfo=None))
    report = ingest_source(con, settings, TEST_STRIPS, today=TODAY, now=NOW.replace(tzinfo=None))
    (outcome,) = report.files
    assert (outcome.rows_loaded, outcome.rows_quarantined) == (3, 1)
    loaded = con.execute("SELECT source_row FROM staging.test_strips ORDER BY 1").fetchall()
    assert [r for (r,) in loaded] == preview.loaded["source_row"].to_list()


def test_sending_the_same_name_again_replaces_it(raw: Path, areas) -> None:
    settings = field_settings(raw)
    write_csv(raw / "test_strips" / "march.csv", [HEADER, GOOD[0]])  # dropped by hand earlier
    write_csv(raw / "test_strips" / "april.csv", [HEADER, GOOD[2]])
    first = preview_upload(settings, TEST_STRIPS, csv_bytes([HEADER, GOOD[0]]), "march.csv", None, areas=areas, now=NOW)
    assert first.replaces == ("march.csv",)
    # The hand-dropped copy it replaces is left out of the check: no duplicate of itself.
    assert first.quarantined.height == 0 and first.loaded.height == 1
    first_path = save_submission(settings, first, csv_bytes([HEADER, GOOD[0]]))
    later = NOW.replace(hour=15)
    second_bytes = csv_bytes([HEADER, *GOOD])
    second = preview_upload(settings, TEST_STRIPS, second_bytes, "March.CSV", None, areas=areas, now=later)
    assert second.replaces == (first_path.name,)
    second_path = save_submission(settings, second, second_bytes)
    assert sorted(p.name for p in (raw / "test_strips").iterdir()) == sorted(["april.csv", second_path.name])
    assert "__shared-password__" in second_path.name


def test_personal_column_is_refused_on_screen_and_nothing_is_written(raw: Path, areas) -> None:
    settings = field_settings(raw)
    upload = csv_bytes([[*HEADER, "client_name"], *(r + ["Jane Roe"] for r in GOOD)])
    before = _files(raw.parent)
    preview = preview_upload(settings, TEST_STRIPS, upload, "march.csv", None, areas=areas, now=NOW)
    assert not preview.accepted
    assert preview.outcome.refusal.startswith("column 'client_name' looks like a person's name")
    assert "Jane" not in preview.outcome.refusal
    with pytest.raises(ValueError, match="never saved"):
        save_submission(settings, preview, upload)
    assert _files(raw.parent) == before


def _html() -> bytes:
    return b"<!DOCTYPE html><html><body><table><tr><td>tested_on</td><td>team</td></tr></table></body></html>"


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("strips.csv", ",".join(HEADER))
    return buffer.getvalue()


BAD_INPUTS = {
    "empty": (b"", "the file is empty"),
    "html saved as csv": (_html(), "this is a web page (HTML)"),
    "zip named csv": (_zip(), "not a readable Excel workbook"),
    "50 MB": (b"tested_on,team\n" + b"2026-03-01,Austin Team\n" * 2_200_000, "the limit is 5.0 MB (ODW_UPLOAD_MAX_BYTES)"),
    "pdf": (b"%PDF-1.7\n", "this is a PDF"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_uploads_get_a_clear_message_and_nothing_is_written(case: str, raw: Path, areas) -> None:
    upload, message = BAD_INPUTS[case]
    before = _files(raw.parent)
    preview = preview_upload(field_settings(raw), TEST_STRIPS, upload, "../../x.csv", None, areas=areas, now=NOW)
    assert not preview.accepted and message in preview.outcome.refusal
    assert _files(raw.parent) == before


def test_formula_cells_are_quarantined_not_run(raw: Path, areas) -> None:
    upload = csv_bytes([HEADER, GOOD[0], ["2026-03-01", '=HYPERLINK("http://evil","click")', "HS-03", "dope",
                                           "fentanyl", "positive", "A-9"]])
    preview = preview_upload(field_settings(raw), TEST_STRIPS, upload, "f.csv", None, areas=areas, now=NOW)
    assert preview.accepted and preview.loaded.height == 1
    (row, reason), = preview.quarantined.rows()
    assert row == 3 and "formula" in reason and "evil" not in reason


def test_a_workbook_with_ten_sheets_reads_its_data_sheet_and_names_the_rest(raw: Path, areas) -> None:
    upload = _xlsx([HEADER, *GOOD], sheets=10)
    preview = preview_upload(field_settings(raw), TEST_STRIPS, upload, "book.xlsx", None, areas=areas, now=NOW)
    assert preview.accepted and preview.loaded.height == 3
    assert preview.outcome.skipped_sheets == tuple(f"Sheet {n}" for n in range(1, 10))
    assert preview.outcome.read_as == "xlsx, sheet 'Strips'"


def test_titled_workbook_with_a_totals_row(raw: Path, areas) -> None:
    upload = _xlsx([["West Side test strips, March"], [], HEADER, *GOOD, ["Total", None, None, None, None, 3]])
    preview = preview_upload(field_settings(raw), TEST_STRIPS, upload, "book.xlsx", None, areas=areas, now=NOW)
    assert preview.loaded.height == 3
    assert preview.quarantined.rows() == [(7, "totals row")]


def test_a_written_file_is_private_to_the_group_and_complete(raw: Path, areas) -> None:
    settings = field_settings(raw)
    upload = csv_bytes([HEADER, *GOOD])
    preview = preview_upload(settings, TEST_STRIPS, upload, "m.csv", None, areas=areas, now=NOW)
    with pytest.raises(ValueError, match="changed since it was checked"):
        save_submission(settings, preview, upload + b"x")
    path = save_submission(settings, preview, upload)
    assert os.stat(path).st_mode & 0o777 == 0o640
