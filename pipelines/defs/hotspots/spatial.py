"""Spatial statistics for hot spots — the single definition of every hot-spot metric.

All functions are pure: arrays (one value per place, or places × time windows) and ``libpysal``
weights in, NumPy arrays or Polars frames out. PySAL's ``esda`` does the local statistics and the
conditional-permutation inference; this module adds what the workgroup's map needs on top.

* **Getis-Ord Gi\\*** (:func:`gi_star`) — ``esda.G_Local(star=True)`` with binary weights that include
  the place itself: is the sum over a place *and its neighbours* higher (hot) or lower (cold) than the
  study area's average would give? ``gi_z`` is the analytical z-score (Getis & Ord 1992; Ord & Getis
  1995)::

      z_i = (Σ_j w_ij x_j − x̄ W_i) / (S · sqrt((n Σ_j w_ij² − W_i²) / (n − 1)))

  with ``W_i = Σ_j w_ij``, ``x̄`` the mean and ``S`` the population standard deviation over all ``n``
  places. Significance comes from conditional permutation (the place's own value is held fixed, its
  neighbours are redrawn from the other places; ``permutations`` ≥ 999 in the pipeline).
  ``gi_p`` is the pseudo p-value ``(m + 1) / (permutations + 1)``, ``m`` being the number of random
  draws at least as extreme *in the direction observed* — a test for "hotter than chance" where
  ``z > 0``, for "colder than chance" where ``z < 0``, as PySAL's guides use ``p_sim``. It is
  computed here from ``esda``'s simulated statistics rather than taken from ``p_sim``, because
  ``p_sim`` counts ties with the observed value only on the high side: with sparse counts a place
  whose neighbourhood is all zeros would otherwise get the smallest possible p-value as a "cold
  spot". Ties count as at least as extreme in both directions here. The p-values are then adjusted
  for the many places tested at once with the Benjamini–Hochberg false-discovery rate (``gi_q``,
  :func:`bh_qvalues`). ``gi_class`` is
  ``"hot spot"`` / ``"cold spot"`` where ``gi_q ≤ fdr`` and ``"not significant"`` otherwise;
  ``gi_bin`` is the ArcGIS-style −3…3 confidence bin (±3: q ≤ 0.01, ±2: ≤ 0.05, ±1: ≤ 0.10).
* **Local Moran's I** (:func:`local_moran`) — ``esda.Moran_Local`` with row-standardised weights:
  high-high and low-low are clusters of similar values, high-low and low-high are outliers (a place
  unlike its neighbours). Same pseudo p-value, FDR and threshold as Gi\\*.
* **Empirical Bayes smoothing** (:func:`eb_rates`) — Marshall's (1991) global EB estimator: a
  small area's rate is pulled toward the overall rate in proportion to how unreliable it is.
* **Emerging hot spots** (:func:`emerging_hotspots`) — the ArcGIS Pro "Emerging Hot Spot Analysis"
  categories from a Gi\\* result per time window and a Mann-Kendall trend test on the Gi\\* z-scores.

Permutations. With ``P`` permutations the smallest p-value is ``1/(P+1)``; with ``n`` places the
FDR step can flag a single place only if that is at most ``fdr / n``. :func:`effective_permutations`
therefore raises the requested number (≥ 999) to the next ``k·1000 − 1`` that allows it: 1,999 for
the 77 community areas and 3,999 for ~150 region hexagons at FDR 5 %. Otherwise a small cluster
(two or three extreme cells) could never be significant, however extreme.

Limits: a study area with no variation at all (every count equal) has no hot or cold spots; the
conditional permutation holds each place's own value fixed, so one extreme cell among ordinary
neighbours makes its *neighbours* significant rather than itself — a cluster is a neighbourhood.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.special import ndtr  # the normal CDF, without importing scipy.stats (slow to import)

from pipelines.defs.hotspots.permutation_cache import PermutationCache, input_key

if TYPE_CHECKING:
    import libpysal

#: Classes of :func:`gi_star`.
HOT, COLD, NOT_SIGNIFICANT = "hot spot", "cold spot", "not significant"
#: Local Moran cluster names by ``esda``'s quadrant code (1 HH, 2 LH, 3 LL, 4 HL).
MORAN_CLUSTERS = {1: "high-high", 2: "low-high", 3: "low-low", 4: "high-low"}
#: Emerging-hot-spot categories, in the order they are tested (first match wins).
EMERGING_CATEGORIES = (
    "new",
    "intensifying",
    "persistent",
    "diminishing",
    "consecutive",
    "oscillating",
    "sporadic",
    "historical",
    "no pattern",
)
#: Share of windows a place must be hot in to count as persistent/intensifying/diminishing/historical.
PERSISTENT_SHARE = 0.9
#: Significance level of the Mann-Kendall trend test behind intensifying/diminishing.
TREND_ALPHA = 0.05


def bh_qvalues(pvalues: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Benjamini–Hochberg adjusted p-values ("q-values"), same shape as ``pvalues``.

    ``q_(i) = min_{k ≥ i} (m / k) · p_(k)`` over the ``m`` non-missing p-values sorted ascending,
    capped at 1; a place is significant at false-discovery rate ``α`` when ``q ≤ α``. NaN stays NaN
    and does not count in ``m``. Matches ``statsmodels.stats.multitest.multipletests(method="fdr_bh")``.
    """
    p = np.asarray(pvalues, dtype=np.float64)
    q = np.full(p.shape, np.nan)
    flat, out = p.ravel(), q.ravel()
    present = np.flatnonzero(~np.isnan(flat))
    m = present.size
    if m == 0:
        return q
    order = present[np.argsort(flat[present], kind="stable")]
    scaled = flat[order] * m / np.arange(1, m + 1)
    # The running minimum from the largest p-value down makes the q-values monotone.
    out[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return out.reshape(p.shape)


def eb_rates(events: npt.ArrayLike, population: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Marshall's global empirical-Bayes smoothed rates (events per person, not per 100,000).

    With ``r_i = e_i / n_i``, overall rate ``m = Σe / Σn``, ``s² = Σ n_i (r_i − m)² / Σn`` and mean
    population ``n̄``, the between-area variance is ``a = max(0, s² − m / n̄)`` and the smoothed rate
    ``m + C_i (r_i − m)`` with ``C_i = a / (a + m / n_i)``. ``a = 0`` (no more variation than chance
    gives) smooths every area to ``m``. Matches ``esda.smoothing.Empirical_Bayes`` whenever
    ``s² > m / n̄`` (esda does not clip a negative variance). Places with no population get NaN.
    """
    e = np.asarray(events, dtype=np.float64)
    n = np.asarray(population, dtype=np.float64)
    if e.shape != n.shape:
        raise ValueError("events and population must have the same shape")
    if np.any(e < 0) or np.any(n < 0):
        raise ValueError("events and population must be non-negative")
    known = n > 0
    out = np.full(e.shape, np.nan)
    if not known.any():
        return out
    ek, nk = e[known], n[known]
    m = ek.sum() / nk.sum()
    r = ek / nk
    s2 = (nk * (r - m) ** 2).sum() / nk.sum()
    a = max(0.0, s2 - m / nk.mean())
    shrink = a / (a + m / nk) if (a > 0 or m > 0) else np.zeros_like(nk)
    out[known] = m + shrink * (r - m)
    return out


def copy_weights(w: libpysal.weights.W) -> libpysal.weights.W:
    """A fresh binary copy of ``w`` (``esda`` transforms the weights it is given in place)."""
    import libpysal  # here, not at the top: libpysal and esda are most of the code location's load time

    neighbors = {key: list(values) for key, values in w.neighbors.items()}
    return libpysal.weights.W(neighbors, id_order=list(w.id_order), silence_warnings=True)


def pseudo_p(observed: npt.ArrayLike, simulated: npt.ArrayLike, direction: npt.ArrayLike) -> np.ndarray:
    """One-sided permutation p-values ``(m + 1) / (P + 1)``, ties counted as extreme.

    ``simulated`` is ``(P, n)``; where ``direction ≥ 0`` ``m`` counts draws ``≥ observed``, elsewhere
    draws ``≤ observed``.
    """
    obs = np.asarray(observed, dtype=np.float64)
    sims = np.asarray(simulated, dtype=np.float64)
    # A relative tolerance so that float noise in equal sums still counts as a tie.
    tol = 1e-9 * np.maximum(1.0, np.abs(obs))
    high = (sims >= obs - tol).sum(axis=0)
    low = (sims <= obs + tol).sum(axis=0)
    m = np.where(np.asarray(direction) >= 0, high, low)
    return (m + 1.0) / (sims.shape[0] + 1.0)


def effective_permutations(requested: int, n_places: int, fdr: float) -> int:
    """Permutations actually used: ``requested`` raised until ``1/(P+1) ≤ fdr / n_places``.

    Rounded up to ``k·1000 − 1`` (999, 1999, ...) so the p-values stay round numbers.
    """
    needed = int(np.ceil(n_places / fdr)) - 1
    if requested >= needed:
        return requested
    return int(np.ceil((needed + 1) / 1000.0) * 1000) - 1


def _confidence_bin(z: np.ndarray, q: np.ndarray) -> np.ndarray:
    level = np.select([q <= 0.01, q <= 0.05, q <= 0.10], [3, 2, 1], default=0)
    return (np.sign(np.nan_to_num(z)) * level).astype(np.int8)


def _check(values: npt.ArrayLike, w: libpysal.weights.W, permutations: int) -> np.ndarray:
    y = np.asarray(values, dtype=np.float64).ravel()
    if y.size != w.n:
        raise ValueError(f"{y.size} values for {w.n} places in the weights")
    if np.isnan(y).any():
        raise ValueError("values contain NaN; fill or drop those places first")
    if permutations < 1:
        raise ValueError("permutations must be at least 1")
    return y


def gi_star(
    values: npt.ArrayLike,
    w: libpysal.weights.W,
    *,
    permutations: int = 999,
    seed: int = 0,
    fdr: float = 0.05,
) -> pl.DataFrame:
    """Getis-Ord Gi\\* per place with permutation inference and FDR (see the module docstring).

    ``values`` are in the weights' ``id_order``; ``w`` is binary contiguity without self-neighbours
    (the self-weight 1 is added here); ``permutations`` is raised by :func:`effective_permutations`.
    Returns one row per place, in order, with ``gi_z``,
    ``gi_p`` (permutation p), ``gi_q`` (BH-adjusted), ``gi_bin`` (−3…3) and ``gi_class``.
    A study area where every value is equal gives z = 0, p = q = 1 everywhere.
    """
    y = _check(values, w, permutations)
    if np.ptp(y) == 0:
        return _constant_result(y.size, "gi")
    permutations = effective_permutations(permutations, y.size, fdr)
    import esda  # here, not at the top: see copy_weights

    with warnings.catch_warnings():
        # esda warns that its p_sim alternative will change in a future major release; p_sim is
        # not used (see pseudo_p), so the warning does not concern us.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        g = esda.G_Local(
            y,
            copy_weights(w),
            transform="B",
            star=True,
            permutations=permutations,
            n_jobs=1,
            seed=seed,
            keep_simulations=True,
        )
    z = np.nan_to_num(np.asarray(g.Zs, dtype=np.float64))
    p = pseudo_p(g.Gs, g.sim, z)
    q = bh_qvalues(p)
    significant = q <= fdr
    return pl.DataFrame(
        {
            "gi_z": z,
            "gi_p": p,
            "gi_q": q,
            "gi_bin": _confidence_bin(z, q),
            "gi_class": np.where(
                significant & (z > 0), HOT, np.where(significant & (z < 0), COLD, NOT_SIGNIFICANT)
            ),
        }
    )


def local_moran(
    values: npt.ArrayLike,
    w: libpysal.weights.W,
    *,
    permutations: int = 999,
    seed: int = 0,
    fdr: float = 0.05,
) -> pl.DataFrame:
    """Local Moran's I per place (row-standardised weights) with permutation inference and FDR.

    Returns ``moran_i``, ``moran_p`` (permutation p), ``moran_q`` (BH-adjusted) and
    ``moran_cluster``: ``high-high``, ``low-low``, ``high-low``, ``low-high`` where
    ``moran_q ≤ fdr``, else ``not significant``.
    """
    y = _check(values, w, permutations)
    if np.ptp(y) == 0:
        return _constant_result(y.size, "moran")
    permutations = effective_permutations(permutations, y.size, fdr)
    import esda  # here, not at the top: see copy_weights

    with warnings.catch_warnings():
        # See gi_star: p_sim is not used.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        m = esda.Moran_Local(
            y,
            copy_weights(w),
            transformation="r",
            permutations=permutations,
            n_jobs=1,
            seed=seed,
            keep_simulations=True,
        )
    # Each place is tested in the direction its I departs from its own simulated values: upward for
    # a cluster of like values, downward for an outlier.
    p = pseudo_p(m.Is, m.sim, np.asarray(m.Is) - np.asarray(m.sim).mean(axis=0))
    q = bh_qvalues(p)
    quadrant = np.asarray(m.q, dtype=np.int64)
    names = np.array([MORAN_CLUSTERS.get(int(k), NOT_SIGNIFICANT) for k in range(5)])
    return pl.DataFrame(
        {
            "moran_i": np.nan_to_num(np.asarray(m.Is, dtype=np.float64)),
            "moran_p": p,
            "moran_q": q,
            "moran_cluster": np.where(q <= fdr, names[np.clip(quadrant, 0, 4)], NOT_SIGNIFICANT),
        }
    )


def _constant_result(n: int, prefix: str) -> pl.DataFrame:
    ones = np.ones(n)
    if prefix == "gi":
        return pl.DataFrame(
            {
                "gi_z": np.zeros(n),
                "gi_p": ones,
                "gi_q": ones,
                "gi_bin": np.zeros(n, dtype=np.int8),
                "gi_class": [NOT_SIGNIFICANT] * n,
            }
        )
    return pl.DataFrame(
        {"moran_i": np.zeros(n), "moran_p": ones, "moran_q": ones, "moran_cluster": [NOT_SIGNIFICANT] * n}
    )


def local_statistics(
    windows: npt.ArrayLike,
    w: libpysal.weights.W,
    *,
    permutations: int,
    seed: int,
    fdr: float,
    moran: bool = True,
    cache: PermutationCache | None = None,
) -> pl.DataFrame:
    """Gi\\* (and Local Moran's I) for every time window of a places × windows matrix.

    ``windows`` has shape ``(n_windows, n_places)``. Returns one row per (window, place) with
    ``window_index``, ``place_index`` and the columns of :func:`gi_star` (and :func:`local_moran`).
    Window ``k`` uses permutation seed ``seed + k``, so results are reproducible. The loop runs over
    the (few) windows only; each window is one vectorised ``esda`` call. With a ``cache``, a window
    whose input was seen before is read back instead of drawn again (the same numbers: see
    :mod:`.permutation_cache`).
    """
    matrix = np.atleast_2d(np.asarray(windows, dtype=np.float64))
    frames = []
    for k, row in enumerate(matrix):
        options = {"permutations": permutations, "seed": seed + k, "fdr": fdr}
        statistics = [gi_star, local_moran] if moran else [gi_star]
        parts = [
            pl.DataFrame(
                {
                    "window_index": np.full(row.size, k, dtype=np.int32),
                    "place_index": np.arange(row.size, dtype=np.int32),
                }
            ),
        ]
        for statistic in statistics:
            compute = functools.partial(statistic, row, w, **options)
            if cache is None:
                parts.append(compute())
            else:
                key = input_key(row, w, measure=statistic.__name__, **options)
                parts.append(cache.get_or_compute(key, compute))
        frames.append(pl.concat(parts, how="horizontal"))
    return pl.concat(frames) if frames else pl.DataFrame()


def mann_kendall(series: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mann-Kendall trend test for each row of a places × time matrix (vectorised).

    ``S = Σ_{i<j} sign(x_j − x_i)``; its variance under "no trend", corrected for ties, is
    ``(T(T−1)(2T+5) − Σ_g t_g(t_g−1)(2t_g+5)) / 18`` over groups ``g`` of ``t_g`` equal values; the
    z-score uses the continuity correction ``(S − sign(S)) / sqrt(Var S)``. Returns ``(S, z, p)``
    with ``p`` two-sided; a row without variance gets ``z = 0, p = 1``.
    """
    x = np.atleast_2d(np.asarray(series, dtype=np.float64))
    t = x.shape[1]
    diff = x[:, None, :] - x[:, :, None]  # diff[r, i, j] = x_j − x_i
    upper = np.triu(np.ones((t, t), dtype=bool), k=1)
    s = np.sign(diff[:, upper]).sum(axis=1)
    # For a value in a tie group of size g, (g − 1) other values equal it; summing (g−1)(2g+5)
    # over the group's g members gives that group's g(g−1)(2g+5) term.
    group = (diff == 0).sum(axis=2)
    ties = ((group - 1) * (2 * group + 5)).sum(axis=1)
    var = (t * (t - 1) * (2 * t + 5) - ties) / 18.0
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(var > 0, (s - np.sign(s)) / np.sqrt(var), 0.0)
    p = np.where(var > 0, 2.0 * ndtr(-np.abs(z)), 1.0)
    return s, z, p


def emerging_hotspots(
    gi_z: npt.ArrayLike,
    gi_class: npt.ArrayLike,
    *,
    persistent_share: float = PERSISTENT_SHARE,
    trend_alpha: float = TREND_ALPHA,
) -> pl.DataFrame:
    """Emerging-hot-spot category per place from Gi\\* results over consecutive windows.

    ``gi_z`` and ``gi_class`` are places × windows (oldest window first). Categories follow ArcGIS
    Pro's Emerging Hot Spot Analysis, tested in this order (the first that applies wins):

    * ``new`` — hot in the latest window and never before;
    * ``intensifying`` / ``persistent`` / ``diminishing`` — hot in at least 90 % of the windows
      including the latest, with a significant upward / no / a significant downward Mann-Kendall
      trend in the Gi\\* z-score;
    * ``consecutive`` — one unbroken run of at least two hot windows at the end, never hot before;
    * ``oscillating`` — hot in the latest window, a cold spot in some earlier window;
    * ``sporadic`` — hot in the latest window, on and off before, never cold;
    * ``historical`` — not hot in the latest window but hot in at least 90 % of the windows;
    * ``no pattern`` — none of these (cold spots are not categorised).

    Returns one row per place: ``category``, ``hot_windows``, ``windows``, ``latest_hot``,
    ``trend`` (``up``/``down``/``none``), ``trend_z``, ``trend_p``.
    """
    z = np.atleast_2d(np.asarray(gi_z, dtype=np.float64))
    classes = np.atleast_2d(np.asarray(gi_class))
    if z.shape != classes.shape:
        raise ValueError("gi_z and gi_class must have the same places × windows shape")
    steps = z.shape[1]
    hot = classes == HOT
    cold = classes == COLD
    hot_count = hot.sum(axis=1)
    latest = hot[:, -1]
    before = hot[:, :-1].any(axis=1)
    # Length of the run of hot windows that ends in the latest window.
    trailing = np.argmin(np.concatenate([hot[:, ::-1], np.zeros((hot.shape[0], 1), bool)], axis=1), axis=1)
    _, trend_z, trend_p = mann_kendall(z)
    up = (trend_p <= trend_alpha) & (trend_z > 0)
    down = (trend_p <= trend_alpha) & (trend_z < 0)
    mostly_hot = hot_count >= np.ceil(persistent_share * steps - 1e-9)
    category = np.select(
        [
            latest & ~before,
            latest & mostly_hot & up,
            latest & mostly_hot & ~up & ~down,
            latest & mostly_hot & down,
            latest & (trailing >= 2) & (hot_count == trailing),
            latest & cold.any(axis=1),
            latest,
            ~latest & mostly_hot,
        ],
        list(EMERGING_CATEGORIES[:-1]),
        default=EMERGING_CATEGORIES[-1],
    )
    return pl.DataFrame(
        {
            "category": category,
            "hot_windows": hot_count.astype(np.int32),
            "windows": np.full(z.shape[0], steps, dtype=np.int32),
            "latest_hot": latest,
            "trend": np.where(up, "up", np.where(down, "down", "none")),
            "trend_z": trend_z,
            "trend_p": trend_p,
        }
    )


def contiguity_weights(geometries: Iterable, ids: Iterable[int]) -> libpysal.weights.W:
    """Binary queen-contiguity weights (shared edge or corner) for polygons, keyed by ``ids``."""
    import libpysal  # here, not at the top: see copy_weights

    ids = list(ids)
    w = libpysal.weights.Queen.from_iterable(list(geometries), ids=ids, silence_warnings=True)
    return copy_weights(w)
