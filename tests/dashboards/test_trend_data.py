"""Pure data shaping of the Trends page: hand-made frames with known answers, and the demo app
database checked against SQL written independently in the tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from dashboards.components import trend_data as td
from dashboards.components.filters import Filters
from pipelines.defs.epidemiology.rates import poisson_ci

THRESHOLD = 10
SELECTION = td.Selection(label="Region", areas=(1, 2), population=100_000, city_population=300_000)


def _rows(records: list[tuple[date, int, int]]) -> pl.DataFrame:
    """Monthly-mart-like rows: (month, community area, deaths), drug 'all', one demographic cell."""
    return pl.DataFrame(
        {
            "month": [r[0] for r in records],
            "community_area_number": [r[1] for r in records],
            "drug": ["all"] * len(records),
            "intent": ["accident"] * len(records),
            "age_group": ["35-44"] * len(records),
            "sex": ["Male"] * len(records),
            "race_ethnicity": ["NH Black"] * len(records),
            "deaths": [r[2] for r in records],
        },
        schema_overrides={"deaths": pl.Int32, "community_area_number": pl.Int32},
    )


def _q(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


# ---- periods ------------------------------------------------------------------------------------


def test_month_periods_quarters_partial_and_provisional() -> None:
    months = [date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]
    periods = td.month_periods(months, [date(2026, 2, 1)], "quarter")
    assert periods.to_dicts() == [
        {"period": date(2025, 10, 1), "label": "2025 Q4 (2 mo)", "years": 2 / 12,
         "is_provisional": False, "nest": date(2025, 1, 1)},
        {"period": date(2026, 1, 1), "label": "2026 Q1 (2 mo)", "years": 2 / 12,
         "is_provisional": True, "nest": date(2026, 1, 1)},
    ]  # fmt: skip
    monthly = td.month_periods(months, [], "month")
    assert monthly.get_column("nest").to_list() == [
        date(2025, 10, 1), date(2025, 10, 1), date(2026, 1, 1), date(2026, 1, 1)
    ]  # fmt: skip
    assert monthly.get_column("label").to_list()[0] == "Nov 2025"


def test_week_periods_count_only_days_with_data() -> None:
    weekly = pl.DataFrame(
        {"week": [date(2026, 9, 28), date(2026, 10, 26)], "is_provisional": [False, True]}
    )
    data_months = [date(2026, 9, 1), date(2026, 10, 1)]
    periods = td.week_periods(weekly, date(2026, 10, 1), date(2026, 10, 1), data_months)
    # Mondays starting inside October: 5, 12, 19, 26; the last runs past the end of the data.
    assert periods.get_column("period").to_list() == [
        date(2026, 10, 5), date(2026, 10, 12), date(2026, 10, 19), date(2026, 10, 26)
    ]  # fmt: skip
    assert periods.get_column("years").to_list() == [7 / 365.25] * 3 + [6 / 365.25]
    assert periods.get_column("is_provisional").to_list() == [False, False, False, True]
    assert td.same_months_last_year(date(2025, 11, 1), date(2026, 10, 1)) == (
        date(2024, 11, 1), date(2025, 10, 1)
    )  # fmt: skip


# ---- time series and suppression ---------------------------------------------------------------


def test_time_series_rates_and_complementary_suppression_within_a_quarter() -> None:
    jan, feb, mar, apr = (date(2026, m, 1) for m in (1, 2, 3, 4))
    rows = _rows(
        [
            (jan, 1, 30), (feb, 1, 4), (mar, 2, 25), (apr, 2, 12),   # region
            (jan, 3, 40), (feb, 3, 41), (mar, 3, 42), (apr, 3, 43),  # rest of the city
            (jan, None, 99),                                         # not placed: in neither series
        ]
    )  # fmt: skip
    periods = td.month_periods([jan, feb, mar, apr], [apr], "month")
    series = td.time_series(
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
    rest = series.filter(pl.col("series") == td.REST_LABEL)
    assert rest.get_column("deaths").to_list() == [40, 41, 42, 43]
    assert rest.get_column("population").unique().to_list() == [200_000]
    assert series.filter(pl.col("is_provisional")).get_column("period").unique().to_list() == [apr]

    display = td.series_display(series, with_rates=False)
    assert "rate_per_100k_per_year" not in display.columns
    assert td.hidden_points(display, THRESHOLD) == ["Region Feb 2026", "Region Mar 2026"]

    quarters = td.time_series(
        rows, td.month_periods([jan, feb, mar], [], "quarter"), SELECTION, time_col="month",
        step="quarter", within=(jan, apr), threshold=THRESHOLD,
    )  # fmt: skip
    # April is outside ``within``: Q1 holds only Jan-Mar.
    assert quarters.get_column("deaths").to_list() == [59, 123]


def test_period_totals_withhold_the_city_when_one_part_is_hidden() -> None:
    month = date(2026, 1, 1)
    rows = _rows([(month, 1, 6), (month, 3, 50), (month, 4, 20)])
    totals = td.period_totals(rows, SELECTION, month, month, threshold=THRESHOLD)
    shown = dict(zip(totals["group"], totals["deaths_display"], strict=True))
    # Region 6 is hidden: Chicago (76) minus the rest (70) and the not placed (0) would give it
    # back, so Chicago is withheld — not the rest, which is the sum of areas the Map shows.
    assert shown == {"Region": "<10", td.REST_LABEL: "70", td.NOT_PLACED_LABEL: "0", td.CITY_LABEL: "*"}
    assert totals.filter(pl.col("group") == td.CITY_LABEL).get_column("rate").to_list() == [None]
    assert totals.filter(pl.col("group") == "Region").get_column("rate").to_list() == [None]

    before = td.period_totals(
        _rows([(month, 1, 20), (month, 3, 100)]), SELECTION, month, month, threshold=THRESHOLD
    )
    now = td.period_totals(
        _rows([(month, 1, 30), (month, 3, 80)]), SELECTION, month, month, threshold=THRESHOLD
    )
    compared = td.compare_periods(now, before)
    # No deaths not placed in either period: no change for that row.
    assert compared.get_column("deaths_change_pct").to_list() == [50.0, -20.0, None, -8.3]
    hidden_now = td.compare_periods(totals, before)
    assert hidden_now.get_column("deaths_change_pct").to_list() == [None, -30.0, None, None]


def test_period_totals_count_the_deaths_not_placed_in_chicago() -> None:
    month = date(2026, 1, 1)
    rows = _rows([(month, 1, 30), (month, 2, 14), (month, 3, 50), (month, 4, 20), (month, None, 12)])
    totals = td.period_totals(rows, SELECTION, month, month, threshold=THRESHOLD)
    by_group = {row["group"]: row for row in totals.iter_rows(named=True)}
    assert list(by_group) == ["Region", td.REST_LABEL, td.NOT_PLACED_LABEL, td.CITY_LABEL]
    # Chicago = selection + rest + not placed; its rate is over the whole city's population.
    assert [by_group[g]["deaths"] for g in by_group] == [44, 70, 12, 126]
    assert by_group[td.CITY_LABEL]["rate"] == pytest.approx(126 / (300_000 / 12) * 100_000)
    # The not placed have no population, so no rate.
    assert by_group[td.NOT_PLACED_LABEL]["population"] is None
    assert by_group[td.NOT_PLACED_LABEL]["rate"] is None
    # 1-9 not placed: "<10", and Chicago withheld (126 - 44 - 70 would give them back).
    unplaced = pl.col("community_area_number").is_null()
    few = td.period_totals(
        rows.with_columns(pl.when(unplaced).then(4).otherwise(pl.col("deaths")).alias("deaths")),
        SELECTION, month, month, threshold=THRESHOLD,
    )  # fmt: skip
    assert few.get_column("deaths_display").to_list() == ["44", "70", "<10", "*"]
    assert few.get_column("deaths").to_list() == [44, 70, None, None]
    assert few.get_column("rate").to_list()[3] is None


def test_two_way_suppression_protects_both_margins() -> None:
    frame = pl.DataFrame(
        {
            "year": [2025, 2025, 2025, 2026, 2026, 2026],
            "category": ["a", "b", "c", "a", "b", "c"],
            "deaths": [50, 3, 40, 60, 30, 45],
        }
    )
    shown = td.suppress_two_way(frame, row_key="year", col_key="category", threshold=THRESHOLD)
    # 2025: b (3) hidden, c (40) its complement; then columns b and c each had one hidden cell,
    # so 2026's b and c are hidden too. Every row and column has 0 or >= 2 hidden cells.
    assert shown.get_column("deaths_display").to_list() == ["50", "<10", "*", "60", "*", "*"]
    hidden = shown.filter(pl.col("deaths_suppressed"))
    for key in ("year", "category"):
        counts = hidden.group_by(key).len().get_column("len").to_list()
        assert all(c >= 2 for c in counts)
    assert shown.get_column("deaths").to_list() == [50, None, None, 60, None, None]


def test_breakdowns_by_category_and_drug() -> None:
    jan = date(2026, 1, 1)
    rows = pl.concat(
        [
            _rows([(jan, 1, 40)]),
            _rows([(jan, 1, 5)]).with_columns(pl.lit("Female").alias("sex")),
            _rows([(jan, 2, 20)]).with_columns(pl.lit("Female").alias("sex")),
            _rows([(jan, 1, 2)]).with_columns(pl.lit("Unknown").alias("sex")),
            _rows([(jan, 1, 12)]).with_columns(pl.lit("fentanyl").alias("drug")),
            _rows([(jan, 1, 3)]).with_columns(pl.lit("xylazine").alias("drug")),
        ]
    )
    only_all = rows.filter(pl.col("drug") == "all")
    sex = td.breakdown_period(only_all, SELECTION, "sex", jan, jan, threshold=THRESHOLD)
    assert sex.get_column("category").to_list() == ["Male", "Female", "Unknown"]
    # Unknown (2) is hidden, and so is the smallest other (Female, 25): the total 67 is shown.
    assert sex.get_column("deaths_display").to_list() == ["40", "*", "<10"]
    assert sex.get_column("share").to_list()[0] == pytest.approx(40 / 67)
    assert sex.get_column("share").to_list()[1:] == [None, None]

    drugs = td.drug_period(rows, SELECTION, ["fentanyl", "xylazine", "heroin"], jan, jan, threshold=THRESHOLD)
    assert drugs.get_column("deaths_display").to_list() == ["12", "<10", "0"]
    assert drugs.get_column("share").to_list()[0] == pytest.approx(12 / 67)
    assert drugs.get_column("share").to_list()[1] is None
    table = td.breakdown_display(drugs, "drug", {"fentanyl": "Fentanyl", "xylazine": "Xylazine", "heroin": "Heroin"})
    assert table.row(0) == ("Fentanyl", "12", 17.9)


def test_filter_rows_applies_drug_and_demographics() -> None:
    jan = date(2026, 1, 1)
    rows = pl.concat(
        [
            _rows([(jan, 1, 4)]),
            _rows([(jan, 1, 6)]).with_columns(pl.lit("Female").alias("sex")),
            _rows([(jan, 1, 7)]).with_columns(pl.lit("fentanyl").alias("drug")),
        ]
    )
    view = Filters(start=jan, end=jan, sex="Female")
    assert td.filter_rows(rows, view).get_column("deaths").to_list() == [6]
    assert td.filter_rows(rows, view, skip=("sex",)).get_column("deaths").sum() == 10
    assert td.filter_rows(rows, view, every_drug=True).get_column("deaths").to_list() == [6]


# ---- against the demo app database -------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(demo_app_db: Path):
    """The demo app database loaded the way the page loads it (loaders are cache-decorated)."""
    from dashboards.components import data

    version = data.db_version(demo_app_db)
    areas = data.load_community_areas(version)
    options = data.load_filter_options(version)
    provisional = data.provisional_months(data.load_monthly(version))
    return {
        "db": demo_app_db,
        "deaths": td.load_deaths_monthly(version),
        "annual": td.load_rates_annual(version),
        "areas": areas,
        "months": list(options.months),
        "provisional": provisional,
        "region": _q(demo_app_db, "SELECT region_label FROM marts.publication")[0][0],
        "threshold": _q(demo_app_db, "SELECT suppress_below FROM marts.publication")[0][0],
    }


def test_annual_series_reproduces_the_published_annual_rates(demo) -> None:
    """The page's own computation (used when filters are set) equals the pipeline's mart."""
    view = Filters(start=demo["months"][0], end=demo["months"][-1])
    selection = td.make_selection(view, demo["areas"], demo["region"])
    ours = td.annual_series(
        td.filter_rows(demo["deaths"], view), selection, demo["months"], demo["provisional"],
        threshold=demo["threshold"],
    )  # fmt: skip
    columns = ["year", "geography", "deaths", "deaths_display", "rate", "rate_lower", "rate_upper",
               "rate_change_pct", "is_provisional", "months_covered"]  # fmt: skip
    mart = demo["annual"].select(columns).sort("year", "geography")
    mine = ours.select(columns).sort("year", "geography")
    assert mine.height == mart.height > 0
    assert mine.drop("rate", "rate_lower", "rate_upper").equals(mart.drop("rate", "rate_lower", "rate_upper"))
    for col in ("rate", "rate_lower", "rate_upper"):
        assert mine.get_column(col).to_list() == pytest.approx(mart.get_column(col).to_list())


def test_breakdowns_match_sql_and_never_show_small_counts(demo) -> None:
    db, threshold = demo["db"], demo["threshold"]
    start, end = demo["months"][-12], demo["months"][-1]
    view = Filters(start=start, end=end)
    selection = td.make_selection(view, demo["areas"], demo["region"])
    rows = td.filter_rows(demo["deaths"], view)
    for dimension, (column, _label) in td.DIMENSIONS.items():
        frame = td.breakdown_period(rows, selection, dimension, start, end, threshold=threshold)
        expected = dict(
            _q(
                db,
                f"""SELECT {column}, sum(deaths) FROM marts.overdose_deaths_monthly
                    WHERE drug = 'all' AND in_region AND community_area_number IS NOT NULL
                      AND month BETWEEN ? AND ? GROUP BY 1""",
                [start, end],
            )
        )
        for row in frame.iter_rows(named=True):
            true = expected.get(row["category"], 0)
            if 1 <= true < threshold:
                assert row["deaths_display"] == f"<{threshold}"
            elif row["deaths_suppressed"]:
                assert row["deaths_display"] == "*"
            else:
                assert row["deaths"] == true
        assert frame.get_column("total").max() == sum(expected.values())
        shown = frame.get_column("deaths_display").to_list()
        assert not any(s.isdigit() and 1 <= int(s) < threshold for s in shown)
        hidden = sum(frame.get_column("deaths_suppressed"))
        assert hidden != 1, "a single hidden category could be worked out from the total"


def test_a_chosen_set_of_areas_never_gives_a_hidden_area_back() -> None:
    """Area 1 (5 deaths) is "<10" on the Map and area 3 shows 40: a total of 45 for {1, 3} would
    give area 1 back, so the selection and the rest of Chicago are withheld ("*")."""
    jan = date(2026, 1, 1)
    rows = _rows([(jan, 1, 5), (jan, 2, 30), (jan, 3, 40), (jan, 4, 50)])
    areas = pl.DataFrame(
        {
            "community_area_number": [1, 2, 3, 4],
            "in_region": [True, True, False, False],
            "population_2020": [10_000, 20_000, 30_000, 40_000],
        }
    )
    leaky = td.make_selection(Filters(start=jan, end=jan, areas=(1, 3)), areas, "Areas 1 and 3")
    assert leaky.region_areas == frozenset({1, 2}) and leaky.city_areas == frozenset({1, 2, 3, 4})
    totals = td.period_totals(rows, leaky, jan, jan, threshold=THRESHOLD)
    assert totals.get_column("deaths_display").to_list() == ["*", "*", "0", "125"]
    assert totals.get_column("deaths").to_list() == [None, None, 0, 125]
    series = td.time_series(
        rows, td.month_periods([jan], [], "month"), leaky, time_col="month", step="month",
        within=(jan, date(2026, 2, 1)), threshold=THRESHOLD,
    )  # fmt: skip
    assert series.get_column("deaths_display").to_list() == ["*", "*"]
    assert series.get_column("rate").is_null().all()

    # {1, 2} holds both areas the Map hides (5 and its complement 30): the total 35 is safe.
    safe = td.make_selection(Filters(start=jan, end=jan, areas=(1, 2)), areas, "Areas 1 and 2")
    totals = td.period_totals(rows, safe, jan, jan, threshold=THRESHOLD)
    assert totals.get_column("deaths_display").to_list() == ["35", "90", "0", "125"]
    # The configured region is protected by the Map's own suppression: no extra check.
    region = td.make_selection(Filters(start=jan, end=jan), areas, "Region")
    assert region.region_areas is None
    assert td.revealing_periods(rows.with_columns(pl.lit(0).alias("p")), region, period_col="p", threshold=10) == set()


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
    rows = _rows([(jan, 1, 6), (jan, 3, 40), (jan, 4, 50), (jan, None, 4)])
    chosen = td.make_selection(Filters(start=jan, end=jan, areas=(3,)), AREAS_1_TO_4, "Area 3")
    totals = td.period_totals(rows, chosen, jan, jan, threshold=THRESHOLD)
    assert totals.get_column("group").to_list() == ["Area 3", td.REST_LABEL, td.NOT_PLACED_LABEL, td.CITY_LABEL]
    assert totals.get_column("deaths_display").to_list() == ["*", "*", "<10", "100"]
    region = td.make_selection(Filters(start=jan, end=jan), AREAS_1_TO_4, "Region")
    canonical = td.period_totals(rows, region, jan, jan, threshold=THRESHOLD)
    assert canonical.get_column("deaths_display").to_list() == ["<10", "90", "<10", "100"]

    # The same by year, for the chosen areas' annual table: Chicago is the published row.
    annual = td.annual_series(rows, chosen, [jan], [], threshold=THRESHOLD)
    shown = dict(zip(annual.get_column("geography"), annual.get_column("deaths_display"), strict=True))
    assert shown == {"Area 3": "*", td.REST_LABEL: "*", td.NOT_PLACED_LABEL: "<10", td.CITY_LABEL: "100"}
    city = annual.filter(pl.col("geography") == td.CITY_LABEL).row(0, named=True)
    assert city["rate"] == pytest.approx(100 / 100_000 * 100_000 * 12)


def test_a_chosen_split_keeps_the_city_withheld_as_the_region_split_does() -> None:
    jan = date(2026, 1, 1)
    # Region 36, rest 90, not placed 4: the region's split has one hidden part, so Chicago is
    # withheld everywhere, and a chosen split needs nothing more.
    rows = _rows([(jan, 1, 16), (jan, 2, 20), (jan, 3, 40), (jan, 4, 50), (jan, None, 4)])
    chosen = td.make_selection(Filters(start=jan, end=jan, areas=(3,)), AREAS_1_TO_4, "Area 3")
    totals = td.period_totals(rows, chosen, jan, jan, threshold=THRESHOLD)
    assert totals.get_column("deaths_display").to_list() == ["40", "86", "<10", "*"]
    annual = td.annual_series(rows, chosen, [jan], [], threshold=THRESHOLD)
    city = annual.filter(pl.col("geography") == td.CITY_LABEL).row(0, named=True)
    assert city["deaths_display"] == "*" and city["rate"] is None


def test_all_of_chicago_includes_the_deaths_not_placed() -> None:
    jan = date(2026, 1, 1)
    rows = pl.concat(
        [
            _rows([(jan, 1, 30), (jan, 3, 40)]),
            _rows([(jan, None, 12)]).with_columns(pl.lit("suicide").alias("intent")),
        ]
    )
    city = td.Selection(label=td.CITY_LABEL, areas=(1, 2, 3, 4), population=100_000, city_population=100_000,
                        not_placed=True)  # fmt: skip
    intent = td.breakdown_period(rows, city, "intent", jan, jan, threshold=THRESHOLD)
    assert dict(zip(intent["category"], intent["deaths"], strict=True)) == {"accident": 70, "suicide": 12}
    # The selection of areas alone leaves them out.
    areas_only = td.breakdown_period(rows, SELECTION, "intent", jan, jan, threshold=THRESHOLD)
    shown = dict(zip(areas_only["category"], areas_only["deaths_display"], strict=True))
    assert shown == {"accident": "30", "suicide": "0"}


# ---- the city total's rule: the rest of Chicago hides the not-placed count -----------------------


def test_a_small_not_placed_count_beside_a_hidden_rest_area_keeps_the_rest_by_month() -> None:
    """Region 36, rest 75 (area 3 is 5: hidden on the Map, with area 4 beside it), 4 not placed.
    Over a month (shorter than 12 months) the rule keeps the rest: Chicago is withheld ("*") in the
    period table and the month's point of the rest is drawn; with area 3 at 25 (every rest area
    shown) Chicago is withheld too."""
    jan, feb = date(2026, 1, 1), date(2026, 2, 1)
    rows = _rows([(jan, 1, 16), (jan, 2, 20), (jan, 3, 5), (jan, 4, 70), (jan, None, 4),
                  (feb, 1, 16), (feb, 2, 20), (feb, 3, 25), (feb, 4, 70), (feb, None, 4)])  # fmt: skip
    jan_totals = td.period_totals(rows, SELECTION, jan, jan, threshold=THRESHOLD)
    assert jan_totals.get_column("deaths_display").to_list() == ["36", "75", "<10", "*"]
    assert jan_totals.row(3, named=True)["deaths"] is None and jan_totals.row(3, named=True)["rate"] is None
    assert jan_totals.row(1, named=True)["rate"] is not None
    feb_totals = td.period_totals(rows, SELECTION, feb, feb, threshold=THRESHOLD)
    assert feb_totals.get_column("deaths_display").to_list() == ["36", "95", "<10", "*"]
    # Two months, still short: 8 not placed, Chicago withheld, the rest (170) shown.
    both = td.period_totals(rows, SELECTION, jan, feb, threshold=THRESHOLD)
    assert both.get_column("deaths_display").to_list() == ["72", "170", "<10", "*"]
    periods = td.month_periods([jan, feb], [], "month")
    series = td.time_series(
        rows, periods, SELECTION, time_col="month", step="month", within=(jan, date(2026, 3, 1)), threshold=THRESHOLD
    )
    shown = {(r["series"], r["period"]): r["deaths_display"] for r in series.iter_rows(named=True)}
    assert shown == {("Region", jan): "36", ("Region", feb): "36", (td.REST_LABEL, jan): "75", (td.REST_LABEL, feb): "95"}


def test_a_small_not_placed_count_beside_a_hidden_rest_area_hides_the_rest_over_a_year() -> None:
    """The same January in a year of data (12 months, the others without deaths): over 12 months
    the rule keeps Chicago's total and hides the rest of Chicago instead — in the period table, the
    year's point of the chart and the annual table alike; the month itself keeps the rest."""
    jan = date(2025, 1, 1)
    year = [date(2025, m, 1) for m in range(1, 13)]
    rows = _rows([(jan, 1, 16), (jan, 2, 20), (jan, 3, 5), (jan, 4, 70), (jan, None, 4)])
    totals = td.period_totals(rows, SELECTION, year[0], year[-1], threshold=THRESHOLD)
    assert totals.get_column("deaths_display").to_list() == ["36", "*", "<10", "115"]
    rest = totals.row(1, named=True)
    assert rest["deaths"] is None and rest["rate"] is None
    yearly = td.time_series(
        rows, td.month_periods(year, [], "year"), SELECTION, time_col="month", step="year",
        within=(year[0], date(2026, 1, 1)), threshold=THRESHOLD,
    )  # fmt: skip
    assert dict(zip(yearly["series"], yearly["deaths_display"], strict=True)) == {"Region": "36", td.REST_LABEL: "*"}
    areas = pl.DataFrame({"community_area_number": [1, 2, 3, 4], "in_region": [True, True, False, False],
                          "population_2020": [50_000, 50_000, 100_000, 100_000]})  # fmt: skip
    region = td.region_selection(areas, "Region")
    annual = td.annual_series(rows, region, year, [], threshold=THRESHOLD)
    shown = dict(zip(annual.get_column("geography"), annual.get_column("deaths_display"), strict=True))
    assert shown == {"Region": "36", td.REST_LABEL: "*", td.NOT_PLACED_LABEL: "<10", td.CITY_LABEL: "115"}
    # The same counts over ten months of data (a partial year): the rest is kept, Chicago withheld.
    partial = td.annual_series(rows, region, year[:10], [], threshold=THRESHOLD)
    shown = dict(zip(partial.get_column("geography"), partial.get_column("deaths_display"), strict=True))
    assert shown == {"Region": "36", td.REST_LABEL: "75", td.NOT_PLACED_LABEL: "<10", td.CITY_LABEL: "*"}
    assert td.period_totals(rows, SELECTION, year[0], year[9], threshold=THRESHOLD).get_column(
        "deaths_display"
    ).to_list() == ["36", "75", "<10", "*"]


