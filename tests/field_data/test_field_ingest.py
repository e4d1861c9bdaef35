"""Per-source ingest: corrections, removals, history, refusals — and the numbers adding up."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from field_data.helpers import TODAY, field_settings, write_csv, write_xlsx

from pipelines.defs.field_data import checks, marts
from pipelines.defs.field_data.ingest import ingest_source
from pipelines.defs.field_data.schema import HOTSPOTS, OUTREACH, SPECS, TEST_STRIPS

HOTSPOT_FILE = [
    ["hotspot_id", "name", "latitude", "longitude", "active"],
    ["HS-01", "Madison & Pulaski", "41.88105", "-87.72590", "yes"],
    ["HS-03", "Chicago & Central", "41.89545", "-87.76520", "yes"],
]
STRIPS = [
    ["tested_on", "team", "hotspot_id", "substance_as_sold", "strip_type", "result", "sample_id"],
    ["2026-03-01", "Austin Team", "HS-03", "dope", "fentanyl", "positive", "A-1"],
    ["2026-03-01", "Austin Team", "HS-03", "dope", "xylazine", "negative", "A-1"],
    ["2026-03-02", "Austin Team", "HS-01", "crack", "fentanyl", "negative", "A-2"],
]


class Clock:
    """Run times one minute apart, so ingest-log entries have an order."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 20, 9, 0)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def setup(tmp_path: Path, con):
    raw = tmp_path / "raw"
    settings = field_settings(raw)
    clock = Clock()

    def ingest(spec, **env):
        cfg = field_settings(raw, **env) if env else settings
        return ingest_source(con, cfg, spec, today=TODAY, now=clock())

    write_csv(raw / "hotspots" / "hotspots.csv", HOTSPOT_FILE)
    ingest(HOTSPOTS)
    return raw, ingest


def count(con, sql: str, params=None) -> int:
    return con.execute(sql, params).fetchall()[0][0]


def log(con, source: str) -> list[tuple]:
    return con.execute(
        "SELECT file, mode, rows_in, rows_loaded, rows_quarantined FROM staging.ingest_log "
        "WHERE source = $source ORDER BY ingested_at, file", {"source": source}
    ).fetchall()


def test_resubmitting_a_file_replaces_its_rows(setup, con) -> None:
    raw, ingest = setup
    path = write_csv(raw / "test_strips" / "march.csv", STRIPS)
    report = ingest(TEST_STRIPS)
    assert (report.rows_in, report.rows_loaded, report.rows_quarantined) == (3, 3, 0)
    # The coordinator corrects one result and adds a row, under the same name.
    corrected = [row[:] for row in STRIPS] + [["2026-03-03", "Austin Team", "HS-01", "pills", "fentanyl", "positive", "A-3"]]
    corrected[3][5] = "positive"
    write_csv(path, corrected)
    ingest(TEST_STRIPS)
    assert count(con, "SELECT count(*) FROM staging.test_strips") == 4
    assert count(con, "SELECT count(*) FROM staging.test_strips WHERE sample_id = 'A-2' AND result = 'positive'") == 1
    assert log(con, "test_strips") == [("march.csv", "new", 3, 3, 0), ("march.csv", "replaced", 4, 4, 0)]


def test_an_unchanged_folder_logs_nothing_new(setup, con) -> None:
    raw, ingest = setup
    write_csv(raw / "test_strips" / "march.csv", STRIPS)
    ingest(TEST_STRIPS)
    ingest(TEST_STRIPS)
    assert len(log(con, "test_strips")) == 1
    assert count(con, "SELECT count(*) FROM staging.test_strips") == 3


def test_removing_a_file_removes_its_rows_and_keeps_the_history(setup, con) -> None:
    raw, ingest = setup
    march = write_csv(raw / "test_strips" / "march.csv", STRIPS)
    write_csv(raw / "test_strips" / "april.csv", [STRIPS[0], ["2026-03-05", "Austin Team", "HS-03", "", "fentanyl", "bad", ""]])
    ingest(TEST_STRIPS)
    march.unlink()
    report = ingest(TEST_STRIPS)
    assert report.removed == ["march.csv"]
    assert count(con, "SELECT count(*) FROM staging.test_strips") == 0
    assert count(con, "SELECT count(*) FROM staging.quarantine WHERE source = 'test_strips'") == 1
    assert log(con, "test_strips") == [
        ("april.csv", "new", 1, 0, 1),
        ("march.csv", "new", 3, 3, 0),
        ("march.csv", "removed", 0, 0, 0),
    ]
    # Put back: new again.
    write_csv(march, STRIPS)
    ingest(TEST_STRIPS)
    assert log(con, "test_strips")[-1] == ("march.csv", "new", 3, 3, 0)


