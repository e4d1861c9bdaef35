"""Property: for any mangled file, rows in = rows loaded + rows quarantined, and nothing crashes."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from field_data.helpers import TODAY, field_settings, write_csv, write_xlsx
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pipelines.defs.field_data.ingest import ingest_source
from pipelines.defs.field_data.schema import HOTSPOTS, OUTREACH, TEST_STRIPS
from pipelines.warehouse import run_sql_file

BASE = {
    "test_strips": [
        ["2026-03-01", "Austin Team", "HS-01", "", "", "", "dope", "fentanyl", "positive", "S-1"],
        ["03/02/2026", "Austin Team", "", "41.8810", "-87.7255", "", "crack", "xylazine", "neg", "S-2"],
        ["46000", "Van", "", "", "", "Austin", "", "fentanyl", "invalid", ""],
        ["2026-03-04", "Van", "hs-01", "", "", "West Garfield Park", "pills", "FTS", "+", "S-3"],
    ],
    "outreach": [
        ["2026-03-01", "Austin Team", "HS-01", "", "", "", "30", "6", "12", "0", "0", "1", "0", "0", "0", "1", "10", "2"],
        ["3/2/2026", "Van", "", "41.88", "-87.72", "", "12", "", "5", "1", "1", "", "", "", "", "", "", ""],
        ["46001", "Van", "", "", "", "North Lawndale", "1,204", "12.0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0"],
    ],
}
SPECS = {"test_strips": TEST_STRIPS, "outreach": OUTREACH}

# Cell mutations a coordinator's spreadsheet goes through.
cell_text = st.one_of(
    st.just(""),
    st.just(" "),
    st.sampled_from(["-3", "25000", "lots", "2.5", "2062-01-01", "13/45/2026", "Austn", "HS-99", "pos?",
                     "=HYPERLINK(\"http://x\",\"y\")", "87.72", "0", "#N/A", "N/A"]),
    st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00") | st.sampled_from(",;\"\n\t"),
            max_size=12),
    st.integers(-10, 100000).map(str),
)


@st.composite
def mangled_files(draw):
    source = draw(st.sampled_from(sorted(BASE)))
    spec = SPECS[source]
    rows = [list(r) for r in draw(st.lists(st.sampled_from(BASE[source]), min_size=0, max_size=8))]
    for row in rows:
        for i in range(len(row)):
            if draw(st.integers(0, 9)) == 0:
                row[i] = draw(cell_text)
        if draw(st.integers(0, 9)) == 0:
            row.append(draw(cell_text))  # a stray value past the last column
        if draw(st.integers(0, 14)) == 0:
            row[:] = [""] * len(row)  # a blank row
    if rows and draw(st.booleans()):
        rows.append(list(draw(st.sampled_from(rows))))  # an exact duplicate
    header = [draw(st.sampled_from([name, name.upper(), name.replace("_", " ").title()])) for name in spec.names]
    extra = draw(st.sampled_from([None, "Weather", "Notes", "Client name"]))
    if extra:
        header.append(extra)
        for row in rows:
            row.insert(len(header) - 1, draw(st.sampled_from(["", "rain", "called back"])))
    title = draw(st.booleans())
    table = ([["Weekly log"]] if title else []) + [header] + rows
    form = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "semicolon", "xlsx"]))
    return source, table, form


def non_blank(table: list[list[str]], title: bool) -> int:
    data = table[2:] if title else table[1:]
    return sum(1 for row in data if any(str(c).strip() for c in row))


def write(path_dir: Path, table: list[list[str]], form: str) -> Path:
    if form == "xlsx":
        # Spreadsheet programs cannot store some characters in a cell; such a cell would be
        # rejected by the writer, not by the pipeline, so they are left out of workbooks.
        clean = [[c.replace("\n", " ") for c in row] for row in table]
        return write_xlsx(path_dir / "f.xlsx", {"Log": clean})
    if form == "cp1252":
        try:
            return write_csv(path_dir / "f.csv", table, encoding="cp1252")
        except UnicodeEncodeError:
            form = "utf-8"
    if form == "semicolon":
        return write_csv(path_dir / "f.csv", table, delimiter=";")
    return write_csv(path_dir / "f.csv", table, encoding=form)


@pytest.fixture(scope="module")
def property_con(area_table):
    con = duckdb.connect()
    run_sql_file(con, "raw/schema.sql")
    run_sql_file(con, "field_data/schema.sql")
    con.register("area_frame", area_table.to_arrow())
    con.execute("CREATE TABLE staging.community_areas AS SELECT * FROM area_frame")
    con.unregister("area_frame")
    raw = Path(tempfile.mkdtemp(prefix="odw_hotspots_")) / "raw"
    write_csv(raw / "hotspots" / "h.csv", [["hotspot_id", "latitude", "longitude"], ["HS-01", "41.88105", "-87.7259"]])
    ingest_source(con, field_settings(raw), HOTSPOTS, today=TODAY, now=datetime(2026, 3, 20))
    yield con
    con.close()


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=mangled_files())
def test_rows_in_equal_loaded_plus_quarantined(property_con, case) -> None:
    source, table, form = case
    spec = SPECS[source]
    with tempfile.TemporaryDirectory() as folder:
        raw = Path(folder) / "raw"  # refused files go beside it, into the same temporary folder
        write(raw / source, table, form)
        report = ingest_source(property_con, field_settings(raw), spec, today=TODAY, now=datetime.now())
    [outcome] = report.files
    event(f"{outcome.status}, {'some' if outcome.rows_quarantined else 'no'} rows quarantined")
    assert outcome.rows_in == outcome.rows_loaded + outcome.rows_quarantined
    title = table[0] == ["Weekly log"]
    assert outcome.rows_in == non_blank(table, title)
    staged = property_con.execute(f"SELECT count(*) FROM {spec.table}").fetchall()[0][0]
    quarantined = property_con.execute(
        "SELECT count(row_number) FROM staging.quarantine WHERE source = $s", {"s": source}
    ).fetchall()[0][0]
    assert (staged, quarantined) == (outcome.rows_loaded, outcome.rows_quarantined)
    if outcome.status == "refused":
        assert outcome.rows_loaded == 0 and outcome.refusal
