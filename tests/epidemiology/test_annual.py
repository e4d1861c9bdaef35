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
