"""Age-adjusted death rates with Fay–Feuer 95% intervals — the single definition of an "age-adjusted rate".

Why: overdose deaths are concentrated in middle age, so an area with many children or many old
people has a lower crude rate than an area with the same risk at every age. Direct
standardisation answers "what would the rate be if this area had the age structure of the
standard population?", so areas, the region, the city and years compare like for like. It is
how the Chicago Department of Public Health, NCHS and CDC WONDER publish death rates.

Definitions (band ``i`` of :data:`pipelines.defs.epidemiology.demographics.AGE_BANDS`; ``d_i``
deaths of known age in the band, ``P_i`` population of the band, ``T`` period length in years as
for the crude rate, ``s_i`` = standard population of the band / 1,000,000):

* weight                ``w_i = s_i / (P_i × T)``
* age-adjusted rate     ``R = Σ w_i d_i × 100,000`` (per 100,000 per year)
* 95% interval (Fay & Feuer 1997, gamma method), with ``y = Σ w_i d_i``, ``v = Σ w_i² d_i``,
  ``w_M = max_i w_i`` and ``α = 0.05``:

  - lower = ``Gamma⁻¹(α/2; shape y²/v, scale v/y)`` (0 when ``y = 0``)
  - upper = ``Gamma⁻¹(1 − α/2; shape (y + w_M)²/(v + w_M²), scale (v + w_M²)/(y + w_M))``

  Source: Fay MP, Feuer EJ. "Confidence intervals for directly standardized rates: a method
  based on the gamma distribution." *Stat Med* 1997;16:791–801 — the method of NCHS, CDC WONDER
  and SEER*Stat. With one band it is the exact Poisson interval of the crude rate.
* reliability flag      ``age_adjusted_unstable = deaths of known age < 20`` (NCHS, as the crude
  rate: :data:`pipelines.defs.epidemiology.rates.NCHS_UNRELIABLE_BELOW`).
* deaths of unknown age (no age, or outside 0–120) cannot be put in a band: they are left out of
  the age-adjusted rate and counted in ``deaths_unknown_age``, for a footnote wherever the rate is
  shown. The crude rate counts them.

The standard is the 2000 US standard population (:data:`STANDARD_POPULATION_2000`). Populations
are treated as exact, as NCHS does.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import polars as pl
# scipy.special, not scipy.stats: a gamma quantile is scale × gammaincinv(shape, q), and importing
# scipy.stats costs the dashboard's first page ~2 s (see rates.py).
from scipy.special import gammaincinv

from pipelines.defs.epidemiology.demographics import AGE_BANDS
from pipelines.defs.epidemiology.rates import NCHS_UNRELIABLE_BELOW, PER_100K

#: The 2000 US standard population per million in the 19 age groups of NCHS (first year of age ->
#: persons). Source: NCHS; Anderson RN, Rosenberg HM. "Age standardization of death rates:
#: implementation of the year 2000 standard." National Vital Statistics Reports 47(3), 1998
#: (the 19-group table as published by SEER, "Standard Populations - 19 Age Groups").
STANDARD_19_GROUPS: dict[int, int] = {
    0: 13_818, 1: 55_317, 5: 72_533, 10: 73_032, 15: 72_169, 20: 66_478, 25: 64_529, 30: 71_044,
    35: 80_762, 40: 81_851, 45: 72_118, 50: 62_716, 55: 48_454, 60: 38_793, 65: 34_264,
    70: 31_773, 75: 26_999, 80: 17_842, 85: 15_508,
}


def _collapse(groups: dict[int, int]) -> dict[str, int]:
    """The 19 groups summed into :data:`AGE_BANDS` (every band boundary is a group boundary)."""
    starts = list(AGE_BANDS.values())
    ends = [*starts[1:], 200]
    if not set(starts) <= set(groups):
        raise AssertionError("an age band does not start on a standard group boundary")
    return {
        band: sum(n for first, n in groups.items() if start <= first < end)
        for band, start, end in zip(AGE_BANDS, starts, ends, strict=True)
    }


#: The 2000 US standard population per million, collapsed exactly to :data:`AGE_BANDS`:
#: 0-4: 69,135 · 5-19: 217,734 · 20-34: 202,051 · 35-49: 234,731 · 50-64: 149,963 ·
#: 65-74: 66,037 · 75-84: 44,841 · 85+: 15,508 (sum 1,000,000).
STANDARD_POPULATION_2000: dict[str, int] = _collapse(STANDARD_19_GROUPS)
STANDARD_NAME = "2000 US standard population"
#: Output columns of :func:`age_adjusted_rates`, besides the keys.
RATE_COLUMNS = ("age_adjusted_rate", "age_adjusted_lower", "age_adjusted_upper", "age_adjusted_unstable")

if list(STANDARD_POPULATION_2000) != list(AGE_BANDS) or sum(STANDARD_POPULATION_2000.values()) != 1_000_000:
    raise AssertionError("the standard population must cover the age bands exactly and sum to 1,000,000")


def standard_shares() -> pl.DataFrame:
    """``age_band`` and its ``standard_share`` (fraction of the standard population; sums to 1)."""
    return pl.DataFrame(
        {
            "age_band": list(STANDARD_POPULATION_2000),
            "standard_share": [n / 1_000_000 for n in STANDARD_POPULATION_2000.values()],
        }
    )


def fay_feuer_interval(
    y: npt.ArrayLike, v: npt.ArrayLike, w_max: npt.ArrayLike, level: float = 0.95
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Fay–Feuer gamma interval of directly standardised rates ``y`` (per person-year).

    ``v`` is the variance ``Σ w_i² d_i`` and ``w_max`` the largest weight ``max w_i``; all three
    may be scalars or arrays of one shape. NaN inputs give NaN bounds. Returns ``(lower, upper)``
    per person-year; ``lower`` is 0 where ``y = 0``.

    Raises ``ValueError`` for a level outside (0, 1).
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1 (exclusive), got {level!r}")
    y, v, w_max = (np.asarray(a, dtype=np.float64) for a in (y, v, w_max))
    alpha = 1.0 - level
    with np.errstate(invalid="ignore", divide="ignore"):
        lower = np.where(y == 0, 0.0, (v / y) * gammaincinv(y * y / v, alpha / 2.0))
        v_up, y_up = v + w_max * w_max, y + w_max
        upper = (v_up / y_up) * gammaincinv(y_up * y_up / v_up, 1.0 - alpha / 2.0)
    return np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)


def _check_columns(frame: pl.DataFrame, names: Sequence[str], what: str) -> None:
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks columns {missing} (columns: {frame.columns})")


def age_adjusted_rates(
    cells: pl.DataFrame,
    *,
    keys: Sequence[str],
    years_col: str | None = None,
    per: int = PER_100K,
    level: float = 0.95,
    unstable_below: int = NCHS_UNRELIABLE_BELOW,
) -> pl.DataFrame:
    """One age-adjusted rate per group of ``keys``, from its deaths and population by age band.

    ``cells`` has the ``keys``, ``age_band``, ``deaths`` and ``population`` (and ``years_col``,
    the same on every row of a group: the period length in years, 1 when not given). Every group
    has one row per band of :data:`STANDARD_POPULATION_2000`; rows of any other band (``Unknown``)
    hold deaths of unknown age, whose population is ignored.

    Returns one row per group, sorted by ``keys``: ``deaths_known_age``, ``deaths_unknown_age``,
    ``age_adjusted_rate``, ``age_adjusted_lower``, ``age_adjusted_upper`` (per ``per`` per year)
    and ``age_adjusted_unstable`` (``deaths_known_age < unstable_below``). A group with a band of
    null or zero population, or a null or zero period, gets no rate (null), as the crude rate.

    Raises ``ValueError`` on missing columns, a group without all eight bands (or with one twice),
    negative deaths, populations or period lengths.
    """
    keys = list(keys)
    _check_columns(cells, [*keys, "age_band", "deaths", "population", *([years_col] if years_col else [])], "cells")
    if (cells.get_column("deaths") < 0).any():
        raise ValueError("deaths by age band must be non-negative")
    if (cells.get_column("population") < 0).any():
        raise ValueError("populations by age band must be non-negative")
    if years_col and (cells.get_column(years_col) < 0).any():
        raise ValueError(f"{years_col!r} has negative period lengths")

    standard = cells.filter(pl.col("age_band").is_in(list(STANDARD_POPULATION_2000)))
    band_counts = standard.group_by(keys).agg(pl.len().alias("bands"), pl.col("age_band").n_unique().alias("distinct"))
    incomplete = band_counts.filter((pl.col("bands") != len(AGE_BANDS)) | (pl.col("distinct") != len(AGE_BANDS)))
    if incomplete.height:
        raise ValueError(f"groups without exactly one row per age band {list(AGE_BANDS)}: {incomplete.head(3).rows()}")

    years = pl.col(years_col).cast(pl.Float64) if years_col else pl.lit(1.0)
    person_years = pl.col("population").cast(pl.Float64) * years
    weighted = standard.join(standard_shares(), on="age_band").with_columns(
        pl.when(person_years > 0).then(pl.col("standard_share") / person_years).alias("w"),
        pl.col("deaths").cast(pl.Float64).alias("d"),
    )
    per_group = weighted.group_by(keys).agg(
        pl.col("d").sum().cast(pl.Int64).alias("deaths_known_age"),
        (pl.col("w") * pl.col("d")).sum().alias("y"),
        (pl.col("w") * pl.col("w") * pl.col("d")).sum().alias("v"),
        pl.col("w").max().alias("w_max"),
        # Any band without people (or a zero period) leaves the standard's weight nowhere to go.
        pl.col("w").is_null().any().alias("no_rate"),
    )
    unknown = (
        cells.filter(~pl.col("age_band").is_in(list(STANDARD_POPULATION_2000)))
        .group_by(keys)
        .agg(pl.col("deaths").sum().cast(pl.Int64).alias("deaths_unknown_age"))
    )
    per_group = (
        per_group.join(unknown, on=keys, how="left", nulls_equal=True)
        .with_columns(pl.col("deaths_unknown_age").fill_null(0))
        .sort(keys, nulls_last=True)
    )
    no_rate = per_group.get_column("no_rate").to_numpy()
    y = np.where(no_rate, np.nan, per_group.get_column("y").fill_null(np.nan).to_numpy())
    v = per_group.get_column("v").fill_null(np.nan).to_numpy()
    w_max = per_group.get_column("w_max").fill_null(np.nan).to_numpy()
    lower, upper = fay_feuer_interval(y, v, w_max, level=level)
    scale = float(per)
    return per_group.select(
        *keys,
        "deaths_known_age",
        "deaths_unknown_age",
        pl.Series("age_adjusted_rate", y * scale, nan_to_null=True),
        pl.Series("age_adjusted_lower", lower * scale, nan_to_null=True),
        pl.Series("age_adjusted_upper", upper * scale, nan_to_null=True),
        (pl.col("deaths_known_age") < unstable_below).alias("age_adjusted_unstable"),
    )


def band_cells(
    groups: pl.DataFrame,
    deaths: pl.DataFrame,
    population: pl.DataFrame,
    *,
    keys: Sequence[str],
    population_keys: Sequence[str],
) -> pl.DataFrame:
    """The complete ``cells`` of :func:`age_adjusted_rates` for every row of ``groups``.

    * ``groups`` — one row per group to rate: the ``keys`` (which include ``population_keys``) and
      any other columns (e.g. the period length), carried onto every cell;
    * ``deaths`` — ``keys``, ``age_band``, ``deaths``: only non-zero rows need be present, and
      rows of band ``Unknown`` (or any non-standard band) are kept as deaths of unknown age;
      rows of groups not in ``groups`` are ignored;
    * ``population`` — ``population_keys``, ``age_band``, ``population``.

    Each group gets the eight bands with their population (null where ``population`` has none,
    which :func:`age_adjusted_rates` turns into no rate) and deaths (0 where none).
    """
    keys, population_keys = list(keys), list(population_keys)
    _check_columns(groups, keys, "groups")
    _check_columns(deaths, [*keys, "age_band", "deaths"], "deaths")
    _check_columns(population, [*population_keys, "age_band", "population"], "population")
    if not set(population_keys) <= set(keys):
        raise ValueError(f"population_keys {population_keys} must be among keys {keys}")
    summed = deaths.group_by([*keys, "age_band"]).agg(pl.col("deaths").sum())
    grid = (
        groups.join(standard_shares().select("age_band"), how="cross")
        .join(population.select(*population_keys, "age_band", "population"),
              on=[*population_keys, "age_band"], how="left", nulls_equal=True)
        .join(summed, on=[*keys, "age_band"], how="left", nulls_equal=True)
        .with_columns(pl.col("deaths").fill_null(0))
    )
    unknown = summed.filter(~pl.col("age_band").is_in(list(STANDARD_POPULATION_2000))).join(
        groups, on=keys, how="inner", nulls_equal=True
    )
    return pl.concat([grid, unknown], how="diagonal_relaxed")


def with_age_adjusted_rates(
    groups: pl.DataFrame,
    deaths: pl.DataFrame,
    population: pl.DataFrame,
    *,
    keys: Sequence[str],
    population_keys: Sequence[str],
    years_col: str | None = None,
    level: float = 0.95,
) -> pl.DataFrame:
    """``groups`` with their age-adjusted rates (see :func:`age_adjusted_rates`) added, in order.

    Arguments as :func:`band_cells`; ``years_col`` names the period length in years on
    ``groups``. Adds ``deaths_known_age``, ``deaths_unknown_age`` and :data:`RATE_COLUMNS`.
    """
    cells = band_cells(groups, deaths, population, keys=keys, population_keys=population_keys)
    rates = age_adjusted_rates(cells, keys=keys, years_col=years_col, level=level)
    return groups.join(rates, on=list(keys), how="left", nulls_equal=True, maintain_order="left")
