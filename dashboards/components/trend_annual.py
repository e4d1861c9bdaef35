"""Year-over-year figures of the Trends page: annual counts and rates for the selection, the
rest of Chicago and Chicago, suppressed before display.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from dashboards.components.period_metrics import adjusted_display_columns
from dashboards.components.period_labels import next_month
from dashboards.components.trend_breakdowns import months_by_year
from dashboards.components.trend_selection import (
    CITY_LABEL,
    NOT_PLACED_LABEL,
    REST_LABEL,
    Selection,
    hide_rows,
    periods_hiding,
    region_of,
    series_expr,
    split_decisions,
)
from pipelines.defs.epidemiology import city_total as ct
from pipelines.defs.epidemiology.annual import annual_rates
from pipelines.defs.epidemiology.rates import with_rates


def annual_counts(
    rows: pl.DataFrame, selection: Selection, data_months: Sequence[date]
) -> pl.DataFrame:
    """Counts per calendar year for the selection, the rest, the deaths not placed in an area and
    Chicago, shaped like ``sql/marts/overdose_counts_annual.sql`` for
    :func:`pipelines.defs.epidemiology.annual.annual_rates`: region, not-placed and city rows, and
    a row per community area with deaths (``in_region`` of the configured region, no population),
    which the city total's rule reads."""
    months_covered = months_by_year(data_months)
    years = pl.DataFrame(
        {"year": list(months_covered), "months_covered": list(months_covered.values())},
        schema={"year": pl.Int64, "months_covered": pl.Int64},
    )
    geography = (
        pl.when(pl.col("community_area_number").is_null())
        .then(pl.lit(NOT_PLACED_LABEL))
        .otherwise(series_expr(selection))
    )
    counts = (
        rows.with_columns(geography.alias("geography"), pl.col("month").dt.year().cast(pl.Int64).alias("year"))
        .group_by("year", "geography")
        .agg(pl.col("deaths").sum().cast(pl.Int64))
    )
    geographies = pl.DataFrame(
        {
            "geography": [selection.label, REST_LABEL, NOT_PLACED_LABEL],
            "geography_type": ["region", "region", ct.NOT_PLACED_TYPE],
            "in_region": [True, False, None],
            "population": [selection.population, selection.rest_population, None],
        },
        schema={"geography": pl.String, "geography_type": pl.String, "in_region": pl.Boolean, "population": pl.Int64},
    )
    parts = (
        years.join(geographies, how="cross")
        .join(counts, on=["year", "geography"], how="left")
        .with_columns(pl.col("deaths").fill_null(0))
    )
    city = parts.group_by("year", "months_covered").agg(
        pl.lit(CITY_LABEL).alias("geography"),
        pl.lit(None, dtype=pl.Boolean).alias("in_region"),
        pl.lit(selection.city_population, dtype=pl.Int64).alias("population"),
        pl.col("deaths").sum(),
        pl.lit("city").alias("geography_type"),
    )
    region = list(region_of(selection))
    area_rows = (
        rows.filter(pl.col("community_area_number").is_not_null())
        .group_by(pl.col("month").dt.year().cast(pl.Int64).alias("year"), "community_area_number")
        .agg(pl.col("deaths").sum().cast(pl.Int64))
        .join(years, on="year", how="inner")
        .select(
            "year",
            "months_covered",
            pl.lit("community_area").alias("geography_type"),
            pl.format("Area {}", pl.col("community_area_number")).alias("geography"),
            pl.col("community_area_number").is_in(region).alias("in_region"),
            pl.lit(None, dtype=pl.Int64).alias("population"),
            "deaths",
            pl.col("community_area_number").cast(pl.Int32),
        )
    )
    columns = ["year", "months_covered", "geography_type", "geography", "in_region", "population", "deaths"]
    totals = pl.concat([parts.select(columns), city.select(columns)], how="vertical_relaxed").with_columns(
        pl.lit(None, dtype=pl.Int32).alias("community_area_number")
    )
    return pl.concat([totals, area_rows], how="vertical_relaxed").sort("year", "geography")


def _region_selection(selection: Selection) -> Selection:
    """The configured region as a selection, for a chosen set of areas' city total."""
    assert selection.region_areas is not None and selection.region_population is not None
    return Selection(
        label="__region",
        areas=tuple(sorted(selection.region_areas)),
        population=selection.region_population,
        city_population=selection.city_population,
    )


