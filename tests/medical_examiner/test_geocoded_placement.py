"""Placing address-only Chicago deaths by their geocoded point: the rule, staging, the step.

Known answers for the rule (``sql/staging/me_cases.sql`` with ``staging.me_geocodes``); a generated
archive with geocodes staged row by row as defined; and ``build_me_geocodes`` against the local
Census stand-in: what is sent, the cache, ``ODW_GEOCODER=off``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb
import polars as pl
import pytest
import shapely
from geocoder_server import GeocoderServer

from pipelines.defs.geography.addresses import normalise_street
from pipelines.defs.geography.geocode_cache import GeocodeCache
from pipelines.defs.geography.geocoder import CensusGeocoder
from pipelines.defs.medical_examiner.geocodes import GEOCODE_SCHEMA, build_me_geocodes
from pipelines.defs.medical_examiner.ingest import merge_files
from pipelines.defs.medical_examiner.staging import MIN_DEATH_DATE
from pipelines.demo.medical_examiner import grid_point, write_me_demo
from pipelines.warehouse import run_sql_file
from tests.medical_examiner.conftest import (
    AREA_COLUMNS,
    MAX_DEATH_DATE,
    load_records,
    stage_in_warehouse,
    staged_cases,
)
from tests.medical_examiner.staging_oracle import assert_staged_as_defined

STAMP = datetime(2026, 11, 2, 12, 0)
LAKE = (41.90, -87.55)  # in Lake Michigan: inside Cook County's extent, in no community area


def geocodes(rows: list[tuple[str, str, str, tuple[float, float] | None]]) -> pl.DataFrame:
    """``staging.me_geocodes`` rows from (street, zip, status, point)."""
    return pl.DataFrame(
        [
            {
                "street": street, "city": "CHICAGO", "state": "IL", "zip": zip_code, "status": status,
                "match_type": "Exact" if point else None, "matched_address": None,
                "latitude": point[0] if point else None, "longitude": point[1] if point else None,
                "tigerline_id": None, "side": None, "benchmark": "Public_AR_Current",
                "geocoder": "http://127.0.0.1", "geocoded_at": STAMP, "cases": 1,
            }
            for street, zip_code, status, point in rows
        ],
        schema=GEOCODE_SCHEMA,
    )  # fmt: skip


def centroid(areas: pl.DataFrame, number: int) -> tuple[float, float]:
    row = areas.filter(pl.col("community_area_number") == number).row(0, named=True)
    return row["centroid_lat"], row["centroid_lon"]


def _store_geocodes(con: duckdb.DuckDBPyConnection, answers: pl.DataFrame) -> None:
    con.execute("DELETE FROM staging.me_geocodes")
    con.register("answers", answers.to_arrow())
    con.execute("INSERT INTO staging.me_geocodes SELECT * FROM answers")
    con.unregister("answers")


def test_known_answers_of_the_placement_rule(con, areas, tmp_path):
    egp, chatham, austin = centroid(areas, 27), centroid(areas, 44), centroid(areas, 25)
    cicero = (41.8456, -87.7539)
    cases = {  # casenumber: (incident_street, incident_city, incident_zip, point, chi_commarea)
        "a": ("J.R. Hotel, 3001 W. Jackson Boulevard #217", "CHICAGO", "60624", None, None),  # address matched
        "b": ("852 E. 83rd ST 3FL", None, None, None, None),  # unknown city, no ZIP: assumed Chicago
        "c": ("5200 W CERMAK RD", "UNKNOWN", "60804", None, None),  # unknown city, a Cicero ZIP: not a candidate
        "d": ("5200 W CERMAK RD", "CICERO", "60804", None, None),  # Cicero by name (gives ZIP 60804 its city)
        "e": ("1 W LAKE ST", "CHICAGO", "60601", cicero, None),  # valid coordinates outside every area win
        "f": ("600 E GRAND AVE", "CHICAGO", "60611", None, None),  # geocoded into the lake: stays unplaced
        "g": ("100 W MAIN ST", "CHICAGO", "60624", None, None),  # a tie places nothing
        "h": ("97TH AND STATE", "CHICAGO", "60628", None, None),  # no address
        "i": ("3001 W JACKSON BLVD", "CHICAGO", "60612", None, "EAST GARFIELD PARK"),  # the archive's area wins
        "j": ("3001 W JACKSON BLVD", "CHICAGO", "60644", None, None),  # another ZIP is another address
        "k": ("3001 W JACKSON BLVD", "CHICAGO", None, None, None),  # same address, no ZIP: answered on its own
    }
    records = []
    for case, (street, city, zip_code, point, area) in cases.items():
        fields = {"incident_street": street, "incident_city": city, "incident_zip": zip_code, "chi_commarea": area,
                  "latitude": point and str(point[0]), "longitude": point and str(point[1])}
        records.append({"casenumber": case, "death_date": "2024-05-01T10:00:00.000"}
                       | {k: v for k, v in fields.items() if v is not None})
    load_records(con, tmp_path, records)
    _store_geocodes(con, geocodes(
        [
            ("3001 W JACKSON BOULEVARD", "60624", "Match", egp),
            ("852 E 83RD ST", "", "Match", chatham),
            ("5200 W CERMAK RD", "60804", "Match", austin),
            ("1 W LAKE ST", "60601", "Match", austin),
            ("600 E GRAND AVE", "60611", "Match", LAKE),
            ("100 W MAIN ST", "60624", "Tie", None),
            ("3001 W JACKSON BLVD", "60612", "Match", austin),
            ("3001 W JACKSON BLVD", "", "Match", egp),
        ]
    ))
    stage_in_warehouse(con)
    placed = staged_cases(con)
    got = {c: (r["placement"], r["community_area_number"], r["in_chicago"]) for c, r in placed.items()}
    assert got == {
        "a": ("geocoded", 27, True),
        "b": ("geocoded", 44, True),
        "c": ("outside_chicago", None, False),
        "d": ("outside_chicago", None, False),
        "e": ("outside_chicago", None, True),  # valid coordinates outside every area, city Chicago
        "f": ("unplaced", None, True),
        "g": ("unplaced", None, True),
        "h": ("unplaced", None, True),
        "i": ("archive", 27, True),
        "j": ("unplaced", None, True),
        "k": ("geocoded", 27, True),
    }
    assert placed["a"]["community_area"] == "East Garfield Park"
    # Without geocodes (ODW_GEOCODER=off) the same cases are placed exactly as before.
    _store_geocodes(con, geocodes([]))
    stage_in_warehouse(con)
    unplaced = staged_cases(con)
    assert [unplaced[c]["placement"] for c in cases] == [
        "unplaced", "unplaced", "outside_chicago", "outside_chicago", "outside_chicago", "unplaced", "unplaced",
        "unplaced", "archive", "unplaced", "unplaced",
    ]  # fmt: skip


def _grid_geocodes(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """A Match at the demo grid's point for every candidate address the grid knows; one Tie, one No_Match."""
    rows = con.sql(
        "SELECT DISTINCT incident_street, coalesce(nullif(regexp_extract(incident_zip, '^\\s*(\\d{5})', 1), ''), '') "
        "FROM raw.me_records WHERE latitude IS NULL AND incident_street IS NOT NULL ORDER BY ALL"
    ).fetchall()
    answers, seen = [], set()
    for street, zip_code in rows:
        normalised = normalise_street(street)
        point = grid_point(normalised) if normalised else None
        if point is None or (normalised, zip_code) in seen:
            continue
        seen.add((normalised, zip_code))
        status = "Tie" if len(answers) == 0 else "No_Match" if len(answers) == 1 else "Match"
        answers.append((normalised, zip_code, status, point if status == "Match" else None))
    return geocodes(answers)


