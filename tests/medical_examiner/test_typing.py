"""Raw SODA records → raw.me_records → typed staging rows, on deliberately ugly fixtures."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from pipelines.defs.medical_examiner.ingest import merge_files
from pipelines.defs.medical_examiner.staging import stage_cases

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


def test_staging_places_cases_and_quarantines_bad_dates(con, areas, typed_rows):
    merge_files(con, [FIXTURE], pull_id="fixture", mode="full", checksum=None, watermark=None)
    typed = typed_rows(con)
    cases, rejects = stage_cases(typed, areas.select("community_area_number", "community_area", "geometry_wkt"))
    assert cases.height + rejects.height == typed.height == 7
    assert rejects["casenumber"].to_list() == ["ME2023-00006"]
    assert rejects["reject_reason"].to_list() == ["death_date missing or unparseable"]
    by_case = {r["casenumber"]: r for r in cases.to_dicts()}
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


def test_municipality_from_zip_when_city_unknown(areas):

    from pipelines.defs.geography.placement import place_cases

    cases = pl.DataFrame(
        {
            "casenumber": ["a", "b", "c", "d", "e"],
            "incident_city": ["CICERO", "CICERO", "UNKNOWN", None, "OAK  PARK"],
            "incident_zip": ["60804", "60804", "60804", "60302", "60302"],
            "latitude": [None] * 5,
            "longitude": [None] * 5,
            "commarea_from_archive": [None] * 5,
        },
        schema_overrides={"latitude": pl.Float64, "longitude": pl.Float64, "commarea_from_archive": pl.Int32},
    )
    placed = place_cases(cases, areas.select("community_area_number", "community_area", "geometry_wkt"))
    assert placed["municipality"].to_list() == ["Cicero", "Cicero", "Cicero", "Oak Park", "Oak Park"]
    assert placed["placement"].to_list() == ["outside_chicago"] * 5
