"""The synthetic Medical Examiner archive: deterministic, shaped like SODA 2.1 JSON, plausible."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import polars as pl
import pytest
import shapely

from pipelines.defs.geography.addresses import normalise_street
from pipelines.demo.medical_examiner import (
    BOOL_FIELDS,
    FIELDS,
    community_area_names,
    default_end_month,
    generate_me_frame,
    generate_me_records,
    grid_point,
    main,
    write_me_demo,
)
from pipelines.demo.medical_examiner.places import CA_POPULATION, CA_ZIPS, chicago77_path

END = date(2026, 10, 1)
N = 3000
WEST_SIDE = range(23, 32)
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000$")
OVERDOSE = re.compile(r"TOXICITY|INTOXICATION|TOXCIITY|TOXOCITY|COMBINED|MULTIPLE DRUG")
OPIOID = re.compile(r"FENT|HEROIN|HERION|OPIOID|OXYCODONE|METHADONE|TRAMADOL|HYDROCODONE|"
                    r"MORPHINE|BUPRENORPHINE|NITAZENE")


def cause_text(record: dict) -> str:
    return " | ".join(record.get(k, "") for k in
                      ("primarycause", "primarycause_linea", "primarycause_lineb"))


def is_overdose(record: dict) -> bool:
    text = cause_text(record)
    return bool(OVERDOSE.search(text)) and "CARBON MONOXIDE" not in text


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return generate_me_records(n=N, end_month=END)


@pytest.fixture(scope="module")
def areas() -> gpd.GeoDataFrame:
    frame = gpd.read_file(chicago77_path()).set_crs(3435, allow_override=True).to_crs(4326)
    frame["name"] = frame["COMMUNITY"].str.strip().str.upper()
    frame["number"] = frame["AREA_NUMBE"].astype(int)
    return frame


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_inputs_give_a_byte_identical_json_array(tmp_path, records):
    first, second, other = tmp_path / "a" / "me.json", tmp_path / "b.json", tmp_path / "c.json"
    assert write_me_demo(first, n=N, end_month=END) == N
    assert write_me_demo(second, n=N, end_month=END) == N
    write_me_demo(other, n=N, end_month=END, seed=1)
    assert sha256(first) == sha256(second)
    assert sha256(first) != sha256(other)
    text = first.read_text(encoding="utf-8")
    assert text.startswith('[{"casenumber":') and text.endswith("}\n]\n")
    assert json.loads(text) == records  # the file and the in-memory records agree exactly
    assert not list(tmp_path.rglob("*.tmp")), "the temporary file must be gone"


def test_records_have_the_soda_shape(records):
    allowed = set(FIELDS)
    manners = {"ACCIDENT", "SUICIDE", "HOMICIDE", "NATURAL", "UNDETERMINED", "PENDING"}
    for record in records:
        assert set(record) <= allowed
        assert list(record) == [k for k in FIELDS if k in record]
        assert None not in record.values()
        for key in ("casenumber", "death_date", "manner", "objectid"):
            assert key in record
        for key, value in record.items():
            if key in BOOL_FIELDS:
                assert isinstance(value, bool), (key, value)
            elif key == "location":
                assert value["type"] == "Point"
                assert value["coordinates"] == [float(record["longitude"]),
                                                float(record["latitude"])]
                assert all(isinstance(c, float) for c in value["coordinates"])
            else:
                assert isinstance(value, str) and value == value.strip() and value, (key, value)
        assert TIMESTAMP.match(record["death_date"])
        assert "incident_date" not in record or TIMESTAMP.match(record["incident_date"])
        assert re.fullmatch(r"ME\d{4}-\d{5,}", record["casenumber"])
        assert record["casenumber"][2:6] == record["death_date"][:4]
        assert record["manner"].upper() in manners
        assert ("latitude" in record) == ("longitude" in record) == ("location" in record)
        if "age" in record:
            assert re.fullmatch(r"\d{1,3}", record["age"]) and 0 <= int(record["age"]) <= 104
        if "latitude" in record:
            assert re.fullmatch(r"4[12]\.\d{1,6}", record["latitude"])
            assert re.fullmatch(r"-8[78]\.\d{1,6}", record["longitude"])
        if "chi_ward" in record:
            assert re.fullmatch(r"\d{1,2}\.0", record["chi_ward"])
            assert 1 <= float(record["chi_ward"]) <= 50
        if "commissioner_district" in record:
            assert 1 <= int(record["commissioner_district"]) <= 17
        assert record.get("gender", "Male") in {"Male", "Female"}
        assert record.get("race", "White") in {"White", "Black", "Asian", "Other", "Am. Indian"}
        for key in ("incident_zip", "residence_zip"):
            assert key not in record or re.fullmatch(r"\d{5}", record[key])
    assert re.fullmatch(r"\d+", records[-1]["objectid"])


def test_identifiers_are_unique_and_cases_are_in_case_number_order(records):
    numbers = [r["casenumber"] for r in records]
    assert len(set(numbers)) == len(records)
    assert len({r["objectid"] for r in records}) == len(records)
    deaths = [r["death_date"] for r in records]
    assert deaths == sorted(deaths)


def test_about_eight_percent_lack_coordinates(records):
    missing = sum("latitude" not in r for r in records) / len(records)
    assert 0.06 <= missing <= 0.10


def test_community_area_names_are_the_77_upper_case_names(records, areas):
    names = community_area_names()
    assert len(names) == 77 and names[76] == "OHARE" and names[25] == "AUSTIN"
    assert set(names.values()) == set(areas["name"])
    used = {r["chi_commarea"] for r in records if "chi_commarea" in r}
    assert used <= set(names.values())
    assert len(used) > 60
    assert all(name == name.upper() for name in used)


def test_chicago_cases_lie_inside_their_community_area(records, areas):
    by_name = dict(zip(areas["name"], areas.geometry, strict=True))
    city = shapely.union_all(areas.geometry.values)
    named = [r for r in records if "chi_commarea" in r]
    for name in {r["chi_commarea"] for r in named}:
        group = [r for r in named if r["chi_commarea"] == name]
        lon = np.array([float(r["longitude"]) for r in group])
        lat = np.array([float(r["latitude"]) for r in group])
        assert shapely.contains_xy(by_name[name], lon, lat).all(), name
    geocoded = [r for r in records if "latitude" in r]
    inside = shapely.contains_xy(city, np.array([float(r["longitude"]) for r in geocoded]),
                                 np.array([float(r["latitude"]) for r in geocoded]))
    in_city = [r for r, flag in zip(geocoded, inside, strict=True) if flag]
    outside = [r for r, flag in zip(geocoded, inside, strict=True) if not flag]
    assert 0.52 <= len(in_city) / len(geocoded) <= 0.68  # ~60 % of cases are in Chicago
    unnamed = sum("chi_commarea" not in r for r in in_city) / len(in_city)
    assert 0.06 <= unnamed <= 0.14  # ~10 % of geocoded Chicago cases lack the area name
    assert not any("chi_commarea" in r or "chi_ward" in r for r in outside)
    assert {r.get("incident_city", "").upper() for r in in_city} <= {"CHICAGO"}
    suburbs = Counter(r["incident_city"].upper() for r in outside if "incident_city" in r)
    assert "CHICAGO" not in suburbs
    assert {"CICERO", "OAK PARK", "MAYWOOD", "BERWYN"} <= set(suburbs)


def test_about_five_percent_of_chicago_deaths_have_only_a_street_address(records, areas):
    chicago = [r for r in records if r.get("incident_city", "").upper() == "CHICAGO" or "chi_commarea" in r]
    address_only = [
        r for r in chicago
        if "latitude" not in r and "chi_commarea" not in r and r.get("incident_street", "UNKNOWN") != "UNKNOWN"
    ]  # fmt: skip
    assert 0.035 <= len(address_only) / len(chicago) <= 0.07
    chicago_zips = {z for zips in CA_ZIPS.values() for z in zips}
    assert all(r["incident_zip"] in chicago_zips for r in address_only if "incident_zip" in r)
    assert np.mean(["incident_zip" in r for r in address_only]) > 0.85  # a few have lost their ZIP
    streets = [r["incident_street"] for r in address_only]
    # Real grid style, sometimes with a unit or a name; every one normalises to a grid address.
    points = [grid_point(normalise_street(s) or "") for s in streets]
    assert None not in points
    assert any("#" in s or "APT" in s or "FLR" in s or "Rm " in s for s in streets)
    assert any(s.startswith(("SUNRISE", "(LAKESIDE", "Corner", "ST. JAMES", "Green Line", "RIVERVIEW")) for s in streets)
    assert any(re.match(r"\d+ [NSEW]\. ", s) for s in streets)  # "3001 W. JACKSON BLVD"
    # Most grid addresses lie in Chicago (a street snapped from a point near the city limit or the
    # lake may not).
    city = shapely.union_all(areas.geometry.values)
    inside = shapely.contains_xy(city, [lon for _, lon in points], [lat for lat, _ in points])
    assert inside.mean() > 0.9
    # The other Chicago deaths without coordinates: no street, or UNKNOWN.
    assert any(r.get("incident_street") == "UNKNOWN" for r in chicago if "latitude" not in r)
    assert any("incident_street" not in r for r in chicago if "latitude" not in r)


def test_west_side_carries_far_more_than_its_population_share_of_overdoses(records):
    numbers = {name: number for number, name in community_area_names().items()}
    population = np.array(CA_POPULATION, dtype=float)
    west_pop_share = population[[a - 1 for a in WEST_SIDE]].sum() / population.sum()
    overdoses = [numbers[r["chi_commarea"]] for r in records
                 if "chi_commarea" in r and is_overdose(r)]
    west_share = sum(a in WEST_SIDE for a in overdoses) / len(overdoses)
    assert west_share > 2 * west_pop_share
    counts = Counter(overdoses)
    assert counts.most_common(1)[0][0] == 25  # Austin has the most overdose deaths
    rate = {a: counts[a] / population[a - 1] for a in range(1, 78)}
    assert rate[26] > 5 * np.median(list(rate.values()))  # West Garfield Park
    nonwest = [a for a in range(1, 78) if a not in WEST_SIDE]
    south = (67, 68)  # West Englewood, Englewood: secondary burden
    assert min(rate[a] for a in south) > np.median([rate[a] for a in nonwest])


def test_overdoses_are_about_half_of_all_cases(records):
    share = sum(is_overdose(r) for r in records) / len(records)
    assert 0.40 <= share <= 0.58


def test_fentanyl_share_rises_by_year_and_heroin_falls():
    frame_records = generate_me_records(n=12_000, end_month=END)
    by_year: dict[int, list[str]] = {}
    for r in frame_records:
        text = cause_text(r)
        if is_overdose(r) and OPIOID.search(text):
            by_year.setdefault(int(r["death_date"][:4]), []).append(text)
    fent = {y: np.mean(["FENT" in t for t in texts]) for y, texts in by_year.items()}
    heroin = {y: np.mean(["HEROIN" in t or "HERION" in t for t in texts])
              for y, texts in by_year.items()}
    assert 0.2 <= fent[2016] <= 0.45
    assert fent[2016] < fent[2018] < fent[2021]
    assert all(fent[y] > 0.85 for y in range(2021, 2026))
    assert heroin[2016] > 0.5 > 0.15 > heroin[2023]
    xylazine = {y: np.mean(["XYLAZINE" in t for t in texts]) for y, texts in by_year.items()}
    assert xylazine[2019] == 0 and xylazine[2024] > 0.1
    nitazene = {y: any("NITAZENE" in t for t in texts) for y, texts in by_year.items()}
    assert not any(nitazene[y] for y in range(2016, 2023)) and nitazene[2024]


def test_cause_texts_carry_the_archive_quirks(records):
    texts = [cause_text(r) for r in records]
    joined = "\n".join(texts)
    for needle in ("COMBINED FENTANYL", "TOXICITY", "DESPROPIONYL FENTANYL", "COCAINE",
                   "MULTIPLE GUNSHOT WOUNDS", "ARTERIOSCLEROTIC CARDIOVASCULAR DISEASE", "HANGING"):
        assert needle in joined, needle
    assert re.search(r"FENTNAYL|HERION|TOXCIITY|TOXOCITY", joined)
    assert any("primarycause" not in r and is_overdose(r) for r in records)  # lines only
    homicides = [r for r in records if r["manner"].upper() == "HOMICIDE"]
    assert np.mean([r["gunrelated"] for r in homicides]) > 0.7
    assert any(r["opioids"] for r in records if r.get("opioids") and not is_overdose(r))
    assert any(r["manner"] != r["manner"].upper() for r in records)  # "Accident" now and then
    cities = {r["residence_city"] for r in records if "residence_city" in r}
    assert {"Chicago", "CHICAGO", "chicago"} <= cities
    assert any(r.get("incident_city") == "UNKNOWN" for r in records)
    old = [r for r in records if "incident_date" in r
           and int(r["death_date"][:4]) - int(r["incident_date"][:4]) >= 2]
    assert 0.001 <= len(old) / len(records) <= 0.012
    assert all(r["incident_date"] <= r["death_date"] for r in records if "incident_date" in r)
    assert all("covid_related" not in r for r in records if r["death_date"] < "2020-03-01")
    covid = Counter(r["death_date"][:4] for r in records if r.get("covid_related"))
    assert covid["2020"] + covid["2021"] > 0.8 * sum(covid.values())
    ages = [int(r["age"]) for r in records if is_overdose(r) and "age" in r]
    assert 0.7 <= np.mean([30 <= a <= 65 for a in ages]) <= 0.97
    assert any("age" not in r for r in records)
    assert any("gender" not in r for r in generate_me_records(n=N, end_month=END, seed=3))


def test_toxicology_is_pending_for_many_recent_cases(records):
    # Toxicology closes within 330 days: nothing a year old is pending; most of the last month is.
    recent = [r for r in records if r["death_date"] >= "2026-08"]
    last = [r for r in recent if r["death_date"] >= "2026-10"]
    year_old = [r for r in records if r["death_date"] < "2025-10-31"]
    assert np.mean([r["manner"].upper() == "PENDING" for r in last]) > 0.5
    assert not any(r["manner"].upper() == "PENDING" for r in year_old)
    pending = [r for r in records if r["manner"].upper() == "PENDING"]
    assert {r.get("primarycause") for r in pending} == {"PENDING", None}


def test_six_months_on_most_overdoses_are_closed():
    # CDC VSRR: about 83% of overdose deaths are in the data 6 months after death.
    from pipelines.demo.medical_examiner.categories import OD
    from pipelines.demo.medical_examiner.generator import generate_me_archive

    archive = generate_me_archive(n=20_000, end_month=END)
    rep = archive.reporting
    six_months = rep.appear + 182 * 1440  # a case appears within 5 days of death
    closed = np.isnat(rep.resolved) | (rep.resolved <= six_months)
    od = archive.category == OD
    assert 0.78 <= closed[od].mean() <= 0.88
    delay_days = (rep.resolved[od & ~np.isnat(rep.resolved)] - rep.appear[od & ~np.isnat(rep.resolved)]).astype(int) / 1440
    assert 0.45 <= np.mean((delay_days >= 60) & (delay_days <= 120)) and delay_days.max() <= 330


def test_date_range_is_respected():
    rows = generate_me_records(n=500, start=date(2019, 6, 15), end_month=date(2019, 8, 1))
    assert len(rows) == 500
    deaths = [datetime.fromisoformat(r["death_date"]) for r in rows]
    assert min(deaths) >= datetime(2019, 6, 15) and max(deaths) < datetime(2019, 9, 1)
    with pytest.raises(ValueError):
        generate_me_records(n=10, start=date(2020, 1, 1), end_month=date(2019, 12, 1))


def test_scale_multiplies_the_record_count():
    assert generate_me_frame(n=1000, scale=2.5, end_month=END).height == 2500
    assert len(generate_me_records(n=400, scale=0.5, end_month=END)) == 200
    with pytest.raises(ValueError):
        generate_me_frame(n=100, scale=0)


def test_frame_columns_are_strings_booleans_and_a_point():
    frame = generate_me_frame(n=200, end_month=END)
    assert frame.columns == list(FIELDS)
    for name, dtype in frame.schema.items():
        if name in BOOL_FIELDS:
            assert dtype.is_(pl.Boolean), name
        elif name != "location":
            assert dtype.is_(pl.String), name


def test_default_end_month_is_the_previous_month():
    assert default_end_month(date(2026, 1, 15)) == date(2025, 12, 1)
    assert default_end_month(date(2026, 11, 1)) == date(2026, 10, 1)


def test_command_line_writes_the_file(tmp_path, capsys):
    out = tmp_path / "demo" / "cjeq-bs86.json"
    assert main(["--out", str(out), "--n", "300", "--end-month", "2020-02"]) == 0
    rows = json.loads(out.read_text(encoding="utf-8"))
    assert len(rows) == 300 and max(r["death_date"] for r in rows) < "2020-03"
    assert "wrote 300 records" in capsys.readouterr().err
