"""The age-adjusted rates of ``marts.overdose_rates_annual`` on the demo pipeline: recomputed
independently from the staged cases, plausible against the crude rates, hidden with their count."""

from __future__ import annotations

import pytest

from pipelines.defs.epidemiology.age_adjusted import STANDARD_POPULATION_2000

COLUMNS = {
    "age_adjusted_rate", "age_adjusted_lower", "age_adjusted_upper", "age_adjusted_unstable",
    "deaths_unknown_age", "deaths_unknown_age_display", "deaths_unknown_age_suppressed",
}


def _standard_sql() -> str:
    """The standard as a VALUES list, so the recomputation below does not use the Python path."""
    return ", ".join(f"('{band}', {n / 1e6!r})" for band, n in STANDARD_POPULATION_2000.items())


# Age bands written out again from the ages (not the staged age_band column).
BAND_OF_AGE = """CASE WHEN age IS NULL OR age < 0 OR age > 120 THEN 'Unknown'
    WHEN age < 5 THEN '0-4' WHEN age < 20 THEN '5-19' WHEN age < 35 THEN '20-34'
    WHEN age < 50 THEN '35-49' WHEN age < 65 THEN '50-64' WHEN age < 75 THEN '65-74'
    WHEN age < 85 THEN '75-84' ELSE '85+' END"""


def test_columns_are_published(demo_pipeline):
    columns = {r[0] for r in demo_pipeline.query(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'overdose_rates_annual'"
    )}
    assert COLUMNS <= columns


@pytest.mark.parametrize(("where", "cases"), [
    ("geography = 'West Side'", "community_area_number BETWEEN 23 AND 31"),
    ("geography = 'Austin'", "community_area_number = 25"),
    ("geography = 'Chicago'", "in_chicago"),
])
def test_rate_equals_an_independent_computation_from_the_cases(demo_pipeline, where, cases):
    """Σ standard share × deaths / (band population × years), straight from staging.me_cases."""
    areas = cases.replace("in_chicago", "true")
    ((rate, unknown, months, year),) = demo_pipeline.query(
        f"""SELECT age_adjusted_rate, deaths_unknown_age, months_covered, year FROM marts.overdose_rates_annual
            WHERE {where} AND year = 2024"""
    )
    ((expected, unknown_cases),) = demo_pipeline.query(
        f"""
        WITH standard(age_band, share) AS (VALUES {_standard_sql()}),
        population AS (
            SELECT age_band, sum(population) AS population FROM marts.population_by_age_band
            WHERE {areas} GROUP BY 1),
        deaths AS (
            SELECT {BAND_OF_AGE} AS age_band, count(*) AS deaths FROM staging.me_cases
            WHERE is_overdose AND {cases} AND year(death_date) = ? GROUP BY 1)
        SELECT sum(s.share * coalesce(d.deaths, 0) / (p.population * ? / 12)) * 100000,
               (SELECT coalesce(sum(deaths), 0) FROM deaths WHERE age_band = 'Unknown')
        FROM standard AS s JOIN population AS p USING (age_band) LEFT JOIN deaths AS d USING (age_band)
        """,
        [year, months],
    )
    assert rate == pytest.approx(expected, rel=1e-9)
    if unknown is not None:
        assert unknown == unknown_cases


def test_city_counts_every_death_that_occurred_in_chicago(demo_pipeline):
    ((banded,),) = demo_pipeline.query(
        "SELECT sum(deaths) FROM marts.overdose_deaths_by_age_band WHERE drug = 'all'"
    )
    ((in_chicago, placed),) = demo_pipeline.query(
        "SELECT count(*), count(community_area_number) FROM staging.me_cases WHERE is_overdose AND in_chicago"
    )
    assert banded == in_chicago and in_chicago > placed  # the demo has Chicago deaths not placed


def test_adjusted_rates_are_plausible_beside_the_crude_rates(demo_pipeline):
    rows = demo_pipeline.query(
        """SELECT geography, year, deaths, rate, age_adjusted_rate, age_adjusted_lower, age_adjusted_upper
           FROM marts.overdose_rates_annual
           WHERE NOT deaths_suppressed AND geography_type NOT IN ('municipality', 'not_placed')"""
    )
    assert len(rows) > 100
    for geography, year, deaths, crude, adjusted, lower, upper in rows:
        assert lower <= adjusted <= upper, (geography, year)
        if deaths >= 20:
            # Same deaths, re-weighted by age: within a factor 2 of the crude rate on this data.
            assert 0.5 * crude <= adjusted <= 2 * crude, (geography, year, crude, adjusted)


def test_adjusted_rates_and_unknown_ages_are_hidden_with_the_count(demo_pipeline):
    rows = demo_pipeline.query(
        """SELECT deaths_suppressed, age_adjusted_rate, age_adjusted_lower, age_adjusted_upper,
                  deaths_unknown_age, deaths_unknown_age_display
           FROM marts.overdose_rates_annual WHERE geography_type <> 'municipality'"""
    )
    hidden = [r for r in rows if r[0]]
    assert hidden, "the demo data should have suppressed area-years"
    assert all(r[1:] == (None,) * 5 for r in hidden)
    # Unknown-age counts are counts: 1-9 never shows.
    for *_, unknown, display in rows:
        assert unknown is None or not 1 <= unknown <= 9
        assert display not in {str(n) for n in range(1, 10)}


def test_the_consistency_check_passed(demo_pipeline):
    (evaluation,) = [
        e for e in demo_pipeline.result.get_asset_check_evaluations()
        if e.check_name == "age_adjusted_rates_consistent"
    ]
    assert evaluation.passed
