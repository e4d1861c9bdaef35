"""The nowcast model: chain-ladder completeness by reporting delay, negative-binomial intervals.

Pure functions on small arrays; the assets assemble the inputs (``series.py``) and call them.
Documented in docs/methods/nowcast.md.

A **reporting triangle** has one row per death month (oldest first) and columns ``0 .. D + 1``:
column ``j <= D`` is the month's count as known ``j`` months after the death month at the origin's
point of the month (``series.py`` says exactly when), column ``D + 1`` the *final* count, known
once ``D`` whole months have passed after the death month (``ODW_NOWCAST_COMPLETE_MONTHS``).
``observed`` marks the cells known at the origin.

* :func:`development_factors` — the chain-ladder factor from column ``j`` to ``j + 1`` is the
  ratio of the column sums over the ``window`` most recent rows where both are known (the
  volume-weighted estimator of the multiplicative model; ``baselinenowcast`` does the same).
* :func:`expected_final` — a row last known at column ``k`` is expected to end at its count times
  the product of the factors from ``k`` on (reported / completeness).
* :func:`pending_share` — the alternative: what is still to come is a share of the cases pending
  investigation, the share learnt on complete rows at the same column.
* :func:`fit_nb_size` and :func:`nb_interval` — what is still to come is negative binomial with
  the point nowcast as its mean; its size (dispersion) is fitted by maximum likelihood to the
  model's own past errors (what came after past nowcasts against what they expected), and the
  bounds are ``reported + quantile``, never below the report.
"""

from __future__ import annotations

import numpy as np
from scipy import special

#: Quantile levels of the published intervals: 90% and 50% central ranges and the median.
LEVELS = {"lower_90": 0.05, "lower_50": 0.25, "median": 0.5, "upper_50": 0.75, "upper_90": 0.95}
#: Negative-binomial sizes searched by :func:`fit_nb_size`; at the top it is all but Poisson.
SIZE_GRID = np.geomspace(0.05, 1e4, 60)
#: Beta-binomial concentrations searched by :func:`fit_bb_concentration`; at the top it is binomial.
CONCENTRATION_GRID = np.geomspace(0.5, 1e5, 14)
#: Pending shares are kept inside (0, 1) for the beta-binomial.
_SHARE_CLIP = (1e-3, 1 - 1e-3)


def development_factors(counts: np.ndarray, observed: np.ndarray, window: int) -> np.ndarray:
    """Chain-ladder factors ``f[..., j]`` (column ``j`` → ``j + 1``), one per column but the last.

    ``counts`` is ``(..., rows, columns)`` (leading axes: several series sharing ``observed``,
    ``(rows, columns)``). ``f[j]`` = sum of column ``j + 1`` / sum of column ``j`` over the
    ``window`` most recent rows where both cells are observed; NaN where no such row exists or
    column ``j`` sums to zero.
    """
    counts = np.asarray(counts, dtype=float)
    observed = np.asarray(observed, dtype=bool)
    factors = np.full((*counts.shape[:-2], counts.shape[-1] - 1), np.nan)
    for j in range(counts.shape[-1] - 1):
        rows = np.flatnonzero(observed[:, j] & observed[:, j + 1])[-window:]
        if not rows.size:
            continue
        below = counts[..., rows, j].sum(axis=-1)
        above = counts[..., rows, j + 1].sum(axis=-1)
        factors[..., j] = np.where(below > 0, above / np.where(below > 0, below, 1.0), np.nan)
    return factors


def completeness(factors: np.ndarray) -> np.ndarray:
    """Share of the final count known at each column: ``1 / prod(f[k:])`` (1 for the final column)."""
    factors = np.asarray(factors, dtype=float)
    tail = np.cumprod(factors[..., ::-1], axis=-1)[..., ::-1]
    return np.concatenate([1.0 / tail, np.ones((*factors.shape[:-1], 1))], axis=-1)


def expected_final(reported: float, column: int, factors: np.ndarray) -> float:
    """The chain-ladder nowcast of a row last known at ``column`` with ``reported`` cases."""
    return float(reported / completeness(factors)[column])


