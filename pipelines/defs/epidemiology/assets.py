"""Epidemiology marts: overdose counts by month and week, annual rates, drug involvement, data quality."""

from datetime import date

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from pipelines.defs.epidemiology.annual import annual_rates, with_age_adjusted
from pipelines.defs.epidemiology.city_total import NOT_PLACED_LABEL
from pipelines.defs.epidemiology.provisional import provisional_start
from pipelines.defs.epidemiology.suppression import suppress
from pipelines.defs.marts.regions import region_label, region_params
from pipelines.defs.resources import SettingsResource, warehouse
from pipelines.warehouse import fetch_row, query_sql_file, replace_table, run_sql_file

ME_CASES = dg.AssetKey(["staging", "me_cases"])
COMMUNITY_AREAS = dg.AssetKey(["staging", "community_areas"])
POPULATION_BY_AGE_BAND = dg.AssetKey(["marts", "population_by_age_band"])
DEATHS_BY_AGE_BAND = dg.AssetKey(["marts", "overdose_deaths_by_age_band"])
ME_GEOCODES = dg.AssetKey(["staging", "me_geocodes"])


def _last_month(con) -> date:
    return fetch_row(con, "SELECT date_trunc('month', max(death_date))::DATE FROM staging.me_cases")[0]


@dg.asset(
    key=["marts", "overdose_deaths_monthly"],
    deps=[ME_CASES, COMMUNITY_AREAS],
    group_name="epidemiology",
    kinds={"duckdb"},
    description="Overdose deaths by month × place × drug × intent × age group × sex × "
    "race/ethnicity (not suppressed: public views aggregate, then suppress).",
)
def overdose_deaths_monthly(duckdb: DuckDBResource, settings: SettingsResource) -> dg.MaterializeResult:
    cfg = settings.get()
    with warehouse(duckdb, cfg) as con:
        run_sql_file(
            con,
            "marts/overdose_deaths_monthly.sql",
            region_params(cfg),
        )
        rows, deaths = fetch_row(
            con,
            "SELECT count(*), sum(deaths) FILTER (WHERE drug = 'all') FROM marts.overdose_deaths_monthly",
        )
    return dg.MaterializeResult(metadata={"rows": rows, "overdose_deaths": int(deaths or 0)})


@dg.asset(
    key=["marts", "overdose_deaths_weekly"],
    deps=[ME_CASES],
    group_name="epidemiology",
    kinds={"duckdb"},
    description="Overdose deaths by ISO week × community area or municipality × drug.",
)
def overdose_deaths_weekly(duckdb: DuckDBResource, settings: SettingsResource) -> dg.MaterializeResult:
    cfg = settings.get()
    with warehouse(duckdb, cfg) as con:
        run_sql_file(
            con,
            "marts/overdose_deaths_weekly.sql",
            region_params(cfg),
        )
        rows = fetch_row(con, "SELECT count(*) FROM marts.overdose_deaths_weekly")[0]
    return dg.MaterializeResult(metadata={"rows": rows})


@dg.asset(
    key=DEATHS_BY_AGE_BAND.path,
    deps=[ME_CASES],
    group_name="epidemiology",
    kinds={"duckdb"},
    description="Overdose deaths in Chicago by month × community area (null: not placed) × drug × "
    "age band of age adjustment (not suppressed: the deaths of the age-adjusted rates).",
)
def overdose_deaths_by_age_band(duckdb: DuckDBResource, settings: SettingsResource) -> dg.MaterializeResult:
    cfg = settings.get()
    with warehouse(duckdb, cfg) as con:
        run_sql_file(con, "marts/overdose_deaths_by_age_band.sql", region_params(cfg))
        rows, deaths, unknown = fetch_row(
            con,
            """SELECT count(*), sum(deaths) FILTER (WHERE drug = 'all'),
                      sum(deaths) FILTER (WHERE drug = 'all' AND age_band = 'Unknown')
               FROM marts.overdose_deaths_by_age_band""",
        )
    return dg.MaterializeResult(
        metadata={"rows": rows, "chicago_overdose_deaths": int(deaths or 0), "unknown_age": int(unknown or 0)}
    )