def test_a_new_hot_spot_turns_quarantined_rows_into_loaded_ones(setup, con) -> None:
    raw, ingest = setup
    write_csv(raw / "test_strips" / "march.csv", STRIPS + [["2026-03-04", "Van", "HS-07", "", "fentanyl", "positive", ""]])
    ingest(TEST_STRIPS)
    assert count(con, "SELECT count(*) FROM staging.quarantine WHERE source = 'test_strips'") == 1
    write_csv(raw / "hotspots" / "more.csv", [HOTSPOT_FILE[0], ["HS-07", "Division & Kedzie", "41.903", "-87.7072", ""]])
    ingest(HOTSPOTS)
    ingest(TEST_STRIPS)
    assert count(con, "SELECT count(*) FROM staging.test_strips") == 4
    assert log(con, "test_strips")[-1] == ("march.csv", "revalidated", 4, 4, 0)


def test_a_refused_file_quarantines_every_row_and_logs_them(setup, con) -> None:
    raw, ingest = setup
    write_csv(raw / "test_strips" / "march.csv", [STRIPS[0] + ["Client name"], *(r + ["someone"] for r in STRIPS[1:])])
    report = ingest(TEST_STRIPS)
    assert [f.status for f in report.files] == ["refused"]
    assert count(con, "SELECT count(*) FROM staging.test_strips") == 0
    rows = con.execute("SELECT stage, row_number, reason FROM staging.quarantine WHERE source = 'test_strips' "
                       "ORDER BY row_number").fetchall()
    assert [(stage, row) for stage, row, _ in rows] == [("refused", 2), ("refused", 3), ("refused", 4)]
    assert rows[0][2].startswith("file refused: column 'Client name' looks like a person's name")
    assert log(con, "test_strips") == [("march.csv", "refused", 3, 0, 3)]
    # Nothing of the refused column reached the warehouse.
    assert count(con, "SELECT count(*) FROM staging.quarantine WHERE reason LIKE '%someone%'") == 0
    # The file left the raw folder for the private refused folder; the log keeps why.
    assert not (raw / "test_strips" / "march.csv").exists()
    kept = list((raw.parent / "refused" / "test_strips").iterdir())
    assert [p.name.endswith("__march.csv") for p in kept] == [True]
    assert kept[0].stat().st_mode & 0o777 == 0o600 and kept[0].parent.stat().st_mode & 0o777 == 0o700
    reason = con.execute("SELECT reason FROM staging.ingest_log WHERE file = 'march.csv'").fetchall()
    assert reason == [("column 'Client name' looks like a person's name; remove column 'Client name' and send "
                       "the file again, or ask the data manager to list it in ODW_FIELD_DROP_COLUMNS (or map it "
                       "to a field with ODW_FIELD_COLUMN_MAP)",)]
    # Running again changes nothing: the kept file is still listed as refused, nothing new is logged.
    ingest(TEST_STRIPS)
    assert log(con, "test_strips") == [("march.csv", "refused", 3, 0, 3)]
    assert count(con, "SELECT count(*) FROM staging.quarantine WHERE stage = 'refused'") == 3
    # Settings that would accept it do not load it from the refused folder: it must be sent again.
    ingest(TEST_STRIPS, ODW_FIELD_DROP_COLUMNS="Client name")
    assert count(con, "SELECT count(*) FROM staging.test_strips") == 0
    assert con.execute("SELECT DISTINCT reason FROM staging.quarantine WHERE source = 'test_strips'").fetchall() == [
        ("file refused: refused earlier and moved to ODW_REFUSED_DIR; send the file again to load it",)
    ]
    # Configured to drop the column and sent again: the same file now loads.
    kept[0].rename(raw / "test_strips" / "march.csv")
    ingest(TEST_STRIPS, ODW_FIELD_DROP_COLUMNS="Client name")
    assert count(con, "SELECT count(*) FROM staging.test_strips") == 3
    assert log(con, "test_strips")[-1] == ("march.csv", "revalidated", 3, 3, 0)