def pending_share(counts: np.ndarray, observed: np.ndarray, pending: np.ndarray, column: int,
                  window: int) -> np.ndarray:
    """Share of the cases pending at ``column`` that the final count adds, learnt on complete rows.

    Over the ``window`` most recent rows whose final count and ``column`` are observed:
    sum(final − count at column) / sum(pending at column). Leading axes as in
    :func:`development_factors`. NaN when nothing was pending.
    """
    counts = np.asarray(counts, dtype=float)
    pending = np.asarray(pending, dtype=float)
    observed = np.asarray(observed, dtype=bool)
    rows = np.flatnonzero(observed[:, column] & observed[:, -1])[-window:]
    waiting = pending[..., rows, column].sum(axis=-1)
    added = (counts[..., rows, -1] - counts[..., rows, column]).sum(axis=-1)
    return np.where(waiting > 0, added / np.where(waiting > 0, waiting, 1.0), np.nan)


def nb_logpmf(y: np.ndarray, mean: np.ndarray, size: float) -> np.ndarray:
    """Log-probability of counts ``y`` under a negative binomial of ``mean`` and ``size``
    (variance ``mean + mean² / size``)."""
    y = np.asarray(y, dtype=float)
    mean = np.asarray(mean, dtype=float)
    positive = np.where(mean > 0, mean, 1.0)
    return (special.gammaln(y + size) - special.gammaln(size) - special.gammaln(y + 1)
            + size * np.log(size / (size + mean)) + y * np.log(positive / (size + mean)))


def fit_nb_size(observed: np.ndarray, mean: np.ndarray, use: np.ndarray | None = None) -> np.ndarray:
    """Maximum-likelihood size of a negative binomial for past outcomes given their nowcast means.

    Arrays are ``(groups, points)`` (a 1-D array is one group); ``observed`` is what actually came
    after each past nowcast (negative values count as 0), ``mean`` what the nowcast expected, ``use``
    which points count. Points with a mean of 0 carry no information and are skipped. The maximum is
    taken over :data:`SIZE_GRID` (log-spaced, ratio ~1.23), fine enough for the quantiles and fast
    enough to refit at every origin of the backtest. Returns one size per group (NaN: no points).
    """
    y = np.clip(np.atleast_2d(np.asarray(observed, dtype=float)), 0, None)
    mu = np.atleast_2d(np.asarray(mean, dtype=float))
    keep = mu > 0 if use is None else (np.atleast_2d(use) & (mu > 0))
    mu = np.where(keep, mu, 1.0)
    y = np.where(keep, y, 0.0)
    size = SIZE_GRID[None, None, :]
    loglik = nb_logpmf(y[..., None], mu[..., None], size)
    total = np.where(keep[..., None], loglik, 0.0).sum(axis=1)
    best = SIZE_GRID[np.argmax(total, axis=1)]
    return np.where(keep.any(axis=1), best, np.nan)


def nb_quantiles(mean: np.ndarray, size: np.ndarray, levels: dict[str, float] = LEVELS) -> dict[str, np.ndarray]:
    """Quantiles of negative binomials of ``mean`` and ``size`` (elementwise; 0 where the mean is 0,
    NaN where the size is unknown)."""
    from scipy import stats  # imported here: scipy.stats is a second of the code location's load

    mean = np.asarray(mean, dtype=float)
    size = np.asarray(size, dtype=float)
    positive = mean > 0
    safe_mean = np.where(positive, mean, 1.0)
    safe_size = np.where(np.isnan(size), 1.0, size)
    out = {}
    for name, q in levels.items():
        value = stats.nbinom.ppf(q, safe_size, safe_size / (safe_size + safe_mean))
        out[name] = np.where(np.isnan(size), np.nan, np.where(positive, value, 0.0))
    return out


def nb_interval(reported: np.ndarray, to_come: np.ndarray, size: np.ndarray) -> dict[str, np.ndarray]:
    """The nowcast's median and 50%/90% bounds: the reported count plus quantiles of what is to come."""
    reported = np.asarray(reported, dtype=float)
    return {name: reported + q for name, q in nb_quantiles(to_come, size).items()}


def bb_logpmf(y: np.ndarray, n: np.ndarray, share: np.ndarray, concentration: np.ndarray) -> np.ndarray:
    """Log-probability of ``y`` of ``n`` under a beta-binomial of mean share ``share`` and
    ``concentration`` (α + β; large is binomial)."""
    a = share * concentration
    b = (1 - share) * concentration
    return (special.gammaln(n + 1) - special.gammaln(y + 1) - special.gammaln(n - y + 1)
            + special.betaln(y + a, n - y + b) - special.betaln(a, b))


