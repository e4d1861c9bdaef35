"""The Trends page's time series and period comparisons (selection, rest of Chicago, Chicago),
suppressed before display; definitions in :mod:`dashboards.components.trend_selection`.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from dashboards.components.data import COUNT_AND_RATE_COLUMNS
from dashboards.components.period_labels import next_month
from dashboards.components.trend_periods import month_periods, period_start
from dashboards.components.trend_selection import (
    CITY_LABEL,
    NOT_PLACED_LABEL,
    REST_LABEL,
    Selection,
    filter_rows,
    periods_hiding,
    series_expr,
    split_decisions,
    suppress_with_withheld,
)
from pipelines.defs.epidemiology import city_total as ct
from pipelines.defs.epidemiology.rates import period_years, with_rates
from pipelines.defs.epidemiology.suppression import suppress


# --------------------------------------------------------------------------------------------
# Time series: selection vs rest of Chicago
# --------------------------------------------------------------------------------------------


def time_series(
    rows: pl.DataFrame,
    periods: pl.DataFrame,
    selection: Selection,
    *,
    time_col: str,
    step: str,
    within: tuple[date, date],
    threshold: int,
) -> pl.DataFrame:
    """Deaths and annualised rates per period for the selection and the rest of Chicago.

    ``rows`` are already filtered (:func:`filter_rows`); ``time_col`` is ``month`` or ``week``;
    only rows with ``within[0] <= time_col < within[1]`` count (a partial first or last quarter
    or year holds only the chosen months).
    Suppression is complementary within each series and ``nest`` period (see
    :func:`month_periods`), because the coarser periods and the period total are shown too: a
    quarter minus its two visible months must not give the hidden one. A month, quarter or year is
    a period the Map shows with Chicago's total, so a point is hidden ("*") where the city total's
    rule or this split hides its part for that period (:func:`split_decisions`) — for the
    configured region, the rest of Chicago where it protects the not-placed count, which the rule
    does only over 12 months or more of data (a year's point): a shorter period keeps the rest and
    withholds Chicago, which the chart does not draw.

    Columns: period, label, series, is_provisional, population, years, deaths (null when hidden),
    deaths_display, deaths_suppressed, rate, rate_lower, rate_upper, rate_unstable.
    """
    period = pl.col(time_col)
    if step in ("quarter", "year"):
        period = (
            pl.col(time_col).dt.truncate("1q") if step == "quarter" else pl.col(time_col).dt.truncate("1y")
        )
    counts = (
        rows.filter(pl.col(time_col).is_between(within[0], within[1], closed="left"))
        .with_columns(series_expr(selection).alias("series"), period.alias("period"))
        .filter(pl.col("series").is_not_null())
        .group_by("period", "series")
        .agg(pl.col("deaths").sum().cast(pl.Int64))
    )
    series = pl.DataFrame(
        {
            "series": [selection.label, REST_LABEL],
            "population": [selection.population, selection.rest_population],
        },
        schema={"series": pl.String, "population": pl.Int64},
    )
    frame = (
        periods.join(series, how="cross")
        .join(counts, on=["period", "series"], how="left")
        .with_columns(pl.col("deaths").fill_null(0))
        .sort(pl.col("series") != selection.label, "period")
    )
    frame = with_rates(frame, count_col="deaths", population_col="population", years_col="years")
    # Month-based periods are periods the Map can show per area (with the city's total); weeks
    # are not. Where the city total's rule or this split hides a part, so does its point.
    decisions = (
        split_decisions(
            rows.filter(pl.col(time_col).is_between(within[0], within[1], closed="left")).with_columns(
                period.alias("period")
            ),
            selection,
            period_col="period",
            months={period: round(years * 12) for period, years in periods.select("period", "years").iter_rows()},
            threshold=threshold,
        )
        if step != "week"
        else {}
    )
    hidden = (pl.col("series") == selection.label) & pl.col("period").is_in(periods_hiding(decisions, ct.SELECTION))
    hidden |= (pl.col("series") == REST_LABEL) & pl.col("period").is_in(periods_hiding(decisions, ct.REST))
    frame = suppress_with_withheld(
        frame,
        hidden,
        threshold=threshold,
        complementary_by=["series", "nest"],
    )
    return frame.select(
        "period",
        "label",
        "series",
        "is_provisional",
        "population",
        "years",
        *COUNT_AND_RATE_COLUMNS,
    )


def series_display(series: pl.DataFrame, *, with_rates: bool) -> pl.DataFrame:
    """The rows of a time-series chart as shown and downloaded: display counts, rounded rates.

    ``with_rates`` False drops the rate columns (a demographic filter has no denominator).
    """
    columns = [
        pl.col("period").dt.strftime("%Y-%m-%d").alias("period_start"),
        pl.col("label").alias("period"),
        "series",
        pl.col("deaths_display").alias("deaths"),
    ]
    if with_rates:
        columns += [
            pl.col("rate").round(1).alias("rate_per_100k_per_year"),
            pl.col("rate_lower").round(1).alias("rate_95ci_lower"),
            pl.col("rate_upper").round(1).alias("rate_95ci_upper"),
        ]
    columns.append(pl.col("is_provisional").alias("provisional"))
    return series.select(columns)


def hidden_points(display: pl.DataFrame, threshold: int) -> list[str]:
    """``"<series> <period>"`` for every point not plotted because its count is hidden."""
    marks = [f"<{threshold}", "*"]
    hidden = display.filter(pl.col("deaths").is_in(marks))
    return [f"{row['series']} {row['period']}" for row in hidden.iter_rows(named=True)]


# --------------------------------------------------------------------------------------------
# Period totals and the same months a year earlier
# --------------------------------------------------------------------------------------------


def period_totals(
    rows: pl.DataFrame, selection: Selection, start: date, end: date, *, threshold: int
) -> pl.DataFrame:
    """Deaths and annualised rate over ``start``..``end`` for the selection, the rest of Chicago,
    the Chicago deaths not placed in an area (deaths only: no population) and Chicago.

    The three parts add up to Chicago, which is shown too. Chicago's total follows the city total's
    rule (:mod:`pipelines.defs.epidemiology.city_total`, the same on every page), and the parts
    are hidden as "*" where the rule or this split needs it (:func:`split_decisions`): for the
    configured region, the rest of Chicago where it protects the not-placed count (a period of 12
    months or more; a shorter one withholds Chicago instead); for a chosen set of areas,
    whichever part would otherwise let a hidden count be worked out. ``start``..``end`` are months
    of data: their number is the period's length for the rule.
    Columns: group, population, deaths, deaths_display, deaths_suppressed, rate, rate_lower,
    rate_upper, rate_unstable.
    """
    years = period_years(start, next_month(end))
    in_period = rows.filter(pl.col("month").is_between(start, end))
    area = pl.col("community_area_number")
    chosen = list(selection.areas)
    deaths = pl.col("deaths").cast(pl.Int64)
    row = in_period.select(
        deaths.filter(area.is_in(chosen)).sum().alias("selection"),
        deaths.filter(area.is_not_null() & ~area.is_in(chosen)).sum().alias("rest"),
        deaths.filter(area.is_null()).sum().alias("not_placed"),
    ).row(0, named=True)
    parts = pl.DataFrame(
        {
            "group": [selection.label, REST_LABEL, NOT_PLACED_LABEL],
            "part": [ct.SELECTION, ct.REST, ct.NOT_PLACED],
            "population": [selection.population, selection.rest_population, None],
            "deaths": [row["selection"], row["rest"], row["not_placed"]],
        },
        schema={"group": pl.String, "part": pl.String, "population": pl.Int64, "deaths": pl.Int64},
    ).with_columns(pl.lit(years).alias("years"))
    parts = with_rates(parts, count_col="deaths", population_col="population", years_col="years")
    city = with_rates(
        pl.DataFrame(
            {
                "group": [CITY_LABEL],
                "population": [selection.city_population],
                "deaths": [int(parts.get_column("deaths").sum())],
                "years": [years],
            },
            schema={"group": pl.String, "population": pl.Int64, "deaths": pl.Int64, "years": pl.Float64},
        ),
        count_col="deaths",
        population_col="population",
        years_col="years",
    )
    decision = split_decisions(
        in_period.with_columns(pl.lit(0).alias("whole")), selection, period_col="whole",
        months=ct.period_months(start, end), threshold=threshold,
    ).get(0, ct.SplitDecision(False, False, frozenset()))  # fmt: skip
    shown = suppress_with_withheld(
        parts, pl.col("part").is_in(list(decision.hide)), threshold=threshold, complementary_by=None
    )
    city = suppress(city, "deaths", threshold=threshold, rate_cols=("rate",))
    city = ct.withhold(city, pl.lit(decision.city_withheld))
    columns = ["group", "population", *COUNT_AND_RATE_COLUMNS]
    return pl.concat([shown.select(columns), city.select(columns)], how="vertical_relaxed")


def compare_periods(current: pl.DataFrame, previous: pl.DataFrame) -> pl.DataFrame:
    """This period against the same months a year earlier, per group (:func:`period_totals` rows).

    ``deaths_change_pct`` and ``rate_change_pct`` are null when either count is hidden (a change
    from a hidden count would reveal it) or the earlier count is zero.
    """
    before = previous.select(
        "group",
        pl.col("deaths").alias("deaths_before"),
        pl.col("deaths_display").alias("deaths_before_display"),
        pl.col("rate").alias("rate_before"),
        pl.col("rate_lower").alias("rate_before_lower"),
        pl.col("rate_upper").alias("rate_before_upper"),
    )
    joined = current.join(before, on="group", how="left", maintain_order="left")
    change = pl.when(pl.col("deaths_before") > 0).then(
        (pl.col("deaths") / pl.col("deaths_before") - 1) * 100
    )
    rate_change = pl.when(pl.col("rate_before") > 0).then((pl.col("rate") / pl.col("rate_before") - 1) * 100)
    return joined.with_columns(
        change.round(1).alias("deaths_change_pct"), rate_change.round(1).alias("rate_change_pct")
    )


def comparison_display(compared: pl.DataFrame, *, with_rates: bool) -> pl.DataFrame:
    """The period-comparison table as shown and downloaded."""
    columns = [
        pl.col("group").alias("area"),
        pl.col("deaths_display").alias("deaths"),
        pl.col("deaths_before_display").alias("deaths_year_earlier"),
        pl.col("deaths_change_pct").alias("deaths_change_pct"),
    ]
    if with_rates:
        columns += [
            pl.col("rate").round(1).alias("rate_per_100k_per_year"),
            pl.col("rate_lower").round(1).alias("rate_95ci_lower"),
            pl.col("rate_upper").round(1).alias("rate_95ci_upper"),
            pl.col("rate_before").round(1).alias("rate_year_earlier"),
            pl.col("rate_change_pct").alias("rate_change_pct"),
        ]
    return compared.select(columns)
