"""Row-level validation: one test per kind of bad input, and the readings that must succeed."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from field_data.helpers import TODAY, rows_frame

from pipelines.defs.field_data.schema import HOTSPOTS, OUTREACH, TEST_STRIPS, staging_columns
from pipelines.defs.field_data.validation import validate
from pipelines.defs.field_data.value_rules import parse_date_expr

GOOD_STRIP = {"tested_on": "2026-03-01", "team": "Austin Team", "hotspot_id": "HS-01",
              "substance_as_sold": "dope", "strip_type": "fentanyl", "result": "positive"}
GOOD_SHIFT = {"date": "2026-03-01", "team": "Austin Team", "hotspot_id": "HS-03", "contacts": "30",
              "people_trained_naloxone": "6", "naloxone_kits_distributed": "12"}


def run(spec, records, areas, hotspots):
    result = validate(rows_frame(spec, records), spec, areas=areas, hotspots=hotspots, today=TODAY)
    assert result.loaded.height + result.quarantined.height == len(records)
    return result


def reasons(spec, records, areas, hotspots) -> list[str]:
    return run(spec, records, areas, hotspots).quarantined["reason"].to_list()


def strip(**changes) -> dict:
    return {**GOOD_STRIP, **changes}


def shift(**changes) -> dict:
    return {**GOOD_SHIFT, **changes}


def test_a_good_row_loads_with_its_location_resolved(areas, hotspots) -> None:
    result = run(TEST_STRIPS, [GOOD_STRIP], areas, hotspots)
    assert result.quarantined.is_empty()
    row = result.loaded.row(0, named=True)
    assert list(result.loaded.columns) == list(staging_columns(TEST_STRIPS))
    assert row["tested_on"] == date(2026, 3, 1) and row["month"] == date(2026, 3, 1)
    assert row["substance_as_sold"] == "heroin"  # "dope"
    assert (row["community_area_number"], row["community_area"]) == (26, "West Garfield Park")
    assert (row["latitude"], row["location_source"]) == (41.88105, "hotspot")
    assert (row["source_file"], row["source_row"], row["is_synthetic"]) == ("f.csv", 2, False)


# --- one test per bad-input kind -----------------------------------------------------------------


def test_missing_required_values(areas, hotspots) -> None:
    assert reasons(TEST_STRIPS, [strip(result=None, team=None)], areas, hotspots) == ["team is missing; result is missing"]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"tested_on": "next tuesday"}, "tested_on (value not shown) is not a date (use YYYY-MM-DD, MM/DD/YYYY or an Excel date)"),
        ({"tested_on": "2/30/2026"}, "tested_on '2/30/2026' is not a date (use YYYY-MM-DD, MM/DD/YYYY or an Excel date)"),
        ({"tested_on": "13/02/2026"}, "tested_on '13/02/2026' is not a date (use YYYY-MM-DD, MM/DD/YYYY or an Excel date)"),
        ({"result": "pos?"}, "result 'pos?' is not one of: positive, negative, invalid"),
        ({"strip_type": "benzo strip x"}, "strip_type (value not shown) is not one of: fentanyl, xylazine, other"),
        ({"hotspot_id": None, "latitude": "41.8x", "longitude": "-87.7"}, "latitude '41.8x' is not a number"),
    ],
)
def test_unparseable_values(areas, hotspots, changes, reason) -> None:
    assert reasons(TEST_STRIPS, [strip(**changes)], areas, hotspots) == [reason]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"contacts": "lots"}, "contacts 'lots' is not a whole number"),
        ({"contacts": "2.5"}, "contacts '2.5' is not a whole number"),
        ({"contacts": "-3"}, "contacts -3 is negative"),
        ({"naloxone_administrations": "400"}, "naloxone_administrations 400 is implausibly large (more than 50 in one row)"),
        ({"contacts": "99999999999999999999999"}, "contacts is implausibly large"),
    ],
)
def test_bad_counts(areas, hotspots, changes, reason) -> None:
    assert reasons(OUTREACH, [shift(**changes)], areas, hotspots) == [reason]


def test_future_and_implausibly_old_dates(areas, hotspots) -> None:
    found = reasons(TEST_STRIPS, [strip(tested_on="2026-03-21"), strip(tested_on="2062-03-14"), strip(tested_on="1926-03-01")],
                    areas, hotspots)
    assert found == [
        "tested_on 2026-03-21 is in the future",
        "tested_on 2062-03-14 is in the future",
        "tested_on 1926-03-01 is before 2010-01-01 (a typing error?)",
    ]
    assert reasons(TEST_STRIPS, [strip(tested_on="2026-03-20")], areas, hotspots) == []  # today is fine


@pytest.mark.parametrize(
    ("lat", "lon", "reason"),
    [
        ("41.88", "87.7259", "coordinates 41.88, 87.7259 are outside Cook County (longitudes in Chicago are negative: "
                             "did you mean -87.7259?)"),
        ("-87.7259", "41.88", "coordinates -87.7259, 41.88 are outside Cook County (latitude and longitude swapped?)"),
        ("40.7128", "-74.006", "coordinates 40.7128, -74.006 are outside Cook County"),
        ("41.88", None, "latitude is given without longitude"),
    ],
)
def test_coordinates_outside_cook_county(areas, hotspots, lat, lon, reason) -> None:
    assert reasons(TEST_STRIPS, [strip(hotspot_id=None, latitude=lat, longitude=lon)], areas, hotspots) == [reason]


def test_unknown_hot_spot(areas, hotspots) -> None:
    assert reasons(TEST_STRIPS, [strip(hotspot_id="HS-99")], areas, hotspots) == ["hotspot_id 'HS-99' is not in the hot-spot list"]


def test_unknown_community_area_with_a_suggestion(areas, hotspots) -> None:
    found = reasons(TEST_STRIPS, [strip(hotspot_id=None, community_area="Austn"),
                                  strip(hotspot_id=None, community_area="Gotham")], areas, hotspots)
    assert found == [
        "community_area 'Austn' is not a Chicago community area (did you mean Austin?)",
        "community_area 'Gotham' is not a Chicago community area",
    ]


def test_exact_duplicate_rows_within_and_across_files(areas, hotspots) -> None:
    records = [strip(file="a.csv"), strip(file="a.csv"), strip(file="b.csv"), strip(file="b.csv", sample_id="S-2")]
    assert reasons(TEST_STRIPS, records, areas, hotspots) == ["exact duplicate of row 2", "exact duplicate of row 2 in 'a.csv'"]


def test_duplicates_are_judged_on_values_not_spelling(areas, hotspots) -> None:
    records = [strip(), strip(tested_on="3/1/2026", hotspot_id="hs-01", substance_as_sold="Heroin", result="+")]
    assert reasons(TEST_STRIPS, records, areas, hotspots) == ["exact duplicate of row 2"]


def test_two_otherwise_identical_tests_with_sample_ids_both_load(areas, hotspots) -> None:
    assert run(TEST_STRIPS, [strip(sample_id="S-1"), strip(sample_id="S-2")], areas, hotspots).loaded.height == 2


def test_a_sample_with_two_results_for_one_strip_type(areas, hotspots) -> None:
    records = [strip(sample_id="S-1"), strip(sample_id="S-1", result="negative"), strip(sample_id="S-1", strip_type="xylazine")]
    assert reasons(TEST_STRIPS, records, areas, hotspots) == ["sample S-1 already has a fentanyl strip result in row 2"]


def test_no_location(areas, hotspots) -> None:
    assert reasons(TEST_STRIPS, [strip(hotspot_id=None)], areas, hotspots) == [
        "no location: give hotspot_id, latitude and longitude, or community_area"
    ]


def test_location_conflicts_beyond_the_tolerances(areas, hotspots) -> None:
    records = [
        # Coordinates 30 m from the hot spot: agree with it.
        strip(latitude="41.8812", longitude="-87.7262"),
        # In West Garfield Park, 50 m from the Austin boundary: agrees with "Austin".
        strip(hotspot_id=None, latitude="41.8810", longitude="-87.7395", community_area="Austin"),
        # Named area far from the hot spot.
        strip(community_area="Humboldt Park"),
        # Coordinates 5 km from the hot spot.
        strip(latitude="41.9260", longitude="-87.7260"),
        # Coordinates in Cook County but outside Chicago, named area inside.
        strip(hotspot_id=None, latitude="41.8500", longitude="-87.8500", community_area="Austin"),
    ]
    assert reasons(TEST_STRIPS, records, areas, hotspots) == [
        "location conflict: community_area says Humboldt Park but hot spot HS-01 is in West Garfield Park",
        "location conflict: the coordinates are 5.0 km from hot spot HS-01",
        "location conflict: community_area says Austin but the coordinates are outside Chicago",
    ]
    loaded = run(TEST_STRIPS, records[:2], areas, hotspots).loaded
    # The hot spot's area, then the named area, wins over where the coordinates fell.
    assert loaded["community_area_number"].to_list() == [26, 25]
    assert loaded["latitude"].to_list() == [41.8812, 41.8810]


def test_suburban_coordinates_load_without_an_area(areas, hotspots) -> None:
    row = run(TEST_STRIPS, [strip(hotspot_id=None, latitude="41.8500", longitude="-87.8500")], areas, hotspots).loaded.row(0, named=True)
    assert row["community_area_number"] is None and row["location_source"] == "coordinates"


def test_values_to_the_right_of_the_last_column(areas, hotspots) -> None:
    frame = rows_frame(TEST_STRIPS, [GOOD_STRIP]).with_columns(pl.lit(2, pl.Int32).alias("extra_values"))
    result = validate(frame, TEST_STRIPS, areas=areas, hotspots=hotspots, today=TODAY)
    assert result.quarantined["reason"].to_list() == [
        "the row has 2 value(s) to the right of the last column (an unquoted comma or a shifted row?)"
    ]


def test_spreadsheet_formulas_and_overlong_text(areas, hotspots) -> None:
    found = reasons(TEST_STRIPS, [strip(team='=HYPERLINK("http://x","Team A")'), strip(team="x" * 81)], areas, hotspots)
    assert found == ["team is a spreadsheet formula, not a value", "team is longer than 80 characters"]


def test_all_of_a_rows_problems_are_listed(areas, hotspots) -> None:
    assert reasons(TEST_STRIPS, [strip(tested_on="2062-01-01", result=None, hotspot_id="HS-77")], areas, hotspots) == [
        "tested_on 2062-01-01 is in the future; result is missing; hotspot_id 'HS-77' is not in the hot-spot list"
    ]


def test_values_that_could_identify_someone_are_not_echoed(areas, hotspots) -> None:
    [reason] = reasons(OUTREACH, [shift(contacts="John Smith")], areas, hotspots)
    assert reason == "contacts (value not shown) is not a whole number"


def test_hot_spot_defined_twice(areas) -> None:
    base = {"hotspot_id": "HS-01", "name": "Madison & Pulaski", "latitude": "41.88105", "longitude": "-87.7259"}
    records = [base, {**base, "hotspot_id": "hs-01", "name": "Madison and Pulaski"}, base]
    result = validate(rows_frame(HOTSPOTS, records), HOTSPOTS, areas=areas, today=TODAY)
    assert result.quarantined["reason"].to_list() == [
        "hotspot_id HS-01 is already defined in row 2",
        "exact duplicate of row 2",
    ]
    assert result.loaded.row(0, named=True)["community_area"] == "West Garfield Park"


def test_hot_spot_rules(areas) -> None:
    records = [
        {"hotspot_id": "HS-02", "latitude": "41.88", "longitude": "-87.72", "active": "retired"},
        {"hotspot_id": "HS-03", "latitude": "41.88", "longitude": "-87.72", "active": "maybe"},
        {"hotspot_id": "HS-04", "latitude": None, "longitude": None},
        {"hotspot_id": "HS-05", "latitude": "41.88", "longitude": "-87.72", "community_area": "Lincoln Park"},
    ]
    result = validate(rows_frame(HOTSPOTS, records), HOTSPOTS, areas=areas, today=TODAY)
    assert result.loaded["active"].to_list() == [False]
    assert result.quarantined["reason"].to_list() == [
        "active 'maybe' is not one of: yes, no",
        "latitude is missing; longitude is missing",
        "location conflict: community_area says Lincoln Park but the coordinates are in East Garfield Park",
    ]


# --- what must be read correctly -----------------------------------------------------------------


def test_date_formats() -> None:
    texts = ["2026-03-01", "2026-3-1", "2026-03-01 00:00:00", "03/01/2026", "3/1/2026", "3/1/26",
             "3/1/2026 2:15 PM", "46082", "46082.0", " 2026-03-01 ", "2026-13-01", "1/32/2026", "12345", "20260301"]
    parsed = pl.select(parse_date_expr(pl.Series(texts))).to_series().to_list()
    assert parsed == [date(2026, 3, 1)] * 10 + [None] * 4


def test_counts_and_blank_counts(areas, hotspots) -> None:
    result = run(OUTREACH, [shift(contacts="1,234", people_trained_naloxone="12.0", naloxone_kits_distributed=None)],
                 areas, hotspots)
    row = result.loaded.row(0, named=True)
    assert (row["contacts"], row["people_trained_naloxone"], row["naloxone_kits_distributed"]) == (1234, 12, None)


def test_community_area_spellings(areas, hotspots) -> None:
    names = ["west garfield park", "WEST GARFIELD PARK", "West  Garfield-Park", "26", "Little Village", "O'Hare", "OHARE"]
    result = run(TEST_STRIPS, [strip(hotspot_id=None, community_area=n, sample_id=str(i)) for i, n in enumerate(names)],
                 areas, hotspots)
    assert result.loaded["community_area_number"].to_list() == [26, 26, 26, 26, 30, 76, 76]
    assert result.loaded["location_source"].unique().to_list() == ["community_area"]


def test_substance_blank_means_unknown_and_synonyms(areas, hotspots) -> None:
    spellings = [None, "Dope", "crack/cocaine", "COKE", "pressed pill", "crystal", "don't know", "fent"]
    result = run(TEST_STRIPS, [strip(substance_as_sold=s, sample_id=str(i)) for i, s in enumerate(spellings)], areas, hotspots)
    assert result.loaded["substance_as_sold"].to_list() == [
        "unknown", "heroin", "crack/cocaine", "crack/cocaine", "pills", "meth", "unknown", "fentanyl"
    ]


def test_results_as_written_on_strips(areas, hotspots) -> None:
    spellings = ["one line", "2 lines", "no control line", "+", "-", "NEG", "Detected"]
    result = run(TEST_STRIPS, [strip(result=s, sample_id=str(i)) for i, s in enumerate(spellings)], areas, hotspots)
    assert result.loaded["result"].to_list() == ["positive", "negative", "invalid", "positive", "negative", "negative", "positive"]


def test_synthetic_files_are_flagged(areas, hotspots) -> None:
    result = validate(rows_frame(TEST_STRIPS, [GOOD_STRIP], file="2026/synthetic_demo_test_strips_2026-03.csv"),
                      TEST_STRIPS, areas=areas, hotspots=hotspots, today=TODAY)
    assert result.loaded["is_synthetic"].to_list() == [True]


def test_empty_input_gives_typed_empty_frames(areas, hotspots) -> None:
    result = validate(rows_frame(OUTREACH, []), OUTREACH, areas=areas, hotspots=hotspots, today=TODAY)
    assert result.loaded.is_empty() and result.quarantined.is_empty()
    assert result.loaded.schema["date"] == pl.Date and result.loaded.schema["contacts"] == pl.Int32


def test_multi_sheet_reasons_name_the_sheet(areas, hotspots) -> None:
    frame = rows_frame(TEST_STRIPS, [GOOD_STRIP, strip(result=None)]).with_columns(
        pl.Series("sheet", ["Jan", "Feb"])
    )
    result = validate(frame, TEST_STRIPS, areas=areas, hotspots=hotspots, today=TODAY)
    assert result.quarantined["reason"].to_list() == ["sheet 'Feb': result is missing"]
