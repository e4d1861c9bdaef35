"""Known-answer tests for crude rates, exact Poisson intervals and period lengths."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest
from scipy.stats import poisson

from pipelines.defs.epidemiology.rates import period_years, poisson_ci, with_rates

# Exact 95 % Poisson limits to 4 decimals, the standard tabulated values (Garwood limits); they are
# re-derived independently from Poisson tail probabilities in the next test.
PUBLISHED_95 = {
    0: (0.0, 3.6889),
    1: (0.0253, 5.5716),
    2: (0.2422, 7.2247),
    5: (1.6235, 11.6683),
    10: (4.7954, 18.3904),
    20: (12.2165, 30.8884),
    25: (16.1787, 36.9049),
}


def test_poisson_ci_matches_published_table():
    counts = np.array(sorted(PUBLISHED_95))
    lower, upper = poisson_ci(counts)
    for k, lo, up in zip(counts, lower, upper, strict=True):
        expected_lo, expected_up = PUBLISHED_95[int(k)]
        assert lo == pytest.approx(expected_lo, abs=5e-5), k
        assert up == pytest.approx(expected_up, abs=5e-5), k


@pytest.mark.parametrize("k", [1, 3, 19, 20, 57, 400])
def test_poisson_ci_is_the_exact_interval(k):
    """Independent definition: each tail beyond the limits has probability alpha/2."""
    lower, upper = poisson_ci(np.array([k]))
    assert poisson.sf(k - 1, lower[0]) == pytest.approx(0.025, rel=1e-9)  # P(X >= k | L)
    assert poisson.cdf(k, upper[0]) == pytest.approx(0.025, rel=1e-9)  # P(X <= k | U)


def test_poisson_ci_level_nan_and_errors():
    lower90, upper90 = poisson_ci(np.array([10]), level=0.90)
    lower95, upper95 = poisson_ci(np.array([10]))
    assert lower95[0] < lower90[0] < 10 < upper90[0] < upper95[0]
    lower, upper = poisson_ci(np.array([np.nan, 4.0]))
    assert np.isnan(lower[0]) and np.isnan(upper[0]) and not np.isnan(lower[1])
    scalar_lower, scalar_upper = poisson_ci(1)
    assert float(scalar_lower) == pytest.approx(0.0253, abs=5e-5)
    assert float(scalar_upper) == pytest.approx(5.5716, abs=5e-5)
    with pytest.raises(ValueError):
        poisson_ci(np.array([-1]))
    with pytest.raises(ValueError):
        poisson_ci(np.array([1]), level=1.0)


def test_with_rates_known_answer_one_year():
    out = with_rates(pl.DataFrame({"deaths": [25], "population": [50_000]})).row(0, named=True)
    assert out["rate"] == pytest.approx(50.0)
    # 16.1787 / 50,000 * 100,000 and 36.9049 / 50,000 * 100,000
    assert out["rate_lower"] == pytest.approx(32.3574, abs=5e-4)
    assert out["rate_upper"] == pytest.approx(73.8099, abs=5e-4)
    assert out["rate_unstable"] is False


def test_with_rates_annualises_half_year():
    frame = pl.DataFrame({"deaths": [25], "population": [50_000], "years": [0.5]})
    out = with_rates(frame, years_col="years").row(0, named=True)
    assert out["rate"] == pytest.approx(100.0)
    assert out["rate_lower"] == pytest.approx(64.7147, abs=1e-3)
    assert out["rate_upper"] == pytest.approx(147.6197, abs=1e-3)


def test_with_rates_unstable_flag_nchs_20():
    frame = pl.DataFrame({"deaths": [0, 19, 20, 21], "population": [10_000] * 4})
    out = with_rates(frame)
    assert out["rate_unstable"].to_list() == [True, True, False, False]
    assert out["rate"].to_list() == pytest.approx([0.0, 190.0, 200.0, 210.0])
    # k = 0: the rate is 0 and the upper limit is 3.6889 deaths per 10,000 person-years.
    assert out["rate_lower"][0] == 0.0
    assert out["rate_upper"][0] == pytest.approx(36.889, abs=1e-3)


def test_with_rates_nulls_and_zero_population():
    frame = pl.DataFrame(
        {"deaths": [5, 5, None, 5], "population": [0, None, 1000, 1000], "years": [1.0, 1.0, 1.0, 0.0]}
    )
    out = with_rates(frame, years_col="years")
    for col in ("rate", "rate_lower", "rate_upper"):
        assert out[col].to_list() == [None, None, None, None], col
    assert out["rate_unstable"].to_list() == [True, True, None, True]


def test_with_rates_prefix_per_and_threshold():
    frame = pl.DataFrame({"n": [3], "pop": [1000]})
    out = with_rates(frame, count_col="n", population_col="pop", per=1000, unstable_below=3, prefix="r")
    assert out.columns == ["n", "pop", "r", "r_lower", "r_upper", "r_unstable"]
    assert out["r"][0] == pytest.approx(3.0)
    assert out["r_unstable"][0] is False


def test_with_rates_rejects_bad_input():
    with pytest.raises(ValueError):
        with_rates(pl.DataFrame({"deaths": [1]}))
    with pytest.raises(ValueError):
        with_rates(pl.DataFrame({"deaths": [-1], "population": [10]}))
    with pytest.raises(ValueError):
        with_rates(pl.DataFrame({"deaths": [1], "population": [-10]}))


def test_with_rates_empty_frame():
    out = with_rates(pl.DataFrame(schema={"deaths": pl.Int64, "population": pl.Int64}))
    assert out.height == 0
    assert out.schema["rate"] == pl.Float64 and out.schema["rate_unstable"] == pl.Boolean


def test_with_rates_vectorised_on_large_frame():
    rng = np.random.default_rng(7)
    frame = pl.DataFrame({"deaths": rng.poisson(15, 100_000), "population": rng.integers(1, 90_000, 100_000)})
    out = with_rates(frame)
    assert out.height == 100_000
    assert (out["rate_lower"] <= out["rate"]).all() and (out["rate"] <= out["rate_upper"]).all()


@pytest.mark.parametrize(
    ("start", "end", "years"),
    [
        (date(2026, 1, 1), date(2026, 7, 1), 0.5),  # six calendar months
        (date(2024, 1, 1), date(2025, 1, 1), 1.0),  # a leap year is still one year
        (date(2025, 10, 1), date(2026, 1, 1), 0.25),  # a quarter across the year end
        (date(2022, 1, 1), date(2026, 1, 1), 4.0),
        (date(2026, 3, 1), date(2026, 3, 1), 0.0),
        (date(2026, 1, 1), date(2026, 1, 15), 14 / 365.25),  # not month-aligned: days / 365.25
        (date(2025, 7, 15), date(2026, 7, 15), 365 / 365.25),
    ],
)
def test_period_years(start, end, years):
    assert period_years(start, end) == pytest.approx(years, rel=1e-12)


def test_period_years_rejects_reversed_period():
    with pytest.raises(ValueError):
        period_years(date(2026, 2, 1), date(2026, 1, 1))
