"""CDC Early Aberration Reporting System (EARS) C1, C2 and C3 — vectorised over many series.

The EARS methods (Hutwagner et al., *J Urban Health* 80 (2003) i89–i96; the same C1/C2/C3 that
CDC's ESSENCE and the R package ``surveillance`` (``earsC``) implement) compare each period's count
with the mean of a short, recent baseline:

* **C1** — baseline = the 7 periods just before the current one;
* **C2** — baseline = the 7 periods before a 2-period *guard band* (periods t−9 … t−3), so the first
  days of a slowly growing outbreak do not raise the baseline they are compared with;
* **C3** — adds up the C2 excesses of the current and the two previous periods:
  ``C3_t = Σ_{i=0..2} max(0, C2_{t−i} − 1)`` and alarms when ``C3_t > 2``.

For C1 and C2 the statistic is ``(x_t − mean) / sigma`` and the alarm threshold is
``mean + 3 · sigma`` (``z = 3``), where ``sigma = max(sd, min_sigma)`` and ``sd`` is the baseline's
sample standard deviation. The minimum sigma (``surveillance``'s ``minSigma``) matters for sparse
counts: a baseline of seven zeros has ``sd = 0`` and would otherwise alarm on a single death.

For C3 the count column ``threshold`` is the count in the current period that would, on its own
share, push the three-period sum over 2 given the two previous periods:
``mean + sigma · (3 − min(prev, 3))`` with ``prev`` the previous two periods' contributions.

Periods without a full baseline (the first 7, 9 or 11 periods) get NaN and never alarm.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

#: Baseline length in periods (CDC EARS).
BASELINE = 7
#: Guard band of C2 and C3 in periods.
GUARD = 2
#: Alarm threshold of C1 and C2 in standard deviations.
Z = 3.0
#: Alarm threshold of the C3 sum.
C3_THRESHOLD = 2.0
METHODS = ("C1", "C2", "C3")


def baseline_stats(
    counts: npt.ArrayLike, *, baseline: int = BASELINE, guard: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sample sd of the ``baseline`` periods ending ``guard`` periods before each period.

    ``counts`` is ``(series, periods)`` (or one series). Entry ``t`` uses periods
    ``t − guard − baseline … t − guard − 1``; entries without a full baseline are NaN.
    """
    x = np.atleast_2d(np.asarray(counts, dtype=np.float64))
    mean = np.full(x.shape, np.nan)
    sd = np.full(x.shape, np.nan)
    lag = baseline + guard
    if x.shape[1] <= lag:
        return mean, sd
    windows = sliding_window_view(x, baseline, axis=1)[:, : x.shape[1] - lag, :]
    mean[:, lag:] = windows.mean(axis=2)
    sd[:, lag:] = windows.std(axis=2, ddof=1)
    return mean, sd


def ears(
    counts: npt.ArrayLike,
    method: str,
    *,
    min_sigma: float = 1.0,
    baseline: int = BASELINE,
    z: float = Z,
) -> dict[str, np.ndarray]:
    """EARS ``method`` (``"C1"``, ``"C2"`` or ``"C3"``) for each series (row) of ``counts``.

    Returns arrays shaped like ``counts``: ``expected`` (baseline mean), ``sigma``
    (``max(sd, min_sigma)``), ``statistic`` (C1/C2 z-score or the C3 sum), ``threshold`` (a count:
    an alarm needs more than this, see the module docstring for C3) and ``alarm`` (bool).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if min_sigma < 0:
        raise ValueError("min_sigma must not be negative")
    x = np.atleast_2d(np.asarray(counts, dtype=np.float64))
    mean, sd = baseline_stats(x, baseline=baseline, guard=0 if method == "C1" else GUARD)
    sigma = np.maximum(sd, min_sigma)
    # With min_sigma = 0 a flat baseline gives sigma 0; an infinite z-score is the honest answer.
    with np.errstate(divide="ignore", invalid="ignore"):
        c = (x - mean) / sigma
    if method in ("C1", "C2"):
        threshold = mean + z * sigma
        alarm = np.nan_to_num(c, nan=-np.inf) > z
        return {"expected": mean, "sigma": sigma, "statistic": c, "threshold": threshold, "alarm": alarm}
    excess = np.maximum(0.0, c - 1.0)
    prev = np.full(x.shape, np.nan)
    prev[:, 2:] = excess[:, 1:-1] + excess[:, :-2]
    c3 = excess + prev
    threshold = mean + sigma * (1.0 + C3_THRESHOLD - np.minimum(prev, 1.0 + C3_THRESHOLD))
    alarm = np.nan_to_num(c3, nan=-np.inf) > C3_THRESHOLD
    return {"expected": mean, "sigma": sigma, "statistic": c3, "threshold": threshold, "alarm": alarm}