def annual_series(
    rows: pl.DataFrame,
    selection: Selection,
    data_months: Sequence[date],
    provisional: Sequence[date],
    *,
    threshold: int,
) -> pl.DataFrame:
    """Annual deaths, rates (CI), change on the previous year for the selection, the rest, the
    deaths not placed in an area and Chicago, computed exactly as the pipeline computes
    ``marts.overdose_rates_annual``.

    For a chosen set of areas, Chicago's row is the one the pipeline would publish (its rule looks
    at the configured region's parts), and the selection and the rest are hidden in the years
    where :func:`split_decisions` says so (they would give a hidden area, or the not-placed count,
    back). Community-area rows, which the rule reads, are not returned."""
    counts = annual_counts(rows, selection, data_months)
    first_provisional = min(provisional) if provisional else next_month(max(data_months))
    not_area = pl.col("geography_type") != "community_area"
    if selection.is_region:
        return annual_rates(counts, threshold=threshold, provisional_from=first_provisional).filter(not_area)
    city = annual_rates(
        annual_counts(rows, _region_selection(selection), data_months),
        threshold=threshold,
        provisional_from=first_provisional,
    ).filter(pl.col("geography_type") == "city")
    # The chosen split is not the region's: no area rows, so the rule hides nothing in it here.
    annual = annual_rates(
        counts.filter(not_area & (pl.col("geography_type") != "city")),
        threshold=threshold,
        provisional_from=first_provisional,
    )
    decisions = split_decisions(
        rows.with_columns(pl.col("month").dt.year().cast(pl.Int64).alias("year")),
        selection,
        period_col="year",
        months=months_by_year(data_months),
        threshold=threshold,
    )
    hide = (pl.col("geography") == selection.label) & pl.col("year").is_in(periods_hiding(decisions, ct.SELECTION))
    hide |= (pl.col("geography") == REST_LABEL) & pl.col("year").is_in(periods_hiding(decisions, ct.REST))
    annual = hide_rows(annual, hide, ("rate", "rate_lower", "rate_upper"))
    withheld_years = [year for year, decision in decisions.items() if decision.city_withheld]
    city = ct.withhold(city, pl.col("year").is_in(withheld_years))
    annual = pl.concat([annual, city], how="diagonal_relaxed")
    # A change from or to a hidden year would give its rate back.
    hidden = pl.col("deaths_suppressed")
    hidden_before = hidden.shift(1).over("geography", order_by="year").fill_null(False)
    return annual.with_columns(
        pl.when(hidden | hidden_before).then(None).otherwise(pl.col(c)).alias(c)
        for c in ("rate_change_pct", "rate_previous_year")
    ).sort("year", "geography_type", "geography")


def annual_display(annual: pl.DataFrame, order: Sequence[str], *, with_rates: bool) -> pl.DataFrame:
    """The annual table as shown and downloaded (one row per year and geography); with rates, the
    age-adjusted ones too when ``annual`` carries them."""
    columns = [
        pl.col("year"),
        pl.col("geography").alias("series"),
        pl.col("months_covered"),
        pl.col("deaths_display").alias("deaths"),
    ]
    if with_rates:
        columns += [
            pl.col("rate").round(1).alias("rate_per_100k_per_year"),
            pl.col("rate_lower").round(1).alias("rate_95ci_lower"),
            pl.col("rate_upper").round(1).alias("rate_95ci_upper"),
            pl.col("rate_change_pct").alias("rate_change_pct"),
            # No rate (hidden, or no population: the deaths not placed in an area), no flag.
            pl.when(pl.col("rate").is_null())
            .then(None)
            .otherwise(pl.col("rate_unstable"))
            .alias("rate_unstable_under_20_deaths"),
            *adjusted_display_columns(annual),
        ]
    columns.append(pl.col("is_provisional").alias("provisional"))
    rank = {name: i for i, name in enumerate(order)}
    return (
        annual.filter(pl.col("geography").is_in(list(order)))
        .with_columns(pl.col("geography").replace_strict(rank, default=len(rank)).alias("__order"))
        .sort("year", "__order")
        .select(columns)
    )