def test_a_chosen_set_that_is_the_hidden_rest_is_hidden_itself() -> None:
    """Over a year the rule hides the rest of Chicago (4 not placed, area 3 hidden): choosing exactly
    the rest of Chicago's areas would publish it again. The page's "rest" here is the region,
    which the Map shows anyway, so the choice itself is hidden. Over a month the rule keeps the
    rest (Chicago is withheld), so the same choice shows."""
    year = [date(2025, m, 1) for m in range(1, 13)]
    jan, dec = year[0], year[-1]
    rows = _rows([(jan, 1, 16), (jan, 2, 20), (jan, 3, 5), (jan, 4, 70), (jan, 5, 40), (jan, None, 4)])
    chosen = td.make_selection(Filters(start=jan, end=dec, areas=(3, 4, 5)), AREAS_1_TO_5, "Areas 3-5")
    totals = td.period_totals(rows, chosen, jan, dec, threshold=THRESHOLD)
    assert totals.get_column("deaths_display").to_list() == ["*", "36", "<10", "155"]
    annual = td.annual_series(rows, chosen, year, [], threshold=THRESHOLD)
    shown = dict(zip(annual.get_column("geography"), annual.get_column("deaths_display"), strict=True))
    assert shown == {"Areas 3-5": "*", td.REST_LABEL: "36", td.NOT_PLACED_LABEL: "<10", td.CITY_LABEL: "155"}
    # Its breakdowns add up to it: hidden with it.
    intent = td.breakdown_period(rows, chosen, "intent", jan, dec, threshold=THRESHOLD)
    assert intent.get_column("deaths_display").to_list() == ["*"]
    # January alone: Chicago withheld, the choice (the rest of Chicago, shown on the Map) shown.
    assert td.period_totals(rows, chosen, jan, jan, threshold=THRESHOLD).get_column("deaths_display").to_list() == [
        "115", "36", "<10", "*",
    ]  # fmt: skip
    assert td.breakdown_period(rows, chosen, "intent", jan, jan, threshold=THRESHOLD).get_column(
        "deaths_display"
    ).to_list() == ["115"]


