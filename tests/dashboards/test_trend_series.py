"""Periods and time series of the Trends page on hand-made frames with known answers: months,
quarters and weeks, rates with complementary suppression, and the period totals.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from dashboards.components import trend_periods, trend_selection, trend_series
from pipelines.defs.epidemiology.rates import poisson_ci
from tests.dashboards.trend_support import SELECTION, THRESHOLD, monthly_rows


# ---- periods ------------------------------------------------------------------------------------


def test_month_periods_quarters_partial_and_provisional() -> None:
    months = [date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]
    periods = trend_periods.month_periods(months, [date(2026, 2, 1)], "quarter")
    assert periods.to_dicts() == [
        {"period": date(2025, 10, 1), "label": "2025 Q4 (2 mo)", "years": 2 / 12,
         "is_provisional": False, "nest": date(2025, 1, 1)},
        {"period": date(2026, 1, 1), "label": "2026 Q1 (2 mo)", "years": 2 / 12,
         "is_provisional": True, "nest": date(2026, 1, 1)},
    ]  # fmt: skip
    monthly = trend_periods.month_periods(months, [], "month")
    assert monthly.get_column("nest").to_list() == [
        date(2025, 10, 1), date(2025, 10, 1), date(2026, 1, 1), date(2026, 1, 1)
    ]  # fmt: skip
    assert monthly.get_column("label").to_list()[0] == "Nov 2025"


def test_week_periods_count_only_days_with_data() -> None:
    weekly = pl.DataFrame(
        {"week": [date(2026, 9, 28), date(2026, 10, 26)], "is_provisional": [False, True]}
    )
    data_months = [date(2026, 9, 1), date(2026, 10, 1)]
    periods = trend_periods.week_periods(weekly, date(2026, 10, 1), date(2026, 10, 1), data_months)
    # Mondays starting inside October: 5, 12, 19, 26; the last runs past the end of the data.
    assert periods.get_column("period").to_list() == [
        date(2026, 10, 5), date(2026, 10, 12), date(2026, 10, 19), date(2026, 10, 26)
    ]  # fmt: skip
    assert periods.get_column("years").to_list() == [7 / 365.25] * 3 + [6 / 365.25]
    assert periods.get_column("is_provisional").to_list() == [False, False, False, True]
    assert trend_periods.same_months_last_year(date(2025, 11, 1), date(2026, 10, 1)) == (
        date(2024, 11, 1), date(2025, 10, 1)
    )  # fmt: skip


# ---- time series and suppression ---------------------------------------------------------------


def test_time_series_rates_and_complementary_suppression_within_a_quarter() -> None:
    jan, feb, mar, apr = (date(2026, m, 1) for m in (1, 2, 3, 4))
    rows = monthly_rows(
        [
            (jan, 1, 30), (feb, 1, 4), (mar, 2, 25), (apr, 2, 12),   # region
            (jan, 3, 40), (feb, 3, 41), (mar, 3, 42), (apr, 3, 43),  # rest of the city
            (jan, None, 99),                                         # not placed: in neither series
        ]
    )  # fmt: skip
    periods = trend_periods.month_periods([jan, feb, mar, apr], [apr], "month")
    series = trend_series.time_series(
        rows, periods, SELECTION, time_col="month", step="month", within=(jan, date(2026, 5, 1)),
        threshold=THRESHOLD,
    )  # fmt: skip
    region = series.filter(pl.col("series") == "Region")
    # Feb (4) is hidden; in Q1 the smallest other non-zero month (Mar, 25) is hidden as well,
    # or Q1's total minus Jan and Mar would give Feb. April is alone in Q2 and is shown.
    assert region.get_column("deaths_display").to_list() == ["30", "<10", "*", "12"]
    assert region.get_column("rate").is_null().to_list() == [False, True, True, False]
    jan_row = region.row(0, named=True)
    assert jan_row["rate"] == pytest.approx(30 / (100_000 / 12) * 100_000)
    lower, upper = poisson_ci(30)
    assert jan_row["rate_lower"] == pytest.approx(float(lower) / (100_000 / 12) * 100_000)
    assert jan_row["rate_upper"] == pytest.approx(float(upper) / (100_000 / 12) * 100_000)
    rest = series.filter(pl.col("series") == trend_selection.REST_LABEL)
    assert rest.get_column("deaths").to_list() == [40, 41, 42, 43]
    assert rest.get_column("population").unique().to_list() == [200_000]
    assert series.filter(pl.col("is_provisional")).get_column("period").unique().to_list() == [apr]

    display = trend_series.series_display(series, with_rates=False)
    assert "rate_per_100k_per_year" not in display.columns
    assert trend_series.hidden_points(display, THRESHOLD) == ["Region Feb 2026", "Region Mar 2026"]

    quarters = trend_series.time_series(
        rows, trend_periods.month_periods([jan, feb, mar], [], "quarter"), SELECTION, time_col="month",
        step="quarter", within=(jan, apr), threshold=THRESHOLD,
    )  # fmt: skip
    # April is outside ``within``: Q1 holds only Jan-Mar.
    assert quarters.get_column("deaths").to_list() == [59, 123]


def test_period_totals_withhold_the_city_when_one_part_is_hidden() -> None:
    month = date(2026, 1, 1)
    rows = monthly_rows([(month, 1, 6), (month, 3, 50), (month, 4, 20)])
    totals = trend_series.period_totals(rows, SELECTION, month, month, threshold=THRESHOLD)
    shown = dict(zip(totals["group"], totals["deaths_display"], strict=True))
    # Region 6 is hidden: Chicago (76) minus the rest (70) and the not placed (0) would give it
    # back, so Chicago is withheld — not the rest, which is the sum of areas the Map shows.
    assert shown == {"Region": "<10", trend_selection.REST_LABEL: "70", trend_selection.NOT_PLACED_LABEL: "0", trend_selection.CITY_LABEL: "*"}
    assert totals.filter(pl.col("group") == trend_selection.CITY_LABEL).get_column("rate").to_list() == [None]
    assert totals.filter(pl.col("group") == "Region").get_column("rate").to_list() == [None]

    before = trend_series.period_totals(
        monthly_rows([(month, 1, 20), (month, 3, 100)]), SELECTION, month, month, threshold=THRESHOLD
    )
    now = trend_series.period_totals(
        monthly_rows([(month, 1, 30), (month, 3, 80)]), SELECTION, month, month, threshold=THRESHOLD
    )
    compared = trend_series.compare_periods(now, before)
    # No deaths not placed in either period: no change for that row.
    assert compared.get_column("deaths_change_pct").to_list() == [50.0, -20.0, None, -8.3]
    hidden_now = trend_series.compare_periods(totals, before)
    assert hidden_now.get_column("deaths_change_pct").to_list() == [None, -30.0, None, None]


def test_period_totals_count_the_deaths_not_placed_in_chicago() -> None:
    month = date(2026, 1, 1)
    rows = monthly_rows([(month, 1, 30), (month, 2, 14), (month, 3, 50), (month, 4, 20), (month, None, 12)])
    totals = trend_series.period_totals(rows, SELECTION, month, month, threshold=THRESHOLD)
    by_group = {row["group"]: row for row in totals.iter_rows(named=True)}
    assert list(by_group) == ["Region", trend_selection.REST_LABEL, trend_selection.NOT_PLACED_LABEL, trend_selection.CITY_LABEL]
    # Chicago = selection + rest + not placed; its rate is over the whole city's population.
    assert [by_group[g]["deaths"] for g in by_group] == [44, 70, 12, 126]
    assert by_group[trend_selection.CITY_LABEL]["rate"] == pytest.approx(126 / (300_000 / 12) * 100_000)
    # The not placed have no population, so no rate.
    assert by_group[trend_selection.NOT_PLACED_LABEL]["population"] is None
    assert by_group[trend_selection.NOT_PLACED_LABEL]["rate"] is None
    # 1-9 not placed: "<10", and Chicago withheld (126 - 44 - 70 would give them back).
    unplaced = pl.col("community_area_number").is_null()
    few = trend_series.period_totals(
        rows.with_columns(pl.when(unplaced).then(4).otherwise(pl.col("deaths")).alias("deaths")),
        SELECTION, month, month, threshold=THRESHOLD,
    )  # fmt: skip
    assert few.get_column("deaths_display").to_list() == ["44", "70", "<10", "*"]
    assert few.get_column("deaths").to_list() == [44, 70, None, None]
    assert few.get_column("rate").to_list()[3] is None
