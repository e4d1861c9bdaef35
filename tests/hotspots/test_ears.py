"""Known answers for EARS C1, C2 and C3 on hand-computed series."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipelines.defs.hotspots.ears import baseline_stats, ears

SD_1_TO_7 = math.sqrt(28 / 6)  # sample sd of 1..7: squared deviations 9+4+1+0+1+4+9 = 28, n − 1 = 6


def test_c1_flat_zero_baseline_uses_the_minimum_sigma():
    r = ears([0, 0, 0, 0, 0, 0, 0, 5], "C1", min_sigma=1.0)
    assert np.isnan(r["expected"][0, :7]).all() and not r["alarm"][0, :7].any()
    assert r["expected"][0, 7] == 0 and r["sigma"][0, 7] == 1.0
    assert r["statistic"][0, 7] == 5.0 and r["threshold"][0, 7] == 3.0 and r["alarm"][0, 7]
    # Without a minimum sigma a flat baseline gives an infinite z-score.
    r0 = ears([0, 0, 0, 0, 0, 0, 0, 1], "C1", min_sigma=0.0)
    assert math.isinf(r0["statistic"][0, 7]) and r0["alarm"][0, 7]


def test_c1_known_answer():
    r = ears([1, 2, 3, 4, 5, 6, 7, 10], "C1")
    assert r["expected"][0, 7] == pytest.approx(4.0)
    assert r["sigma"][0, 7] == pytest.approx(SD_1_TO_7)
    assert r["statistic"][0, 7] == pytest.approx(6 / SD_1_TO_7)  # 2.7775: below 3
    assert r["threshold"][0, 7] == pytest.approx(4 + 3 * SD_1_TO_7)  # 10.48
    assert not r["alarm"][0, 7]
    assert ears([1, 2, 3, 4, 5, 6, 7, 11], "C1")["alarm"][0, 7]  # 7 / 2.16 = 3.24 > 3


def test_c2_guard_band_keeps_a_rise_out_of_its_own_baseline():
    x = [1, 2, 3, 4, 5, 6, 7, 100, 100, 12]
    c2 = ears(x, "C2")
    # Period 9 compares with periods 0..6 (1..7): (12 − 4) / 2.16 = 3.70.
    assert c2["expected"][0, 9] == pytest.approx(4.0)
    assert c2["statistic"][0, 9] == pytest.approx(8 / SD_1_TO_7)
    assert c2["alarm"][0, 9]
    assert np.isnan(c2["statistic"][0, :9]).all()
    # C1 compares with periods 2..8, which include the two 100s: no alarm.
    assert not ears(x, "C1")["alarm"][0, 9]


def test_c3_sums_three_periods_of_c2_excess():
    x = [0] * 9 + [2, 3, 2, 0]
    r = ears(x, "C3", min_sigma=1.0)
    # C2 at 9, 10, 11 = 2, 3, 2 (zero baselines, sigma 1): C3_11 = 1 + 2 + 1 = 4 > 2.
    assert r["statistic"][0, 11] == pytest.approx(4.0) and r["alarm"][0, 11]
    # Period 12: baseline 3..9 has mean 2/7 and sd 0.756 -> sigma 1, C2 = −2/7, no own excess;
    # the previous two carry 2 + 1 = 3: C3 = 3 still alarms (C3 looks back), threshold = mean.
    assert r["statistic"][0, 12] == pytest.approx(3.0) and r["alarm"][0, 12]
    assert r["threshold"][0, 12] == pytest.approx(2 / 7)
    # C3 needs C2 two periods back: nothing before period 11.
    assert np.isnan(r["statistic"][0, :11]).all()


def _reference_c3(x: list[float], min_sigma: float) -> list[float]:
    """C3 by the textbook recipe, one period at a time (an independent re-implementation)."""

    def c2(t: int) -> float:
        base = x[t - 9 : t - 2]
        mean = sum(base) / 7
        sd = math.sqrt(sum((v - mean) ** 2 for v in base) / 6)
        return (x[t] - mean) / max(sd, min_sigma)

    return [sum(max(0.0, c2(t - i) - 1) for i in range(3)) for t in range(11, len(x))]


def test_c3_matches_a_period_by_period_reference():
    x = np.random.default_rng(3).poisson(4, 80).astype(float)
    x[[30, 31, 55]] += [9, 7, 12]
    r = ears(x, "C3", min_sigma=0.5)
    np.testing.assert_allclose(r["statistic"][0, 11:], _reference_c3(x.tolist(), 0.5), atol=1e-12)


def test_many_series_at_once_equal_one_at_a_time():
    x = np.random.default_rng(4).poisson(2, (5, 60)).astype(float)
    for method in ("C1", "C2", "C3"):
        together = ears(x, method)
        for i in range(5):
            alone = ears(x[i], method)
            np.testing.assert_array_equal(together["alarm"][i], alone["alarm"][0])
            np.testing.assert_allclose(together["threshold"][i], alone["threshold"][0], equal_nan=True)


def test_baseline_stats_and_bad_arguments():
    mean, sd = baseline_stats([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], guard=2)
    assert np.isnan(mean[0, :9]).all() and mean[0, 9] == 4.0 and sd[0, 9] == pytest.approx(SD_1_TO_7)
    short_mean, _ = baseline_stats([1, 2, 3])
    assert np.isnan(short_mean).all()
    with pytest.raises(ValueError, match="method"):
        ears([1, 2, 3], "C4")
    with pytest.raises(ValueError, match="min_sigma"):
        ears([1, 2, 3], "C1", min_sigma=-1)
