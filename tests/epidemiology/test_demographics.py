"""Known answers for the demographic groupings."""

import polars as pl

from pipelines.defs.epidemiology.demographics import with_demographics


def test_groups():
    frame = pl.DataFrame(
        {
            "age": [0, 14, 15, 34, 35, 64, 65, 101, None, -1, 130],
            "gender": ["Male", "female", " FEMALE ", "X", None, "Male", "Male", "Female", "Male", "Male", "Male"],
            "race": ["Black", "White", "Asian", "Black", "Am. Indian", None, "Other", "white", "Black", "Asian", "White"],
            "latino": [False, False, False, True, False, None, False, False, None, True, False],
        },
        schema_overrides={"age": pl.Int32},
    )
    out = with_demographics(frame)
    assert out["age_group"].to_list() == [
        "0-14", "0-14", "15-24", "25-34", "35-44", "55-64", "65+", "65+", "Unknown", "Unknown", "Unknown",
    ]
    assert out["sex"].to_list() == [
        "Male", "Female", "Female", "Unknown", "Unknown", "Male", "Male", "Female", "Male", "Male", "Male",
    ]
    assert out["race_ethnicity"].to_list() == [
        "NH Black", "NH White", "NH Asian", "Hispanic", "Other/unknown", "Other/unknown",
        "Other/unknown", "NH White", "NH Black", "Hispanic", "NH White",
    ]


def test_age_bands_of_age_adjustment():
    """Every boundary of the eight standard bands, both sides; unknown as for the age group."""
    ages = [0, 4, 5, 19, 20, 34, 35, 49, 50, 64, 65, 74, 75, 84, 85, 120, 121, -1, None]
    out = with_demographics(
        pl.DataFrame(
            {"age": ages, "gender": ["Male"] * len(ages), "race": ["Black"] * len(ages), "latino": [False] * len(ages)},
            schema_overrides={"age": pl.Int32},
        )
    )
    assert out["age_band"].to_list() == [
        "0-4", "0-4", "5-19", "5-19", "20-34", "20-34", "35-49", "35-49", "50-64", "50-64",
        "65-74", "65-74", "75-84", "75-84", "85+", "85+", "Unknown", "Unknown", "Unknown",
    ]
    # The band and the display group agree on which ages are unknown.
    assert (out["age_band"] == "Unknown").to_list() == (out["age_group"] == "Unknown").to_list()
