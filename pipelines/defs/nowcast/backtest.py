"""Rolling-origin nowcasts: at every origin, nowcast from what was known then; score the past ones.

Origins are the pulls (the last of each calendar month) and, where the history is seeded from
``:created_at``, the ends of the months before the first pull. At each origin, in order:

1. the point nowcast of horizons ``0 .. HORIZONS − 1`` of every series, from the triangle known
   then (chain-ladder, or with ``use_pending`` the pending-cases share; see ``model.py``);
2. the negative-binomial size of each series and horizon, fitted on that series' earlier nowcasts
   whose final count was known by this origin (the latest :data:`ERROR_POINTS` of them; fewer than
   :data:`MIN_ERROR_POINTS` gives no interval);
3. the intervals: reported + negative-binomial quantiles of what is still to come.

The backtest scores every nowcast whose final count is known at the last origin; the last origin's
nowcast is the one published.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.defs.nowcast.model import (
    bb_interval,
    completeness,
    development_factors,
    fit_bb_concentration,
    fit_nb_size,
    nb_interval,
    pending_share,
)
from pipelines.defs.nowcast.series import Events, month_index, month_start, triangle

#: Horizons nowcast and scored: the origin's month and the three before it.
HORIZONS = 4
#: Past errors a dispersion is fitted on (the latest), and the fewest that give an interval.
ERROR_POINTS = 24
MIN_ERROR_POINTS = 6


#: Columns of :func:`nowcast_frame`.
NOWCAST_SCHEMA = {
    "geography": pl.String, "drug": pl.String, "horizon": pl.Int32, "month": pl.Date,
    "reported": pl.Float64, "expected": pl.Float64, "lower_90": pl.Float64, "lower_50": pl.Float64,
    "median": pl.Float64, "upper_50": pl.Float64, "upper_90": pl.Float64, "vintages_used": pl.Int32,
}


@dataclass(frozen=True)
class NowcastConfig:
    """The model's settings: final after ``complete_months``; factors from ``window`` death months."""

    complete_months: int = 12
    window: int = 12
    use_pending: bool = False


