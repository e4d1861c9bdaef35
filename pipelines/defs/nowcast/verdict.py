"""What the backtest says, and whether the public views may show the nowcast (pure Polars).

The nowcast is shown for a series (geography × drug) when its backtest, pooled over the
provisional horizons, has at least ``min_vintages`` origins, its 90% ranges held the complete
count a share of the time within ``[coverage_min, coverage_max]``, and its mean absolute error is
below the naive provisional count's. Otherwise the views keep the provisional shading and say why.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipelines.defs.nowcast.scores import covered, weighted_interval_score


@dataclass(frozen=True)
class Thresholds:
    """When a nowcast has earned its place (settings ``ODW_NOWCAST_*``)."""

    min_vintages: int = 12
    coverage_min: float = 0.80
    coverage_max: float = 0.97


def scored(detail: pl.DataFrame) -> pl.DataFrame:
    """Backtest rows with their scores: covered by the 50%/90% ranges, WIS, absolute errors."""
    if detail.is_empty():
        return detail.with_columns(
            in_50=pl.lit(None, pl.Boolean), in_90=pl.lit(None, pl.Boolean), wis=pl.lit(None, pl.Float64),
            error_nowcast=pl.lit(None, pl.Float64), error_naive=pl.lit(None, pl.Float64))
    y = detail["final"].to_numpy()
    return detail.with_columns(
        in_50=pl.Series(covered(y, detail["lower_50"].to_numpy(), detail["upper_50"].to_numpy())),
        in_90=pl.Series(covered(y, detail["lower_90"].to_numpy(), detail["upper_90"].to_numpy())),
        wis=pl.Series(weighted_interval_score(y, detail["median"].to_numpy(), detail["lower_50"].to_numpy(),
                                              detail["upper_50"].to_numpy(), detail["lower_90"].to_numpy(),
                                              detail["upper_90"].to_numpy())),
        error_nowcast=(pl.col("expected") - pl.col("final")).abs(),
        error_naive=(pl.col("reported") - pl.col("final")).abs(),
    )


_MEASURES = [
    pl.col("origin").n_unique().cast(pl.Int32).alias("vintages"),
    pl.len().cast(pl.Int32).alias("nowcasts"),
    pl.col("in_50").mean().alias("coverage_50"),
    pl.col("in_90").mean().alias("coverage_90"),
    pl.col("wis").mean().alias("wis"),
    pl.col("error_nowcast").mean().alias("mae_nowcast"),
    pl.col("error_naive").mean().alias("mae_naive"),
]


def backtest_summary(detail: pl.DataFrame) -> pl.DataFrame:
    """``marts.nowcast_backtest``: by geography, drug and horizon, the measures of the scored nowcasts."""
    return scored(detail).group_by("geography", "drug", "horizon").agg(_MEASURES).sort("geography", "drug", "horizon")


def reason_not_shown(vintages: int, coverage_90: float | None, mae_nowcast: float | None,
                     mae_naive: float | None, limits: Thresholds) -> str | None:
    """Why a series' nowcast is not shown (None: it is), in words for the public views."""
    if vintages < limits.min_vintages:
        return (f"needs {limits.min_vintages} months of pulls with complete counts to check it against "
                f"({vintages} so far)")
    if coverage_90 is None or not limits.coverage_min <= coverage_90 <= limits.coverage_max:
        held = "never" if coverage_90 is None else f"{coverage_90:.0%} of the time"
        return (f"its 90% ranges held the final count {held} in the backtest "
                f"(needs {limits.coverage_min:.0%}–{limits.coverage_max:.0%})")
    if mae_nowcast is None or mae_naive is None or not mae_nowcast < mae_naive:
        return "in the backtest it was no closer to the final counts than the provisional counts"
    return None


def verdicts(detail: pl.DataFrame, series: list[tuple[str, str]], horizons: int, limits: Thresholds) -> pl.DataFrame:
    """Per series: the backtest pooled over horizons ``0 .. horizons − 1``, ``shown`` and ``reason``."""
    pooled = scored(detail).filter(pl.col("horizon") < horizons).group_by("geography", "drug").agg(_MEASURES)
    base = pl.DataFrame(series, schema={"geography": pl.String, "drug": pl.String}, orient="row")
    joined = base.join(pooled, on=["geography", "drug"], how="left").with_columns(
        pl.col("vintages").fill_null(0), pl.col("nowcasts").fill_null(0))
    reasons = [reason_not_shown(r["vintages"], r["coverage_90"], r["mae_nowcast"], r["mae_naive"], limits)
               for r in joined.iter_rows(named=True)]
    return joined.with_columns(
        shown=pl.Series([r is None for r in reasons]),
        reason=pl.Series(reasons, dtype=pl.String),
    )