@dg.asset(
    key=["marts", "overdose_rates_annual"],
    deps=[ME_CASES, COMMUNITY_AREAS, DEATHS_BY_AGE_BAND, POPULATION_BY_AGE_BAND],
    group_name="epidemiology",
    kinds={"duckdb", "polars"},
    description="Annual overdose deaths and crude rates per 100,000 (exact Poisson 95% CI, "
    "annualised for partial years, unstable below 20) by community area, region and city (every "
    "death in Chicago), Chicago deaths not placed in an area (deaths only), beside age-adjusted "
    "rates (2000 US standard, Fay-Feuer 95% CI, deaths of unknown age counted apart), "
    "year-over-year change, provisional and suppression flags.",
)
def overdose_rates_annual(
    context: dg.AssetExecutionContext, duckdb: DuckDBResource, settings: SettingsResource
) -> dg.MaterializeResult:
    cfg = settings.get()
    label = region_label(cfg.region_areas)
    with warehouse(duckdb, cfg) as con:
        counts = query_sql_file(
            con,
            "marts/overdose_counts_annual.sql",
            {**region_params(cfg), "not_placed_label": NOT_PLACED_LABEL},
        ).pl()
        first_provisional = provisional_start(_last_month(con), cfg.provisional_months)
        rates = annual_rates(counts, threshold=cfg.suppress_below, provisional_from=first_provisional)
        params = region_params(cfg)
        rates = with_age_adjusted(
            rates,
            query_sql_file(con, "marts/age_band_deaths_annual.sql", params).pl(),
            query_sql_file(con, "marts/age_band_population_by_geography.sql", params).pl(),
            threshold=cfg.suppress_below,
        )
        replace_table(con, "marts.overdose_rates_annual", rates)
    region = rates.filter(pl.col("geography") == label, ~pl.col("is_provisional")).sort("year")
    latest = region.row(-1, named=True) if region.height else None
    metadata: dict[str, object] = {"rows": rates.height}
    # A region with no population-based rate (e.g. a hidden count) gives no headline figure.
    if latest and latest["rate"] is not None:
        metadata[f"{label} rate per 100k, {latest['year']}"] = (
            f"{latest['rate']:.1f} (95% CI {latest['rate_lower']:.1f}–{latest['rate_upper']:.1f}; "
            f"{latest['deaths_display']} deaths)"
        )
        if latest["age_adjusted_rate"] is not None:
            metadata[f"{label} age-adjusted rate per 100k, {latest['year']}"] = (
                f"{latest['age_adjusted_rate']:.1f} (95% CI {latest['age_adjusted_lower']:.1f}–"
                f"{latest['age_adjusted_upper']:.1f}; {latest['deaths_unknown_age_display']} deaths of unknown age left out)"
            )
    for key, value in metadata.items():
        context.log.info("%s: %s", key, value)
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(
    key=["marts", "drug_involvement_annual"],
    deps=[ME_CASES],
    group_name="epidemiology",
    kinds={"duckdb", "polars"},
    description="Overdose deaths per year involving each drug class and their share of all "
    "overdose deaths, for the region, Chicago and Cook County (suppressed).",
)
def drug_involvement_annual(
    context: dg.AssetExecutionContext, duckdb: DuckDBResource, settings: SettingsResource
) -> dg.MaterializeResult:
    cfg = settings.get()
    with warehouse(duckdb, cfg) as con:
        counts = query_sql_file(
            con,
            "marts/drug_involvement_annual.sql",
            region_params(cfg),
        ).pl()
        first_provisional = provisional_start(_last_month(con), cfg.provisional_months)
        counts = counts.with_columns(
            (pl.col("deaths") / pl.col("overdose_deaths")).alias("share"),
            (pl.col("year") >= first_provisional.year).alias("is_provisional"),
        )
        involvement = suppress(
            counts,
            "deaths",
            threshold=cfg.suppress_below,
            rate_cols=["share"],
        )
        replace_table(con, "marts.drug_involvement_annual", involvement)
    fentanyl = involvement.filter(pl.col("geography") == "Cook County", pl.col("drug") == "fentanyl")
    by_year = {str(r["year"]): f"{r['share']:.0%}" for r in fentanyl.iter_rows(named=True) if r["share"] is not None}
    context.log.info("fentanyl share of overdose deaths by year (Cook County): %s", by_year)
    return dg.MaterializeResult(
        metadata={"rows": involvement.height, "fentanyl share of overdose deaths by year": by_year}
    )


@dg.asset(
    key=["marts", "data_quality"],
    deps=[ME_CASES, ME_GEOCODES],
    group_name="epidemiology",
    kinds={"duckdb"},
    description="Data-quality figures: unplaced and geocoded shares, opioid-flag agreement, quarantined share.",
)
def data_quality(
    context: dg.AssetExecutionContext, duckdb: DuckDBResource, settings: SettingsResource
) -> dg.MaterializeResult:
    with warehouse(duckdb, settings.get()) as con:
        run_sql_file(con, "marts/data_quality.sql")
        rows = con.execute("SELECT metric, numerator, denominator, value FROM marts.data_quality").fetchall()
    figures = {
        metric: f"{value:.2%} ({num:,} / {den:,})" if value is not None else "n/a"
        for metric, num, den, value in rows
    }
    for metric, figure in figures.items():
        context.log.info("data quality %s: %s", metric, figure)
    return dg.MaterializeResult(metadata=figures)
