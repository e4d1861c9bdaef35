"""Known answers for age-adjusted rates (direct standardisation) and their Fay–Feuer intervals."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from scipy.stats import gamma

from pipelines.defs.epidemiology.age_adjusted import (
    STANDARD_19_GROUPS,
    STANDARD_POPULATION_2000,
    age_adjusted_rates,
    fay_feuer_interval,
    with_age_adjusted_rates,
)
from pipelines.defs.epidemiology.rates import poisson_ci
from pipelines.defs.epidemiology.demographics import AGE_BANDS

BANDS = list(AGE_BANDS)


def cells(deaths: list[int], population: list[float], *, group: str = "A", unknown: int = 0, years: float = 1.0):
    rows = {
        "group": [group] * 8,
        "age_band": BANDS,
        "deaths": deaths,
        "population": population,
        "years": [years] * 8,
    }
    frame = pl.DataFrame(rows, schema_overrides={"population": pl.Float64, "deaths": pl.Int64})
    if unknown:
        frame = pl.concat(
            [frame, pl.DataFrame({"group": [group], "age_band": ["Unknown"], "deaths": [unknown],
                                  "population": [None], "years": [years]},
                                 schema=frame.schema)]
        )
    return frame


def test_standard_population_is_the_2000_us_standard_in_these_bands():
    """The 19-group table collapsed to the bands: the published per-million figures."""
    assert sum(STANDARD_19_GROUPS.values()) == 1_000_000
    assert STANDARD_POPULATION_2000 == {
        "0-4": 69_135, "5-19": 217_734, "20-34": 202_051, "35-49": 234_731,
        "50-64": 149_963, "65-74": 66_037, "75-84": 44_841, "85+": 15_508,
    }


# Hand-computed example: 10,000 people in every band (80,000 in all), one year, 20 deaths aged
# 20-84. With P_i = 10,000 and T = 1 the weight of band i is w_i = s_i / 10,000, s_i its standard
# share (per million / 1e6):
#   Σ s_i d_i = 0.202051×2 + 0.234731×10 + 0.149963×6 + 0.066037×2 + 0.044841×0
#             = 0.404102 + 2.34731 + 0.899778 + 0.132074 = 3.783264
#   rate = 3.783264 / 10,000 × 100,000 = 37.83264 per 100,000 (crude: 20 / 80,000 = 25.0)
#   v    = (0.202051²×2 + 0.234731²×10 + 0.149963²×6 + 0.066037²×2) / 10,000²
#        = (0.0816492…  + 0.5509864…  + 0.1349334…  + 0.0087218…)  / 1e8 = 0.7762909… / 1e8
#   w_M  = 0.234731 / 10,000 (band 35-49)
HAND_DEATHS = [0, 0, 2, 10, 6, 2, 0, 0]
HAND_RATE = 37.83264
HAND_V = (0.202051**2 * 2 + 0.234731**2 * 10 + 0.149963**2 * 6 + 0.066037**2 * 2) / 1e8


def test_hand_computed_rate():
    out = age_adjusted_rates(cells(HAND_DEATHS, [10_000.0] * 8), keys=["group"]).row(0, named=True)
    assert out["age_adjusted_rate"] == pytest.approx(HAND_RATE, rel=1e-12)
    assert out["deaths_known_age"] == 20 and out["deaths_unknown_age"] == 0
    assert out["age_adjusted_unstable"] is False  # 20 deaths: not below 20
    assert HAND_V * 1e8 == pytest.approx(0.7762909, abs=1e-6)


def test_interval_matches_an_independent_gamma_computation():
    """The Fay–Feuer limits, computed here with scipy.stats.gamma from their definition."""
    out = age_adjusted_rates(cells(HAND_DEATHS, [10_000.0] * 8), keys=["group"]).row(0, named=True)
    y, v, w_m = HAND_RATE / 1e5, HAND_V, 0.234731 / 10_000
    lower = gamma.ppf(0.025, y**2 / v, scale=v / y) * 1e5
    upper = gamma.ppf(0.975, (y + w_m) ** 2 / (v + w_m**2), scale=(v + w_m**2) / (y + w_m)) * 1e5
    assert out["age_adjusted_lower"] == pytest.approx(lower, rel=1e-9)
    assert out["age_adjusted_upper"] == pytest.approx(upper, rel=1e-9)
    assert out["age_adjusted_lower"] < HAND_RATE < out["age_adjusted_upper"]


@pytest.mark.parametrize(("y", "v", "w_m"), [(3e-4, 4e-9, 2e-5), (1e-5, 1e-10, 1e-5), (0.02, 1e-6, 5e-4)])
def test_fay_feuer_against_scipy_stats(y, v, w_m):
    lower, upper = fay_feuer_interval(y, v, w_m)
    assert lower == pytest.approx(gamma.ppf(0.025, y * y / v, scale=v / y), rel=1e-9)
    assert upper == pytest.approx(
        gamma.ppf(0.975, (y + w_m) ** 2 / (v + w_m**2), scale=(v + w_m**2) / (y + w_m)), rel=1e-9
    )


def test_no_deaths_gives_zero_and_the_poisson_upper_limit_of_the_largest_weight():
    out = age_adjusted_rates(cells([0] * 8, [10_000.0] * 8), keys=["group"]).row(0, named=True)
    assert out["age_adjusted_rate"] == 0.0 and out["age_adjusted_lower"] == 0.0
    # y = v = 0: shape 1, scale w_M -> w_M × (-ln 0.025) = w_M × 3.6889 (Poisson upper limit for 0).
    assert out["age_adjusted_upper"] == pytest.approx(0.234731 / 10_000 * -math.log(0.025) * 1e5, rel=1e-9)
    assert out["age_adjusted_unstable"] is True


def test_standard_age_structure_gives_the_crude_rate_and_its_exact_interval():
    """A population shaped like the standard: every weight is 1/(N·T), so the adjusted rate is the
    crude rate, and the Fay–Feuer interval reduces to the exact (Garwood) Poisson interval."""
    total = 250_000
    population = [total * n / 1_000_000 for n in STANDARD_POPULATION_2000.values()]
    deaths = [0, 1, 9, 14, 8, 3, 2, 1]  # 38 deaths, any spread over the bands
    out = age_adjusted_rates(cells(deaths, population, years=0.5), keys=["group"], years_col="years").row(0, named=True)
    crude = 38 / (total * 0.5) * 100_000
    lower, upper = poisson_ci(38)
    assert out["age_adjusted_rate"] == pytest.approx(crude, rel=1e-12)
    assert out["age_adjusted_lower"] == pytest.approx(float(lower) / (total * 0.5) * 1e5, rel=1e-9)
    assert out["age_adjusted_upper"] == pytest.approx(float(upper) / (total * 0.5) * 1e5, rel=1e-9)


def test_partial_period_is_annualised_and_unknown_ages_are_left_out():
    whole = age_adjusted_rates(cells(HAND_DEATHS, [10_000.0] * 8), keys=["group"]).row(0, named=True)
    half = age_adjusted_rates(
        cells(HAND_DEATHS, [10_000.0] * 8, unknown=3, years=0.5), keys=["group"], years_col="years"
    ).row(0, named=True)
    assert half["age_adjusted_rate"] == pytest.approx(2 * HAND_RATE, rel=1e-12)
    assert half["age_adjusted_upper"] == pytest.approx(2 * whole["age_adjusted_upper"], rel=1e-9)
    assert (half["deaths_known_age"], half["deaths_unknown_age"]) == (20, 3)


def test_fewer_than_twenty_deaths_of_known_age_is_unstable():
    deaths = [0, 0, 2, 9, 6, 2, 0, 0]  # 19 of known age, plus 4 of unknown age
    out = age_adjusted_rates(cells(deaths, [10_000.0] * 8, unknown=4), keys=["group"]).row(0, named=True)
    assert out["age_adjusted_unstable"] is True


def test_a_band_without_people_gives_no_rate():
    population = [10_000.0] * 7 + [0.0]
    out = age_adjusted_rates(cells(HAND_DEATHS, population), keys=["group"]).row(0, named=True)
    assert out["age_adjusted_rate"] is None and out["age_adjusted_upper"] is None
    assert out["deaths_known_age"] == 20


def test_bad_cells_are_refused():
    good = cells(HAND_DEATHS, [10_000.0] * 8)
    with pytest.raises(ValueError, match="one row per age band"):
        age_adjusted_rates(good.head(7), keys=["group"])
    with pytest.raises(ValueError, match="one row per age band"):
        age_adjusted_rates(pl.concat([good.head(7), good.head(1)]), keys=["group"])
    with pytest.raises(ValueError, match="non-negative"):
        age_adjusted_rates(good.with_columns(pl.lit(-1).alias("deaths")), keys=["group"])
    with pytest.raises(ValueError, match="lacks columns"):
        age_adjusted_rates(good.drop("population"), keys=["group"])
    with pytest.raises(ValueError, match="level"):
        fay_feuer_interval(1e-4, 1e-9, 1e-5, level=1.0)


def test_sparse_deaths_and_shared_populations_are_assembled_per_group():
    """Two years of two areas: populations are per area, deaths sparse per year, area and band."""
    groups = pl.DataFrame({"year": [2023, 2023, 2024, 2024], "area": ["A", "B", "A", "B"],
                           "years": [1.0, 1.0, 0.5, 0.5]})
    population = pl.DataFrame({
        "area": ["A"] * 8 + ["B"] * 8,
        "age_band": BANDS * 2,
        "population": [10_000.0] * 8 + [5_000.0] * 8,
    })
    deaths = pl.DataFrame({
        "year": [2023, 2023, 2023, 2023, 2023, 2024, 2024, 2022],
        "area": ["A", "A", "A", "A", "A", "A", "B", "A"],
        "age_band": ["20-34", "35-49", "50-64", "65-74", "Unknown", "35-49", "Unknown", "35-49"],
        "deaths": [2, 10, 6, 2, 1, 3, 2, 99],  # 2022 is not a group: ignored
    })
    out = with_age_adjusted_rates(groups, deaths, population, keys=["year", "area"],
                                  population_keys=["area"], years_col="years")
    assert out.select("year", "area").rows() == groups.select("year", "area").rows()
    rows = {(r["year"], r["area"]): r for r in out.iter_rows(named=True)}
    assert rows[(2023, "A")]["age_adjusted_rate"] == pytest.approx(HAND_RATE, rel=1e-12)
    assert rows[(2023, "A")]["deaths_unknown_age"] == 1
    assert rows[(2023, "B")]["age_adjusted_rate"] == 0.0 and rows[(2023, "B")]["deaths_known_age"] == 0
    # 3 deaths aged 35-49 in half a year among 10,000: 0.234731 × 3 / (10,000 × 0.5) × 100,000.
    assert rows[(2024, "A")]["age_adjusted_rate"] == pytest.approx(0.234731 * 3 / 5_000 * 1e5, rel=1e-12)
    assert (rows[(2024, "B")]["deaths_known_age"], rows[(2024, "B")]["deaths_unknown_age"]) == (0, 2)
    assert np.isfinite(rows[(2024, "B")]["age_adjusted_upper"])
