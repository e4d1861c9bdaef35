"""The PII guard: personal-looking columns refuse the whole file, naming the column, never the value."""

from __future__ import annotations

from pathlib import Path

import pytest
from field_data.helpers import write_csv

from pipelines.defs.field_data import pii
from pipelines.defs.field_data.pii import guard, pii_category
from pipelines.defs.field_data.reading import Refused, read_file
from pipelines.defs.field_data.schema import HOTSPOTS, OUTREACH, TEST_STRIPS, SourceSpec

HEADER = ["tested_on", "team", "hotspot_id", "strip_type", "result"]
ROW = ["2026-03-01", "Austin Team", "HS-01", "fentanyl", "positive"]


def guarded(path: Path, spec: SourceSpec = TEST_STRIPS, **options):
    column_map = options.get("column_map", ())
    result = read_file(path, spec.header_map(column_map), max_bytes=10_000_000, max_rows=1000)
    return guard(result, spec, **options)


def refusal(path: Path, spec: SourceSpec = TEST_STRIPS, **options) -> Refused:
    with pytest.raises(Refused) as info:
        guarded(path, spec, **options)
    return info.value


@pytest.mark.parametrize(
    ("header", "category"),
    [
        ("Name", pii.NAME),
        ("Client name", pii.NAME),
        ("First Name", pii.NAME),
        ("LastName", pii.NAME),
        ("participant", pii.NAME),
        ("Tested by", pii.NAME),
        ("Staff initials", pii.NAME),
        ("DOB", pii.BIRTH_DATE),
        ("Date of birth", pii.BIRTH_DATE),
        ("Birthday", pii.BIRTH_DATE),
        ("Phone", pii.PHONE),
        ("Cell #", pii.PHONE),
        ("Telephone number", pii.PHONE),
        ("E-mail", pii.EMAIL),
        ("email address", pii.EMAIL),
        ("Address", pii.ADDRESS),
        ("Home address", pii.ADDRESS),
        ("Street", pii.ADDRESS),
        ("Notes", pii.NOTES),
        ("Comments", pii.NOTES),
        ("Narrative", pii.NOTES),
        ("SSN", pii.PERSONAL_ID),
        ("Medicaid #", pii.PERSONAL_ID),
        ("Client ID", pii.PERSONAL_ID),
    ],
)
def test_personal_headers(header: str, category: str) -> None:
    assert pii_category(header) == category


@pytest.mark.parametrize(
    "header", ["Site name", "Hot spot name", "Drug brand name", "Stamp name", "Weather", "Shift", "Participants", "Zip"]
)
def test_place_and_thing_headers_are_not_personal(header: str) -> None:
    assert pii_category(header) is None


@pytest.mark.parametrize(
    ("header", "value", "category"),
    [
        ("Client name", "J. Doe", pii.NAME),
        ("DOB", "1980-04-02", pii.BIRTH_DATE),
        ("Phone", "n/a", pii.PHONE),
        ("Email", "x", pii.EMAIL),
        ("Address", "somewhere", pii.ADDRESS),
        ("Notes", "left early", pii.NOTES),
    ],
)
def test_a_personal_column_refuses_the_whole_file_naming_it(tmp_path: Path, header: str, value: str, category: str) -> None:
    path = write_csv(tmp_path / "f.csv", [HEADER + [header], ROW + [value], ROW + [""]])
    refused = refusal(path)
    assert refused.reason.startswith(f"column '{header}' looks like {category}")
    assert "ODW_FIELD_DROP_COLUMNS" in refused.reason
    assert value not in refused.reason
    # Both data rows are accounted for: they are quarantined with the file.
    assert refused.row_numbers == (2, 3)


@pytest.mark.parametrize(
    ("header", "value", "category"),
    [
        ("Contact", "someone@example.org", pii.EMAIL),
        ("Other", "call (312) 555-0142", pii.PHONE),
        ("Other", "3125550142", pii.PHONE),
        ("Ref", "123-45-6789", pii.PERSONAL_ID),
        ("Where", "4000 W Madison St", pii.ADDRESS),
        ("Other", "met him by the corner store, says he will come next week", pii.NOTES),
    ],
)
def test_personal_content_in_an_innocent_column(tmp_path: Path, header: str, value: str, category: str) -> None:
    path = write_csv(tmp_path / "f.csv", [HEADER + [header], ROW + [""], ROW + [value]])
    refused = refusal(path)
    assert refused.reason.startswith(f"column '{header}' contains what looks like {category} (row 3)")
    assert value not in refused.reason


