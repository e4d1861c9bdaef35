"""The Trends page's selection: filters, and a chosen set of areas or split that never gives a
hidden area back (hand-made frames with known answers).
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from dashboards.components import trend_annual, trend_breakdowns, trend_periods, trend_selection, trend_series
from dashboards.components.filters import Filters
from tests.dashboards.trend_support import SELECTION, THRESHOLD, monthly_rows


def test_filter_rows_applies_drug_and_demographics() -> None:
    jan = date(2026, 1, 1)
    rows = pl.concat(
        [
            monthly_rows([(jan, 1, 4)]),
            monthly_rows([(jan, 1, 6)]).with_columns(pl.lit("Female").alias("sex")),
            monthly_rows([(jan, 1, 7)]).with_columns(pl.lit("fentanyl").alias("drug")),
        ]
    )
    view = Filters(start=jan, end=jan, sex="Female")
    assert trend_selection.filter_rows(rows, view).get_column("deaths").to_list() == [6]
    assert trend_selection.filter_rows(rows, view, skip=("sex",)).get_column("deaths").sum() == 10
    assert trend_selection.filter_rows(rows, view, every_drug=True).get_column("deaths").to_list() == [6]


def test_a_chosen_set_of_areas_never_gives_a_hidden_area_back() -> None:
    """Area 1 (5 deaths) is "<10" on the Map and area 3 shows 40: a total of 45 for {1, 3} would
    give area 1 back, so the selection and the rest of Chicago are withheld ("*")."""
    jan = date(2026, 1, 1)
    rows = monthly_rows([(jan, 1, 5), (jan, 2, 30), (jan, 3, 40), (jan, 4, 50)])
    areas = pl.DataFrame(
        {
            "community_area_number": [1, 2, 3, 4],
            "in_region": [True, True, False, False],
            "population_2020": [10_000, 20_000, 30_000, 40_000],
        }
    )
    leaky = trend_selection.make_selection(Filters(start=jan, end=jan, areas=(1, 3)), areas, "Areas 1 and 3")
    assert leaky.region_areas == frozenset({1, 2}) and leaky.city_areas == frozenset({1, 2, 3, 4})
    totals = trend_series.period_totals(rows, leaky, jan, jan, threshold=THRESHOLD)
    assert totals.get_column("deaths_display").to_list() == ["*", "*", "0", "125"]
    assert totals.get_column("deaths").to_list() == [None, None, 0, 125]
    series = trend_series.time_series(
        rows, trend_periods.month_periods([jan], [], "month"), leaky, time_col="month", step="month",
        within=(jan, date(2026, 2, 1)), threshold=THRESHOLD,
    )  # fmt: skip
    assert series.get_column("deaths_display").to_list() == ["*", "*"]
    assert series.get_column("rate").is_null().all()

    # {1, 2} holds both areas the Map hides (5 and its complement 30): the total 35 is safe.
    safe = trend_selection.make_selection(Filters(start=jan, end=jan, areas=(1, 2)), areas, "Areas 1 and 2")
    totals = trend_series.period_totals(rows, safe, jan, jan, threshold=THRESHOLD)
    assert totals.get_column("deaths_display").to_list() == ["35", "90", "0", "125"]
    # The configured region is protected by the Map's own suppression: no extra check.
    region = trend_selection.make_selection(Filters(start=jan, end=jan), areas, "Region")
    assert region.region_areas is None
    assert trend_selection.revealing_periods(rows.with_columns(pl.lit(0).alias("p")), region, period_col="p", threshold=10) == set()


# ---- Chicago's total and the deaths not placed in an area ----------------------------------------


AREAS_1_TO_4 = pl.DataFrame(
    {
        "community_area_number": [1, 2, 3, 4],
        "in_region": [True, True, False, False],
        "population_2020": [10_000, 20_000, 30_000, 40_000],
    }
)


def test_a_chosen_split_with_chicago_shown_hides_no_part_alone() -> None:
    """Chosen area 3 against the rest; the not placed (4) are hidden. The region's own split has a
    second hidden part (the region, 6), so Chicago is shown — on every page alike. This split may
    then not show both the selection and the rest (Chicago minus them would give the 4 back): here
    the per-area figures of the Map already withhold both, leaving three hidden parts.
    (When they do not, ``city_total.protect_split`` hides what is needed: tests/epidemiology.)"""
    jan = date(2026, 1, 1)
    rows = monthly_rows([(jan, 1, 6), (jan, 3, 40), (jan, 4, 50), (jan, None, 4)])
    chosen = trend_selection.make_selection(Filters(start=jan, end=jan, areas=(3,)), AREAS_1_TO_4, "Area 3")
    totals = trend_series.period_totals(rows, chosen, jan, jan, threshold=THRESHOLD)
    assert totals.get_column("group").to_list() == ["Area 3", trend_selection.REST_LABEL, trend_selection.NOT_PLACED_LABEL, trend_selection.CITY_LABEL]
    assert totals.get_column("deaths_display").to_list() == ["*", "*", "<10", "100"]
    region = trend_selection.make_selection(Filters(start=jan, end=jan), AREAS_1_TO_4, "Region")
    canonical = trend_series.period_totals(rows, region, jan, jan, threshold=THRESHOLD)
    assert canonical.get_column("deaths_display").to_list() == ["<10", "90", "<10", "100"]

    # The same by year, for the chosen areas' annual table: Chicago is the published row.
    annual = trend_annual.annual_series(rows, chosen, [jan], [], threshold=THRESHOLD)
    shown = dict(zip(annual.get_column("geography"), annual.get_column("deaths_display"), strict=True))
    assert shown == {"Area 3": "*", trend_selection.REST_LABEL: "*", trend_selection.NOT_PLACED_LABEL: "<10", trend_selection.CITY_LABEL: "100"}
    city = annual.filter(pl.col("geography") == trend_selection.CITY_LABEL).row(0, named=True)
    assert city["rate"] == pytest.approx(100 / 100_000 * 100_000 * 12)


def test_a_chosen_split_keeps_the_city_withheld_as_the_region_split_does() -> None:
    jan = date(2026, 1, 1)
    # Region 36, rest 90, not placed 4: the region's split has one hidden part, so Chicago is
    # withheld everywhere, and a chosen split needs nothing more.
    rows = monthly_rows([(jan, 1, 16), (jan, 2, 20), (jan, 3, 40), (jan, 4, 50), (jan, None, 4)])
    chosen = trend_selection.make_selection(Filters(start=jan, end=jan, areas=(3,)), AREAS_1_TO_4, "Area 3")
    totals = trend_series.period_totals(rows, chosen, jan, jan, threshold=THRESHOLD)
    assert totals.get_column("deaths_display").to_list() == ["40", "86", "<10", "*"]
    annual = trend_annual.annual_series(rows, chosen, [jan], [], threshold=THRESHOLD)
    city = annual.filter(pl.col("geography") == trend_selection.CITY_LABEL).row(0, named=True)
    assert city["deaths_display"] == "*" and city["rate"] is None


def test_all_of_chicago_includes_the_deaths_not_placed() -> None:
    jan = date(2026, 1, 1)
    rows = pl.concat(
        [
            monthly_rows([(jan, 1, 30), (jan, 3, 40)]),
            monthly_rows([(jan, None, 12)]).with_columns(pl.lit("suicide").alias("intent")),
        ]
    )
    city = trend_selection.Selection(label=trend_selection.CITY_LABEL, areas=(1, 2, 3, 4), population=100_000, city_population=100_000,
                        not_placed=True)  # fmt: skip
    intent = trend_breakdowns.breakdown_period(rows, city, "intent", jan, jan, threshold=THRESHOLD)
    assert dict(zip(intent["category"], intent["deaths"], strict=True)) == {"accident": 70, "suicide": 12}
    # The selection of areas alone leaves them out.
    areas_only = trend_breakdowns.breakdown_period(rows, SELECTION, "intent", jan, jan, threshold=THRESHOLD)
    shown = dict(zip(areas_only["category"], areas_only["deaths_display"], strict=True))
    assert shown == {"accident": "30", "suicide": "0"}


# ---- the city total's rule: the rest of Chicago hides the not-placed count -----------------------


def test_a_small_not_placed_count_beside_a_hidden_rest_area_keeps_the_rest_by_month() -> None:
    """Region 36, rest 75 (area 3 is 5: hidden on the Map, with area 4 beside it), 4 not placed.
    Over a month (shorter than 12 months) the rule keeps the rest: Chicago is withheld ("*") in the
    period table and the month's point of the rest is drawn; with area 3 at 25 (every rest area
    shown) Chicago is withheld too."""
    jan, feb = date(2026, 1, 1), date(2026, 2, 1)
    rows = monthly_rows([(jan, 1, 16), (jan, 2, 20), (jan, 3, 5), (jan, 4, 70), (jan, None, 4),
                  (feb, 1, 16), (feb, 2, 20), (feb, 3, 25), (feb, 4, 70), (feb, None, 4)])  # fmt: skip
    jan_totals = trend_series.period_totals(rows, SELECTION, jan, jan, threshold=THRESHOLD)
    assert jan_totals.get_column("deaths_display").to_list() == ["36", "75", "<10", "*"]
    assert jan_totals.row(3, named=True)["deaths"] is None and jan_totals.row(3, named=True)["rate"] is None
    assert jan_totals.row(1, named=True)["rate"] is not None
    feb_totals = trend_series.period_totals(rows, SELECTION, feb, feb, threshold=THRESHOLD)
    assert feb_totals.get_column("deaths_display").to_list() == ["36", "95", "<10", "*"]
    # Two months, still short: 8 not placed, Chicago withheld, the rest (170) shown.
    both = trend_series.period_totals(rows, SELECTION, jan, feb, threshold=THRESHOLD)
    assert both.get_column("deaths_display").to_list() == ["72", "170", "<10", "*"]
    periods = trend_periods.month_periods([jan, feb], [], "month")
    series = trend_series.time_series(
        rows, periods, SELECTION, time_col="month", step="month", within=(jan, date(2026, 3, 1)), threshold=THRESHOLD
    )
    shown = {(r["series"], r["period"]): r["deaths_display"] for r in series.iter_rows(named=True)}
    assert shown == {("Region", jan): "36", ("Region", feb): "36", (trend_selection.REST_LABEL, jan): "75", (trend_selection.REST_LABEL, feb): "95"}


def test_a_small_not_placed_count_beside_a_hidden_rest_area_hides_the_rest_over_a_year() -> None:
    """The same January in a year of data (12 months, the others without deaths): over 12 months
    the rule keeps Chicago's total and hides the rest of Chicago instead — in the period table, the
    year's point of the chart and the annual table alike; the month itself keeps the rest."""
    jan = date(2025, 1, 1)
    year = [date(2025, m, 1) for m in range(1, 13)]
    rows = monthly_rows([(jan, 1, 16), (jan, 2, 20), (jan, 3, 5), (jan, 4, 70), (jan, None, 4)])
    totals = trend_series.period_totals(rows, SELECTION, year[0], year[-1], threshold=THRESHOLD)
    assert totals.get_column("deaths_display").to_list() == ["36", "*", "<10", "115"]
    rest = totals.row(1, named=True)
    assert rest["deaths"] is None and rest["rate"] is None
    yearly = trend_series.time_series(
        rows, trend_periods.month_periods(year, [], "year"), SELECTION, time_col="month", step="year",
        within=(year[0], date(2026, 1, 1)), threshold=THRESHOLD,
    )  # fmt: skip
    assert dict(zip(yearly["series"], yearly["deaths_display"], strict=True)) == {"Region": "36", trend_selection.REST_LABEL: "*"}
    areas = pl.DataFrame({"community_area_number": [1, 2, 3, 4], "in_region": [True, True, False, False],
                          "population_2020": [50_000, 50_000, 100_000, 100_000]})  # fmt: skip
    region = trend_selection.region_selection(areas, "Region")
    annual = trend_annual.annual_series(rows, region, year, [], threshold=THRESHOLD)
    shown = dict(zip(annual.get_column("geography"), annual.get_column("deaths_display"), strict=True))
    assert shown == {"Region": "36", trend_selection.REST_LABEL: "*", trend_selection.NOT_PLACED_LABEL: "<10", trend_selection.CITY_LABEL: "115"}
    # The same counts over ten months of data (a partial year): the rest is kept, Chicago withheld.
    partial = trend_annual.annual_series(rows, region, year[:10], [], threshold=THRESHOLD)
    shown = dict(zip(partial.get_column("geography"), partial.get_column("deaths_display"), strict=True))
    assert shown == {"Region": "36", trend_selection.REST_LABEL: "75", trend_selection.NOT_PLACED_LABEL: "<10", trend_selection.CITY_LABEL: "*"}
    assert trend_series.period_totals(rows, SELECTION, year[0], year[9], threshold=THRESHOLD).get_column(
        "deaths_display"
    ).to_list() == ["36", "75", "<10", "*"]


