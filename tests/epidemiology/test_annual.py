"""Known answers for annual rates, year-over-year change and their suppression."""

from datetime import date

import polars as pl
import pytest

from pipelines.defs.epidemiology.annual import annual_rates


def frame():
    rows = []
    for year, deaths_a, deaths_b in [(2022, 30, 12), (2023, 45, 4)]:
        for number, name, deaths, pop in [(1, "A", deaths_a, 50_000), (2, "B", deaths_b, 20_000), (3, "C", 15, 30_000)]:
            rows.append((year, 12, "community_area", name, number, True, pop, deaths))
        rows.append((year, 12, "region", "Region", None, True, 100_000, deaths_a + deaths_b + 15))
    return pl.DataFrame(
        rows,
        schema=["year", "months_covered", "geography_type", "geography", "community_area_number",
                "in_region", "population", "deaths"],
        orient="row",
    )


def test_rates_change_and_suppression():
    out = annual_rates(frame(), threshold=10, provisional_from=date(2023, 11, 1))
    a = {r["year"]: r for r in out.filter(pl.col("geography") == "A").iter_rows(named=True)}
    assert a[2022]["rate"] == pytest.approx(60.0)
    assert a[2023]["rate"] == pytest.approx(90.0)
    assert a[2023]["rate_change_pct"] == pytest.approx(50.0)
    assert a[2023]["is_provisional"] and not a[2022]["is_provisional"]
    b = {r["year"]: r for r in out.filter(pl.col("geography") == "B").iter_rows(named=True)}
    assert b[2023]["deaths"] is None and b[2023]["deaths_display"] == "<10" and b[2023]["rate"] is None
    assert b[2023]["rate_change_pct"] is None  # would reveal the hidden count
    # B hidden alone in 2023 → the smallest other non-zero area (C, 15) is hidden too.
    c2023 = out.filter(pl.col("geography") == "C", pl.col("year") == 2023).row(0, named=True)
    assert c2023["deaths_display"] == "*" and c2023["deaths"] is None
    region = out.filter(pl.col("geography") == "Region", pl.col("year") == 2023).row(0, named=True)
    assert region["deaths"] == 64 and region["rate"] == pytest.approx(64.0)


def test_age_adjusted_rates_join_the_annual_rates_and_hide_with_the_count():
    from pipelines.defs.epidemiology.age_adjusted import STANDARD_POPULATION_2000
    from pipelines.defs.epidemiology.annual import with_age_adjusted

    rates = annual_rates(frame(), threshold=10, provisional_from=date(2023, 11, 1))
    bands = list(STANDARD_POPULATION_2000)
    # Every geography shaped like the standard: the adjusted rate is then the crude rate of the
    # deaths of known age (see test_age_adjusted.py).
    populations = {"A": 50_000, "B": 20_000, "C": 30_000, "Region": 100_000}
    types = {"A": "community_area", "B": "community_area", "C": "community_area", "Region": "region"}
    population = pl.DataFrame(
        [(types[g], g, band, pop * share / 1e6) for g, pop in populations.items()
         for band, share in STANDARD_POPULATION_2000.items()],
        schema=["geography_type", "geography", "age_band", "population"], orient="row",
    )
    # All of A's deaths are aged 35-49 except, in 2023, 3 of unknown age; B's are 20-34.
    deaths = []
    for year, a, b in [(2022, 30, 12), (2023, 45, 4)]:
        unknown = 3 if year == 2023 else 0
        deaths += [(year, "community_area", "A", "35-49", a - unknown), (year, "community_area", "B", "20-34", b),
                   (year, "community_area", "C", "50-64", 15),
                   (year, "region", "Region", "35-49", a - unknown), (year, "region", "Region", "20-34", b),
                   (year, "region", "Region", "50-64", 15)]
        if unknown:
            deaths += [(year, "community_area", "A", "Unknown", unknown), (year, "region", "Region", "Unknown", unknown)]
    deaths = pl.DataFrame(deaths, schema=["year", "geography_type", "geography", "age_band", "deaths"], orient="row")
    out = with_age_adjusted(rates, deaths, population, threshold=10)
    assert out.height == rates.height
    row = {(r["geography"], r["year"]): r for r in out.iter_rows(named=True)}
    assert row[("A", 2022)]["age_adjusted_rate"] == pytest.approx(60.0)  # = crude, no unknown age
    assert row[("A", 2023)]["age_adjusted_rate"] == pytest.approx(42 / 50_000 * 100_000)
    assert row[("A", 2023)]["deaths_unknown_age"] is None  # 3: a small count...
    assert row[("A", 2023)]["deaths_unknown_age_display"] == "<10"  # ...shown as "<10"
    # B (4 deaths) and C (its complement) are hidden in 2023: no adjusted rate, no footnote count.
    for name in ("B", "C"):
        assert row[(name, 2023)]["deaths_suppressed"]
        assert row[(name, 2023)]["age_adjusted_rate"] is None and row[(name, 2023)]["age_adjusted_upper"] is None
        assert row[(name, 2023)]["deaths_unknown_age_display"] is None
    region = row[("Region", 2023)]
    assert region["age_adjusted_rate"] == pytest.approx(61 / 100_000 * 100_000)
    assert region["age_adjusted_lower"] < region["age_adjusted_rate"] < region["age_adjusted_upper"]
    assert region["age_adjusted_unstable"] is False
    assert row[("Region", 2022)]["deaths_unknown_age_display"] == "0"
