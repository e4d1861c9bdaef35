"""The shared filters: URL parsing and writing are exact inverses, and bad links degrade gently."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboards.components import filters

MONTHS = tuple(date(2024 + (m // 12), m % 12 + 1, 1) for m in range(30))  # Jan 2024 .. Jun 2026
OPTIONS = filters.FilterOptions(
    months=MONTHS,
    demographic_values={
        "sex": ("Female", "Male", "Unknown"),
        "age_group": ("15-24", "25-34", "35-44"),
        "race_ethnicity": ("Hispanic", "NH Black", "NH White"),
    },
)


def test_default_view_is_the_last_twelve_months_of_the_region():
    default = filters.default_filters(OPTIONS)
    assert (default.start, default.end) == (date(2025, 7, 1), date(2026, 6, 1))
    assert default.areas == () and default.drug == "all" and not default.has_demographic_filter
    assert filters.to_query_params(default, default) == {}


def test_a_link_reproduces_every_filter():
    params = {"from": "2024-03", "to": "2025-02", "areas": "29,23", "drug": "fentanyl", "sex": "Male",
              "age": "25-34", "race": "NH Black", "rate": "adjusted"}
    parsed = filters.parse_query_params(params, OPTIONS)
    assert parsed.ignored == ()
    assert parsed.filters == filters.Filters(
        start=date(2024, 3, 1), end=date(2025, 2, 1), areas=(23, 29), drug="fentanyl",
        sex="Male", age_group="25-34", race_ethnicity="NH Black", rate="adjusted",
    )
    assert filters.to_query_params(parsed.filters, filters.default_filters(OPTIONS)) == {
        **params, "areas": "23,29"
    }


def test_bad_values_fall_back_with_a_note_and_months_snap_to_the_data():
    parsed = filters.parse_query_params(
        {"from": "1999-01", "to": "banana", "areas": "23,99,x", "drug": "DROP TABLE", "sex": "Robot",
         "rate": "smoothed"},
        OPTIONS,
    )
    assert parsed.filters.start == MONTHS[0]  # snapped to the first month of data
    assert parsed.filters.end == filters.default_filters(OPTIONS).end
    assert parsed.filters.areas == (23,)
    assert parsed.filters.drug == "all" and parsed.filters.sex == "all" and parsed.filters.rate == "crude"
    assert len(parsed.ignored) == 5
    assert any("'99'" in note and "'x'" in note for note in parsed.ignored)


def test_a_reversed_range_is_swapped():
    parsed = filters.parse_query_params({"from": "2026-01", "to": "2025-01"}, OPTIONS)
    assert (parsed.filters.start, parsed.filters.end) == (date(2025, 1, 1), date(2026, 1, 1))


@pytest.mark.parametrize(
    ("areas", "expected"),
    [((), "West Side"), ((25,), "Austin"), ((23, 25), "Humboldt Park, Austin"), ((23, 24, 25, 26), "4 community areas")],
)
def test_area_scope_label(areas, expected):
    names = {23: "Humboldt Park", 24: "West Town", 25: "Austin", 26: "West Garfield Park"}
    view = filters.Filters(start=MONTHS[0], end=MONTHS[1], areas=areas)
    assert filters.area_scope_label(view, names, "West Side") == expected


@given(
    start=st.sampled_from(MONTHS),
    end=st.sampled_from(MONTHS),
    areas=st.sets(st.integers(1, 77), max_size=6),
    drug=st.sampled_from(sorted(filters.DRUG_LABELS)),
    sex=st.sampled_from(("all", "Female", "Male")),
    rate=st.sampled_from(sorted(filters.RATE_KINDS)),
)
def test_query_string_round_trip(start, end, areas, drug, sex, rate):
    start, end = min(start, end), max(start, end)
    view = filters.Filters(start=start, end=end, areas=tuple(sorted(areas)), drug=drug, sex=sex, rate=rate)
    params = filters.to_query_params(view, filters.default_filters(OPTIONS))
    assert filters.parse_query_params(params, OPTIONS) == filters.ParsedFilters(view)
