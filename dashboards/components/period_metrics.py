"""Deaths and rates for a chosen period by community area, by group (selection, rest of Chicago,
Chicago) and by month, with the display frames the pages show (pure functions).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from dashboards.components.data import CITY_LABEL, COUNT_AND_RATE_COLUMNS, DRUGS, REST_LABEL
from dashboards.components.period_labels import next_month
from pipelines.defs.epidemiology import city_total as ct
from pipelines.defs.epidemiology.rates import period_years, with_rates
from pipelines.defs.epidemiology.suppression import suppress


def _in_period(monthly: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    return monthly.filter(pl.col("month").is_between(start, end, closed="both"))


def _part_of_city(region_label: str) -> pl.Expr:
    """The region label for region rows, "Rest of Chicago" for the others."""
    return pl.when(pl.col("in_region")).then(pl.lit(region_label)).otherwise(pl.lit(REST_LABEL))


def area_period_metrics(
    monthly: pl.DataFrame,
    areas: pl.DataFrame,
    start: date,
    end: date,
    drug: str,
    *,
    threshold: int,
) -> pl.DataFrame:
    """Deaths and annualised rate per community area over ``start``..``end``, suppressed.

    Columns: community_area_number, community_area, in_region, population, deaths (null when
    suppressed), deaths_display, deaths_suppressed, rate, rate_lower, rate_upper, rate_unstable.
    Suppression is complementary within the region and within the rest of the city, because the
    page also publishes the region total and the city total (a single hidden area could
    otherwise be recovered by subtraction).
    """
    count_col = DRUGS[drug][1]
    years = period_years(start, next_month(end))
    totals = (
        _in_period(monthly, start, end)
        .group_by("community_area_number")
        .agg(pl.col(count_col).sum().cast(pl.Int64).alias("deaths"))
    )
    frame = (
        areas.select(
            "community_area_number",
            "community_area",
            "in_region",
            pl.col("population_2020").cast(pl.Int64).alias("population"),
        )
        .join(totals, on="community_area_number", how="left")
        .with_columns(pl.col("deaths").fill_null(0), pl.lit(years).alias("years"))
        .sort("community_area_number")
    )
    frame = with_rates(frame, count_col="deaths", population_col="population", years_col="years")
    return suppress(
        frame,
        "deaths",
        threshold=threshold,
        rate_cols=("rate",),
        complementary_by=["in_region"],
    ).drop("years", "deaths_group_total_suppressed")


def group_period_metrics(
    monthly: pl.DataFrame,
    areas: pl.DataFrame,
    start: date,
    end: date,
    drug: str,
    *,
    not_placed: pl.DataFrame,
    region_label: str,
    threshold: int,
) -> pl.DataFrame:
    """Deaths and annualised rate for the region, the rest of the city, the Chicago deaths not
    placed in an area (deaths only: no population) and the whole city.

    One row per ``group`` (region label, "Rest of Chicago", "Not placed in an area", "Chicago"),
    suppressed. ``not_placed`` is :func:`load_not_placed_monthly` (month and the count columns of
    ``monthly``). The three parts add up to the city: its total, or the rest of the city, is
    hidden by the city total's rule, which reads the areas' counts of the same period and its
    length (:func:`pipelines.defs.epidemiology.city_total.city_rule`; ``start``..``end`` are
    months of data).
    """
    count_col = DRUGS[drug][1]
    years = period_years(start, next_month(end))
    period = _in_period(monthly, start, end)
    population = areas.group_by("in_region").agg(pl.col("population_2020").sum().cast(pl.Int64))
    deaths = period.group_by("in_region").agg(
        pl.col(count_col).sum().cast(pl.Int64).alias("deaths")
    )
    parts = (
        population.join(deaths, on="in_region", how="left")
        .select(
            _part_of_city(region_label).alias("group"),
            pl.col("population_2020").alias("population"),
            pl.col("deaths").fill_null(0),
            pl.lit(years).alias("years"),
        )
        .sort(pl.col("group") != region_label)
    )
    unplaced = int(_in_period(not_placed, start, end).get_column(count_col).sum())
    parts = pl.concat(
        [parts, pl.DataFrame({"group": [ct.NOT_PLACED_LABEL], "population": [None], "deaths": [unplaced],
                              "years": [years]}, schema=parts.schema)]
    )  # fmt: skip
    city = parts.select(
        pl.lit(CITY_LABEL).alias("group"),
        pl.col("population").sum(),
        pl.col("deaths").sum(),
        pl.lit(years).alias("years"),
    )
    table = with_rates(
        pl.concat([parts, city]), count_col="deaths", population_col="population", years_col="years"
    )
    table = suppress(table, "deaths", threshold=threshold, rate_cols=("rate",))
    rest_areas = period.filter(~pl.col("in_region")).group_by("community_area_number").agg(pl.col(count_col).sum())
    counts = dict(zip(parts.get_column("group"), parts.get_column("deaths"), strict=True))
    rule = ct.city_rule(
        counts[region_label],
        counts[REST_LABEL],
        unplaced,
        rest_has_hidden_area=ct.rest_has_hidden_area(rest_areas.get_column(count_col).to_list(), threshold=threshold),
        months=ct.period_months(start, end),
        threshold=threshold,
    )
    group = pl.col("group")
    table = ct.withhold(
        table,
        ((group == CITY_LABEL) & pl.lit(rule.city_withheld)) | ((group == REST_LABEL) & pl.lit(rule.rest_withheld)),
    )
    return table.select(
        "group",
        "population",
        *COUNT_AND_RATE_COLUMNS,
    )


def monthly_group_metrics(
    monthly: pl.DataFrame,
    areas: pl.DataFrame,
    start: date,
    end: date,
    drug: str,
    *,
    region_label: str,
    threshold: int,
) -> pl.DataFrame:
    """Monthly deaths and rate per 100,000 per year-equivalent, region vs the rest of the city.

    Columns: month, group, is_provisional, population, deaths (null when suppressed),
    deaths_display, deaths_suppressed, rate (null when suppressed), rate_lower, rate_upper,
    rate_unstable.
    """
    count_col = DRUGS[drug][1]
    population = areas.group_by("in_region").agg(
        pl.col("population_2020").sum().cast(pl.Int64).alias("population")
    )
    frame = (
        _in_period(monthly, start, end)
        .group_by("month", "in_region")
        .agg(pl.col(count_col).sum().cast(pl.Int64).alias("deaths"), pl.col("is_provisional").any())
        .join(population, on="in_region", how="left")
        .with_columns(
            _part_of_city(region_label).alias("group"),
            # A single month annualised: the rate a full year at this month's pace would give.
            pl.lit(1 / 12).alias("years"),
        )
        .sort("in_region", "month", descending=[True, False])
        .drop("in_region")
    )
    frame = with_rates(frame, count_col="deaths", population_col="population", years_col="years")
    frame = suppress(frame, "deaths", threshold=threshold, rate_cols=("rate",))
    return frame.select(
        "month",
        "group",
        "is_provisional",
        "population",
        *COUNT_AND_RATE_COLUMNS,
    )


def region_share(groups: pl.DataFrame, region_label: str) -> float | None:
    """Region deaths as a fraction of Chicago deaths; None when either is suppressed or zero."""
    by_group = {row["group"]: row["deaths"] for row in groups.iter_rows(named=True)}
    region, city = by_group.get(region_label), by_group.get(CITY_LABEL)
    if region is None or not city:
        return None
    return region / city


def adjusted_display_columns(frame: pl.DataFrame) -> list[pl.Expr]:
    """The age-adjusted columns of a display table (rounded, CSV names), when ``frame`` has them
    (``dashboards.components.adjusted_rates``; already hidden where the crude count is)."""
    if "age_adjusted_rate" not in frame.columns:
        return []
    return [
        pl.col("age_adjusted_rate").round(1).alias("age_adjusted_rate_per_100k_per_year"),
        pl.col("age_adjusted_lower").round(1).alias("age_adjusted_95ci_lower"),
        pl.col("age_adjusted_upper").round(1).alias("age_adjusted_95ci_upper"),
        pl.col("age_adjusted_unstable").alias("age_adjusted_unstable_under_20_deaths"),
        pl.col("deaths_unknown_age_display").alias("deaths_unknown_age"),
    ]


def area_display_frame(
    metrics: pl.DataFrame, region_label: str, totals: pl.DataFrame | None = None
) -> pl.DataFrame:
    """The community-area table as shown (and downloaded): display counts, rounded crude rates
    and, when ``metrics`` has them, the age-adjusted rates beside them.

    Suppressed areas carry their display mark ("<10" or "*") and empty rate cells. ``totals``
    (rows ``group``: region, rest of Chicago, not placed in an area, Chicago, as
    :func:`dashboards.components.trend_series.period_totals` gives them) are added below the areas,
    without an area number: each part's areas add up to its row, and the three parts to Chicago;
    with their age-adjusted rates when the areas have them (none for the deaths not placed).
    """
    table = metrics.sort("community_area_number").select(
        pl.col("community_area_number").alias("area_number"),
        pl.col("community_area").alias("community_area"),
        _part_of_city(region_label).alias("part_of_city"),
        pl.col("deaths_display").alias("deaths"),
        pl.col("rate").round(1).alias("rate_per_100k_per_year"),
        pl.col("rate_lower").round(1).alias("rate_95ci_lower"),
        pl.col("rate_upper").round(1).alias("rate_95ci_upper"),
        pl.when(pl.col("deaths_suppressed"))
        .then(None)
        .otherwise(pl.col("rate_unstable"))
        .alias("rate_unstable_under_20_deaths"),
        *adjusted_display_columns(metrics),
        pl.col("population").alias("population_2020"),
    )
    if totals is None:
        return table
    rows = totals.select(
        pl.lit(None, dtype=table.schema["area_number"]).alias("area_number"),
        pl.col("group").alias("community_area"),
        pl.lit(None, dtype=pl.String).alias("part_of_city"),
        pl.col("deaths_display").alias("deaths"),
        pl.col("rate").round(1).alias("rate_per_100k_per_year"),
        pl.col("rate_lower").round(1).alias("rate_95ci_lower"),
        pl.col("rate_upper").round(1).alias("rate_95ci_upper"),
        pl.when(pl.col("rate").is_null()).then(None).otherwise(pl.col("rate_unstable"))
        .alias("rate_unstable_under_20_deaths"),
        *adjusted_display_columns(totals),
        pl.col("population").cast(table.schema["population_2020"]).alias("population_2020"),
    )
    if rows.columns != table.columns:
        raise ValueError("the totals need the age-adjusted rates the areas have (adjusted_rates.with_group_adjusted)")
    return pl.concat([table, rows], how="vertical_relaxed")
