"""Chicago's total and its parts: the city total's rule, with known answers on hand-made frames.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from pipelines.defs.epidemiology import city_total as ct
from tests.epidemiology.city_total_support import (
    BUSY,
    REST_HIDDEN,
    THRESHOLD,
    counts_frame,
    derivable_hidden_cells,
    publish,
    row,
)


def test_the_city_counts_every_death_and_the_areas_do_not_change() -> None:
    published = publish(counts_frame({2024: (BUSY, 17)}))
    city = row(published, 2024, "Chicago")
    not_placed = row(published, 2024, ct.NOT_PLACED_LABEL)
    # Chicago = placed (282) + not placed (17); the rate is over the city's whole population.
    assert city["deaths"] == 299 and city["deaths_display"] == "299"
    assert city["rate"] == pytest.approx(299 / 300_000 * 100_000)
    assert not_placed["deaths"] == 17 and not_placed["rate"] is None and not_placed["population"] is None
    region, rest = row(published, 2024, "Region"), row(published, 2024, "Rest of Chicago")
    assert region["deaths"] + rest["deaths"] + not_placed["deaths"] == city["deaths"]
    # Areas, the region and the rest are exactly what they were without the not-placed deaths.
    without = publish(counts_frame({2024: (BUSY, 0)}, with_city=False))
    kept = pl.col("geography_type").is_in(["community_area", "region"])
    assert published.filter(kept).sort("geography").equals(without.filter(kept).sort("geography"))


def test_a_small_not_placed_count_with_every_rest_area_shown_withholds_the_city() -> None:
    # The rest's areas are 60, 44, 12 and 70: all shown, so the rest is their sum, whatever is hidden.
    published = publish(counts_frame({2023: (BUSY, 20), 2024: (BUSY, 4), 2025: (BUSY, 15)}))
    assert row(published, 2024, ct.NOT_PLACED_LABEL)["deaths_display"] == "<10"
    assert row(published, 2024, ct.NOT_PLACED_LABEL)["deaths"] is None
    city = row(published, 2024, "Chicago")
    # 286 - 96 - 186 would give the 4 back: the city's total is withheld, with its rate.
    assert city["deaths_display"] == "*" and city["deaths_suppressed"]
    assert city["deaths"] is None and city["rate"] is None and city["rate_lower"] is None
    assert city["rate_change_pct"] is None
    # The change from the withheld year would give it back too.
    assert row(published, 2025, "Chicago")["rate_change_pct"] is None
    assert row(published, 2023, "Chicago")["deaths_display"] == "302"
    # Hiding the rest would hide nothing: it is the sum of its four shown areas.
    assert row(published, 2024, "Region")["deaths_display"] == "96"
    assert row(published, 2024, "Rest of Chicago")["deaths_display"] == "186"
    # Zero not placed: shown as 0, the city total shown.
    zero = publish(counts_frame({2024: (BUSY, 0)}))
    assert row(zero, 2024, ct.NOT_PLACED_LABEL)["deaths_display"] == "0"
    assert row(zero, 2024, "Chicago")["deaths_display"] == "282"


def test_a_small_not_placed_count_beside_a_hidden_rest_area_hides_the_rest_and_shows_the_city() -> None:
    published = publish(counts_frame({2023: (REST_HIDDEN, 20), 2024: (REST_HIDDEN, 4), 2025: (REST_HIDDEN, 15)}))
    assert [row(published, 2024, a)["deaths_display"] for a in "DEFG"] == ["60", "*", "<10", "70"]
    # Chicago = 96 + 179 + 4 is shown, with its rate; the rest is hidden instead ("*", no rate):
    # it is 60 + 70 + two hidden areas, so 279 - 96 - rest has two unknowns.
    city = row(published, 2024, "Chicago")
    assert city["deaths"] == 279 and city["deaths_display"] == "279" and not city["deaths_suppressed"]
    assert city["rate"] == pytest.approx(279 / 300_000 * 100_000)
    rest = row(published, 2024, "Rest of Chicago")
    assert rest["deaths_display"] == "*" and rest["deaths"] is None and rest["deaths_suppressed"]
    assert rest["rate"] is None and rest["rate_lower"] is None and rest["rate_change_pct"] is None
    assert row(published, 2024, "Region")["deaths_display"] == "96"
    assert row(published, 2024, ct.NOT_PLACED_LABEL)["deaths_display"] == "<10"
    # The change of the rest from the hidden year would give it back; the city's changes are shown.
    assert row(published, 2025, "Rest of Chicago")["rate_change_pct"] is None
    assert row(published, 2025, "Rest of Chicago")["deaths_display"] == "179"
    assert row(published, 2024, "Chicago")["rate_change_pct"] is not None
    assert row(published, 2025, "Chicago")["rate_change_pct"] is not None
    # Years whose not-placed count is shown hide nothing.
    assert row(published, 2023, "Rest of Chicago")["deaths_display"] == "179"
    assert row(published, 2023, "Chicago")["deaths_display"] == "295"


def test_a_partial_year_keeps_the_rest_and_withholds_the_city_as_any_short_period() -> None:
    """The same counts over a year of 10 months of data (the archive's last year): a period
    shorter than 12 months keeps the rest of Chicago, so Chicago's total is withheld — as the Map
    and Trends decide for the same ten months, which they can show as a period."""
    frame = counts_frame({2024: (REST_HIDDEN, 20), 2025: (REST_HIDDEN, 4)}, months={2025: 10})
    published = publish(frame)
    city, rest = row(published, 2025, "Chicago"), row(published, 2025, "Rest of Chicago")
    assert city["deaths_display"] == "*" and city["deaths"] is None and city["rate"] is None
    assert rest["deaths_display"] == "179" and rest["rate"] is not None
    assert row(published, 2025, ct.NOT_PLACED_LABEL)["deaths_display"] == "<10"
    # The full year beside it keeps Chicago's total and hides nothing (20 not placed).
    assert row(published, 2024, "Chicago")["deaths_display"] == "295"
    assert derivable_hidden_cells(published, 2025) == []
    # Twelve months of the same counts: the rest is hidden and Chicago shown.
    full = publish(counts_frame({2025: (REST_HIDDEN, 4)}))
    assert (row(full, 2025, "Chicago")["deaths_display"], row(full, 2025, "Rest of Chicago")["deaths_display"]) == (
        "279", "*",
    )  # fmt: skip


def test_a_small_region_or_rest_alone_withholds_the_city() -> None:
    # The region alone hidden (5), though the rest has a hidden area: the city is withheld.
    quiet_region = {**REST_HIDDEN, 1: 3, 2: 2, 3: 0}
    published = publish(counts_frame({2024: (quiet_region, 17)}))
    assert row(published, 2024, "Region")["deaths_display"] == "<10"
    assert row(published, 2024, "Rest of Chicago")["deaths_display"] == "179"
    assert row(published, 2024, "Chicago")["deaths_display"] == "*"
    # The rest alone hidden (5).
    quiet_rest = {**BUSY, 4: 3, 5: 2, 6: 0, 7: 0}
    published = publish(counts_frame({2024: (quiet_rest, 17)}))
    assert row(published, 2024, "Rest of Chicago")["deaths_display"] == "<10"
    assert row(published, 2024, "Region")["deaths_display"] == "96"
    assert row(published, 2024, "Chicago")["deaths_display"] == "*"


def test_two_hidden_parts_leave_the_city_total_shown() -> None:
    quiet = {1: 3, 2: 2, 3: 0, 4: 60, 5: 44, 6: 12, 7: 70}
    published = publish(counts_frame({2024: (quiet, 6)}))
    assert row(published, 2024, "Region")["deaths_display"] == "<10"
    assert row(published, 2024, ct.NOT_PLACED_LABEL)["deaths_display"] == "<10"
    # Region + not placed = 197 - 186 = 11: two unknowns, neither found.
    assert row(published, 2024, "Chicago")["deaths_display"] == "197"
    assert row(published, 2024, "Rest of Chicago")["deaths_display"] == "186"


@pytest.mark.parametrize(
    ("region", "rest", "not_placed", "rest_has_hidden_area", "over_a_year", "under_a_year"),
    [
        # (city withheld, rest withheld) for 12 months or more, and for fewer.
        (96, 186, 4, True, (False, True), (True, False)),  # the not placed alone: the policy decides
        (96, 186, 4, False, (True, False), (True, False)),  # ... every rest area shown: the city
        (5, 186, 40, True, (True, False), (True, False)),  # the region alone
        (96, 5, 40, True, (True, False), (True, False)),  # the rest alone
        (5, 186, 4, True, (False, False), (False, False)),  # two hidden
        (5, 5, 4, True, (False, False), (False, False)),  # three hidden
        (96, 186, 0, True, (False, False), (False, False)),  # none hidden
        (96, 186, 10, False, (False, False), (False, False)),
        (0, 0, 3, False, (True, False), (True, False)),  # and the total (3) is "<10" on its own
    ],
)
@pytest.mark.parametrize("months", [1, 3, 11, 12, 13, 36])
def test_the_rule_on_raw_counts(region, rest, not_placed, rest_has_hidden_area, over_a_year, under_a_year, months):
    expected = over_a_year if months >= 12 else under_a_year
    kwargs = {"rest_has_hidden_area": rest_has_hidden_area, "months": months, "threshold": THRESHOLD}
    rule = ct.city_rule(region, rest, not_placed, **kwargs)
    assert (rule.city_withheld, rule.rest_withheld) == expected
    assert ct.city_withheld(region, rest, not_placed, **kwargs) == expected[0]
    frame = pl.DataFrame({"r": [region], "s": [rest], "n": [not_placed], "h": [rest_has_hidden_area], "m": [months]})
    for length in (months, pl.col("m")):  # a number, or a column of them
        kwargs = {"rest_has_hidden_area": pl.col("h"), "months": length, "threshold": THRESHOLD}
        exprs = (ct.city_withheld_expr(pl.col("r"), pl.col("s"), pl.col("n"), **kwargs),
                 ct.rest_withheld_expr(pl.col("r"), pl.col("s"), pl.col("n"), **kwargs))  # fmt: skip
        assert frame.select(*(e.alias(str(i)) for i, e in enumerate(exprs))).row(0) == expected


def test_a_periods_length_is_its_months_both_included() -> None:
    assert ct.period_months(date(2026, 3, 1), date(2026, 3, 1)) == 1
    assert ct.period_months(date(2025, 11, 1), date(2026, 10, 1)) == 12
    assert ct.period_months(date(2016, 1, 1), date(2026, 10, 1)) == 130
    assert [ct.prefers_city(m) for m in (1, 11, 12, 130)] == [False, False, True, True]


def test_a_rest_area_is_hidden_exactly_when_one_is_small() -> None:
    assert ct.rest_has_hidden_area([60, 44, 5, 70], threshold=THRESHOLD)
    assert not ct.rest_has_hidden_area([60, 44, 0, 70, 10], threshold=THRESHOLD)
    assert not ct.rest_has_hidden_area([], threshold=THRESHOLD)
