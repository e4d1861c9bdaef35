"""Known answers of the nowcast model and its scores, on triangles small enough to work by hand."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from pipelines.defs.nowcast.model import (
    bb_interval,
    bb_quantiles,
    completeness,
    development_factors,
    expected_final,
    fit_bb_concentration,
    fit_nb_size,
    nb_interval,
    pending_share,
)
from pipelines.defs.nowcast.scores import covered, interval_score, weighted_interval_score

# Four death months (oldest first); columns: delay 0, delay 1, final. The last two rows are not
# complete yet: row 2 is known at delay 0 and 1, row 3 only at delay 0.
COUNTS = np.array([
    [4.0, 8.0, 10.0],
    [6.0, 9.0, 12.0],
    [5.0, 10.0, 0.0],
    [3.0, 0.0, 0.0],
])
OBSERVED = np.array([
    [True, True, True],
    [True, True, True],
    [True, True, False],
    [True, False, False],
])


def test_development_factors_are_ratios_of_column_sums():
    factors = development_factors(COUNTS, OBSERVED, window=12)
    # delay 0 -> 1 over rows 0-2: (8 + 9 + 10) / (4 + 6 + 5) = 27 / 15; delay 1 -> final over rows 0-1: 22 / 17.
    assert factors == pytest.approx([27 / 15, 22 / 17])


def test_the_window_keeps_the_most_recent_rows():
    factors = development_factors(COUNTS, OBSERVED, window=1)
    assert factors == pytest.approx([10 / 5, 12 / 9])


def test_completeness_and_expected_final_count():
    factors = development_factors(COUNTS, OBSERVED, window=12)
    share = completeness(factors)
    assert share == pytest.approx([1 / (27 / 15 * 22 / 17), 1 / (22 / 17), 1.0])
    # Row 3: 3 reported at delay 0 -> 3 * 27/15 * 22/17; row 2: 10 at delay 1 -> 10 * 22/17.
    assert expected_final(3, 0, factors) == pytest.approx(3 * 27 / 15 * 22 / 17)
    assert expected_final(10, 1, factors) == pytest.approx(10 * 22 / 17)


def test_factors_of_several_series_at_once_match_one_by_one():
    stacked = np.stack([COUNTS, 2 * COUNTS + 1])
    together = development_factors(stacked, OBSERVED, window=12)
    assert together[1] == pytest.approx(development_factors(2 * COUNTS + 1, OBSERVED, window=12))
    assert together[0] == pytest.approx(development_factors(COUNTS, OBSERVED, window=12))


def test_a_column_without_history_has_no_factor():
    observed = OBSERVED.copy()
    observed[:, 2] = False
    assert np.isnan(development_factors(COUNTS, observed, window=12)[1])


def test_pending_share_is_what_the_pending_cases_added():
    pending = np.array([
        [8.0, 3.0, 0.0],
        [7.0, 4.0, 0.0],
        [9.0, 2.0, 0.0],
        [6.0, 0.0, 0.0],
    ])
    # At delay 0, complete rows 0-1 added (10 - 4) + (12 - 6) = 12 from 8 + 7 = 15 pending.
    assert pending_share(COUNTS, OBSERVED, pending, 0, window=12) == pytest.approx(12 / 15)
    # At delay 1: (10 - 8) + (12 - 9) = 5 from 3 + 4 = 7 pending.
    assert pending_share(COUNTS, OBSERVED, pending, 1, window=12) == pytest.approx(5 / 7)
    assert np.isnan(pending_share(COUNTS, OBSERVED, np.zeros_like(pending), 0, window=12))


def test_negative_binomial_size_is_recovered_and_poisson_gets_the_largest():
    rng = np.random.default_rng(7)
    mean = rng.uniform(2, 30, 400)
    overdispersed = rng.negative_binomial(3.0, 3.0 / (3.0 + mean))
    assert fit_nb_size(overdispersed, mean)[0] == pytest.approx(3.0, rel=0.35)
    assert fit_nb_size(rng.poisson(mean), mean)[0] > 30
    assert np.isnan(fit_nb_size(np.array([1.0]), np.array([0.0]))[0])


def test_negative_binomial_bounds_start_at_the_reported_count():
    bounds = nb_interval(np.array([7.0, 7.0]), np.array([5.0, 0.0]), np.array([4.0, 4.0]))
    dist = stats.nbinom(4.0, 4.0 / 9.0)
    assert bounds["lower_90"][0] == 7 + dist.ppf(0.05)
    assert bounds["upper_90"][0] == 7 + dist.ppf(0.95)
    assert bounds["median"][0] == 7 + dist.ppf(0.5)
    assert all(bounds[name][1] == 7 for name in bounds)  # nothing to come: the report itself


def test_beta_binomial_quantiles_match_scipy():
    n = np.array([0, 1, 5, 40, 100])
    share = np.array([0.3, 0.5, 0.7, 0.2, 0.9])
    concentration = np.array([2.0, 50.0, 10.0, 1e5, 3.0])
    levels = [0.05, 0.25, 0.5, 0.75, 0.95]
    ours = bb_quantiles(levels, n, share, concentration)
    for q, values in zip(levels, ours):
        expected = stats.betabinom.ppf(q, n, share * concentration, (1 - share) * concentration)
        assert values == pytest.approx(np.where(n > 0, expected, 0))


def test_beta_binomial_bounds_never_exceed_reported_plus_pending():
    bounds = bb_interval(np.array([12.0]), np.array([6.0]), np.array([0.9]), np.array([4.0]))
    assert 12 <= bounds["lower_90"][0] <= bounds["median"][0] <= bounds["upper_90"][0] <= 18


def test_beta_binomial_concentration_separates_spread_from_binomial():
    rng = np.random.default_rng(3)
    n = rng.integers(5, 60, (2, 300))
    share = rng.uniform(0.3, 0.8, (2, 300))
    concentration = np.array([[4.0], [1e5]])
    y = stats.betabinom.rvs(n, share * concentration, (1 - share) * concentration, random_state=rng)
    fitted = fit_bb_concentration(y, n, share)
    assert fitted[0] == pytest.approx(4.0, rel=0.5)
    assert fitted[1] > 100


def test_interval_and_weighted_interval_scores_by_hand():
    # Inside: the width only. Below: width + 2/alpha * miss.
    assert interval_score(5, 3, 8, 0.1) == pytest.approx(5)
    assert interval_score(1, 3, 8, 0.1) == pytest.approx(5 + 20 * 2)
    # y = 10, median 8, 50% [7, 9], 90% [5, 12]:
    # (0.5 * 2 + 0.25 * (2 + 4 * 1) + 0.05 * 7) / 2.5 = (1 + 1.5 + 0.35) / 2.5
    assert weighted_interval_score(10, 8, 7, 9, 5, 12) == pytest.approx(2.85 / 2.5)
    assert covered(np.array([5, 9, 10]), np.array([5, 5, 5]), np.array([9, 9, 9])).tolist() == [True, True, False]


def test_public_wording_suppresses_every_count():
    from pipelines.defs.nowcast.display import expected_text, month_sentence, public_value

    assert month_sentence("Apr 2026", 31, 38.4, 33, 45, 10) == "Apr 2026: 31 so far; expected ≈ 38, 90% range 33–45"
    assert month_sentence("Apr 2026", 7, 12.2, 8, 17, 10) == "Apr 2026: <10 so far; expected ≈ 12, 90% range <10–17"
    assert expected_text(None, None, None, 10) == "no expected count"
    assert [public_value(v, 10) for v in (0.0, 4.0, 9.6, 10.2, None)] == [0.0, None, 10.0, 10.0, None]