def test_an_unreadable_file_leaves_one_quarantine_entry_without_rows(setup, con) -> None:
    raw, ingest = setup
    (raw / "test_strips").mkdir(parents=True, exist_ok=True)
    (raw / "test_strips" / "scan.pdf").write_bytes(b"%PDF-1.4 ...")
    (raw / "test_strips" / "~$march.xlsx").write_bytes(b"lock file")  # Excel's lock file: not data
    (raw / "test_strips" / ".DS_Store").write_bytes(b"\x00\x01")
    report = ingest(TEST_STRIPS)
    assert [(f.file, f.status, f.rows_in) for f in report.files] == [("scan.pdf", "refused", 0)]
    assert con.execute("SELECT row_number, reason FROM staging.quarantine WHERE source = 'test_strips'").fetchall() == [
        (None, "file refused: this is a PDF, not a spreadsheet; send the .xlsx or CSV file")
    ]
    # Too big: refused unread, and not even hashed.
    write_csv(raw / "test_strips" / "year.csv", STRIPS * 50)
    report = ingest(TEST_STRIPS, ODW_FIELD_MAX_BYTES="2000")
    big = next(f for f in report.files if f.file == "year.csv")
    assert big.status == "refused" and big.checksum.startswith("oversize:") and "ODW_FIELD_MAX_BYTES" in big.refusal


def test_files_in_subfolders_are_ingested_under_their_relative_name(setup, con) -> None:
    raw, ingest = setup
    write_csv(raw / "test_strips" / "austin" / "march.csv", STRIPS)
    ingest(TEST_STRIPS)
    assert count(con, "SELECT count(*) FROM staging.test_strips WHERE source_file = 'austin/march.csv'") == 3


def test_a_coordinators_messy_spreadsheet(setup, con) -> None:
    """The issue's "done" case: mixed date formats, a stray notes column, a typo'd area."""
    raw, ingest = setup
    header = ["Date", "Team", "Hot spot", "Area", "Contacts", "Narcan kits", "Reversals", "Notes"]
    rows = [
        [date(2026, 3, 2), "Austin Team", "HS-03", None, 31, 12, 0, None],
        ["03/03/2026", "Austin Team", None, "Austin", "28", "10", "1", None],
        [46085, "Austin Team", None, "Humbolt Park", 19, 9, 0, None],  # serial 46085 = 2026-03-05
        ["2026-03-06", "Austin Team", "HS-03", None, -2, 7, 0, None],
        ["2026-03-06", "Austin Team", "HS-03", None, -2, 7, 0, "he said his name is"],
    ]
    path = write_xlsx(raw / "outreach" / "week 10.xlsx", {"Week 10": [header, *rows]})
    refused = ingest(OUTREACH)
    # The notes column carries text: the whole file is refused, every row accounted for.
    assert refused.files[0].refusal.startswith("column 'Notes' looks like free-text notes")
    assert (refused.rows_in, refused.rows_loaded, refused.rows_quarantined) == (5, 0, 5)
    # The coordinator deletes the notes and sends the file again under the same name.
    write_xlsx(path, {"Week 10": [header[:-1], *(r[:-1] for r in rows)]})
    report = ingest(OUTREACH)
    assert (report.rows_in, report.rows_loaded, report.rows_quarantined) == (5, 2, 3)
    loaded = con.execute("SELECT date, community_area, contacts FROM staging.outreach ORDER BY date").fetchall()
    assert loaded == [(date(2026, 3, 2), "Austin", 31), (date(2026, 3, 3), "Austin", 28)]
    reasons = con.execute("SELECT row_number, reason FROM staging.quarantine WHERE source = 'outreach' "
                          "ORDER BY row_number").fetchall()
    assert reasons == [
        (4, "community_area 'Humbolt Park' is not a Chicago community area (did you mean Humboldt Park?)"),
        (5, "contacts -2 is negative"),
        (6, "contacts -2 is negative"),
    ]
    assert log(con, "outreach") == [("week 10.xlsx", "refused", 5, 0, 5), ("week 10.xlsx", "replaced", 5, 2, 3)]


def test_empty_folders_give_empty_tables_and_passing_checks(tmp_path: Path, con) -> None:
    """Before any file arrives, every source, mart and check works on empty tables."""
    settings = field_settings(tmp_path / "raw")
    con.execute("CREATE TABLE staging.me_cases (death_date TIMESTAMP, community_area_number INTEGER, is_overdose BOOLEAN)")
    for spec in SPECS.values():
        report = ingest_source(con, settings, spec, today=TODAY, now=datetime(2026, 3, 20))
        assert report.files == [] and report.rows_in == 0
        assert checks.rows_add_up(con, spec.source) == {"rows_in": 0, "staged": 0, "quarantined": 0, "files_not_adding_up": 0}
        assert checks.unexpected_columns(con, spec.source) == []
    assert checks.unknown_test_strip_values(con) == 0 and checks.duplicated_hotspot_ids(con) == 0
    counts = marts.build_all(con, settings)
    assert counts == {table: 0 for table in counts} | {"marts.field_data_sources": 3}
    assert con.execute("SELECT label, is_synthetic, row_count FROM marts.field_data_sources ORDER BY source").fetchall() == [
        ("Outreach hot spots", False, 0), ("Street-outreach logs", False, 0),
        ("Fentanyl and xylazine test-strip results", False, 0),
    ]