def test_a_chosen_set_that_is_the_hidden_rest_is_hidden_itself() -> None:
    """Over a year the rule hides the rest of Chicago (4 not placed, area 3 hidden): choosing exactly
    the rest of Chicago's areas would publish it again. The page's "rest" here is the region,
    which the Map shows anyway, so the choice itself is hidden. Over a month the rule keeps the
    rest (Chicago is withheld), so the same choice shows."""
    year = [date(2025, m, 1) for m in range(1, 13)]
    jan, dec = year[0], year[-1]
    rows = monthly_rows([(jan, 1, 16), (jan, 2, 20), (jan, 3, 5), (jan, 4, 70), (jan, 5, 40), (jan, None, 4)])
    chosen = trend_selection.make_selection(Filters(start=jan, end=dec, areas=(3, 4, 5)), AREAS_1_TO_5, "Areas 3-5")
    totals = trend_series.period_totals(rows, chosen, jan, dec, threshold=THRESHOLD)
    assert totals.get_column("deaths_display").to_list() == ["*", "36", "<10", "155"]
    annual = trend_annual.annual_series(rows, chosen, year, [], threshold=THRESHOLD)
    shown = dict(zip(annual.get_column("geography"), annual.get_column("deaths_display"), strict=True))
    assert shown == {"Areas 3-5": "*", trend_selection.REST_LABEL: "36", trend_selection.NOT_PLACED_LABEL: "<10", trend_selection.CITY_LABEL: "155"}
    # Its breakdowns add up to it: hidden with it.
    intent = trend_breakdowns.breakdown_period(rows, chosen, "intent", jan, dec, threshold=THRESHOLD)
    assert intent.get_column("deaths_display").to_list() == ["*"]
    # January alone: Chicago withheld, the choice (the rest of Chicago, shown on the Map) shown.
    assert trend_series.period_totals(rows, chosen, jan, jan, threshold=THRESHOLD).get_column("deaths_display").to_list() == [
        "115", "36", "<10", "*",
    ]  # fmt: skip
    assert trend_breakdowns.breakdown_period(rows, chosen, "intent", jan, jan, threshold=THRESHOLD).get_column(
        "deaths_display"
    ).to_list() == ["115"]


AREAS_1_TO_5 = pl.DataFrame(
    {
        "community_area_number": [1, 2, 3, 4, 5],
        "in_region": [True, True, False, False, False],
        "population_2020": [10_000, 20_000, 30_000, 40_000, 50_000],
    }
)
