"""The whole pipeline on 1,234 real archive records, through the live path.

``tests/fixtures/me_archive_sample.json`` (real Cook County Medical Examiner records, see
``tests/fixtures/README.md``) is served by the local SODA server and pulled, staged, classified,
placed and published exactly as a deployment pulls the portal. Two deployments are run:

- ``ODW_GEOCODER=off``: the archive as it is;
- ``ODW_GEOCODER=census`` against the local Census-batch stand-in, on the same records except that
  a few real Chicago deaths lose their coordinates and area (as the archive's address-only deaths
  look). The stand-in knows those addresses' real points, so their area is a known answer; the
  archive's own address-only deaths are unknown to it (No_Match) and stay "not placed".

The oracles are independent of the code under test: plain substring searches of the cause texts,
the archive's own ``chi_commarea``, and SQL counts over the staged cases.
"""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from archive_sample import sample_records
from conftest import pipeline_env, run_main_job
from geocoder_server import GeocoderServer
from soda_server import SodaServer

from pipelines.defs.geography.addresses import normalise_street

#: A cause field that the archive continued in the next field.
CONTINUED = re.compile(r"(?:\.\s*){2,}\s*$|…\s*$")
#: Drug names a plain reading finds in a cause text → the class flag they must set.
PLAIN_NAMES = {
    "fentanyl": ("FENTANYL",),
    "heroin": ("HEROIN",),
    "cocaine": ("COCAINE",),
    "rx_opioid": ("OXYCODONE", "METHADONE", "HYDROCODONE", "TRAMADOL", "BUPRENORPHINE", "MORPHINE"),
    "xylazine": ("XYLAZINE",),
    "benzodiazepine": ("ALPRAZOLAM", "CLONAZEPAM", "DIAZEPAM", "LORAZEPAM"),
    "ethanol": ("ETHANOL",),
}
#: Real Chicago deaths (with an address, coordinates and the archive's area) served without
#: coordinates or area in the geocoded deployment.
STRIPPED = 25


def continued_records(records: list[dict]) -> list[dict]:
    """Records with a primary-cause field (primary, line A, line B) ending in an ellipsis."""
    fields = ("primarycause", "primarycause_linea", "primarycause_lineb")
    return [r for r in records if any(CONTINUED.search(r.get(f) or "") for f in fields)]


def plain_drugs(record: dict) -> set[str]:
    """Classes a plain reading finds named in the primary cause and its lines (no use phrases)."""
    text = " ".join(record.get(f) or "" for f in ("primarycause", "primarycause_linea", "primarycause_lineb"))
    return {flag for flag, names in PLAIN_NAMES.items() if any(n in text for n in names)}


def run_live(root: Path, records: list[dict], **env: str) -> dict[str, int]:
    """Run the main job in live mode against a SODA server serving ``records``; returns request counts."""
    settings = pipeline_env(root, ODW_ME_SOURCE="live", **env)
    with pytest.MonkeyPatch.context() as mp:
        for key, value in settings.items():
            mp.setenv(key, value)
        with SodaServer(records) as soda:
            mp.setenv("ODW_SOCRATA_BASE_URL", soda.base_url)
            result = run_main_job(instance=dg.DagsterInstance.ephemeral())
            assert result.success
            return {"soda_requests": len(soda.data_requests())}


