"""Proportions with Wilson score intervals — the single definition of "positivity" and similar shares.

Formula (``x`` successes out of ``n`` trials, ``z`` the standard-normal quantile ``1 - alpha/2``,
1.959964 for 95 %):

* proportion ``p = x / n``
* Wilson interval ``(x + z²/2) / (n + z²)  ±  z / (n + z²) * sqrt(x (n - x) / n + z² / 4)``

The Wilson score interval keeps its coverage close to nominal for the small counts of one area and
month, never leaves [0, 1], and is not degenerate at 0 % or 100 % (where the textbook Wald interval
collapses to a point). Sources: Wilson E.B. "Probable inference, the law of succession, and
statistical inference", *J Am Stat Assoc* 22 (1927) 209–212; Newcombe R.G. "Two-sided confidence
intervals for the single proportion: comparison of seven methods", *Stat Med* 17 (1998) 857–872
(method 3; its worked examples are the known-answer tests); Brown, Cai & DasGupta, *Stat Sci* 16
(2001) 101–133, who recommend it for small ``n``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.stats import norm


def wilson_ci(
    successes: npt.ArrayLike, trials: npt.ArrayLike, level: float = 0.95
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Wilson score interval for proportions ``successes / trials``, vectorised.

    Scalars or arrays (broadcast together). Returns ``(lower, upper)`` float arrays; where
    ``trials`` is 0 or either input is NaN both bounds are NaN (no trials, no proportion).

    Known answers at 95 % (Newcombe 1998): 81/263 → (0.2553, 0.3662); 15/148 → (0.0624, 0.1605);
    0/20 → (0, 0.1611); 1/29 → (0.0061, 0.1718).

    Raises ``ValueError`` for a level outside (0, 1), negative values, or successes above trials.
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1 (exclusive), got {level!r}")
    x = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        if np.any(x < 0) or np.any(n < 0):
            raise ValueError("successes and trials must be non-negative")
        if np.any(x > n):
            raise ValueError("successes cannot exceed trials")
    z = norm.ppf(1.0 - (1.0 - level) / 2.0)
    z2 = z * z
    with np.errstate(invalid="ignore", divide="ignore"):
        center = (x + z2 / 2.0) / (n + z2)
        half = z / (n + z2) * np.sqrt(x * (n - x) / n + z2 / 4.0)
        lower = np.where(n > 0, np.clip(center - half, 0.0, 1.0), np.nan)
        upper = np.where(n > 0, np.clip(center + half, 0.0, 1.0), np.nan)
    # At x = 0 (x = n) the lower (upper) bound is exactly 0 (1); rounding must not move it.
    lower = np.where(x == 0, np.where(n > 0, 0.0, np.nan), lower)
    upper = np.where((x == n) & (n > 0), 1.0, upper)
    return np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)


def with_proportion(
    frame: pl.DataFrame,
    *,
    successes_col: str,
    trials_col: str,
    prefix: str,
    level: float = 0.95,
) -> pl.DataFrame:
    """Add ``{prefix}`` (``successes / trials``) and its Wilson ``{prefix}_lower`` / ``{prefix}_upper``.

    All three are null where ``trials`` is 0 or null. Raises ``ValueError`` on a missing column or
    the conditions of :func:`wilson_ci`.
    """
    for name in (successes_col, trials_col):
        if name not in frame.columns:
            raise ValueError(f"column {name!r} not in frame (columns: {frame.columns})")
    x = frame.get_column(successes_col).cast(pl.Float64).to_numpy()
    n = frame.get_column(trials_col).cast(pl.Float64).to_numpy()
    lower, upper = wilson_ci(x, n, level=level)
    trials = pl.col(trials_col)
    return frame.with_columns(
        pl.when(trials > 0).then(pl.col(successes_col) / trials).alias(prefix),
        pl.Series(f"{prefix}_lower", lower, dtype=pl.Float64, nan_to_null=True),
        pl.Series(f"{prefix}_upper", upper, dtype=pl.Float64, nan_to_null=True),
    )
