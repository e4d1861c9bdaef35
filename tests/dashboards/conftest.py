"""Dashboard test fixtures.

``demo_app_db`` here is a stand-in for the project-wide fixture of the same name that runs the
real pipeline on generated demo data (``tests/conftest.py``). It writes a database with exactly
the published ``marts`` contract so the dashboard tests can run before that fixture exists; once
``tests/conftest.py`` provides ``demo_app_db``, delete this one (the tests only use the fixture
name and the ``ODW_APP_DB`` variable, so they need no change).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import geopandas as gpd
import libpysal
import numpy as np
import pytest

REGION = tuple(range(23, 32))
FIRST_MONTH = date(2019, 1, 1)
LAST_MONTH = date(2025, 6, 1)
PROVISIONAL_MONTHS = 3

# 2020 Census population by community area (City of Chicago / CMAP community data snapshots),
# rounded to the nearest person as published; indexes 1..77.
POPULATION_2020 = {
    1: 55628, 2: 77122, 3: 57182, 4: 40494, 5: 35114, 6: 103050, 7: 70492, 8: 105481,
    9: 11525, 10: 38303, 11: 26216, 12: 19596, 13: 17559, 14: 48396, 15: 63020, 16: 51940,
    17: 43025, 18: 14401, 19: 78116, 20: 24062, 21: 36257, 22: 71665, 23: 54165, 24: 87781,
    25: 96557, 26: 17433, 27: 19992, 28: 67881, 29: 34794, 30: 71399, 31: 33751, 32: 42298,
    33: 28795, 34: 13890, 35: 20291, 36: 6799, 37: 2567, 38: 24589, 39: 19116, 40: 12707,
    41: 29456, 42: 24425, 43: 53971, 44: 31710, 45: 9458, 46: 27300, 47: 2527, 48: 13088,
    49: 38816, 50: 6825, 51: 14105, 52: 21724, 53: 26104, 54: 7262, 55: 9553, 56: 35439,
    57: 14196, 58: 45053, 59: 15923, 60: 33702, 61: 43628, 62: 18394, 63: 39540, 64: 24473,
    65: 33662, 66: 55931, 67: 29647, 68: 24369, 69: 31471, 70: 41098, 71: 44878, 72: 20027,
    73: 25065, 74: 18628, 75: 21186, 76: 13418, 77: 56296,
}  # fmt: skip

# Areas outside the region that carry a high overdose burden in the real data (Near North, Loop
# shelters, the south-west side corridors), so the synthetic map is not a flat "region vs rest".
HIGH_BURDEN_OUTSIDE = {8: 70.0, 32: 60.0, 40: 90.0, 44: 60.0, 49: 70.0, 67: 110.0, 68: 120.0, 71: 80.0}


def _area_name(raw: str) -> str:
    """Proper-case a shapefile name the way the boundary mart does."""
    special = {"OHARE": "O'Hare", "MCKINLEY PARK": "McKinley Park"}
    return special.get(raw, raw.title())


def _months() -> list[date]:
    months, current = [], FIRST_MONTH
    while current <= LAST_MONTH:
        months.append(current)
        current = date(current.year + (current.month == 12), current.month % 12 + 1, 1)
    return months


def build_demo_app_db(path: Path, seed: int = 20240611) -> Path:
    """Write a small but realistic app database with the published ``marts`` schema to ``path``."""
    rng = np.random.default_rng(seed)
    shapes = gpd.read_file(libpysal.examples.get_path("Chicago77.shp")).set_crs(3435).to_crs(4326)
    shapes["number"] = shapes["AREA_NUMBE"].astype(int)
    shapes = shapes.sort_values("number")
    centroids = shapes.to_crs(3435).centroid.to_crs(4326)

    areas = []
    for (_, row), centroid in zip(shapes.iterrows(), centroids, strict=True):
        number = int(row["number"])
        areas.append(
            (
                number,
                _area_name(row["COMMUNITY"]),
                POPULATION_2020[number],
                number in REGION,
                json.dumps(row.geometry.__geo_interface__),
                float(centroid.x),
                float(centroid.y),
            )
        )

    months = _months()
    provisional_from = months[-PROVISIONAL_MONTHS]
    monthly = []
    for number, name, population, in_region, *_ in areas:
        # Annual deaths per 100,000: West Side areas carry several times the city burden.
        base = rng.lognormal(np.log(100.0), 0.35) if in_region else HIGH_BURDEN_OUTSIDE.get(number, 0.0)
        if not base:
            base = rng.lognormal(np.log(28.0), 0.6)
        for index, month in enumerate(months):
            # A 2020-2022 surge then a decline, as in the real series, plus a mild summer peak.
            years = index / 12
            trend = 1.0 + 0.45 * np.exp(-(((years - 2.6) / 1.2) ** 2)) - 0.04 * years
            season = 1.0 + 0.1 * np.sin(2 * np.pi * (month.month - 4) / 12)
            expected = base * population / 100_000 / 12 * trend * season
            overdose = int(rng.poisson(expected))
            opioid = int(rng.binomial(overdose, 0.86))
            fentanyl = int(rng.binomial(opioid, 0.9))
            monthly.append(
                (month, number, name, in_region, overdose, opioid, fentanyl, month >= provisional_from)
            )

    refreshed = datetime(2025, 7, 14, 13, 5, tzinfo=UTC).replace(tzinfo=None)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute(
            """CREATE TABLE marts.community_areas(community_area_number INTEGER, community_area VARCHAR,
               population_2020 INTEGER, in_region BOOLEAN, geometry_geojson VARCHAR,
               centroid_lon DOUBLE, centroid_lat DOUBLE)"""
        )
        con.executemany("INSERT INTO marts.community_areas VALUES (?, ?, ?, ?, ?, ?, ?)", areas)
        con.execute(
            """CREATE TABLE marts.me_monthly_by_area(month DATE, community_area_number INTEGER,
               community_area VARCHAR, in_region BOOLEAN, overdose_deaths INTEGER, opioid_deaths INTEGER,
               fentanyl_deaths INTEGER, is_provisional BOOLEAN)"""
        )
        con.executemany("INSERT INTO marts.me_monthly_by_area VALUES (?, ?, ?, ?, ?, ?, ?, ?)", monthly)
        con.execute(
            """CREATE TABLE marts.source_freshness(source VARCHAR, label VARCHAR, is_synthetic BOOLEAN,
               data_from DATE, data_to DATE, refreshed_at TIMESTAMP, row_count BIGINT, source_url VARCHAR)"""
        )
        con.execute(
            "INSERT INTO marts.source_freshness VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                "medical_examiner",
                "Cook County Medical Examiner case archive — synthetic demo data",
                True,
                FIRST_MONTH,
                date(2025, 6, 30),
                refreshed,
                sum(row[4] for row in monthly),
                "https://datacatalog.cookcountyil.gov/d/cjeq-bs86",
            ),
        )
        con.execute(
            """CREATE TABLE marts.publication(region_label VARCHAR, region_areas VARCHAR,
               suppress_below INTEGER, provisional_months INTEGER, published_at TIMESTAMP)"""
        )
        con.execute(
            "INSERT INTO marts.publication VALUES ('West Side', '23-31', 10, ?, ?)",
            (PROVISIONAL_MONTHS, refreshed),
        )
    return path


@pytest.fixture(scope="session")
def demo_app_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of a published-shape app database built from seeded synthetic numbers."""
    return build_demo_app_db(tmp_path_factory.mktemp("app_db") / "app.duckdb")
