"""The seasonal count regression: the GLM against statsmodels, the threshold by hand, behaviour."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm

from pipelines.defs.hotspots.seasonal import (
    farrington_threshold,
    fit_poisson,
    seasonal_glm,
)

WEEK = 7 / 365.25


def _design(n: int) -> np.ndarray:
    t = np.arange(n)
    return np.column_stack([np.ones(n), t / 52, np.sin(2 * np.pi * t * WEEK), np.cos(2 * np.pi * t * WEEK)])


def test_fit_poisson_equals_statsmodels():
    rng = np.random.default_rng(0)
    X = _design(150)
    y = rng.poisson(np.exp(0.8 + 0.1 * X[:, 1] + 0.4 * X[:, 2]))
    ours = fit_poisson(X, y)
    glm = sm.GLM(y, X, family=sm.families.Poisson()).fit()
    np.testing.assert_allclose(ours["beta"], glm.params, atol=1e-8)
    np.testing.assert_allclose(ours["xtwx_inv"], glm.cov_params(), atol=1e-8)
    assert ours["dispersion"] == pytest.approx(max(1.0, glm.pearson_chi2 / glm.df_resid))


def test_fit_poisson_weights_and_batches():
    rng = np.random.default_rng(1)
    X = _design(120)
    y = rng.poisson(3, (3, 120)).astype(float)
    w = np.ones_like(y)
    w[1, :40] = 0  # series 1 leaves its first 40 weeks out
    batch = fit_poisson(np.broadcast_to(X, (3, *X.shape)), y, w)
    alone = sm.GLM(y[1, 40:], X[40:], family=sm.families.Poisson()).fit()
    np.testing.assert_allclose(batch["beta"][1], alone.params, atol=1e-8)


def test_farrington_threshold_by_hand():
    # μ0 = 8, φ = 1, Var(η0) = 0: U = (8^(2/3) + z · sqrt(4/9 · 8^(1/3)))^(3/2) = (4 + z · sqrt(8/9))^1.5
    z = 2.5758293035489  # 99.5 % normal quantile (α = 0.005)
    assert farrington_threshold(8.0, 1.0, 0.0) == pytest.approx((4 + z * math.sqrt(8 / 9)) ** 1.5)
    # Overdispersion and an uncertain fit both raise the threshold.
    assert farrington_threshold(8.0, 2.0, 0.0) > farrington_threshold(8.0, 1.0, 0.0)
    assert farrington_threshold(8.0, 1.0, 0.05) > farrington_threshold(8.0, 1.0, 0.0)


def test_needs_two_years_before_the_guard_band():
    y = np.random.default_rng(2).poisson(4, (1, 120)).astype(float)
    r = seasonal_glm(y, np.arange(120) * WEEK)
    assert np.isnan(r["expected"][0, :108]).all()
    assert np.isfinite(r["expected"][0, 108:]).all()
    assert np.isnan(seasonal_glm(y[:, :100], np.arange(100) * WEEK)["expected"]).all()


def test_expected_follows_the_season_and_a_summer_spike_still_alarms():
    weeks = 260
    phase = np.arange(weeks) * WEEK
    mean = 6 * np.exp(0.5 * np.sin(2 * np.pi * phase))  # peak ≈ 9.9 in spring, trough ≈ 3.6 in autumn
    y = np.random.default_rng(3).poisson(mean, (1, weeks)).astype(float)
    r = seasonal_glm(y, phase)
    peak = int(np.argmax(mean[200:])) + 200
    trough = int(np.argmin(mean[200:])) + 200
    assert r["expected"][0, peak] > 1.8 * r["expected"][0, trough]
    y[0, trough] += 12
    assert seasonal_glm(y, phase, start=trough)["alarm"][0, trough]


def test_a_past_outbreak_is_down_weighted():
    weeks = 200
    phase = np.arange(weeks) * WEEK
    y = np.random.default_rng(4).poisson(5, (1, weeks)).astype(float)
    spiked = y.copy()
    spiked[0, 150:154] += 40  # a four-week outbreak inside the baseline of week 199
    plain = seasonal_glm(y, phase, start=199)["expected"][0, 199]
    after = seasonal_glm(spiked, phase, start=199)["expected"][0, 199]
    # Re-weighting keeps the outbreak from lifting the expected count by more than a little
    # (without it the mean of the baseline rises by 160 / 152 ≈ 1.05).
    assert after - plain < 0.5


def test_empty_baseline_gives_zero_expected():
    r = seasonal_glm(np.zeros((1, 130)), np.arange(130) * WEEK)
    assert (r["expected"][0, 108:] == 0).all() and (r["threshold"][0, 108:] == 0).all()
    assert not r["alarm"].any()
