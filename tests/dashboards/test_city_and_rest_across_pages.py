"""Chicago and the rest of Chicago are shown alike on the Map, Trends and Overview pages: every
period of the demo app database, each page's own code path, the same display values.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from dashboards.components import trend_annual, trend_periods, trend_selection, trend_series
from dashboards.components.filters import Filters


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
    quarters = sorted({trend_periods.period_start(m, "quarter") for m in months})
    return {
        "month": [(m, m) for m in months],
        "quarter": [(q, min(months[-1], date(q.year, q.month + 2, 1))) for q in quarters],
        "year": [(max(months[0], date(y, 1, 1)), min(months[-1], date(y, 12, 1))) for y in years],
        "last 12 months": [(months[-12], months[-1])],
    }


@pytest.mark.parametrize("drug", ["all", "benzodiazepine"])
def test_the_city_and_the_rest_are_shown_alike_on_the_map_trends_and_overview(trend_demo, drug: str) -> None:
    """For every month, quarter and calendar year of the demo and the last twelve months, for all
    deaths and for a drug whose deaths not placed in an area are 1-9 in every year: the Map's table
    (its areas and its four totals), Trends' period table, chart points and annual table, the
    Overview's Chicago card and (all deaths) the annual mart show or hide Chicago and the rest of
    Chicago alike — the rest hidden only over 12 months or more, Chicago withheld otherwise."""
    from dashboards.components import data, map_areas, period_labels
    from dashboards.components import overview_loaders, overview_metrics as om
    from pipelines.defs.epidemiology import city_total as ct

    db, threshold, months = trend_demo["db"], trend_demo["threshold"], trend_demo["months"]
    map_rows = _map_rows(db, drug)
    region_selection = trend_selection.region_selection(trend_demo["areas"], trend_demo["region"])
    view = Filters(start=months[0], end=months[-1], drug=drug)
    trend_rows = trend_selection.filter_rows(trend_demo["deaths"], view)
    overview_deaths = overview_loaders.load_area_deaths(data.db_version(db))
    within = (months[0], period_labels.next_month(months[-1]))
    chart = {
        step: dict(
            trend_series.time_series(trend_rows, trend_periods.month_periods(months, [], step), region_selection, time_col="month",
                           step=step, within=within, threshold=threshold)
            .filter(pl.col("series") == trend_selection.REST_LABEL).select("period", "deaths_display").iter_rows()
        )  # fmt: skip
        for step in ("month", "quarter", "year")
    }
    annual_frame = (
        trend_demo["annual"] if drug == "all"
        else trend_annual.annual_series(trend_rows, region_selection, months, trend_demo["provisional"], threshold=threshold)
    )  # fmt: skip
    annual = {(r["year"], r["geography"]): r["deaths_display"] for r in annual_frame.iter_rows(named=True)}
    counted: dict[tuple[str, str], int] = {}
    for kind, periods in _demo_periods(months).items():
        for start, end in periods:
            shown_map = dict(trend_series.period_totals(map_rows, region_selection, start, end, threshold=threshold)
                             .select("group", "deaths_display").iter_rows())  # fmt: skip
            shown_trends = dict(trend_series.period_totals(trend_rows, region_selection, start, end, threshold=threshold)
                                .select("group", "deaths_display").iter_rows())  # fmt: skip
            assert shown_map == shown_trends, (start, end)
            city, rest = shown_map[trend_selection.CITY_LABEL], shown_map[trend_selection.REST_LABEL]
            long = ct.period_months(start, end) >= 12
            for what, shown in (("city shown", city != "*"), ("rest shown", rest != "*")):
                counted[(kind, what)] = counted.get((kind, what), 0) + shown
            # The rest is hidden only over 12 months or more, where the Map's own table hides one
            # of its areas, and Chicago is then shown.
            areas = map_areas.drug_area_metrics(map_rows, trend_demo["areas"], start, end, threshold=threshold)
            rest_area_hidden = areas.filter(~pl.col("in_region") & pl.col("deaths_suppressed")).height > 0
            if rest == "*":
                assert long and rest_area_hidden and city != "*", (start, end)
            if kind in chart:  # the chart's point of the same period hides it too
                assert (chart[kind][start] == "*") >= (rest == "*"), (kind, start)
            if kind == "year":
                assert (annual[(start.year, trend_selection.CITY_LABEL)], annual[(start.year, trend_selection.REST_LABEL)]) == (city, rest)
            if kind == "last 12 months":
                card = om.rate_comparison(
                    overview_deaths, trend_demo["areas"], [], drug, start, end, scope_label=trend_demo["region"],
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
