"""End to end in live mode with geocoding: the whole job against the local SODA server and the local
Census-batch stand-in, both on 127.0.0.1.

The served archive is synthetic demo data, which has address-only Chicago deaths (no coordinates,
no area, a street address on the city's grid and a ZIP). The stand-in answers every grid address
with the point the demo's grid puts it at (``grid_point``), one address with a Tie.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import shapely
from conftest import run_main_job
from geocoder_server import GeocoderServer, parse_form
from soda_server import SodaServer

from pipelines.defs.geography.addresses import normalise_street
from pipelines.demo.medical_examiner import generate_me_records, grid_point

#: Columns a geocoded point may change; every other column of staging.me_cases must not move.
PLACEMENT_COLUMNS = ["community_area_number", "community_area", "placement", "municipality", "in_chicago"]


def staged(warehouse: str) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    with duckdb.connect(warehouse, read_only=True) as con:
        return (
            con.sql("SELECT * FROM staging.me_cases ORDER BY casenumber").pl(),
            con.sql("SELECT * FROM staging.me_geocodes").pl(),
            con.sql("SELECT community_area_number, geometry_wkt FROM staging.community_areas").pl(),
        )


def address_only_chicago(records: list[dict]) -> dict[str, str]:
    """casenumber → normalised street of the served Chicago deaths with only an address."""
    out = {}
    for r in records:
        if "latitude" in r or "chi_commarea" in r or r.get("incident_city", "").upper() != "CHICAGO":
            continue
        street = normalise_street(r.get("incident_street"))
        if street:
            out[r["casenumber"]] = street
    return out


def area_containing(point: tuple[float, float], areas: pl.DataFrame) -> int | None:
    """The area whose polygon contains ``point`` (shapely, independent of the pipeline's spatial join)."""
    lat, lon = point
    for number, wkt in areas.iter_rows():
        if shapely.contains_xy(shapely.from_wkt(wkt), lon, lat):
            return number
    return None


def test_address_only_chicago_deaths_are_geocoded_once_and_placed(isolated_env, monkeypatch):
    records = generate_me_records(n=730, seed=7, end_month=date(2026, 10, 1))
    expected_streets = address_only_chicago(records)
    known = {street: grid_point(street) for street in set(expected_streets.values())}
    assert len(expected_streets) >= 15 and None not in known.values()
    tie = sorted(known)[0]
    warehouse = isolated_env["ODW_WAREHOUSE"]

    with SodaServer(records) as soda, GeocoderServer(known, ties=[tie], seed=11) as geocoder:
        monkeypatch.setenv("ODW_ME_SOURCE", "live")
        monkeypatch.setenv("ODW_SOCRATA_BASE_URL", soda.base_url)
        monkeypatch.setenv("ODW_GEOCODER", "census")
        monkeypatch.setenv("ODW_GEOCODER_URL", geocoder.base_url)
        monkeypatch.setenv("ODW_GEOCODER_BATCH_SIZE", "10")
        run_main_job()
        census, geocodes, areas = staged(warehouse)
        sent_first = len(geocoder.requests)

        run_main_job()  # an incremental pull, the same candidates: all answered from the cache
        sent_second = len(geocoder.requests)

        Path(warehouse).unlink()  # a rebuild from the raw snapshots; the cache is outside the warehouse
        run_main_job()
        rebuilt, rebuilt_geocodes, _ = staged(warehouse)
        sent_rebuilt = len(geocoder.requests)

        monkeypatch.setenv("ODW_GEOCODER", "off")
        run_main_job()
        off, off_geocodes, _ = staged(warehouse)
        sent_off = len(geocoder.requests)
        requests = list(geocoder.requests)

    # Geocoded exactly where the stand-in's point lies (a tie, or a point outside every area: unplaced).
    geocoded = census.filter(pl.col("placement") == "geocoded")
    expected = {}
    for case, street in expected_streets.items():
        area = None if street == tie else area_containing(known[street], areas)
        if area is not None:
            expected[case] = area
    assert dict(geocoded.select("casenumber", "community_area_number").iter_rows()) == expected
    assert len(expected) >= 15
    assert geocoded["in_chicago"].all() and (geocoded["municipality"] == "Chicago").all()
    tied_cases = [c for c, s in expected_streets.items() if s == tie]
    assert census.filter(pl.col("casenumber").is_in(tied_cases))["placement"].unique().to_list() == ["unplaced"]

    # Each address once, ever: the second run and the rebuilt warehouse sent nothing.
    assert sent_first == -(-geocodes.height // 10) and sent_second == sent_rebuilt == sent_off == sent_first
    assert geocodes.height >= len(set(expected_streets.values()))
    assert rebuilt.equals(census) and rebuilt_geocodes.drop("geocoded_at").equals(geocodes.drop("geocoded_at"))

    # ODW_GEOCODER=off: the table is empty, the geocoded cases are unplaced, nothing else moves.
    assert off_geocodes.is_empty()
    assert off.filter(pl.col("casenumber").is_in(list(expected)))["placement"].unique().to_list() == ["unplaced"]
    assert off.drop(PLACEMENT_COLUMNS).equals(census.drop(PLACEMENT_COLUMNS))
    not_geocoded = ~pl.col("casenumber").is_in(list(expected))
    assert off.filter(not_geocoded).equals(census.filter(not_geocoded))

    # Privacy: each request is a CSV of id,street,city,state,zip and a benchmark; ids are 1..n.
    case_numbers = [r["casenumber"] for r in records]
    sent_streets = set()
    for request in requests:
        fields = parse_form(request.headers["Content-Type"], request.body)
        assert set(fields) == {"addressFile", "benchmark"}
        assert [row[0] for row in request.rows] == [str(n) for n in range(1, len(request.rows) + 1)]
        for _, street, city, state, zip_code in request.rows:
            assert (city, state) == ("CHICAGO", "IL") and (zip_code == "" or zip_code.isdigit())
            sent_streets.add(street)
        body = request.body.decode("utf-8")
        assert not any(case in body for case in case_numbers)
        assert "ME20" not in body and "TOXICITY" not in body and "T00:" not in body
    assert set(expected_streets.values()) <= sent_streets
    assert sent_streets <= {normalise_street(r.get("incident_street")) for r in records}
