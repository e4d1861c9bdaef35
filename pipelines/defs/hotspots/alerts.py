"""Spike alerts: daily and weekly series per area, region and city → EARS C1/C2/C3 and the
seasonal regression → one table of alerts, each marked initial spike, sustained spike or sustained
high burden, with a severity.

Series. For every community area of the task-force region, the region as a whole (with its suburbs,
when ``ODW_REGION_MUNICIPALITIES`` names any) and Chicago, a
zero-filled daily count from the first to the last day of data and a weekly count (ISO weeks from
Monday; only complete weeks). Series: ``overdose_deaths`` (Medical Examiner), and
``positive_test_strips`` when the field data are loaded.

Methods. EARS C1, C2 and C3 on daily and weekly series (:mod:`.ears`); the Farrington-style
seasonal regression on weekly series with two years of history (:mod:`.seasonal`). Every method
also needs at least ``min_count`` events in the period (default 3): one or two deaths in a
community area in a week are, sadly, common and not a signal.

Episodes (one per area, series and granularity; :func:`classify_episodes`):

* **initial spike** — a period in which a method alarms and no episode is open;
* **sustained spike** — a method alarms again while the episode is open;
* **sustained high burden** — no method alarms any more (the short EARS baselines soon absorb a
  lasting rise), but the count is still at or above the threshold that opened the episode. The row
  repeats the opening method with its frozen expected value and threshold.

An episode stays open while either the count stays at or above that opening threshold, or the last
alarm was at most :data:`EPISODE_GAP` periods ago; then it closes and the next alarm is a new
initial spike.

Severity compares the excess with the method's own alarm margin,
``ratio = (observed − expected) / (threshold − expected)``: **high** when the count is at least twice
as far above the expected value as the alarm needed (ratio ≥ 2), **moderate** for an ordinary
alarm (ratio ≥ 1), **low** below that (C3 alarming on the previous periods' excess, or a sustained
burden just at its threshold).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from pipelines.defs.epidemiology.suppression import suppress
from pipelines.defs.hotspots.ears import Z, ears
from pipelines.defs.hotspots.seasonal import seasonal_glm

#: Method codes as they appear in ``marts.alerts.method``.
METHOD_LABELS = {"C1": "ears_c1", "C2": "ears_c2", "C3": "ears_c3", "seasonal": "farrington_glm"}
INITIAL, SUSTAINED, BURDEN = "initial spike", "sustained spike", "sustained high burden"
#: Quiet periods after an alarm before an episode can close (the EARS guard band).
EPISODE_GAP = 2
#: Alerts whose period ends within this many days of the latest data are "recent" (the sensor's scope).
RECENT_DAYS = 14
_EPOCH = date(2000, 1, 1)


@dataclass(frozen=True)
class SeriesSet:
    """Count series on a common calendar: ``keys`` (one row per series) and ``counts`` (series × periods).

    ``keys`` columns: ``area_level`` (``community_area``/``region``/``city``),
    ``community_area_number`` (null for region and city), ``area`` (name) and ``series``.
    ``periods`` are the first days of the periods (days, or Monday of each week).
    """

    granularity: str
    keys: pl.DataFrame
    periods: list[date]
    counts: np.ndarray


def area_keys(region_areas: list[int], area_names: dict[int, str], region_label: str) -> pl.DataFrame:
    """The places alerts watch: each region community area, the region, and Chicago."""
    areas = sorted(region_areas)
    return pl.DataFrame(
        {
            "area_level": ["community_area"] * len(areas) + ["region", "city"],
            "community_area_number": [*areas, None, None],
            "area": [area_names.get(a, f"Area {a}") for a in areas] + [region_label, "Chicago"],
        },
        schema={"area_level": pl.String, "community_area_number": pl.Int32, "area": pl.String},
    )


def build_series(
    events: pl.DataFrame,
    places: pl.DataFrame,
    series: str,
    first_day: date,
    last_day: date,
    region_municipalities: Sequence[str] = (),
) -> tuple[SeriesSet, SeriesSet]:
    """Daily and weekly zero-filled series for ``places`` (see :func:`area_keys`).

    ``events`` has ``day`` (DATE), ``community_area_number`` (null when not placed in an area),
    ``weight`` and optionally ``municipality`` and ``in_chicago``. A community area counts its own
    events, the region the events in its areas and in ``region_municipalities`` (suburbs of the
    region, ``ODW_REGION_MUNICIPALITIES``), Chicago every event in Chicago: ``in_chicago`` where the
    source has it (deaths: placed in an area or not), else every event with a community area.
    Weeks run Monday–Sunday and only weeks fully inside ``[first_day, last_day]`` are kept.
    """
    days = (last_day - first_day).days + 1
    if days <= 0:
        raise ValueError("last_day is before first_day")
    region = (
        places.filter(pl.col("area_level") == "community_area").get_column("community_area_number").to_list()
    )
    suburb = (
        pl.col("municipality").is_in(list(region_municipalities)).fill_null(False)
        if "municipality" in events.columns and region_municipalities
        else pl.lit(False)
    )
    placed = pl.col("community_area_number").is_not_null()
    in_chicago = placed | pl.col("in_chicago").fill_null(False) if "in_chicago" in events.columns else placed
    in_range = events.filter(
        pl.col("day").is_between(first_day, last_day) & (in_chicago | suburb)
    ).with_columns(
        ((pl.col("day") - pl.lit(first_day)).dt.total_days()).cast(pl.Int64).alias("_offset"),
        suburb.alias("_suburb"),
        (in_chicago & ~placed).alias("_not_placed"),
    )
    n_places = places.height
    rows = pl.DataFrame(
        {"community_area_number": region, "_row": np.arange(len(region))},
        schema={"community_area_number": pl.Int32, "_row": pl.Int64},
    )
    per_area = (
        in_range.filter(pl.col("community_area_number").is_not_null())
        .group_by("community_area_number", "_offset")
        .agg(pl.col("weight").sum().cast(pl.Float64))
        .with_columns(pl.col("community_area_number").cast(pl.Int32))
        .join(rows, on="community_area_number", how="left")
    )
    daily = np.zeros((n_places, days))
    offsets = per_area.get_column("_offset").to_numpy()
    weights = per_area.get_column("weight").to_numpy()
    area_row = per_area.get_column("_row")
    # The last two rows of `places` are the region and the city (see area_keys).
    np.add.at(daily[n_places - 1], offsets, weights)
    not_placed = in_range.filter(pl.col("_not_placed"))
    np.add.at(
        daily[n_places - 1],
        not_placed.get_column("_offset").to_numpy(),
        not_placed.get_column("weight").to_numpy().astype(np.float64),
    )
    mine = area_row.is_not_null().to_numpy()
    np.add.at(daily[n_places - 2], offsets[mine], weights[mine])
    np.add.at(daily, (area_row.drop_nulls().to_numpy(), offsets[mine]), weights[mine])
    suburbs = in_range.filter(pl.col("_suburb"))
    np.add.at(
        daily[n_places - 2],
        suburbs.get_column("_offset").to_numpy(),
        suburbs.get_column("weight").to_numpy().astype(np.float64),
    )

    keys = places.with_columns(pl.lit(series).alias("series"))
    day_periods = [first_day + timedelta(days=i) for i in range(days)]
    # Weeks: from the first Monday on or after first_day, while the Sunday is on or before last_day.
    lead = (7 - first_day.weekday()) % 7
    n_weeks = max(0, (days - lead) // 7)
    weekly = daily[:, lead : lead + 7 * n_weeks].reshape(n_places, n_weeks, 7).sum(axis=2)
    week_periods = [first_day + timedelta(days=lead + 7 * i) for i in range(n_weeks)]
    return SeriesSet("day", keys, day_periods, daily), SeriesSet("week", keys, week_periods, weekly)


def detect(series: SeriesSet, *, min_sigma: float, min_count: int) -> pl.DataFrame:
    """Every method's result for every series and period where it alarms (long frame).

    Columns: ``series_index``, ``period_index``, ``method``, ``observed``, ``expected``,
    ``threshold``, ``statistic``, ``ratio`` (see the module docstring). Weekly series also run the
    seasonal regression.
    """
    x = series.counts
    results: dict[str, dict[str, np.ndarray]] = {}
    for method in ("C1", "C2", "C3"):
        r = ears(x, method, min_sigma=min_sigma)
        # The C3 ratio uses the current period's own margin, like C1/C2, so that an alarm carried
        # only by the two previous periods reads as "low".
        with np.errstate(divide="ignore", invalid="ignore"):
            r["ratio"] = (x - r["expected"]) / (Z * r["sigma"])
        results[method] = r
    if series.granularity == "week" and x.shape[1]:
        phase = np.array([(p - _EPOCH).days / 365.25 for p in series.periods])
        r = seasonal_glm(x, phase)
        r["ratio"] = r["statistic"]
        results["seasonal"] = r
    frames = []
    for method, r in results.items():
        alarm = r["alarm"] & (x >= min_count)
        s_idx, p_idx = np.nonzero(alarm)
        frames.append(
            pl.DataFrame(
                {
                    "series_index": s_idx,
                    "period_index": p_idx,
                    "method": [METHOD_LABELS[method]] * len(s_idx),
                    "observed": x[s_idx, p_idx],
                    "expected": r["expected"][s_idx, p_idx],
                    "threshold": r["threshold"][s_idx, p_idx],
                    "statistic": r["statistic"][s_idx, p_idx],
                    "ratio": r["ratio"][s_idx, p_idx],
                },
                schema=_HIT_SCHEMA,
            )
        )
    return pl.concat(frames)


_HIT_SCHEMA = {
    "series_index": pl.Int32,
    "period_index": pl.Int32,
    "method": pl.String,
    "observed": pl.Float64,
    "expected": pl.Float64,
    "threshold": pl.Float64,
    "statistic": pl.Float64,
    "ratio": pl.Float64,
}


def classify_episodes(
    observed: np.ndarray, signal: np.ndarray, open_threshold: np.ndarray, *, gap: int = EPISODE_GAP
) -> tuple[np.ndarray, np.ndarray]:
    """Alert type per series and period, and the period each episode opened in.

    ``observed``, ``signal`` (any method alarms) and ``open_threshold`` (the threshold an episode
    opening in that period would freeze) are series × periods. Returns ``kind`` (0 nothing,
    1 initial spike, 2 sustained spike, 3 sustained high burden) and ``start`` (the opening period
    index, −1 outside episodes). The loop runs over periods with all series at once: an episode's
    state depends on the periods before it, so time cannot be vectorised away.
    """
    n_series, n_periods = observed.shape
    kind = np.zeros((n_series, n_periods), dtype=np.int8)
    start = np.full((n_series, n_periods), -1, dtype=np.int64)
    is_open = np.zeros(n_series, dtype=bool)
    frozen = np.full(n_series, np.inf)
    opened = np.full(n_series, -1, dtype=np.int64)
    last_alarm = np.full(n_series, -(10**9), dtype=np.int64)
    for t in range(n_periods):
        now, x = signal[:, t], observed[:, t]
        # An open episode survives a quiet period while the count stays at its opening threshold or
        # the last alarm is recent; otherwise it closes before this period is judged.
        is_open &= now | (x >= frozen) | (t - last_alarm <= gap)
        initial = now & ~is_open
        kind[:, t] = np.where(initial, 1, np.where(now, 2, np.where(is_open & (x >= frozen), 3, 0)))
        frozen = np.where(initial, open_threshold[:, t], frozen)
        opened = np.where(initial, t, opened)
        last_alarm = np.where(now, t, last_alarm)
        is_open |= now
        start[:, t] = np.where(kind[:, t] > 0, opened, -1)
        frozen = np.where(is_open, frozen, np.inf)
    return kind, start


def severity_expr(ratio: pl.Expr) -> pl.Expr:
    """``high`` (ratio ≥ 2), ``moderate`` (≥ 1) or ``low`` — see the module docstring."""
    return (
        pl.when(ratio >= 2)
        .then(pl.lit("high"))
        .when(ratio >= 1)
        .then(pl.lit("moderate"))
        .otherwise(pl.lit("low"))
    )


def _hash_id(*columns: str) -> pl.Expr:
    # A stable id from the alert's identity (not its numbers), so a re-run finds the same alert.
    # hashlib runs once per alert row: alerts number in the hundreds, and Polars' own hash is not
    # guaranteed stable across versions, which would re-announce every alert after an upgrade.
    return pl.concat_str(
        [pl.col(c).cast(pl.String).fill_null("") for c in columns], separator="|"
    ).map_batches(
        lambda s: pl.Series(
            [hashlib.sha1(v.encode()).hexdigest()[:16] for v in s.to_list()], dtype=pl.String
        ),
        return_dtype=pl.String,
    )


def series_alerts(series: SeriesSet, *, min_sigma: float, min_count: int) -> pl.DataFrame:
    """Alert rows for one :class:`SeriesSet`: spikes per method and sustained-burden rows."""
    hits = detect(series, min_sigma=min_sigma, min_count=min_count)
    shape = series.counts.shape
    signal = np.zeros(shape, dtype=bool)
    signal[hits["series_index"].to_numpy(), hits["period_index"].to_numpy()] = True
    # The method with the lowest threshold opens the episode: its threshold is the one frozen.
    opening = hits.sort("threshold", "method").unique(
        ["series_index", "period_index"], keep="first", maintain_order=True
    )
    open_threshold = np.full(shape, np.inf)
    open_threshold[opening["series_index"].to_numpy(), opening["period_index"].to_numpy()] = opening[
        "threshold"
    ].to_numpy()
    kind, start = classify_episodes(series.counts, signal, open_threshold)

    kinds = pl.DataFrame(
        {"kind": [1, 2, 3], "alert_type": [INITIAL, SUSTAINED, BURDEN]},
        schema={"kind": pl.Int8, "alert_type": pl.String},
    )
    s_idx, p_idx = np.nonzero(kind)
    typed = pl.DataFrame(
        {
            "series_index": s_idx.astype(np.int32),
            "period_index": p_idx.astype(np.int32),
            "kind": kind[s_idx, p_idx],
            "start_index": start[s_idx, p_idx].astype(np.int32),
            "observed": series.counts[s_idx, p_idx],
        }
    ).join(kinds, on="kind")
    spikes = hits.join(
        typed.filter(pl.col("kind") < 3).select("series_index", "period_index", "alert_type", "start_index"),
        on=["series_index", "period_index"],
    )
    opening_rows = opening.select(
        pl.col("series_index"), pl.col("period_index").alias("start_index"), "method", "expected", "threshold"
    )
    burden = (
        typed.filter(pl.col("kind") == 3)
        .join(opening_rows, on=["series_index", "start_index"])
        .with_columns(
            pl.lit(None, dtype=pl.Float64).alias("statistic"),
            ((pl.col("observed") - pl.col("expected")) / (pl.col("threshold") - pl.col("expected"))).alias(
                "ratio"
            ),
        )
    )
    columns = [
        "series_index",
        "period_index",
        "method",
        "observed",
        "expected",
        "threshold",
        "statistic",
        "ratio",
        "alert_type",
        "start_index",
    ]
    rows = pl.concat([spikes.select(columns), burden.select(columns)])
    step = 1 if series.granularity == "day" else 7
    calendar = pl.DataFrame(
        {"period_index": np.arange(len(series.periods), dtype=np.int32), "period": series.periods},
        schema={"period_index": pl.Int32, "period": pl.Date},
    )
    keys = series.keys.with_row_index("series_index").with_columns(pl.col("series_index").cast(pl.Int32))
    return (
        rows.join(keys, on="series_index")
        .join(calendar, on="period_index")
        .join(calendar.rename({"period_index": "start_index", "period": "episode_start"}), on="start_index")
        .with_columns(
            pl.lit(series.granularity).alias("granularity"),
            (pl.col("period") + pl.duration(days=step - 1)).alias("period_end"),
        )
        .drop("series_index", "period_index", "start_index")
    )


def finish_alerts(rows: pl.DataFrame, *, last_day: date, provisional_from: date) -> pl.DataFrame:
    """Add ids, severity, provisional and recent flags; order the columns of ``marts.alerts``."""
    if rows.height == 0:
        return pl.DataFrame(schema=ALERT_SCHEMA)
    recent_from = last_day - timedelta(days=RECENT_DAYS - 1)
    return (
        rows.with_columns(
            _hash_id(
                "granularity", "period", "area_level", "community_area_number", "area", "series", "method"
            ).alias("alert_id"),
            _hash_id("granularity", "period", "area_level", "community_area_number", "area", "series").alias(
                "badge_id"
            ),
            severity_expr(pl.col("ratio")).alias("severity"),
            (pl.col("period_end") >= provisional_from).alias("is_provisional"),
            (pl.col("period_end") >= recent_from).alias("is_recent"),
            pl.col("observed").cast(pl.Int64),
        )
        .select(list(ALERT_SCHEMA))
        .cast(ALERT_SCHEMA)
        .sort("granularity", "period", "area_level", "area", "series", "method")
    )


#: Columns of ``marts.alerts``.
ALERT_SCHEMA = {
    "alert_id": pl.String,
    "badge_id": pl.String,
    "granularity": pl.String,
    "period": pl.Date,
    "period_end": pl.Date,
    "area_level": pl.String,
    "community_area_number": pl.Int32,
    "area": pl.String,
    "series": pl.String,
    "observed": pl.Int64,
    "expected": pl.Float64,
    "threshold": pl.Float64,
    "statistic": pl.Float64,
    "ratio": pl.Float64,
    "method": pl.String,
    "alert_type": pl.String,
    "severity": pl.String,
    "episode_start": pl.Date,
    "is_provisional": pl.Boolean,
    "is_recent": pl.Boolean,
}

_SEVERITY_RANK = {"low": 0, "moderate": 1, "high": 2}


#: What identifies a badge: one per alerting place, series and period.
BADGE_KEYS = (
    "badge_id",
    "granularity",
    "period",
    "period_end",
    "area_level",
    "community_area_number",
    "area",
    "series",
)


def alert_badges(alerts: pl.DataFrame) -> pl.DataFrame:
    """One badge per alerting area, series and period for the map (before suppression).

    Methods that agree are listed together; the badge takes the highest severity among them.
    """
    rank = pl.col("severity").replace_strict(_SEVERITY_RANK, return_dtype=pl.Int8)
    names = {v: k for k, v in _SEVERITY_RANK.items()}
    return (
        alerts.group_by(*BADGE_KEYS)
        .agg(
            pl.col("observed").first(),
            pl.col("method").unique().sort().str.join(", ").alias("methods"),
            pl.col("alert_type").first(),
            rank.max().alias("_rank"),
            pl.col("episode_start").first(),
            pl.col("is_provisional").first(),
            pl.col("is_recent").first(),
        )
        .with_columns(pl.col("_rank").replace_strict(names, return_dtype=pl.String).alias("severity"))
        .drop("_rank")
        .sort("granularity", "period", "area_level", "area", "series")
    )


def source_alerts(
    events: pl.DataFrame,
    places: pl.DataFrame,
    series: str,
    *,
    first_day: date,
    last_day: date,
    provisional_from: date,
    min_sigma: float,
    min_count: int,
    region_municipalities: Sequence[str] = (),
) -> pl.DataFrame:
    """``marts.alerts`` rows for one source (daily and weekly series of every place)."""
    daily, weekly = build_series(events, places, series, first_day, last_day, region_municipalities)
    rows = pl.concat([series_alerts(s, min_sigma=min_sigma, min_count=min_count) for s in (daily, weekly)])
    return finish_alerts(rows, last_day=last_day, provisional_from=provisional_from)


def public_badges(alerts: pl.DataFrame, *, threshold: int) -> pl.DataFrame:
    """``marts.alert_badges``: :func:`alert_badges` with the observed count suppressed.

    No expected value or threshold is published: they are averages of recent small counts.
    """
    badges = alert_badges(alerts)
    return suppress(badges, "observed", threshold=threshold).select(
        *BADGE_KEYS,
        "observed",
        "observed_display",
        "methods",
        "alert_type",
        "severity",
        "episode_start",
        "is_provisional",
        "is_recent",
    )