def point_nowcasts(events: Events, series: np.ndarray, pending: np.ndarray, origin: int,
                   cfg: NowcastConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Point nowcasts of every series at ``origin``, ``(len(series), HORIZONS)`` arrays:
    reported count, expected count still to come, cases pending, expected share of them joining.

    ``pending[i]`` is the pending-cases series of ``series[i]``'s geography. What is to come is NaN
    where the model cannot say (no complete history yet). The share is NaN for the chain ladder.
    """
    n_rows = max(cfg.complete_months + cfg.window + 1, HORIZONS)
    ids = np.concatenate([series, pending])
    tri = triangle(events, ids, origin, cfg.complete_months, n_rows)
    n = len(series)
    counts, waiting, observed = tri.counts[:n], tri.counts[n:], tri.observed
    h = np.arange(HORIZONS)
    rows = counts.shape[1] - 1 - h
    reported = counts[:, rows, h]
    now_pending = waiting[:, rows, h]
    if cfg.use_pending:
        share = np.stack([pending_share(counts, observed, waiting, k, cfg.window) for k in h], axis=1)
        share = np.clip(share, 0.0, 1.0)
        return reported, share * now_pending, now_pending, share
    known = completeness(development_factors(counts, observed, cfg.window))[:, h]
    with np.errstate(divide="ignore", invalid="ignore"):
        to_come = np.where(known > 0, reported * (1.0 / known - 1.0), np.nan)
    return reported, to_come, now_pending, np.full_like(to_come, np.nan)


@dataclass(frozen=True)
class Rolled:
    """Every origin's nowcasts: arrays ``(origins, series, HORIZONS)`` and the origins' months."""

    origins: np.ndarray  # minutes
    months: np.ndarray  # origin month indexes
    reported: np.ndarray
    to_come: np.ndarray
    pending: np.ndarray
    share: np.ndarray
    final: np.ndarray  # count once complete (NaN where not known at the last origin)
    spread: np.ndarray  # fitted NB size or beta-binomial concentration (NaN: too few past errors)
    errors_used: np.ndarray  # past errors it was fitted on, (origins, HORIZONS)
    use_pending: bool

    def bounds(self, index: int) -> dict[str, np.ndarray]:
        """Median and 50%/90% bounds of origin ``index``, ``(series, HORIZONS)`` each."""
        if self.use_pending:
            return bb_interval(self.reported[index], self.pending[index], self.share[index], self.spread[index])
        return nb_interval(self.reported[index], self.to_come[index], self.spread[index])


def roll(events: Events, series: np.ndarray, pending: np.ndarray, origins: np.ndarray,
         cfg: NowcastConfig) -> Rolled:
    """Nowcast at every origin (sorted minutes) with what was known then; see the module docstring."""
    origins = np.sort(np.asarray(origins, dtype=np.int64))
    months = np.array([month_index(np.datetime64(int(o), "m")) for o in origins], dtype=np.int64)
    n_o, n_s = len(origins), len(series)
    parts = [point_nowcasts(events, series, pending, int(origin), cfg) for origin in origins]
    reported, to_come, waiting, share = (np.stack([p[i] for p in parts]) if n_o else
                                         np.empty((0, n_s, HORIZONS)) for i in range(4))
    h = np.arange(HORIZONS)
    target = months[:, None] - h[None, :]
    final_at = month_start(target + cfg.complete_months + 1)
    final = events.count_at(series[None, :, None], target[:, None, :], final_at[:, None, :])
    final = np.where((final_at <= origins[-1])[:, None, :], final, np.nan) if n_o else final
    spread = np.full((n_o, n_s, HORIZONS), np.nan)
    used = np.zeros((n_o, HORIZONS), dtype=int)
    for i, origin in enumerate(origins):
        for k in range(HORIZONS):
            past = np.flatnonzero(final_at[:i, k] <= origin)[-ERROR_POINTS:]
            used[i, k] = past.size
            # A range is needed where it is scored (final count known by the last origin) or published.
            needed = final_at[i, k] <= origins[-1] or i == n_o - 1
            if past.size < MIN_ERROR_POINTS or not needed:
                continue
            came = (final[past, :, k] - reported[past, :, k]).T  # (series, points)
            if cfg.use_pending:
                use = np.isfinite(came) & np.isfinite(share[past, :, k].T)
                spread[i, :, k] = fit_bb_concentration(came, waiting[past, :, k].T, share[past, :, k].T, use)
            else:
                mu = to_come[past, :, k].T
                spread[i, :, k] = fit_nb_size(came, mu, np.isfinite(came) & np.isfinite(mu))
    return Rolled(origins, months, reported, to_come, waiting, share, final, spread, used, cfg.use_pending)


def nowcast_frame(rolled: Rolled, labels: list[tuple[str, str]], index: int) -> pl.DataFrame:
    """The nowcasts of origin ``index`` (−1: the latest) as rows: series, horizon, month, counts, bounds."""
    n_s = len(labels)
    rep = rolled.reported[index]
    mu = rolled.to_come[index]
    bounds = rolled.bounds(index)
    month = (rolled.months[index] - np.arange(HORIZONS)).astype("datetime64[M]").astype("datetime64[D]")
    expected = np.where(np.isfinite(mu), rep + mu, np.nan)
    frame = pl.DataFrame({
        "geography": np.repeat([g for g, _ in labels], HORIZONS),
        "drug": np.repeat([d for _, d in labels], HORIZONS),
        "horizon": np.tile(np.arange(HORIZONS), n_s),
        "month": np.tile(month, n_s),
        "reported": rep.ravel(),
        "expected": expected.ravel(),
        **{name: bounds[name].ravel() for name in ("lower_90", "lower_50", "median", "upper_50", "upper_90")},
        "vintages_used": np.tile(rolled.errors_used[index], n_s),
    })
    return frame.with_columns(pl.col(pl.Float64).fill_nan(None)).cast(NOWCAST_SCHEMA)


def backtest_frame(rolled: Rolled, labels: list[tuple[str, str]], origin_kinds: np.ndarray) -> pl.DataFrame:
    """Every scored nowcast: those whose final count is known at the last origin and that have an interval."""
    frames = []
    for i in range(len(rolled.origins)):
        if not np.isfinite(rolled.final[i]).any():
            continue
        frames.append(nowcast_frame(rolled, labels, i).with_columns(
            origin=pl.lit(np.datetime64(int(rolled.origins[i]), "m").astype("datetime64[us]").item()),
            origin_kind=pl.lit(str(origin_kinds[i])),
            final=pl.Series(rolled.final[i].ravel()).fill_nan(None),
        ))
    if not frames:
        return pl.DataFrame(schema={**NOWCAST_SCHEMA, "origin": pl.Datetime("us"), "origin_kind": pl.String,
                                    "final": pl.Float64})
    return pl.concat(frames).filter(pl.col("final").is_not_null() & pl.col("lower_90").is_not_null())
