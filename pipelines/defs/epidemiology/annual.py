"""Annual overdose death rates by community area and region, ready to publish.

Each row gets: the crude rate per 100,000 (annualised for a partial year), its exact Poisson 95%
CI and the NCHS "unstable" flag (``rates.with_rates``); the change of the annualised rate against
the previous year; the provisional flag; and small-number suppression (``suppression.suppress``),
with complementary suppression among the areas of the region and among the other areas of the
city in the same year, so that no hidden area count can be worked out from the region or city total
published in the same table. The city's total is withheld when exactly one of its parts (region,
rest of Chicago, deaths not placed in an area) is hidden (``city_total.withhold_city_total``).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.defs.epidemiology.city_total import NOT_PLACED_TYPE, withhold_city_total
from pipelines.defs.epidemiology.rates import with_rates
from pipelines.defs.epidemiology.suppression import suppress


def annual_rates(counts: pl.DataFrame, *, threshold: int, provisional_from: date) -> pl.DataFrame:
    """Rates, year-over-year change, provisional flag and suppression for annual counts.

    ``counts`` has the columns of ``sql/marts/overdose_counts_annual.sql``: ``year``,
    ``months_covered``, ``geography_type`` (``community_area`` / ``region`` / ``not_placed`` /
    ``city``, and ``municipality``), ``geography``, ``community_area_number``, ``in_region``,
    ``population``, ``deaths``. The not-placed row has no population, so no rate.
    ``provisional_from`` is the first provisional month: a year containing it is provisional.
    """
    frame = counts.with_columns((pl.col("months_covered") / 12).alias("years_covered"))
    frame = with_rates(
        frame, count_col="deaths", population_col="population", years_col="years_covered"
    )
    frame = frame.sort("geography_type", "geography", "year").with_columns(
        pl.col("rate").shift(1).over("geography_type", "geography").alias("rate_previous_year"),
    ).with_columns(
        ((pl.col("rate") / pl.col("rate_previous_year") - 1) * 100)
        .round(1)
        .alias("rate_change_pct"),
        (pl.col("year") >= provisional_from.year).alias("is_provisional"),
    )
    areas = suppress(
        frame.filter(pl.col("geography_type") == "community_area"),
        "deaths",
        threshold=threshold,
        rate_cols=["rate"],
        complementary_by=["year", "in_region"],
    ).drop("deaths_group_total_suppressed")
    totals = suppress(
        frame.filter(pl.col("geography_type") != "community_area"),
        "deaths",
        threshold=threshold,
        rate_cols=["rate"],
    )
    geography_type = pl.col("geography_type")
    totals = withhold_city_total(
        totals, by=["year"], part=geography_type.is_in(["region", NOT_PLACED_TYPE]), city=geography_type == "city"
    )
    published = pl.concat([areas, totals], how="diagonal_relaxed")
    # A change computed from a hidden count would reveal it: hide the change with the count.
    hidden_before = (
        pl.col("deaths_suppressed").shift(1).over("geography_type", "geography").fill_null(False)
    )
    return (
        published.sort("geography_type", "geography", "year")
        .with_columns(
            pl.when(pl.col("deaths_suppressed") | hidden_before)
            .then(None)
            .otherwise(pl.col("rate_change_pct"))
            .alias("rate_change_pct"),
            pl.when(pl.col("deaths_suppressed") | hidden_before)
            .then(None)
            .otherwise(pl.col("rate_previous_year"))
            .alias("rate_previous_year"),
        )
        .sort("year", "geography_type", "geography")
    )
