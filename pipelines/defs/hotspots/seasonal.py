"""A Farrington-style seasonal count regression for weekly series with at least two years of history.

For every week ``t`` of every series a quasi-Poisson regression (a Poisson model whose variance may
be larger than its mean, "overdispersion" ``φ``) is fitted to the same series' recent past::

    log E[y_j] = β0 + β1·(years before t) + β2·sin(2π·phase_j) + β3·cos(2π·phase_j)

on weeks ``t − guard − L … t − guard − 1`` (``L`` = up to 156 weeks — three years — and at least
104, ``guard`` = 4 weeks so that the start of an ongoing rise is not in its own baseline). The
sine/cosine pair is a yearly wave (Serfling's model for seasonal mortality).

The steps follow Farrington et al. (1996, *JRSS A* 159:547–563) with the refinements of Noufaily
et al. (2013, *Stat Med* 32:1206–1222):

1. fit the model by iteratively reweighted least squares; dispersion
   ``φ = max(1, Σ (y − μ)² / μ / (n − p))``;
2. down-weight past weeks that were themselves outbreaks: Anscombe residuals above 2.58 get weight
   ``s⁻²`` (weights rescaled to sum to ``n``) and the model is refitted;
3. keep the trend only when it is significant (|Wald z| > 1.96) and does not predict more than
   the largest count in the baseline, else use the model without trend;
4. the expected count is ``μ0 = exp(x0·β)``; the threshold uses the 2/3-power transformation,
   which makes Poisson-like counts nearly normal::

       U = (μ0^(2/3) + z · sqrt(4/9 · φ · μ0^(1/3) + 4/9 · μ0^(4/3) · Var(η0)))^(3/2)

   with ``Var(η0)`` the variance of the fitted log-mean at week ``t`` and ``z`` the ``1 − α``
   normal quantile (α = 0.005, one-sided). An alarm is ``y_t > U``.

Everything is batched: all (series, week) fits are solved at once with NumPy linear algebra.
A baseline with no events at all gives ``μ0 = 0`` and ``U = 0``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.special import ndtri  # the normal quantile, without importing scipy.stats (slow to import)

#: Longest baseline in weeks (three years).
MAX_BASELINE_WEEKS = 156
#: Shortest baseline in weeks: the method needs two years of history.
MIN_BASELINE_WEEKS = 104
#: Weeks between the end of the baseline and the week tested.
GUARD_WEEKS = 4
#: One-sided false-alarm probability of the threshold.
ALPHA = 0.005
#: Anscombe residuals above this mark a past week as an outbreak to down-weight (Noufaily et al.).
REWEIGHT_ABOVE = 2.58
#: Trend kept only when its Wald z-score exceeds this.
TREND_Z = 1.96
_MAX_ETA = 30.0


def fit_poisson(
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
    *,
    iterations: int = 50,
    tol: float = 1e-8,
) -> dict[str, np.ndarray]:
    """Poisson log-linear regressions by IRLS, many at once.

    ``X`` is ``(fits, n, p)`` (or ``(n, p)`` for one fit), ``y`` ``(fits, n)`` and ``weights`` prior
    weights ``(fits, n)`` (0 leaves an observation out). Returns ``beta`` ``(fits, p)``, ``mu``
    ``(fits, n)``, ``xtwx_inv`` ``(fits, p, p)`` — the unscaled covariance of ``beta`` — and
    ``dispersion`` (Pearson ``Σ w (y − μ)²/μ / (n − p)`` over the observations with weight > 0,
    floored at 1). Matches ``statsmodels`` ``GLM(family=Poisson())`` on the same data.
    """
    X = np.asarray(X, dtype=np.float64)
    single = X.ndim == 2
    X = X[None] if single else X
    y = np.atleast_2d(np.asarray(y, dtype=np.float64))
    w = np.ones_like(y) if weights is None else np.atleast_2d(np.asarray(weights, dtype=np.float64))
    p = X.shape[2]
    # Start from the counts themselves (plus a little, so zero counts have a finite log).
    eta = np.log(y + 0.5)
    mu = np.exp(eta)
    beta = np.zeros((X.shape[0], p))
    ridge = 1e-10 * np.eye(p)
    for _ in range(iterations):
        working = w * mu
        z = eta + (y - mu) / mu
        xtw = np.swapaxes(X, 1, 2) * working[:, None, :]
        xtwx = xtw @ X + ridge
        xtwz = (xtw @ (z[..., None]))[..., 0]
        # pinv, not solve: a sparse series (all zeros in a stratum, all weights zero) makes X'WX
        # singular, and one such series must not stop the whole batch.
        new_beta = (np.linalg.pinv(xtwx) @ xtwz[..., None])[..., 0]
        eta = np.clip((X @ new_beta[..., None])[..., 0], -_MAX_ETA, _MAX_ETA)
        mu = np.exp(eta)
        change = np.abs(new_beta - beta).max() if beta.size else 0.0
        beta = new_beta
        if change < tol:
            break
    xtwx = (np.swapaxes(X, 1, 2) * (w * mu)[:, None, :]) @ X + ridge
    xtwx_inv = np.linalg.pinv(xtwx)
    used = (w > 0).sum(axis=1)
    pearson = (w * (y - mu) ** 2 / mu).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        dispersion = np.maximum(1.0, np.where(used > p, pearson / (used - p), 1.0))
    out = {"beta": beta, "mu": mu, "xtwx_inv": xtwx_inv, "dispersion": dispersion}
    return {k: v[0] for k, v in out.items()} if single else out


def _anscombe_reweight(X: np.ndarray, y: np.ndarray, w: np.ndarray, fit: dict[str, np.ndarray]) -> np.ndarray:
    """Farrington/Noufaily weights: past weeks with large Anscombe residuals count less."""
    mu, phi = fit["mu"], fit["dispersion"][:, None]
    hat = w * mu * ((X @ fit["xtwx_inv"]) * X).sum(axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        resid = (
            1.5
            * (y ** (2 / 3) - mu ** (2 / 3))
            / (mu ** (1 / 6) * np.sqrt(phi * np.clip(1.0 - hat, 1e-6, None)))
        )
    omega = np.where((w > 0) & (resid > REWEIGHT_ABOVE), resid**-2.0, 1.0) * (w > 0)
    total = omega.sum(axis=1, keepdims=True)
    return np.where(
        total > 0, omega * (w > 0).sum(axis=1, keepdims=True) / np.where(total > 0, total, 1.0), 0.0
    )


def _fit_reweighted(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> dict[str, np.ndarray]:
    first = fit_poisson(X, y, w)
    return fit_poisson(X, y, _anscombe_reweight(X, y, w, first))


def farrington_threshold(
    mu0: npt.ArrayLike, dispersion: npt.ArrayLike, var_eta: npt.ArrayLike, alpha: float = ALPHA
) -> np.ndarray:
    """Upper threshold ``U`` from the 2/3-power transformation (see the module docstring)."""
    mu0 = np.asarray(mu0, dtype=np.float64)
    spread = 4.0 / 9.0 * np.asarray(dispersion) * mu0 ** (1 / 3) + 4.0 / 9.0 * mu0 ** (4 / 3) * np.asarray(
        var_eta
    )
    return (mu0 ** (2 / 3) + ndtri(1.0 - alpha) * np.sqrt(spread)) ** 1.5


def seasonal_glm(
    counts: npt.ArrayLike,
    phase: npt.ArrayLike,
    *,
    max_baseline: int = MAX_BASELINE_WEEKS,
    min_baseline: int = MIN_BASELINE_WEEKS,
    guard: int = GUARD_WEEKS,
    alpha: float = ALPHA,
    start: int = 0,
) -> dict[str, np.ndarray]:
    """Farrington-style expected counts, thresholds and alarms for weekly series.

    ``counts`` is ``(series, weeks)``; ``phase`` gives each week's position in the year as
    fractional years (e.g. days since 2000-01-01 / 365.25), for the yearly wave. Returns arrays
    shaped like ``counts``: ``expected``, ``threshold``, ``statistic`` (``(y − μ0)/(U − μ0)``,
    ≥ 1 exactly when the count is above the threshold), ``dispersion``, ``trend_used`` (bool) and
    ``alarm``. Weeks with less than ``min_baseline`` weeks of history before the guard band, and
    weeks before ``start`` (to evaluate only the latest weeks), are NaN.
    """
    y_all = np.atleast_2d(np.asarray(counts, dtype=np.float64))
    phase = np.asarray(phase, dtype=np.float64)
    n_series, n_weeks = y_all.shape
    if phase.shape != (n_weeks,):
        raise ValueError("phase needs one value per week")
    names = ("expected", "threshold", "statistic", "dispersion")
    out = {name: np.full(y_all.shape, np.nan) for name in names}
    out["trend_used"] = np.zeros(y_all.shape, dtype=bool)
    out["alarm"] = np.zeros(y_all.shape, dtype=bool)
    targets = np.arange(max(min_baseline + guard, start), n_weeks)
    if targets.size == 0 or n_series == 0:
        return out

    # Pad on the left so every target has a full-length window; padding carries weight 0.
    padded = np.concatenate([np.zeros((n_series, max_baseline)), y_all], axis=1)
    available = np.concatenate([np.zeros(max_baseline), np.ones(n_weeks)])
    phase_padded = np.concatenate([phase[0] - (np.arange(max_baseline, 0, -1) * 7 / 365.25), phase])
    offsets = np.arange(-guard - max_baseline, -guard)  # window positions relative to the target
    index = targets[:, None] + max_baseline + offsets[None, :]  # (targets, L) into padded arrays
    years_before = offsets / (365.25 / 7)

    angle_w = 2 * np.pi * phase_padded[index]
    angle_0 = 2 * np.pi * phase[targets]
    ones = np.ones_like(angle_w)
    X_trend = np.stack(
        [ones, np.broadcast_to(years_before, angle_w.shape), np.sin(angle_w), np.cos(angle_w)], axis=-1
    )
    x0_trend = np.stack(
        [np.ones_like(angle_0), np.zeros_like(angle_0), np.sin(angle_0), np.cos(angle_0)], axis=-1
    )
    X_flat, x0_flat = X_trend[..., [0, 2, 3]], x0_trend[..., [0, 2, 3]]

    # Every (series, target) pair is one fit: fits are ordered series-major.
    fits_y = padded[:, index].reshape(-1, index.shape[1])
    fits_w = np.broadcast_to(available[index], (n_series, *index.shape)).reshape(-1, index.shape[1])
    empty = (fits_y * fits_w).sum(axis=1) == 0
    live = ~empty
    Xt = np.broadcast_to(X_trend, (n_series, *X_trend.shape)).reshape(-1, *X_trend.shape[1:])[live]
    Xf = np.broadcast_to(X_flat, (n_series, *X_flat.shape)).reshape(-1, *X_flat.shape[1:])[live]
    x0t = np.broadcast_to(x0_trend, (n_series, *x0_trend.shape)).reshape(-1, 4)[live]
    x0f = np.broadcast_to(x0_flat, (n_series, *x0_flat.shape)).reshape(-1, 3)[live]
    yl, wl = fits_y[live], fits_w[live]

    mu0 = np.zeros(fits_y.shape[0])
    var_eta = np.zeros(fits_y.shape[0])
    phi = np.ones(fits_y.shape[0])
    trend_used = np.zeros(fits_y.shape[0], dtype=bool)
    if live.any():
        with_trend = _fit_reweighted(Xt, yl, wl)
        without = _fit_reweighted(Xf, yl, wl)
        eta_t = np.einsum("fp,fp->f", x0t, with_trend["beta"])
        eta_f = np.einsum("fp,fp->f", x0f, without["beta"])
        se_trend = np.sqrt(with_trend["dispersion"] * with_trend["xtwx_inv"][:, 1, 1])
        largest = np.where(wl > 0, yl, -np.inf).max(axis=1)
        keep_trend = (np.abs(with_trend["beta"][:, 1]) > TREND_Z * se_trend) & (np.exp(eta_t) <= largest)
        mu0[live] = np.exp(np.where(keep_trend, eta_t, eta_f))
        var_eta[live] = np.where(
            keep_trend,
            with_trend["dispersion"] * np.einsum("fp,fpq,fq->f", x0t, with_trend["xtwx_inv"], x0t),
            without["dispersion"] * np.einsum("fp,fpq,fq->f", x0f, without["xtwx_inv"], x0f),
        )
        phi[live] = np.where(keep_trend, with_trend["dispersion"], without["dispersion"])
        trend_used[live] = keep_trend

    threshold = farrington_threshold(mu0, phi, var_eta, alpha)
    observed = y_all[:, targets].reshape(-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = np.where(
            threshold > mu0, (observed - mu0) / (threshold - mu0), np.where(observed > mu0, np.inf, 0.0)
        )
    shape = (n_series, targets.size)
    out["expected"][:, targets] = mu0.reshape(shape)
    out["threshold"][:, targets] = threshold.reshape(shape)
    out["statistic"][:, targets] = statistic.reshape(shape)
    out["dispersion"][:, targets] = phi.reshape(shape)
    out["trend_used"][:, targets] = trend_used.reshape(shape)
    out["alarm"][:, targets] = (observed > threshold).reshape(shape)
    return out