def fit_bb_concentration(observed: np.ndarray, n: np.ndarray, share: np.ndarray,
                         use: np.ndarray | None = None) -> np.ndarray:
    """Maximum-likelihood beta-binomial concentration for past outcomes of the pending-cases model.

    ``observed`` is what came after each past nowcast (kept within 0..n), ``n`` the cases pending
    then, ``share`` the share the nowcast expected to join; arrays ``(groups, points)``. Points
    with nothing pending carry no information and are skipped. The maximum is searched on
    :data:`CONCENTRATION_GRID`, then on a grid as fine between the best point's neighbours;
    NaN for a group without points.
    """
    n = np.atleast_2d(np.asarray(n, dtype=float))
    keep = n > 0 if use is None else (np.atleast_2d(use) & (n > 0))
    group = np.nonzero(keep)[0]
    n_k = n[keep]
    y = np.clip(np.atleast_2d(np.asarray(observed, dtype=float))[keep], 0, n_k)
    p = np.clip(np.atleast_2d(np.asarray(share, dtype=float))[keep], *_SHARE_CLIP)
    groups = keep.shape[0]

    def best_of(grid: np.ndarray) -> np.ndarray:
        # (points, grid) log-likelihoods summed per group; terms free of the concentration dropped.
        k = grid if grid.ndim == 2 else np.broadcast_to(grid, (groups, grid.size))
        kp = k[group]
        a = p[:, None] * kp
        b = (1 - p[:, None]) * kp
        ll = (special.gammaln(y[:, None] + a) - special.gammaln(a) + special.gammaln(n_k[:, None] - y[:, None] + b)
              - special.gammaln(b) + special.gammaln(kp) - special.gammaln(n_k[:, None] + kp))
        total = np.zeros((groups, k.shape[1]))
        np.add.at(total, group, ll)
        return k[np.arange(groups), np.argmax(total, axis=1)]

    coarse = best_of(CONCENTRATION_GRID)
    step = CONCENTRATION_GRID[1] / CONCENTRATION_GRID[0]
    fine = coarse[:, None] * np.geomspace(1 / step, step, 11)[None, :]
    best = best_of(fine) if group.size else coarse
    return np.where(keep.any(axis=1), best, np.nan)


def bb_interval(reported: np.ndarray, n: np.ndarray, share: np.ndarray,
                concentration: np.ndarray) -> dict[str, np.ndarray]:
    """Median and 50%/90% bounds of the pending-cases model: the reported count plus beta-binomial
    quantiles of how many of the ``n`` pending cases join (0 where none is pending, NaN where the
    concentration is unknown)."""
    reported = np.asarray(reported, dtype=float)
    n = np.asarray(n, dtype=float)
    concentration = np.asarray(concentration, dtype=float)
    p = np.clip(np.nan_to_num(np.asarray(share, dtype=float), nan=0.5), *_SHARE_CLIP)
    safe_k = np.where(np.isnan(concentration), 1.0, concentration)
    safe_n = np.where(n > 0, n, 0.0)
    values = bb_quantiles(list(LEVELS.values()), safe_n, p, safe_k)
    return {name: np.where(np.isnan(concentration), np.nan, reported + value)
            for name, value in zip(LEVELS, values)}


def bb_quantiles(levels: list[float], n: np.ndarray, share: np.ndarray,
                 concentration: np.ndarray) -> list[np.ndarray]:
    """Quantiles of beta-binomials (elementwise): for each level the least ``y`` whose cdf reaches it.

    Summed from the pmf over ``0 .. max(n)`` at once (``scipy.stats.betabinom.ppf`` is exact too,
    but some hundred times slower, and the backtest asks for thousands).
    """
    n = np.asarray(n, dtype=float)
    shape = np.broadcast(n, share, concentration).shape
    n, share, concentration = (np.broadcast_to(np.asarray(a, dtype=float), shape).ravel()
                               for a in (n, share, concentration))
    if not n.size:
        return [np.zeros(shape) for _ in levels]
    y = np.arange(int(n.max()) + 1, dtype=float)[None, :]
    inside = y <= n[:, None]
    pmf = np.where(inside, np.exp(bb_logpmf(np.minimum(y, n[:, None]), n[:, None], share[:, None],
                                            concentration[:, None])), 0.0)
    cdf = np.cumsum(pmf, axis=1)
    out = []
    for q in levels:
        # A small tolerance so rounding cannot push a quantile one step up.
        reached = cdf >= q - 1e-9
        value = np.where(reached.any(axis=1), reached.argmax(axis=1), n)
        out.append(value.reshape(shape).astype(float))
    return out
