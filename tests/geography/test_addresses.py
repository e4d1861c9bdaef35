"""Normalising the archive's street addresses before geocoding: known answers from real records.

The addresses below are real ``incident_street`` values of the Cook County Medical Examiner case
archive (``cjeq-bs86``, public data published by Cook County), from the project's reference sample
of 1,234 records (a random 10 % per year of the opioid-related cases, 2014–2023); those marked
"constructed" are not in the sample.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.defs.geography.addresses import Address, geocode_address, normalise_street

KNOWN_ANSWERS = [
    # hotel, shop, station or building names before the number, with or without a separator
    ("J.R. Hotel, 3001 W. Jackson Boulevard #217", "3001 W JACKSON BOULEVARD"),
    ("(CHINATOWN HOTEL) 214 WEST 22ND PLACE, ROOM 105", "214 WEST 22ND PLACE"),
    ("Soule Restaurant, 1931 W. Chicago Avenue", "1931 W CHICAGO AVENUE"),
    ("River Park Motel/6060 N. Lincoln #201", "6060 N LINCOLN"),
    ("St. Clair Hotel 162 E. Ontario Rm 901", "162 E ONTARIO"),
    ("Karlov House Grp Hm, 418 S. Karlov Avenue", "418 S KARLOV AVENUE"),
    ("Green Line, 1601 W. Lake Street", "1601 W LAKE STREET"),
    ("Clark/Division Station, 1200 N. Clark St.", "1200 N CLARK ST"),
    ("Motel 6 540 N Milwaukee Ave. Room 103", "540 N MILWAUKEE AVE"),
    ("V Inn  Motel 2540 N.  Mannheim #110", "2540 N MANNHEIM"),
    # names and places after a slash, a comma, a dash or in parentheses
    ("660 N. State St./ Dana Hotel & Spa", "660 N STATE ST"),
    ("17 N. DEARBORN(CTA Blue Line Platform)", "17 N DEARBORN"),
    ("1458 S Canal/Pacific Garden", "1458 S CANAL"),
    ("6400 South Cicero/Subway", "6400 SOUTH CICERO"),
    ("11046 S. King Drive, Palmer Park", "11046 S KING DRIVE"),
    ("7321 N Clark - Touhey Park", "7321 N CLARK"),
    ("1620 S. CICERO AVE. KARAVAN MOTEL", "1620 S CICERO AVE KARAVAN"),
    # units, rooms, floors, basements
    ("10220 S. MICHIGAN AVENUE, UNIT# 3A", "10220 S MICHIGAN AVENUE"),
    ("2000 S. 5TH AVENUE, APT# 1N", "2000 S 5TH AVENUE"),
    ("3010 Harbor Lane Unit # 303", "3010 HARBOR LANE"),
    ("4507 W. WASHINGTON BLVD., ROOM# 220", "4507 W WASHINGTON BLVD"),
    ("7863 W. KAHILL TERRACE - 3RD FLR.", "7863 W KAHILL TERRACE"),
    ("3942 N. Hamilton/basement", "3942 N HAMILTON"),
    ("1515 W. Garfield/Basement Apt.", "1515 W GARFIELD"),
    ("2216 BLOCKWOOD BASEMENT APT", "2216 BLOCKWOOD"),
    ("852 E. 83rd ST 3FL", "852 E 83RD ST"),
    ("3632 SOUTH MARTIN LUTHER KING DRIVE APT #C", "3632 SOUTH MARTIN LUTHER KING DRIVE"),
    ("6324 West 63dr Street, Apartment 11", "6324 WEST 63DR STREET"),
    ("1244 East 93 rd strreet # 219", "1244 EAST 93 RD STRREET"),
    ("445 S. Cleveland Ave.#105", "445 S CLEVELAND AVE"),
    ("1262 S FAIRFIELD SECOND FLR", "1262 S FAIRFIELD"),
    ("2357 WALNUT STREET 2ND REAR", "2357 WALNUT STREET"),
    ("238 N. Pine Avenue ( (GF)", "238 N PINE AVENUE"),
    ("1314 WEST 15TH ST #604- LOOMIS COURTS", "1314 WEST 15TH ST"),
    ("1750 Broadway St. Lot#3021", "1750 BROADWAY ST"),
    ("6124 SOUTH INGLESIDE, GARDEN APARTMENT", "6124 SOUTH INGLESIDE"),
    # a bare unit number at the end, but not a numbered street after a direction
    ("514 North Pershatigo court 1502", "514 NORTH PERSHATIGO COURT"),
    ("723 W GRAND 305", "723 W GRAND"),
    ("1419 w. 90 Street #3A", "1419 W 90 STREET"),
    # spelling: periods, spaces, an ordinal split from its number, a letter after the house number
    ("4843 w.Jackson Blvd., Apt. 1", "4843 W JACKSON BLVD"),
    ("7240 W 107 th Street (Lot 122)", "7240 W 107TH STREET"),
    ("135A North Levitt St", "135 NORTH LEVITT ST"),
    ("2938 A North Kolmar Avenue, Unit 3A", "2938 NORTH KOLMAR AVENUE"),
    ("10000 WEST O'HARE AVENUE  CTA", "10000 WEST O'HARE AVENUE"),
    ("5848  S KEDZIE AVE #302", "5848 S KEDZIE AVE"),
    ("1417 LINCOLN ST,", "1417 LINCOLN ST"),
    ("530 WEST GRACE STREET", "530 WEST GRACE STREET"),
    ("1234 1/2 W MADISON ST", "1234 W MADISON ST"),  # constructed: a half house number
    ("3210-12 W ARTHINGTON", "3210 W ARTHINGTON"),  # constructed: a house-number range
    ("0123 W MADISON ST", "123 W MADISON ST"),  # constructed: a leading zero
]

NOT_ADDRESSES = [
    None,
    "",
    "   ",
    "UNKNOWN",
    "Unknown",
    "UNK",
    "UNKNOWN LOCATION",
    "UNKNOWN INCIDENT LOCATION",
    "UNK ADDRESS",  # constructed
    "CURRENTLY UNKNOWN, PENDING RECORDS RECEIPT",
    "somewhere in chicago",
    "Red Line",  # constructed
    "CTA Blue Line Platform",  # constructed: a platform without a street number
    "97TH AND STATE",
    "RAND ROAD AND QUENTON ROAD",
    "18th Street and Wentworth",
    "HARRISON STREET AND INDEPENDENCE BOULEVARD",
    "N. Honore Avenue at North Wicker Park Avenue",
    "East 100th Street & South Commercial Avenue",
    "3200 Block Touhy Ave.",  # a block: both sides of a street that is a city limit
    "3200 BLK W TOUHY AVE",  # constructed
    "0 W MADISON ST",  # constructed: no such house number
    "123 W 90",  # constructed: a direction and a number are no street
]


@pytest.mark.parametrize(("text", "expected"), KNOWN_ANSWERS)
def test_real_addresses_normalise_to_number_and_street(text, expected):
    assert normalise_street(text) == expected


@pytest.mark.parametrize("text", NOT_ADDRESSES)
def test_texts_that_are_not_street_addresses_are_not_sent(text):
    assert normalise_street(text) is None


def test_the_address_sent_is_chicago_illinois_and_the_archives_zip():
    assert geocode_address("J.R. Hotel, 3001 W. Jackson Boulevard #217", "60624") == Address(
        "3001 W JACKSON BOULEVARD", "CHICAGO", "IL", "60624"
    )
    assert geocode_address("852 E. 83rd ST 3FL", None) == Address("852 E 83RD ST", "CHICAGO", "IL", "")
    assert geocode_address("UNKNOWN", "60634") is None
    assert geocode_address(None, "60651") is None


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="0123456789 ABCDEFGHNSWTRLUOP#/,.()-&'1/2aptunitroomflrbasementhotel", max_size=60))
def test_any_text_gives_a_clean_address_or_none_and_normalising_twice_changes_nothing(text):
    street = normalise_street(text)
    if street is None:
        return
    assert re.fullmatch(r"[1-9]\d{0,5}( [A-Z0-9'\-]+)+", street), street
    assert street == street.strip() and "  " not in street
    assert normalise_street(street) == street


def test_the_documented_examples_hold():
    """The normalised and the refused addresses of docs/data/geocoding.md, as the code reads them."""
    from pipelines.settings import PROJECT_ROOT

    page = (PROJECT_ROOT / "docs" / "data" / "geocoding.md").read_text(encoding="utf-8")
    begin = page.index("- **Normalised addresses**")
    text = page[begin : page.index("- **Once, ever:**", begin)]
    pairs = re.findall(r"`([^`]+)` → `([^`]+)`", text)
    assert len(pairs) == 4
    for raw, expected in pairs:
        assert normalise_street(raw) == expected, raw
    refused = re.findall(r"`([^`]+)`", text[text.index("**Not sent**") :])
    assert len(refused) == 8
    assert [normalise_street(t) for t in refused] == [None] * len(refused)
