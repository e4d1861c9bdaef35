"""Raw SODA records → raw.me_records → typed staging rows, on deliberately ugly fixtures."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from pipelines.defs.medical_examiner.ingest import merge_files
from tests.medical_examiner.conftest import load_records, stage_in_warehouse, staged_cases

FIXTURE = Path(__file__).parent.parent / "fixtures" / "me_ugly.json"


def test_merge_accounts_for_every_row(con):
    report = merge_files(con, [FIXTURE], pull_id="fixture", mode="full", checksum=None, watermark=None)
    assert report.rows_in == 9
    # one row without casenumber, one superseded duplicate of ME2022-01001
    assert (report.rows_loaded, report.rows_quarantined) == (7, 2)
    reasons = sorted(r[0] for r in con.execute("SELECT reason FROM staging.quarantine").fetchall())
    assert reasons == [
        "duplicate casenumber in the same pull; a later version was loaded",
        "missing casenumber",
    ]
    # The later row of a duplicated casenumber wins.
    age = con.execute("SELECT age FROM raw.me_records WHERE casenumber = 'ME2022-01001'").fetchone()[0]
    assert age == "46"
    logged = con.execute("SELECT rows_in, rows_loaded, rows_quarantined FROM staging.ingest_log").fetchall()
    assert logged == [(9, 7, 2)]


def test_typing_of_soda_strings_booleans_and_timestamps(con, tmp_path, typed_rows):
    first = json.loads(FIXTURE.read_text())[:5]
    path = tmp_path / "first.json"
    path.write_text(json.dumps(first))
    merge_files(con, [path], pull_id="p", mode="full", checksum=None, watermark=None)
    rows = {r["casenumber"]: r for r in typed_rows(con).to_dicts()}
    austin = rows["ME2022-01001"]
    assert austin["death_date"] == datetime(2022, 3, 26, 13, 0)
    assert austin["age"] == 45 and austin["chi_ward"] == 28 and austin["objectid"] == 101
    assert austin["latitude"] == pytest.approx(41.880532)
    assert austin["opioids"] is True and austin["latino"] is False
    assert austin["commarea_from_archive"] == 25
    assert austin["residence_zip"] == "60644"
    natural = rows["ME2020-00002"]
    assert natural["age"] == 61  # "61.0"
    assert natural["incident_date"].year == 2001  # kept as the archive has it
    assert natural["manner"] == "NATURAL"
    assert natural["commarea_from_archive"] == 76  # OHARE
    assert rows["ME2023-00005"]["commarea_from_archive"] == 76  # o'hare
    assert rows["ME2021-00003"]["age"] is None  # "not recorded"
    assert rows["ME2019-00004"]["commarea_from_archive"] is None


def test_staging_places_cases_and_quarantines_bad_dates(con, typed_rows):
    merge_files(con, [FIXTURE], pull_id="fixture", mode="full", checksum=None, watermark=None)
    typed = typed_rows(con)
    report = stage_in_warehouse(con)
    by_case = staged_cases(con)
    assert report.cases + report.quarantined == typed.height == 7
    rejects = con.execute("SELECT record_key, reason FROM staging.quarantine WHERE stage = 'staging'").fetchall()
    assert rejects == [("ME2023-00006", "death_date missing or unparseable")]
    # No chi_commarea but coordinates inside West Garfield Park / Humboldt Park border area.
    pending = by_case["ME2021-00003"]
    assert pending["placement"] == "coordinates"
    assert pending["community_area_number"] in range(23, 32)
    assert by_case["ME2019-00004"]["placement"] == "outside_chicago"
    assert by_case["ME2019-00004"]["municipality"] == "Cicero"
    assert by_case["ME2018-00007"]["placement"] == "unplaced"  # (0, 0) is not in Cook County
    assert by_case["ME2022-01001"]["community_area"] == "Austin"
    assert by_case["ME2020-00002"]["residence_city"] == "Oak Park"
    assert by_case["ME2019-00004"]["residence_city"] == "Cicero"


def test_municipality_from_zip_when_city_unknown(con, tmp_path):
    cities = {"a": "CICERO", "b": "CICERO", "c": "UNKNOWN", "d": None, "e": "OAK  PARK"}
    zips = {"a": "60804", "b": "60804", "c": "60804", "d": "60302", "e": "60302"}
    records = [
        {"casenumber": case, "death_date": "2024-05-01T10:00:00.000", "incident_zip": zips[case]}
        | ({"incident_city": cities[case]} if cities[case] else {})
        for case in cities
    ]
    load_records(con, tmp_path, records)
    stage_in_warehouse(con)
    placed = staged_cases(con)
    assert [placed[c]["municipality"] for c in cities] == ["Cicero", "Cicero", "Cicero", "Oak Park", "Oak Park"]
    assert [placed[c]["placement"] for c in cities] == ["outside_chicago"] * 5
    assert not any(placed[c]["in_chicago"] for c in cities)
