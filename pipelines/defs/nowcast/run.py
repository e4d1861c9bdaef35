"""The nowcast and its backtest from the warehouse: events, origins, the roll, the tables.

Reads ``staging.me_vintages`` (see ``vintages.py``) and ``staging.me_cases``; writes
``marts.nowcast`` (the latest pull's nowcast of each series and provisional month),
``marts.nowcast_backtest`` (by series and horizon), ``marts.nowcast_status`` (per series: the
pooled backtest, whether the nowcast is shown and why not, how history was seeded) and
``staging.nowcast_backtest_rows`` (every scored nowcast).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import numpy as np
import polars as pl

from pipelines.defs.epidemiology.provisional import provisional_start
from pipelines.defs.medical_examiner.snapshots import Snapshot
from pipelines.defs.nowcast.backtest import HORIZONS, NowcastConfig, backtest_frame, nowcast_frame, roll
from pipelines.defs.nowcast.series import Events, minutes, month_index, month_start
from pipelines.defs.nowcast.verdict import Thresholds, backtest_summary, verdicts
from pipelines.defs.nowcast.vintages import Seeding
from pipelines.settings import Settings
from pipelines.warehouse import fetch_row, query_sql_file

#: Geographies and drug series nowcast (the dashboard's drug filter; ``all``: every overdose).
GEOGRAPHIES = ("region", "chicago")
DRUGS = ("all", "any_opioid", "fentanyl", "heroin", "rx_opioid", "nitazene", "xylazine", "cocaine",
         "methamphetamine", "opioid_stimulant", "benzodiazepine", "ethanol")
SERIES = [(g, d) for g in GEOGRAPHIES for d in DRUGS]
#: Seeded history adds origins at the ends of at most this many months before the first pull.
SEEDED_ORIGINS = 24


#: Death months of the stored reporting triangle (the latest ones).
TRIANGLE_MONTHS = 48


@dataclass(frozen=True)
class NowcastTables:
    """What :func:`run_nowcast` computed, ready to write."""

    nowcast: pl.DataFrame
    detail: pl.DataFrame
    summary: pl.DataFrame
    status: pl.DataFrame
    triangle: pl.DataFrame


def triangle_table(events: Events, number: dict[tuple[str, str], int], last_pull: int, complete_months: int) -> pl.DataFrame:
    """The reporting triangles as known at the last pull, long: per series (and each geography's
    pending cases), death month and months of delay ``k``, the count known at the end of month
    ``m + k`` — the cells known by then, for the latest :data:`TRIANGLE_MONTHS` death months."""
    last = month_index(np.datetime64(int(last_pull), "m"))
    rows = np.arange(last - TRIANGLE_MONTHS + 1, last + 1)
    delay = np.arange(complete_months + 1)
    read = np.minimum(month_start(rows[:, None] + delay[None, :] + 1), last_pull)
    known = (rows[:, None] + delay[None, :]) <= last
    labels = list(number)
    counts = events.count_at(np.array([number[lab] for lab in labels])[:, None, None], rows[None, :, None], read[None])
    s, r, k = np.nonzero(np.broadcast_to(known, counts.shape))
    return pl.DataFrame({
        "geography": [labels[i][0] for i in s], "drug": [labels[i][1] for i in s],
        "death_month": rows[r].astype("datetime64[M]").astype("datetime64[D]"),
        "delay_months": delay[k].astype(np.int32), "known": counts[s, r, k],
    })


def config(settings: Settings) -> NowcastConfig:
    """The model's settings from the settings object."""
    return NowcastConfig(settings.nowcast_complete_months, settings.nowcast_window_months,
                         settings.nowcast_method == "pending")


def thresholds(settings: Settings) -> Thresholds:
    """When the nowcast is shown, from the settings object."""
    return Thresholds(settings.nowcast_min_vintages, settings.nowcast_coverage_min, settings.nowcast_coverage_max)


def load_events(con: duckdb.DuckDBPyConnection, settings: Settings) -> tuple[Events, dict[tuple[str, str], int]]:
    """The count changes of every series (and each geography's pending cases), and their numbers."""
    params = {"region_areas": list(settings.region_areas),
              "region_municipalities": list(settings.region_municipalities)}
    frame = query_sql_file(con, "nowcast/series_events.sql", params).pl()
    labels = SERIES + [(g, "pending") for g in GEOGRAPHIES]
    number = {label: i for i, label in enumerate(labels)}
    if frame.is_empty():
        return Events.build(np.array([]), np.array([]), np.array([]), np.array([]), 0, 1), number
    month = frame["death_month"].to_numpy().astype("datetime64[M]").astype(np.int64)
    at = (frame["at"].to_numpy().astype("datetime64[m]") - np.datetime64("1970-01-01T00:00", "m")).astype(np.int64)
    series = np.array([number[(g, d)] for g, d in zip(frame["geography"], frame["drug"])])
    month0 = int(month.min())
    return Events.build(series, month, at, frame["delta"].to_numpy(), month0, int(month.max()) - month0 + 1), number


def pull_times(snapshots: list[Snapshot]) -> list[datetime]:
    """When each pull was taken (UTC, naive), oldest first."""
    return sorted(datetime.fromisoformat(s.manifest["pulled_at"]).replace(tzinfo=None) for s in snapshots)