def test_phone_number_in_a_mapped_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [HEADER, ["2026-03-01", "call 312-555-0142", "HS-01", "fentanyl", "positive"]])
    assert refusal(path).reason.startswith(f"column 'team' contains what looks like {pii.PHONE} (row 2)")


def test_coordinates_and_dates_are_not_phone_numbers(tmp_path: Path) -> None:
    rows = [HEADER + ["latitude", "longitude"], ["2026-03-01", "A", "", "fentanyl", "positive", "41.8810512345", "-87.7259012345"],
            ["46000", "A", "", "fentanyl", "positive", "41.88", "-87.72"]]
    assert guarded(write_csv(tmp_path / "f.csv", rows)).frame.height == 2


def test_configured_drop_column_is_dropped_before_anything_is_read(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [HEADER + ["Notes", "Client name"], ROW + ["called 312-555-0142", "J. Doe"]])
    mapped = guarded(path, drop_columns=("notes", " CLIENT NAME "))
    assert mapped.dropped_columns == ("'Notes'", "'Client name'")
    assert "Notes" not in mapped.frame.columns and mapped.frame.height == 1
    assert "312" not in str(mapped.frame.to_dicts())


def test_column_map_turns_an_unknown_header_into_a_field(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [["tested_on", "team", "Spot name", "strip_type", "result"], ROW])
    assert guarded(path, column_map=(("Spot name", "hotspot_id"),)).frame["hotspot_id"].to_list() == ["HS-01"]


def test_blank_personal_column_is_dropped_not_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [HEADER + ["Notes"], ROW + [""]])
    assert guarded(path).dropped_columns == ("'Notes' (empty)",)


def test_unknown_innocent_column_is_ignored_and_reported(tmp_path: Path) -> None:
    mapped = guarded(write_csv(tmp_path / "f.csv", [HEADER + ["Weather"], ROW + ["rain"]]))
    assert mapped.ignored_columns == ("'Weather'",)
    assert "Weather" not in mapped.frame.columns


def test_hotspot_name_is_an_allowed_field(tmp_path: Path) -> None:
    rows = [["hotspot_id", "name", "latitude", "longitude"], ["HS-01", "Madison & Pulaski", "41.88", "-87.72"]]
    assert guarded(write_csv(tmp_path / "h.csv", rows), HOTSPOTS).frame["name"].to_list() == ["Madison & Pulaski"]


def test_two_columns_for_one_field(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [HEADER + ["Lat", "Latitude", "lon"], ROW + ["41.8", "41.8", "-87.7"]])
    assert refusal(path).reason == "columns 'Lat' and 'Latitude' both mean latitude — keep only one of them"


def test_missing_required_column_lists_accepted_headers(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [["tested_on", "team", "hotspot_id", "strip_type"], ROW[:4]])
    assert refusal(path).reason.startswith("no column for result (e.g. result, test result")


def test_latitude_without_longitude_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [["date", "team", "lat", "contacts"], ["2026-03-01", "A", "41.8", "3"]])
    assert refusal(path, OUTREACH).reason == "the file has a latitude column but no longitude column"


def test_no_location_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [["date", "team", "contacts"], ["2026-03-01", "A", "3"]])
    assert refusal(path, OUTREACH).reason.startswith("no location column")


def test_headers_match_case_and_space_insensitively(tmp_path: Path) -> None:
    rows = [["  TESTED ON ", "Team", "Hot Spot", "Test-Strip Type", "RESULT"], ROW]
    assert guarded(write_csv(tmp_path / "f.csv", rows)).frame.select(TEST_STRIPS.names[:3]).row(0) == (
        "2026-03-01", "Austin Team", "HS-01"
    )
