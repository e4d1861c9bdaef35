"""Crude death rates with exact Poisson confidence intervals — the single definition of a "rate".

Every rate the pipeline publishes (community-area rates, region rates, the KPI cards) is produced by
:func:`with_rates`, so the formula, the interval and the reliability flag are the same everywhere.

Formulas (``k`` = deaths, ``P`` = population, ``T`` = period length in years, ``per`` = 100,000):

* crude rate            ``R = k / (P * T) * per``
* exact 95 % interval   ``[L(k), U(k)] / (P * T) * per`` where, with ``alpha = 1 - level``,
  ``L(k) = chi2.ppf(alpha/2, 2k) / 2`` (``0`` when ``k = 0``) and ``U(k) = chi2.ppf(1 - alpha/2, 2k + 2) / 2``
  — the exact (Garwood) interval for a Poisson mean. Sources: Garwood F. "Fiducial limits for the
  Poisson distribution", *Biometrika* 28 (1936) 437–442; Ulm K. "A simple method to calculate the
  confidence interval of a standardized mortality ratio", *Am J Epidemiol* 131 (1990) 373–375;
  the same method is used by CDC WONDER and NCHS for death rates.
* reliability flag      ``unstable = k < 20`` — NCHS: "rates based on fewer than 20 deaths are
  considered unreliable": a Poisson count ``k`` has relative standard error ``1/sqrt(k)``, which is
  23 % or more for every ``k`` below 20. Source: NCHS, *National Vital Statistics Reports*,
  "Deaths: Final Data", Technical Notes, "Random variation and reliability of rates"; CDC WONDER
  "Unreliable" footnote.

The population is treated as fixed (no sampling error), as NCHS does for census/estimate denominators.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import numpy.typing as npt
import polars as pl
# scipy.special, not scipy.stats: chi2.ppf(q, 2k)/2 is gammaincinv(k, q) exactly (scipy.stats
# computes it so), and importing scipy.stats costs the dashboard's first page ~2 s.
from scipy.special import gammaincinv

#: Deaths below this count give an unreliable rate (NCHS standard).
NCHS_UNRELIABLE_BELOW = 20
#: Rates are expressed per this many population per year.
PER_100K = 100_000


def poisson_ci(
    counts: npt.ArrayLike, level: float = 0.95
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Exact (Garwood) two-sided confidence interval for the mean of Poisson counts.

    ``counts`` is a scalar or array of non-negative counts; NaN (a missing count) gives NaN bounds.
    Returns ``(lower, upper)`` as float arrays of the same shape, with
    ``lower = chi2.ppf(alpha/2, 2k)/2`` (0 for ``k = 0``) and ``upper = chi2.ppf(1-alpha/2, 2k+2)/2``.

    Known answers at 95 %: k=0 → (0, 3.6889); k=1 → (0.0253, 5.5716); k=10 → (4.7954, 18.3904).

    Raises ``ValueError`` for a level outside (0, 1) or a negative count.
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1 (exclusive), got {level!r}")
    k = np.asarray(counts, dtype=np.float64)
    if np.any(k < 0):
        raise ValueError("Poisson counts must be non-negative")
    alpha = 1.0 - level
    # chi2.ppf(q, 2k) / 2 == gammaincinv(k, q). With k = 0 that is NaN, but the exact lower limit
    # for k = 0 is 0 by definition (no event can be "too many"), so k = 0 is set explicitly; NaN
    # counts stay NaN.
    with np.errstate(invalid="ignore"):
        lower = np.where(k == 0, 0.0, gammaincinv(k, alpha / 2.0))
        upper = gammaincinv(k + 1.0, 1.0 - alpha / 2.0)
    return np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)


def period_years(start: date, end: date) -> float:
    """Length in years of the half-open period ``[start, end)``, for annualising rates.

    ``end`` is exclusive — the day after the last day covered — so consecutive periods share a
    boundary (``[Jan 1, Jul 1)`` then ``[Jul 1, Jan 1)``), as in SQL ``date >= start AND date < end``.

    * When both dates are the first of a month (every monthly aggregate in the pipeline), the result
      is ``whole months / 12``: six months is exactly 0.5 and a calendar year exactly 1.0, whatever
      the month lengths or leap days, matching how annual rates are published.
    * Otherwise it is ``days / 365.25`` (the mean Julian-calendar year length).

    Raises ``ValueError`` when ``end`` is before ``start``; ``start == end`` gives 0.0.
    """
    if end < start:
        raise ValueError(f"period end {end} is before its start {start}")
    if start.day == 1 and end.day == 1:
        months = (end.year - start.year) * 12 + (end.month - start.month)
        return months / 12.0
    return (end - start).days / 365.25


def with_rates(
    frame: pl.DataFrame,
    *,
    count_col: str = "deaths",
    population_col: str = "population",
    years_col: str | None = None,
    per: int = PER_100K,
    unstable_below: int = NCHS_UNRELIABLE_BELOW,
    prefix: str = "rate",
    level: float = 0.95,
) -> pl.DataFrame:
    """Add a crude (optionally annualised) rate, its exact Poisson CI and the NCHS reliability flag.

    Adds four columns named from ``prefix`` (default ``rate``):

    * ``{prefix}`` — ``count / (population * years) * per``; ``years`` is 1 unless ``years_col`` names
      a column with the period length in years (0.5 for six months, see :func:`period_years`), which
      turns a partial-period count into an annual rate;
    * ``{prefix}_lower`` / ``{prefix}_upper`` — :func:`poisson_ci` bounds of the count, scaled the same way;
    * ``{prefix}_unstable`` — ``count < unstable_below`` (20, NCHS), null when the count is null.

    A null count, or a null/zero population or period length, gives null rate and bounds (no
    denominator, no rate). Raises ``ValueError`` on a missing column, a negative count, population or
    period length.
    """
    for name in (count_col, population_col, years_col):
        if name is not None and name not in frame.columns:
            raise ValueError(f"column {name!r} not in frame (columns: {frame.columns})")
    out_cols = [prefix, f"{prefix}_lower", f"{prefix}_upper", f"{prefix}_unstable"]

    counts = frame.get_column(count_col).cast(pl.Float64)
    if (counts < 0).any():
        raise ValueError(f"{count_col!r} has negative counts")
    if (frame.get_column(population_col) < 0).any():
        raise ValueError(f"{population_col!r} has negative populations")
    if years_col is not None and (frame.get_column(years_col) < 0).any():
        raise ValueError(f"{years_col!r} has negative period lengths")

    lower, upper = poisson_ci(counts.to_numpy(), level=level)

    person_years = pl.col(population_col).cast(pl.Float64)
    if years_col is not None:
        person_years = person_years * pl.col(years_col).cast(pl.Float64)
    # A zero denominator means "no population at risk", not an infinite rate: publish nothing.
    scale = pl.when(person_years > 0).then(pl.lit(float(per)) / person_years)

    return frame.with_columns(
        (pl.col(count_col).cast(pl.Float64) * scale).alias(out_cols[0]),
        (pl.lit(pl.Series(out_cols[1], lower, nan_to_null=True)) * scale).alias(out_cols[1]),
        (pl.lit(pl.Series(out_cols[2], upper, nan_to_null=True)) * scale).alias(out_cols[2]),
        (pl.col(count_col) < unstable_below).alias(out_cols[3]),
    )