def origins(pulls: list[datetime], seeding: Seeding, first_month: int, cfg: NowcastConfig) -> tuple[np.ndarray, np.ndarray]:
    """The backtest's origins (minutes) and their kind: the last pull of each calendar month
    (``pull``) and, with seeded history, month ends before the first pull (``seeded``)."""
    last_of_month: dict[int, int] = {}
    for pull in pulls:
        last_of_month[month_index(pull)] = minutes(pull)
    found = [(t, "pull") for t in sorted(last_of_month.values())]
    if seeding.usable and pulls:
        first = month_index(pulls[0])
        earliest = max(first - SEEDED_ORIGINS, first_month + cfg.complete_months + cfg.window + 1)
        # 23:00 on the last day of each month, as the demo's pulls; any point late in the month would do.
        found = [(int(month_start(m + 1)) - 60, "seeded") for m in range(earliest, first)] + found
    return np.array([t for t, _ in found], dtype=np.int64), np.array([k for _, k in found])


def run_nowcast(con: duckdb.DuckDBPyConnection, settings: Settings, snapshots: list[Snapshot],
                seeding: Seeding) -> NowcastTables:
    """Roll the nowcast over every origin, score it, and shape the published tables."""
    cfg = config(settings)
    limits = thresholds(settings)
    events, number = load_events(con, settings)
    pulls = pull_times(snapshots)
    times, kinds = origins(pulls, seeding, events.month0, cfg)
    series_ids = np.array([number[s] for s in SERIES])
    pending_ids = np.array([number[(g, "pending")] for g, _ in SERIES])
    horizons = min(max(settings.provisional_months, 1), HORIZONS)
    if not len(times):
        detail = backtest_frame_empty()
        status = verdicts(detail, SERIES, horizons, limits)
        return NowcastTables(_empty_nowcast(), detail, backtest_summary(detail), _with_meta(status, pulls, seeding, cfg),
                             pl.DataFrame())
    rolled = roll(events, series_ids, pending_ids, times, cfg)
    detail = backtest_frame(rolled, SERIES, kinds)
    status = _with_meta(verdicts(detail, SERIES, horizons, limits), pulls, seeding, cfg)
    last_month = fetch_row(con, "SELECT date_trunc('month', max(death_date))::DATE FROM staging.me_cases")[0]
    first_provisional = provisional_start(last_month, settings.provisional_months) if last_month else None
    latest = nowcast_frame(rolled, SERIES, -1).join(
        status.select("geography", "drug", "shown", "reason", pl.col("vintages").alias("vintages_used")),
        on=["geography", "drug"], how="left", suffix="_series",
    )
    nowcast = latest.with_columns(
        shown=pl.col("shown") & pl.col("expected").is_not_null() & pl.col("lower_90").is_not_null()
        & (pl.col("month") >= pl.lit(first_provisional)) & (pl.col("month") <= pl.lit(last_month)),
        vintages_used=pl.col("vintages_used_series"),
        as_of=pl.lit(pulls[-1]),
    ).drop("vintages_used_series")
    return NowcastTables(nowcast.select(NOWCAST_COLUMNS), detail, backtest_summary(detail), status,
                         triangle_table(events, number, int(times[-1]), cfg.complete_months))


#: Columns of ``marts.nowcast``.
NOWCAST_COLUMNS = ["geography", "drug", "month", "horizon", "reported", "expected", "median", "lower_50",
                   "upper_50", "lower_90", "upper_90", "vintages_used", "shown", "reason", "as_of"]


def _empty_nowcast() -> pl.DataFrame:
    schema = {"geography": pl.String, "drug": pl.String, "month": pl.Date, "horizon": pl.Int32,
              **{c: pl.Float64 for c in NOWCAST_COLUMNS[4:11]}, "vintages_used": pl.Int32,
              "shown": pl.Boolean, "reason": pl.String, "as_of": pl.Datetime("us")}
    return pl.DataFrame(schema=schema)


def backtest_frame_empty() -> pl.DataFrame:
    """A backtest without rows (no pulls yet), with the columns of ``backtest_frame``."""
    schema = {"geography": pl.String, "drug": pl.String, "horizon": pl.Int32, "month": pl.Date,
              **{c: pl.Float64 for c in ("reported", "expected", "lower_90", "lower_50", "median", "upper_50",
                                         "upper_90")},
              "vintages_used": pl.Int32, "origin": pl.Datetime("us"), "origin_kind": pl.String, "final": pl.Float64}
    return pl.DataFrame(schema=schema)


def _with_meta(status: pl.DataFrame, pulls: list[datetime], seeding: Seeding, cfg: NowcastConfig) -> pl.DataFrame:
    return status.with_columns(
        pulls=pl.lit(len(pulls), pl.Int32),
        first_pull=pl.lit(pulls[0] if pulls else None, pl.Datetime("us")),
        last_pull=pl.lit(pulls[-1] if pulls else None, pl.Datetime("us")),
        seeding=pl.lit(seeding.mode),
        seeding_reason=pl.lit(seeding.reason),
        method=pl.lit("pending cases" if cfg.use_pending else "chain ladder"),
        complete_months=pl.lit(cfg.complete_months, pl.Int32),
    )