def query(root: Path, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def archive_off(tmp_path_factory) -> Path:
    """The real sample pulled and built with geocoding off."""
    root = tmp_path_factory.mktemp("real_archive_off")
    run_live(root, sample_records(), ODW_GEOCODER="off")
    return root


def test_every_record_is_loaded_or_quarantined(archive_off):
    raw, cases, quarantined = query(
        archive_off,
        """SELECT (SELECT count(*) FROM raw.me_records), (SELECT count(*) FROM staging.me_cases),
                  (SELECT count(*) FROM staging.quarantine WHERE source = 'medical_examiner')""",
    )[0]
    assert raw == len(sample_records()) == cases + quarantined


def test_continued_causes_carry_every_drug_named_across_the_join(archive_off):
    continued = continued_records(sample_records())
    assert 80 <= len(continued) <= 100  # about 7% of the sample
    flags = ["is_overdose", *PLAIN_NAMES]
    staged = {
        row[0]: dict(zip(flags, row[1:], strict=True))
        for row in query(
            archive_off,
            f"SELECT casenumber, {', '.join(flags)} FROM staging.me_cases WHERE list_contains($cases, casenumber)",
            {"cases": [r["casenumber"] for r in continued]},
        )
    }
    missing = {}
    for record in continued:
        got = staged[record["casenumber"]]
        lost = {d for d in plain_drugs(record) if not got[d]}
        if lost or not got["is_overdose"]:
            missing[record["casenumber"]] = (sorted(lost), got["is_overdose"])
    assert missing == {}
    # The join is what makes these whole: the primary alone names a drug list without a toxicity word.
    example = next(r for r in continued if r["primarycause"].startswith("COMBINED DRUG (3,4-METHYLENEDIOXY"))
    assert {d for d, v in staged[example["casenumber"]].items() if v} >= {"is_overdose", "fentanyl", "cocaine", "rx_opioid", "benzodiazepine"}


def test_city_counts_every_chicago_death(archive_off):
    per_year = query(
        archive_off,
        """
        WITH staged AS (
            SELECT year(death_date) AS year,
                   count(*) FILTER (WHERE in_chicago) AS chicago,
                   count(*) FILTER (WHERE community_area_number IS NOT NULL) AS placed,
                   count(*) FILTER (WHERE in_chicago AND community_area_number IS NULL) AS not_placed
            FROM staging.me_cases WHERE is_overdose GROUP BY ALL
        ), mart AS (
            SELECT year,
                   sum(deaths) FILTER (WHERE geography_type = 'city') AS city,
                   sum(deaths) FILTER (WHERE geography_type = 'community_area') AS areas,
                   sum(deaths) FILTER (WHERE geography_type = 'not_placed') AS not_placed
            FROM marts.overdose_rates_annual GROUP BY ALL
        )
        SELECT s.year, s.chicago, s.placed, s.not_placed, m.city, m.areas, m.not_placed
        FROM staged AS s JOIN mart AS m USING (year) ORDER BY 1
        """,
    )
    assert [r[0] for r in per_year] == list(range(2014, 2024))
    for year, chicago, placed, not_placed, city, areas, mart_not_placed in per_year:
        assert city == chicago == placed + not_placed, year
        assert areas == placed and mart_not_placed == not_placed, year
    # The sample's address-only Chicago deaths are in the city's total, though in no area.
    assert sum(r[3] for r in per_year) >= 30


def test_placed_share_is_reported(archive_off):
    placed, geocoded, unplaced, cases = query(
        archive_off,
        "SELECT sum(placed), sum(geocoded), sum(unplaced), sum(cases) FROM marts.me_placement_annual",
    )[0]
    direct = query(
        archive_off,
        """SELECT count(*) FILTER (WHERE placement IN ('archive', 'coordinates')),
                  count(*) FILTER (WHERE placement = 'unplaced') FROM staging.me_cases
           WHERE placement IN ('archive', 'coordinates', 'geocoded', 'unplaced')""",
    )[0]
    assert (placed, unplaced) == direct and geocoded == 0
    assert placed + unplaced == cases
    share = query(archive_off, "SELECT value FROM marts.data_quality WHERE metric = 'unplaced_share'")[0][0]
    assert share == pytest.approx(unplaced / cases)
    assert 0.04 < share < 0.09  # ~5-6% of Chicago cases in the real archive have no area or point


def test_age_adjusted_rates_published_for_the_city(archive_off):
    rows = query(
        archive_off,
        """SELECT year, deaths, rate, age_adjusted_rate, age_adjusted_lower, age_adjusted_upper
           FROM marts.overdose_rates_annual WHERE geography_type = 'city' AND months_covered = 12""",
    )
    shown = [r for r in rows if r[1] is not None]  # a withheld city total hides both rates
    assert shown
    for year, _, rate, adjusted, lower, upper in shown:
        assert lower <= adjusted <= upper, year
        assert 0.5 * rate < adjusted < 2 * rate, year


@pytest.fixture(scope="module")
def archive_geocoded(tmp_path_factory) -> tuple[Path, list[dict], GeocoderServer, list[int]]:
    """The real sample with some Chicago deaths made address-only, geocoded by the stand-in."""
    root = tmp_path_factory.mktemp("real_archive_geocoded")
    records = sample_records()
    chosen = [
        r for r in records
        if r.get("incident_city") == "CHICAGO" and "chi_commarea" in r and "latitude" in r
        and normalise_street(r.get("incident_street"))
    ][:: 30][:STRIPPED]
    known = {}
    for record in chosen:
        known[normalise_street(record["incident_street"])] = (
            float(record.pop("latitude")), float(record.pop("longitude"))
        )
        record.pop("location", None)
        # Kept aside as the known answer; the served record has no area.
        record["__archive_area"] = record.pop("chi_commarea")
    served = [{k: v for k, v in r.items() if k != "__archive_area"} for r in records]
    with GeocoderServer(known, seed=5) as geocoder:
        first = run_live(root, served, ODW_GEOCODER="census", ODW_GEOCODER_URL=geocoder.base_url)
        sent_first = len(geocoder.streets_received())
        run_live(root, served, ODW_GEOCODER="census", ODW_GEOCODER_URL=geocoder.base_url)
        sent_second = len(geocoder.streets_received()) - sent_first
    assert first["soda_requests"] >= 1
    return root, chosen, geocoder, [sent_first, sent_second]


def test_address_only_deaths_are_geocoded_into_the_archive_area(archive_geocoded):
    root, chosen, _, _ = archive_geocoded
    expected = {r["casenumber"]: r for r in chosen}
    staged = dict(
        (case, (placement, area))
        for case, placement, area in query(
            root,
            """SELECT c.casenumber, c.placement, a.name_key FROM staging.me_cases AS c
               LEFT JOIN staging.community_areas AS a USING (community_area_number)
               WHERE list_contains($cases, c.casenumber)""",
            {"cases": list(expected)},
        )
    )
    assert len(staged) == STRIPPED
    for case, record in expected.items():
        placement, key = staged[case]
        assert placement == "geocoded", case
        # The archive's own area name, matched as staging matches it, is the known answer.
        assert key == re.sub(r"[^A-Z0-9]", "", record["__archive_area"].upper()), case


def test_each_address_is_sent_once_and_unknown_ones_stay_not_placed(archive_geocoded):
    root, _, geocoder, (sent_first, sent_second) = archive_geocoded
    # The stripped records plus the sample's own address-only Chicago deaths with a usable address.
    assert sent_first >= STRIPPED + 30
    assert sent_second == 0
    assert len(set(geocoder.streets_received())) == sent_first
    statuses = dict(query(root, "SELECT status, count(*) FROM staging.me_geocodes GROUP BY ALL"))
    assert statuses["Match"] == STRIPPED
    assert statuses["No_Match"] == sent_first - STRIPPED
    # The deaths the stand-in could not place are still Chicago's: in the city's count, in no area.
    chicago, placed, not_placed = query(
        root,
        """SELECT count(*) FILTER (WHERE in_chicago), count(*) FILTER (WHERE community_area_number IS NOT NULL),
                  count(*) FILTER (WHERE in_chicago AND community_area_number IS NULL)
           FROM staging.me_cases WHERE is_overdose""",
    )[0]
    assert chicago == placed + not_placed and not_placed > 0