def test_generated_archive_with_geocodes_stages_as_defined(con, areas, tmp_path, typed_rows):
    path = tmp_path / "archive.json"
    write_me_demo(path, n=3000, seed=11, end_month=date(2026, 10, 1))
    merge_files(con, [path], pull_id="generated", mode="full", checksum=None, watermark=None)
    _store_geocodes(con, _grid_geocodes(con))

    report = stage_in_warehouse(con, batch_rows=700)
    staged = con.sql("SELECT * FROM staging.me_cases").pl()

    assert_staged_as_defined(staged, typed_rows(con), areas.select(AREA_COLUMNS))
    geocoded = staged.filter(pl.col("placement") == "geocoded")
    assert geocoded.height >= 40 and report.placement["geocoded"] == geocoded.height
    assert report.addresses_placed > 0
    assert geocoded["in_chicago"].all() and geocoded["community_area"].is_not_null().all()
    # Every geocoded case lies in the area containing its address's point (shapely, not the sjoin).
    polygons = dict(zip(areas["community_area_number"], shapely.from_wkt(areas["geometry_wkt"].to_list()), strict=True))
    for street, number in geocoded.select("incident_street", "community_area_number").iter_rows():
        lat, lon = grid_point(normalise_street(street))
        assert shapely.contains_xy(polygons[number], lon, lat), street


# ------------------------------------------------------------------ the step: build_me_geocodes


def _build(con, tmp_path, geocoder):
    return build_me_geocodes(
        con,
        cache=GeocodeCache(tmp_path / "raw" / "geocoder"),
        geocoder=geocoder,
        min_death_date=MIN_DEATH_DATE,
        max_death_date=MAX_DEATH_DATE,
    )


@pytest.fixture
def archive(con, tmp_path):
    """A warehouse holding 2,000 generated records; returns their grid-point table for the stand-in."""
    path = tmp_path / "archive.json"
    write_me_demo(path, n=2000, seed=5, end_month=date(2026, 10, 1))
    merge_files(con, [path], pull_id="generated", mode="full", checksum=None, watermark=None)
    streets = con.sql(
        "SELECT DISTINCT incident_street FROM raw.me_records WHERE incident_street IS NOT NULL"
    ).fetchall()
    known = {}
    for (street,) in streets:
        normalised = normalise_street(street)
        point = grid_point(normalised) if normalised else None
        if point:
            known[normalised] = point
    return known


