"""Asset checks on the epidemiology tables: dates, placement, opioid flag, population join."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.defs.resources import SettingsResource, warehouse
from pipelines.warehouse import fetch_row

ME_CASES = dg.AssetKey(["staging", "me_cases"])
DATA_QUALITY = dg.AssetKey(["marts", "data_quality"])
RATES = dg.AssetKey(["marts", "overdose_rates_annual"])


@dg.asset_check(
    asset=ME_CASES,
    blocking=True,
    description="Death dates between 2000 and today; incident dates not after the death.",
)
def me_cases_dates_in_range(duckdb: DuckDBResource, settings: SettingsResource) -> dg.AssetCheckResult:
    with warehouse(duckdb, settings.get()) as con:
        out_of_range, incident_after_death = fetch_row(
            con,
            """
            SELECT
                count(*) FILTER (WHERE death_date < DATE '2000-01-01'
                                 OR death_date > current_timestamp::TIMESTAMP + INTERVAL 1 DAY),
                count(*) FILTER (WHERE incident_date > death_date + INTERVAL 1 DAY)
            FROM staging.me_cases
            """,
        )
    return dg.AssetCheckResult(
        passed=out_of_range == 0,
        metadata={
            "death_dates_out_of_range": out_of_range,
            # Reported, not failed: the archive has such records and they are kept as received.
            "incident_after_death": incident_after_death,
        },
    )


def _metric(duckdb: DuckDBResource, settings: SettingsResource, metric: str) -> tuple:
    with warehouse(duckdb, settings.get()) as con:
        return fetch_row(
            con,
            "SELECT value, numerator, denominator FROM marts.data_quality WHERE metric = $metric",
            {"metric": metric},
        )


@dg.asset_check(
    asset=DATA_QUALITY,
    description="Share of Chicago cases placed in a community area ≥ ODW_MIN_PLACED_SHARE.",
)
def placed_share_above_threshold(
    duckdb: DuckDBResource, settings: SettingsResource
) -> dg.AssetCheckResult:
    unplaced, numerator, denominator = _metric(duckdb, settings, "unplaced_share")
    placed = 1 - (unplaced or 0)
    minimum = settings.get().min_placed_share
    return dg.AssetCheckResult(
        passed=placed >= minimum,
        metadata={"placed_share": placed, "minimum": minimum, "unplaced": numerator, "cases": denominator},
    )


@dg.asset_check(
    asset=DATA_QUALITY,
    description="Archive opioids flag agrees with the text classification on ≥ "
    "ODW_MIN_OPIOID_FLAG_AGREEMENT of overdose deaths (a warning: the flag is imperfect).",
)
def opioid_flag_agreement_above_threshold(
    duckdb: DuckDBResource, settings: SettingsResource
) -> dg.AssetCheckResult:
    share, agree, overdoses = _metric(duckdb, settings, "opioid_flag_agreement_overdoses")
    minimum = settings.get().min_opioid_flag_agreement
    return dg.AssetCheckResult(
        passed=(share or 0) >= minimum,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"agreement": share or 0.0, "minimum": minimum, "agree": agree, "overdose_deaths": overdoses},
    )


@dg.asset_check(
    asset=RATES,
    blocking=True,
    description="Every community area of every year has its 2020 population (77 areas a year).",
)
def population_join_complete(duckdb: DuckDBResource, settings: SettingsResource) -> dg.AssetCheckResult:
    with warehouse(duckdb, settings.get()) as con:
        missing, bad_years = fetch_row(
            con,
            """
            SELECT
                -- Suburbs named in the region and the Chicago deaths not placed in an area carry
                -- deaths only (no population reference).
                count(*) FILTER (WHERE coalesce(population, 0) <= 0
                                 AND geography_type NOT IN ('municipality', 'not_placed')),
                (SELECT count(*) FROM (
                    SELECT year FROM marts.overdose_rates_annual
                    WHERE geography_type = 'community_area'
                    GROUP BY year HAVING count(DISTINCT community_area_number) <> 77))
            FROM marts.overdose_rates_annual
            """,
        )
    return dg.AssetCheckResult(
        passed=missing == 0 and bad_years == 0,
        metadata={"rows_without_population": missing, "years_without_77_areas": bad_years},
    )


@dg.asset_check(
    asset=RATES,
    blocking=True,
    description="Age-adjusted rates: every area's age bands add up to its 2020 population, no "
    "adjusted rate or unknown-age count is shown where the crude count is hidden, and none on a row "
    "without a population (suburbs, the Chicago deaths not placed in an area).",
)
def age_adjusted_rates_consistent(duckdb: DuckDBResource, settings: SettingsResource) -> dg.AssetCheckResult:
    with warehouse(duckdb, settings.get()) as con:
        areas_off, shown_when_hidden, missing, without_population = fetch_row(
            con,
            """
            SELECT
                (SELECT count(*) FROM (
                    SELECT a.community_area_number
                    FROM staging.community_areas AS a
                    LEFT JOIN marts.population_by_age_band AS p USING (community_area_number)
                    GROUP BY a.community_area_number, a.population_2020
                    HAVING count(p.age_band) <> 8
                        OR abs(coalesce(sum(p.population), 0) - a.population_2020) > 1e-6)),
                count(*) FILTER (WHERE deaths_suppressed AND (age_adjusted_rate IS NOT NULL
                                 OR deaths_unknown_age IS NOT NULL)),
                count(*) FILTER (WHERE NOT deaths_suppressed
                                 AND geography_type NOT IN ('municipality', 'not_placed')
                                 AND age_adjusted_rate IS NULL),
                count(*) FILTER (WHERE geography_type IN ('municipality', 'not_placed')
                                 AND (age_adjusted_rate IS NOT NULL OR deaths_unknown_age IS NOT NULL))
            FROM marts.overdose_rates_annual
            """,
        )
    return dg.AssetCheckResult(
        passed=areas_off == 0 and shown_when_hidden == 0 and missing == 0 and without_population == 0,
        metadata={
            "areas_whose_bands_miss_the_population": areas_off,
            "adjusted_shown_with_hidden_count": shown_when_hidden,
            "rows_without_adjusted_rate": missing,
            "adjusted_rate_without_population": without_population,
        },
    )
