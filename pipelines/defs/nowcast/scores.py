"""How a nowcast is scored against the count once complete (the backtest's measures).

* coverage of an interval: the share of outcomes inside it (bounds included);
* weighted interval score (Bracher, Ray, Gneiting & Reich 2021, PLoS Comput Biol 17(2): e1008618)
  with the median and the 50% and 90% central intervals:
  ``WIS = (|y − median| / 2 + Σ_k α_k/2 · IS_α_k) / (K + 1/2)`` with ``K = 2``, ``α = 0.5, 0.1``
  and ``IS_α = (u − l) + 2/α · (l − y)·[y < l] + 2/α · (y − u)·[y > u]`` — lower is better, in cases;
* absolute error of the nowcast's point value, and of the naive provisional count, against the
  complete count.
"""

from __future__ import annotations

import numpy as np


def interval_score(y: np.ndarray, lower: np.ndarray, upper: np.ndarray, alpha: float) -> np.ndarray:
    """The interval score of the central ``1 − alpha`` interval ``[lower, upper]`` for outcomes ``y``."""
    y, lower, upper = (np.asarray(a, dtype=float) for a in (y, lower, upper))
    return ((upper - lower) + 2 / alpha * np.clip(lower - y, 0, None)
            + 2 / alpha * np.clip(y - upper, 0, None))


def weighted_interval_score(y: np.ndarray, median: np.ndarray, lower_50: np.ndarray,
                            upper_50: np.ndarray, lower_90: np.ndarray, upper_90: np.ndarray) -> np.ndarray:
    """WIS of the median and the 50% and 90% intervals (Bracher et al. 2021), per outcome."""
    y = np.asarray(y, dtype=float)
    total = 0.5 * np.abs(y - np.asarray(median, dtype=float))
    total = total + 0.5 / 2 * interval_score(y, lower_50, upper_50, 0.5)
    total = total + 0.1 / 2 * interval_score(y, lower_90, upper_90, 0.1)
    return total / 2.5


def covered(y: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Whether each outcome lies in its interval (bounds included)."""
    y = np.asarray(y, dtype=float)
    return (np.asarray(lower, dtype=float) <= y) & (y <= np.asarray(upper, dtype=float))