def test_marts_on_a_small_known_input(setup, con) -> None:
    raw, ingest = setup
    write_csv(raw / "test_strips" / "march.csv", STRIPS)
    write_csv(raw / "outreach" / "march.csv", [
        ["date", "team", "hotspot_id", "contacts", "people_trained_naloxone", "naloxone_kits_distributed",
         "naloxone_administrations", "warm_handoffs_moud", "warm_handoffs_housing"],
        ["2026-01-10", "Austin Team", "HS-03", "20", "5", "10", "1", "2", ""],
        ["2026-03-02", "Austin Team", "HS-03", "10", "3", "4", "0", "1", "1"],
        ["2026-03-03", "Van", "HS-01", "7", "", "2", "", "", ""],
    ])
    ingest(TEST_STRIPS)
    ingest(OUTREACH)
    con.execute("CREATE TABLE staging.me_cases AS SELECT TIMESTAMP '2026-02-10' AS death_date, 25 AS community_area_number, "
                "true AS is_overdose FROM range(4)")
    settings = field_settings(raw, ODW_NALOXONE_TRAINED_BASELINE="100", ODW_NALOXONE_TRAINED_GOAL="110")
    marts.build_all(con, settings)
    positivity = con.execute(
        "SELECT area_level, community_area, strip_type, substance_as_sold, tests_read, positives, round(positivity, 4), "
        "round(positivity_lower, 4), round(positivity_upper, 4) FROM marts.test_strip_positivity "
        "WHERE substance_as_sold = 'all' AND strip_type = 'fentanyl' ORDER BY area_level, community_area"
    ).fetchall()
    assert positivity == [
        ("all", "All areas", "fentanyl", "all", 2, 1, 0.5, 0.0945, 0.9055),
        ("community_area", "Austin", "fentanyl", "all", 1, 1, 1.0, 0.2065, 1.0),
        ("community_area", "West Garfield Park", "fentanyl", "all", 1, 0, 0.0, 0.0, 0.7935),
    ]
    codetection = con.execute("SELECT samples_tested_both, fentanyl_positive, xylazine_positive, both_positive "
                              "FROM marts.test_strip_codetection WHERE area_level = 'all'").fetchall()
    assert codetection == [(1, 1, 0, 0)]
    cumulative = con.execute("SELECT month, people_trained_naloxone, people_trained_cumulative, people_trained_goal_reached, "
                             "naloxone_administrations_cumulative FROM marts.naloxone_cumulative ORDER BY month").fetchall()
    assert cumulative == [
        (date(2026, 1, 1), 5, 105, False, 1), (date(2026, 2, 1), 0, 105, False, 1), (date(2026, 3, 1), 3, 108, False, 1)
    ]
    funnel = con.execute("SELECT stage, stage_count, round(share_of_contacts, 4) FROM marts.warm_handoff_funnel "
                         "WHERE area_level = 'all' AND month = DATE '2026-03-01' ORDER BY stage_order").fetchall()
    assert funnel == [("Contacts", 17, 1.0), ("Any warm hand-off", 2, 0.1176), ("MOUD", 1, 0.0588), ("Detox", 0, 0.0),
                      ("Mental health", 0, 0.0), ("Housing", 1, 0.0588), ("Medical", 0, 0.0)]
    # Deaths only in February: the period both sources cover is January-February.
    coverage = con.execute("SELECT area_level, community_area, first_month, last_month, naloxone_kits_distributed, "
                           "overdose_deaths, kits_per_death FROM marts.naloxone_coverage "
                           "WHERE area_level = 'region' OR community_area_number = 25 ORDER BY area_level").fetchall()
    assert coverage == [
        ("community_area", "Austin", date(2026, 1, 1), date(2026, 2, 1), 10, 4, 2.5),
        ("region", "West Side", date(2026, 1, 1), date(2026, 2, 1), 10, 4, 2.5),
    ]