AREAS_1_TO_5 = pl.DataFrame(
    {
        "community_area_number": [1, 2, 3, 4, 5],
        "in_region": [True, True, False, False, False],
        "population_2020": [10_000, 20_000, 30_000, 40_000, 50_000],
    }
)


def _map_rows(db: Path, drug: str = "all") -> pl.DataFrame:
    """The Map's monthly counts per area (``map.load_drug_months``) for ``drug``."""
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(
            """SELECT month, community_area_number, sum(deaths)::BIGINT AS deaths
               FROM marts.overdose_deaths_monthly WHERE drug = $drug AND place = 'Chicago'
               GROUP BY month, community_area_number""",
            params={"drug": drug},
        ).pl()


def _demo_periods(months: list[date]) -> dict[str, list[tuple[date, date]]]:
    """Every month, every quarter and calendar year of the demo (the last one partial), and the last
    twelve months: the periods the Map, Trends' tables and chart points, the Overview and the
    annual mart can all show."""
    years = sorted({m.year for m in months})
    quarters = sorted({td.period_start(m, "quarter") for m in months})
    return {
        "month": [(m, m) for m in months],
        "quarter": [(q, min(months[-1], date(q.year, q.month + 2, 1))) for q in quarters],
        "year": [(max(months[0], date(y, 1, 1)), min(months[-1], date(y, 12, 1))) for y in years],
        "last 12 months": [(months[-12], months[-1])],
    }


