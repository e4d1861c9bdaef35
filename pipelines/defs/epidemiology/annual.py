"""Annual overdose death rates by community area and region, ready to publish.

Each row gets: the crude rate per 100,000 (annualised for a partial year), its exact Poisson 95%
CI and the NCHS "unstable" flag (``rates.with_rates``); the change of the annualised rate against
the previous year; the provisional flag; and small-number suppression (``suppression.suppress``),
with complementary suppression among the areas of the region and among the other areas of the
city in the same year, so that no hidden area count can be worked out from the region or city total
published in the same table. The city's total and its parts (region, rest of Chicago, deaths not
placed in an area) follow the city total's rule (``city_total.city_rule``), which reads the area
rows of the same year and its ``months_covered``: a full year keeps Chicago's total, a partial
year (fewer than 12 months of data) keeps the rest of Chicago, as any period of those months does
on the Map and Trends (``city_total.prefers_city``).
:func:`with_age_adjusted` adds the age-adjusted rate beside the crude one, hidden with it.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.defs.epidemiology.age_adjusted import with_age_adjusted_rates
from pipelines.defs.epidemiology.city_total import NOT_PLACED_TYPE, withhold_city_total, withhold_city_unknown_age
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
    # Areas in number order, as the Map suppresses them, so that a tie for the complementary cell
    # goes to the same area on every page.
    areas = suppress(
        frame.filter(pl.col("geography_type") == "community_area").sort("year", "community_area_number"),
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
    published = withhold_city_total(
        pl.concat([areas, totals], how="diagonal_relaxed"),
        by=["year"],
        region=(geography_type == "region") & pl.col("in_region"),
        rest=(geography_type == "region") & ~pl.col("in_region"),
        not_placed=geography_type == NOT_PLACED_TYPE,
        city=geography_type == "city",
        rest_area=(geography_type == "community_area") & ~pl.col("in_region"),
        months=pl.col("months_covered"),
    )
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


#: Geography types whose rows have a population by age band (suburbs named in the region and the
#: Chicago deaths not placed in an area do not).
AGE_ADJUSTED_GEOGRAPHIES = ("community_area", "region", "city")
_ADJUSTED = ("age_adjusted_rate", "age_adjusted_lower", "age_adjusted_upper", "age_adjusted_unstable")


def with_age_adjusted(
    rates: pl.DataFrame, deaths_by_band: pl.DataFrame, population_by_band: pl.DataFrame, *, threshold: int
) -> pl.DataFrame:
    """Add the age-adjusted rate (:mod:`.age_adjusted`) to the published annual rates, suppressed.

    ``rates`` is :func:`annual_rates` output; ``deaths_by_band`` has ``year``, ``geography_type``,
    ``geography``, ``age_band``, ``deaths`` (``sql/marts/age_band_deaths_annual.sql``) and
    ``population_by_band`` ``geography_type``, ``geography``, ``age_band``, ``population``
    (``sql/marts/age_band_population_by_geography.sql``). Rates are annualised over
    ``years_covered`` like the crude rate.

    Adds ``age_adjusted_rate``, ``age_adjusted_lower``, ``age_adjusted_upper`` (per 100,000 per
    year), ``age_adjusted_unstable`` (fewer than 20 deaths of known age) and
    ``deaths_unknown_age`` (left out of the adjusted rate) with ``deaths_unknown_age_display`` and
    ``deaths_unknown_age_suppressed``. Suppression: the adjusted rate and the unknown-age count are
    hidden wherever the crude count is hidden; the unknown-age count is itself a count, suppressed
    like the deaths (1–9 as "<10", complementary among the areas of the region and of the rest of
    the city; the city's and the rest of Chicago's by the city total's rule,
    :func:`.city_total.withhold_city_unknown_age`).
    Rows without a population by age (suburbs, the deaths not placed in an area) get nulls. The
    city's row counts every Chicago death (``in_chicago``), as its crude count does, and its
    adjusted rate is hidden when the city total is withheld (:func:`annual_rates`).
    """
    keys = ["year", "geography_type", "geography"]
    groups = rates.filter(pl.col("geography_type").is_in(AGE_ADJUSTED_GEOGRAPHIES)).select(*keys, "years_covered")
    adjusted = with_age_adjusted_rates(
        groups,
        deaths_by_band,
        population_by_band,
        keys=keys,
        population_keys=["geography_type", "geography"],
        years_col="years_covered",
    ).select(*keys, "deaths_unknown_age", *_ADJUSTED)
    joined = rates.join(adjusted, on=keys, how="left", maintain_order="left")
    areas = suppress(
        joined.filter(pl.col("geography_type") == "community_area").sort("year", "community_area_number"),
        "deaths_unknown_age",
        threshold=threshold,
        complementary_by=["year", "in_region"],
    ).drop("deaths_unknown_age_group_total_suppressed")
    others = suppress(
        joined.filter(pl.col("geography_type") != "community_area"), "deaths_unknown_age", threshold=threshold
    )
    # Never a rate from a hidden count: rate × population would give the count back.
    hidden = pl.col("deaths_suppressed")
    published = pl.concat([areas, others], how="diagonal_relaxed").with_columns(
        *(pl.when(hidden).then(None).otherwise(pl.col(c)).alias(c) for c in _ADJUSTED),
        *(
            pl.when(hidden).then(None).otherwise(pl.col(c)).alias(c)
            for c in ("deaths_unknown_age", "deaths_unknown_age_display")
        ),
        (pl.col("deaths_unknown_age_suppressed") | hidden).alias("deaths_unknown_age_suppressed"),
    )
    # The city's unknown-age count = the region's + the rest's + the not-placed deaths' (never
    # shown): the city total's rule on those raw counts, with the rest's areas as published.
    unknown = pl.col("deaths_unknown_age").fill_null(0)
    part = pl.col("geography_type") == "region"
    rest_area = (pl.col("geography_type") == "community_area") & ~pl.col("in_region")
    hidden_rest_area = published.group_by("year").agg(
        (rest_area & pl.col("deaths_unknown_age_suppressed")).any().alias("__rest_area_hidden")
    )
    parts = joined.group_by("year").agg(
        unknown.filter(part & pl.col("in_region")).sum().alias("__region"),
        unknown.filter(part & ~pl.col("in_region")).sum().alias("__rest"),
        (
            unknown.filter(pl.col("geography_type") == "city").sum() - unknown.filter(part).sum()
        ).alias("__not_placed"),
    )
    published = withhold_city_unknown_age(
        published.join(parts, on="year", how="left").join(hidden_rest_area, on="year", how="left"),
        city=pl.col("geography_type") == "city",
        rest_row=part & ~pl.col("in_region"),
        region=pl.col("__region"),
        rest=pl.col("__rest"),
        not_placed=pl.col("__not_placed"),
        rest_has_hidden_area=pl.col("__rest_area_hidden"),
        months=pl.col("months_covered"),
        threshold=threshold,
    )
    return published.drop("__region", "__rest", "__not_placed", "__rest_area_hidden").sort(
        "year", "geography_type", "geography"
    )
