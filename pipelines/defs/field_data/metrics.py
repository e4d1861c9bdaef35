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

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.special import ndtri  # norm.ppf without importing scipy.stats (slow to import)

from pipelines.defs.epidemiology.suppression import suppress


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
    z = ndtri(1.0 - (1.0 - level) / 2.0)
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


def suppress_proportion(
    frame: pl.DataFrame,
    *,
    successes_col: str,
    trials_col: str,
    prefix: str,
    threshold: int,
    complementary_by: Sequence[str] | None = None,
) -> pl.DataFrame:
    """A proportion with its Wilson interval, made safe to publish — the one rule for every view.

    Both counts are small cells: trials (strips read) and successes (positive strips) from 1 to
    ``threshold - 1`` are hidden, with complementary suppression per ``complementary_by`` group for
    each (see :func:`~pipelines.defs.epidemiology.suppression.suppress`). Wherever either is
    hidden the proportion and its interval are nulled too, because a shown proportion and
    denominator give the numerator back. A zero is a fact and stays shown.

    Adds ``{prefix}``, ``{prefix}_lower``, ``{prefix}_upper`` (null where hidden),
    ``{trials}_display`` / ``{successes}_display`` (``"<10"``, ``"*"`` or the count; the successes
    of a row whose trials are hidden take the trials' mark), ``{trials}_suppressed``,
    ``{successes}_suppressed`` and ``{prefix}_suppressed`` (either count hidden). Hidden counts
    are nulled.
    """
    frame = with_proportion(frame, successes_col=successes_col, trials_col=trials_col, prefix=prefix)
    frame = suppress(
        frame, trials_col, threshold=threshold, rate_cols=[prefix], complementary_by=complementary_by
    )
    frame = suppress(
        frame, successes_col, threshold=threshold, rate_cols=[prefix], complementary_by=complementary_by
    )
    trials_hidden = pl.col(f"{trials_col}_suppressed")
    hidden = trials_hidden | pl.col(f"{successes_col}_suppressed")
    return frame.with_columns(
        pl.when(trials_hidden)
        .then(pl.col(f"{trials_col}_display"))
        .otherwise(pl.col(f"{successes_col}_display"))
        .alias(f"{successes_col}_display"),
        pl.when(hidden).then(None).otherwise(pl.col(successes_col)).alias(successes_col),
        hidden.alias(f"{prefix}_suppressed"),
    ).drop(
        [f"{c}_group_total_suppressed" for c in (trials_col, successes_col)], strict=False
    )