@pytest.mark.parametrize("drug", ["all", "benzodiazepine"])
def test_the_city_and_the_rest_are_shown_alike_on_the_map_trends_and_overview(demo, drug: str) -> None:
    """For every month, quarter and calendar year of the demo and the last twelve months, for all
    deaths and for a drug whose deaths not placed in an area are 1-9 in every year: the Map's table
    (its areas and its four totals), Trends' period table, chart points and annual table, the
    Overview's Chicago card and (all deaths) the annual mart show or hide Chicago and the rest of
    Chicago alike — the rest hidden only over 12 months or more, Chicago withheld otherwise."""
    from dashboards.components import data, map_layers
    from dashboards.components import overview_metrics as om
    from pipelines.defs.epidemiology import city_total as ct

    db, threshold, months = demo["db"], demo["threshold"], demo["months"]
    map_rows = _map_rows(db, drug)
    region_selection = td.region_selection(demo["areas"], demo["region"])
    view = Filters(start=months[0], end=months[-1], drug=drug)
    trend_rows = td.filter_rows(demo["deaths"], view)
    overview_deaths = om.load_area_deaths(data.db_version(db))
    within = (months[0], data.next_month(months[-1]))
    chart = {
        step: dict(
            td.time_series(trend_rows, td.month_periods(months, [], step), region_selection, time_col="month",
                           step=step, within=within, threshold=threshold)
            .filter(pl.col("series") == td.REST_LABEL).select("period", "deaths_display").iter_rows()
        )  # fmt: skip
        for step in ("month", "quarter", "year")
    }
    annual_frame = (
        demo["annual"] if drug == "all"
        else td.annual_series(trend_rows, region_selection, months, demo["provisional"], threshold=threshold)
    )  # fmt: skip
    annual = {(r["year"], r["geography"]): r["deaths_display"] for r in annual_frame.iter_rows(named=True)}
    counted: dict[tuple[str, str], int] = {}
    for kind, periods in _demo_periods(months).items():
        for start, end in periods:
            shown_map = dict(td.period_totals(map_rows, region_selection, start, end, threshold=threshold)
                             .select("group", "deaths_display").iter_rows())  # fmt: skip
            shown_trends = dict(td.period_totals(trend_rows, region_selection, start, end, threshold=threshold)
                                .select("group", "deaths_display").iter_rows())  # fmt: skip
            assert shown_map == shown_trends, (start, end)
            city, rest = shown_map[td.CITY_LABEL], shown_map[td.REST_LABEL]
            long = ct.period_months(start, end) >= 12
            for what, shown in (("city shown", city != "*"), ("rest shown", rest != "*")):
                counted[(kind, what)] = counted.get((kind, what), 0) + shown
            # The rest is hidden only over 12 months or more, where the Map's own table hides one
            # of its areas, and Chicago is then shown.
            areas = map_layers.drug_area_metrics(map_rows, demo["areas"], start, end, threshold=threshold)
            rest_area_hidden = areas.filter(~pl.col("in_region") & pl.col("deaths_suppressed")).height > 0
            if rest == "*":
                assert long and rest_area_hidden and city != "*", (start, end)
            if kind in chart:  # the chart's point of the same period hides it too
                assert (chart[kind][start] == "*") >= (rest == "*"), (kind, start)
            if kind == "year":
                assert (annual[(start.year, td.CITY_LABEL)], annual[(start.year, td.REST_LABEL)]) == (city, rest)
            if kind == "last 12 months":
                card = om.rate_comparison(
                    overview_deaths, demo["areas"], [], drug, start, end, scope_label=demo["region"],
                    threshold=threshold,
                ).row(1, named=True)  # fmt: skip
                assert card["deaths_display"] == city
    n = {kind: len(periods) for kind, periods in _demo_periods(months).items()}
    if drug == "all":
        # The not-placed count is 1-9 in most months: Chicago is withheld and the rest of Chicago
        # kept by month; over a year it is never small, so Chicago is shown in every year.
        assert counted[("month", "rest shown")] == n["month"]
        assert counted[("month", "city shown")] < n["month"] // 2
        assert counted[("year", "city shown")] == counted[("year", "rest shown")] == n["year"]
        assert counted[("last 12 months", "city shown")] == 1
    else:
        # Over a year the not-placed count is small too: there the rule keeps Chicago's total.
        full_years = sum(1 for s, e in _demo_periods(months)["year"] if ct.period_months(s, e) == 12)
        assert counted[("year", "rest shown")] <= n["year"] - full_years // 2
        assert counted[("year", "city shown")] >= full_years // 2


