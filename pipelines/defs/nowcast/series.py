"""Counts as known at any moment, and the reporting triangles built from them.

``sql/nowcast/series_events.sql`` turns ``staging.me_vintages`` into +1/−1 events per series
(geography × drug, plus each geography's ``pending`` cases) and death month: +1 when a case starts
being counted, −1 when it stops (reclassified, or gone from the archive). The count of a death
month known at time ``τ`` is the sum of its events up to ``τ`` (:meth:`Events.count_at`).

**When the columns of a triangle are read.** An origin ``t`` (a pull) falls in month ``M``. Column
``k`` of death month ``m`` is read at the same point of month ``m + k`` as ``t`` is of ``M`` —
counted from the nearer end of the month (``t`` minus the start of ``M`` when ``t`` is in the first
half, else the time left until ``M`` ends), so an end-of-month pull reads every month at its end
and a pull early in the month reads every month early. Column ``k = M − m`` is read at ``t``
itself. The final column is read when ``D`` whole months have passed after the death month (at the
start of month ``m + D + 1``). The **horizon** of death month ``m`` at origin ``t`` is ``M − m``:
0 for the month of the pull (the current, possibly partial month).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np

#: Minutes per unit of the int64 time axis.
_EPOCH = np.datetime64("1970-01-01T00:00", "m")


def month_index(value: date | datetime | np.datetime64) -> int:
    """Months since 1970-01 of the month holding ``value``."""
    return int(np.datetime64(value, "M").astype(np.int64))


def month_start(index: np.ndarray | int) -> np.ndarray:
    """Minutes since 1970 of the first instant of month ``index`` (months since 1970-01)."""
    months = np.asarray(index, dtype=np.int64).astype("datetime64[M]")
    return (months.astype("datetime64[m]") - _EPOCH).astype(np.int64)


def minutes(value: datetime | np.datetime64) -> int:
    """Minutes since 1970 (UTC, naive datetimes are taken as UTC)."""
    return int((np.datetime64(value, "m") - _EPOCH).astype(np.int64))


@dataclass(frozen=True)
class Events:
    """Count changes of every (series, death month), sorted by a packed key for fast look-ups."""

    keys: np.ndarray  # int64, sorted: (series * n_months + month - month0) * span + minute - t0
    cumulative: np.ndarray  # float, len(keys) + 1: running sum of the changes (0 first)
    month0: int
    n_months: int
    t0: int
    span: int

    @classmethod
    def build(cls, series: np.ndarray, month: np.ndarray, at_minute: np.ndarray, delta: np.ndarray,
              month0: int, n_months: int) -> Events:
        """Pack events (series number, death month index, minute, change) for :meth:`count_at`."""
        at_minute = np.asarray(at_minute, dtype=np.int64)
        t0 = int(at_minute.min()) - 1 if at_minute.size else 0
        span = int(at_minute.max()) - t0 + 2 if at_minute.size else 2
        keys = ((np.asarray(series, dtype=np.int64) * n_months + (np.asarray(month, dtype=np.int64) - month0))
                * span + (at_minute - t0))
        order = np.argsort(keys, kind="stable")
        cumulative = np.concatenate([[0.0], np.cumsum(np.asarray(delta, dtype=float)[order])])
        return cls(keys=keys[order], cumulative=cumulative, month0=month0, n_months=n_months, t0=t0, span=span)

    def count_at(self, series: np.ndarray, month: np.ndarray, at_minute: np.ndarray) -> np.ndarray:
        """The count of each (series, death month) known at each minute (broadcast arrays)."""
        series, month, at_minute = np.broadcast_arrays(
            np.asarray(series, dtype=np.int64), np.asarray(month, dtype=np.int64), np.asarray(at_minute, dtype=np.int64))
        inside = (month >= self.month0) & (month < self.month0 + self.n_months)
        cell = (series * self.n_months + np.clip(month - self.month0, 0, self.n_months - 1)) * self.span
        when = np.clip(at_minute - self.t0, 0, self.span - 1)
        upto = self.cumulative[np.searchsorted(self.keys, cell + when, side="right")]
        before = self.cumulative[np.searchsorted(self.keys, cell, side="right")]
        return np.where(inside, upto - before, 0.0)


def column_times(origin: int, rows: np.ndarray, columns: int) -> np.ndarray:
    """Minute at which each (row death month, column k) cell is read for an ``origin`` minute.

    ``rows`` are month indexes; returns ``(len(rows), columns)``; see the module docstring.
    """
    month = int(np.datetime64(int(origin), "m").astype("datetime64[M]").astype(np.int64))
    elapsed = origin - int(month_start(month))
    remaining = int(month_start(month + 1)) - origin
    read = np.asarray(rows, dtype=np.int64)[:, None] + np.arange(columns)[None, :]
    if elapsed < remaining:
        times = month_start(read) + elapsed
    else:
        times = month_start(read + 1) - remaining
    return np.minimum(times, origin)


@dataclass(frozen=True)
class Triangle:
    """Reporting triangles of several series at one origin: ``(series, rows, D + 2)`` arrays."""

    rows: np.ndarray  # death month indexes, oldest first; the last is the origin's month
    counts: np.ndarray
    observed: np.ndarray  # (rows, D + 2) — the same for every series


def triangle(events: Events, series: np.ndarray, origin: int, complete_months: int, n_rows: int) -> Triangle:
    """The triangles of ``series`` at ``origin``: ``n_rows`` death months up to the origin's month,
    columns 0..D read as :func:`column_times` says and the final count (column D + 1)."""
    month = int(np.datetime64(int(origin), "m").astype("datetime64[M]").astype(np.int64))
    rows = np.arange(month - n_rows + 1, month + 1)
    cols = complete_months + 1
    final = np.minimum(month_start(rows + complete_months + 1), origin)[:, None]
    times = np.concatenate([column_times(origin, rows, cols), final], axis=1)
    lag = (month - rows)[:, None]
    observed = np.concatenate([np.arange(cols)[None, :] <= lag, (lag >= complete_months + 1)], axis=1)
    counts = events.count_at(np.asarray(series)[:, None, None], rows[None, :, None], times[None, :, :])
    return Triangle(rows=rows, counts=counts, observed=observed)