def test_candidates_are_sent_once_and_answered_from_the_cache_after(con, tmp_path, archive):
    with GeocoderServer(archive) as server:
        geocoder = CensusGeocoder(server.base_url, batch_size=25, timeout=10)
        first = _build(con, tmp_path, geocoder)
        requests_after_first = len(server.requests)
        table = con.sql("SELECT * FROM staging.me_geocodes").pl()
        second = _build(con, tmp_path, geocoder)
        sent_streets = server.streets_received()
        service = server.base_url

    candidates = con.execute(
        "SELECT count(*) FROM raw.me_records WHERE latitude IS NULL AND chi_commarea IS NULL "
        "AND (upper(incident_city) = 'CHICAGO')"
    ).fetchall()[0][0]
    assert first.candidates >= candidates  # plus unknown-city cases without a ZIP
    assert first.sent == first.addresses == table.height
    assert first.matched > 20 and first.matched + first.no_match + first.tie == table.height
    assert first.cache_hits == 0 and first.unanswered == 0
    assert requests_after_first == -(-first.addresses // 25)  # batches of 25
    assert first.not_an_address > 0  # the UNKNOWN and missing streets are counted, never sent
    assert "UNKNOWN" not in sent_streets and len(sent_streets) == len(set(sent_streets)) == first.addresses
    assert (second.sent, second.cache_hits, second.matched) == (0, first.addresses, first.matched)
    assert con.sql("SELECT * FROM staging.me_geocodes").pl().equals(table)
    assert set(table["benchmark"]) == {"Public_AR_Current"} and set(table["geocoder"]) == {service}
    assert table["cases"].sum() == first.candidates - first.not_an_address


def test_the_cache_survives_a_new_warehouse(con, tmp_path, archive):
    with GeocoderServer(archive) as server:
        first = _build(con, tmp_path, CensusGeocoder(server.base_url, timeout=10))
        with duckdb.connect(str(tmp_path / "rebuilt.duckdb")) as rebuilt:
            # A new, empty warehouse (e.g. the old file deleted) with the same archive in it.
            run_sql_file(rebuilt, "raw/schema.sql")
            rebuilt.register("old_raw", con.sql("SELECT * FROM raw.me_records").arrow())
            rebuilt.execute("INSERT INTO raw.me_records SELECT * FROM old_raw")
            rebuilt.register("old_areas", con.sql("SELECT * FROM staging.community_areas").arrow())
            rebuilt.execute("CREATE TABLE staging.community_areas AS SELECT * FROM old_areas")
            again = _build(rebuilt, tmp_path, CensusGeocoder(server.base_url, timeout=10))
            rows = rebuilt.execute("SELECT count(*) FROM staging.me_geocodes").fetchall()[0][0]
        requests = len(server.requests)

    assert first.sent > 0 and requests == 1
    assert (again.sent, again.cache_hits, rows) == (0, first.addresses, first.addresses)


def test_off_sends_nothing_and_leaves_the_table_empty(con, tmp_path, archive):
    with GeocoderServer(archive) as server:
        _build(con, tmp_path, CensusGeocoder(server.base_url, timeout=10))  # a cache exists
        report = _build(con, tmp_path, None)
        requests = len(server.requests)

    assert requests == 1 and report.geocoder == "off"
    assert (report.sent, report.cache_hits, report.matched, report.unanswered) == (0, 0, 0, 0)
    assert report.candidates > 0
    assert con.execute("SELECT count(*) FROM staging.me_geocodes").fetchall()[0][0] == 0


def test_an_unreachable_geocoder_leaves_addresses_unanswered_until_the_next_run(con, tmp_path, archive, caplog):
    with GeocoderServer(archive, faults=lambda n: "503" if n > 1 else None) as server:
        geocoder = CensusGeocoder(server.base_url, batch_size=10, timeout=10, max_retries=1, sleep=lambda s: None)
        report = _build(con, tmp_path, geocoder)
    assert report.error and "HTTP 503" in report.error
    assert report.sent == report.matched + report.no_match == 10  # the first batch, kept in the cache
    assert report.unanswered == report.addresses - 10
    with GeocoderServer(archive) as server:
        later = _build(con, tmp_path, CensusGeocoder(server.base_url, timeout=10))
    assert (later.cache_hits, later.sent, later.unanswered) == (10, report.addresses - 10, 0)


def test_a_refused_request_fails_the_step(con, tmp_path, archive):
    with GeocoderServer(archive, faults=["400"]) as server:
        with pytest.raises(Exception, match="HTTP 400"):
            _build(con, tmp_path, CensusGeocoder(server.base_url, timeout=10, sleep=lambda s: None))
    assert not (tmp_path / "raw" / "geocoder" / "census_answers.json").exists()


def test_geocoded_at_is_stored_in_utc(con, tmp_path, archive):
    before = datetime.now(UTC).replace(tzinfo=None)
    with GeocoderServer(archive) as server:
        _build(con, tmp_path, CensusGeocoder(server.base_url, timeout=10))
    stamps = con.execute("SELECT min(geocoded_at), max(geocoded_at) FROM staging.me_geocodes").fetchall()[0]
    assert before <= stamps[0] <= stamps[1] <= datetime.now(UTC).replace(tzinfo=None)