def test_all_of_chicagos_breakdown_is_hidden_where_chicago_is_withheld() -> None:
    """All of Chicago's intent groups add up to Chicago's total: where the city total's rule
    withholds it (4 not placed: every rest area shown, or a period shorter than 12 months), the
    groups are hidden too."""
    jan = date(2026, 1, 1)
    city = td.Selection(label=td.CITY_LABEL, areas=(1, 2, 3, 4), population=100_000, city_population=100_000,
                        not_placed=True, config_region=frozenset({1, 2}))  # fmt: skip

    def accidents(not_placed: int, rest_area: int) -> str:
        rows = _rows([(jan, 1, 30), (jan, 3, 40), (jan, 4, rest_area), (jan, None, not_placed)])
        frame = td.breakdown_period(rows, city, "intent", jan, jan, threshold=THRESHOLD)
        return frame.filter(pl.col("category") == "accident").get_column("deaths_display").item()

    assert accidents(4, 20) == "*"  # Chicago withheld: 94 - 30 - 60 would give the 4 back
    assert accidents(4, 5) == "*"  # area 4 is hidden on the Map, but a month keeps the rest
    assert accidents(12, 20) == "102"
    # Over 12 months the rule keeps Chicago when a rest area is hidden: the groups are shown.
    dec = date(2026, 12, 1)
    rows = _rows([(jan, 1, 30), (jan, 3, 40), (jan, 4, 5), (jan, None, 4)])
    frame = td.breakdown_period(rows, city, "intent", jan, dec, threshold=THRESHOLD)
    assert frame.filter(pl.col("category") == "accident").get_column("deaths_display").item() == "79"
