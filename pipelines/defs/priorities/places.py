"""The places teams should go next week: the forecast per cell set against recent deaths, test-strip
results, outreach presence and spike alerts, with a plain sentence of reasons. Pure functions.

Windows, counted back from the forecast week's Monday: deaths within :data:`NEAR_M` of the cell's
centre in the last 8 weeks; strips tested in the cell in the last 8 weeks; outreach in the cell in
the last 4 weeks. A field row's place is its own point, else its hot spot's (as staged).

Coverage gap: a West Side cell among the city's top 5 % by forecast (the set the backtest scores)
with no team visit in it in the last 4 weeks.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from pipelines.defs.epidemiology.suppression import display_count, suppress
from pipelines.defs.field_data.locations import HOTSPOT_TOLERANCE_M, distance_m
from pipelines.defs.hotspots.grid import HexGrid
from pipelines.defs.priorities.forecast import FLAGGED_SHARES, flagged_count
from pipelines.formatting import plural

#: Deaths this close to a cell's centre count as "near" it (a cell is ~0.74 km², radius ~460 m).
NEAR_M = 500.0
DEATH_WEEKS, STRIP_WEEKS, OUTREACH_WEEKS = 8, 8, 4
#: A spike alert ending this many days before the forecast week is "current".
ALERT_DAYS = 14
SERIES_WORDS = {"overdose_deaths": "deaths", "positive_test_strips": "positive strips"}


def reasons_sentence(
    *,
    recent_deaths_display: str,
    fentanyl: tuple[int, int],
    xylazine: tuple[int, int],
    visits: int,
    kits: int,
    alert: str | None,
) -> str:
    """The reasons of one place, from its numbers: e.g. ``"<10 deaths within 500 m in 8 weeks;
    xylazine in 6 of 9 strips; no team visit in 4 weeks"``.

    ``fentanyl``/``xylazine``: (positive, tested) strips in 8 weeks. Deaths are shown as displayed
    (suppressed: "<10"), as everywhere else.
    """
    parts = []
    if recent_deaths_display == "0":
        parts.append(f"no death within {NEAR_M:.0f} m in {DEATH_WEEKS} weeks")
    else:
        parts.append(f"{recent_deaths_display} deaths within {NEAR_M:.0f} m in {DEATH_WEEKS} weeks")
    tested_any = False
    for name, (positive, tested) in (("fentanyl", fentanyl), ("xylazine", xylazine)):
        if tested:
            tested_any = True
            parts.append(f"{name} in {positive} of {plural(tested, 'strip')}")
    if not tested_any:
        parts.append(f"no strip tested in {STRIP_WEEKS} weeks")
    if visits:
        parts.append(f"{plural(visits, 'team visit')} in {OUTREACH_WEEKS} weeks"
                     + (f", {plural(kits, 'naloxone kit')} given" if kits else ""))
    else:
        parts.append(f"no team visit in {OUTREACH_WEEKS} weeks")
    if alert:
        parts.append(alert)
    return "; ".join(parts)


def deaths_near(cells: pl.DataFrame, deaths: pl.DataFrame) -> np.ndarray:
    """Per cell: deaths (with a point) within :data:`NEAR_M` of the cell's centre."""
    if deaths.height == 0:
        return np.zeros(cells.height, dtype=np.int64)
    d = distance_m(
        cells.get_column("cell_lat").to_numpy()[:, None],
        cells.get_column("cell_lon").to_numpy()[:, None],
        deaths.get_column("latitude").to_numpy()[None, :],
        deaths.get_column("longitude").to_numpy()[None, :],
    )
    return (d <= NEAR_M).sum(axis=1)


def nearest_hotspots(cells: pl.DataFrame, hotspots: pl.DataFrame) -> pl.DataFrame:
    """Per cell (in order): the nearest active coalition hot spot within
    :data:`~pipelines.defs.field_data.locations.HOTSPOT_TOLERANCE_M` and its distance (null beyond)."""
    if hotspots.height == 0:
        return pl.DataFrame({"nearest_hotspot_id": [None] * cells.height, "nearest_hotspot_m": [None] * cells.height},
                            schema={"nearest_hotspot_id": pl.String, "nearest_hotspot_m": pl.Float64})
    d = distance_m(
        cells.get_column("cell_lat").to_numpy()[:, None],
        cells.get_column("cell_lon").to_numpy()[:, None],
        hotspots.get_column("latitude").to_numpy()[None, :],
        hotspots.get_column("longitude").to_numpy()[None, :],
    )
    best = d.argmin(axis=1)
    metres = d[np.arange(len(best)), best]
    near = metres <= HOTSPOT_TOLERANCE_M
    ids = np.asarray(hotspots.get_column("hotspot_id").to_list(), dtype=object)[best]
    return pl.DataFrame(
        {
            "nearest_hotspot_id": pl.Series([i if ok else None for i, ok in zip(ids, near, strict=True)], dtype=pl.String),
            "nearest_hotspot_m": pl.Series(np.where(near, np.round(metres), np.nan)).fill_nan(None),
        }
    )


def outreach_by_cell(visits: pl.DataFrame) -> pl.DataFrame:
    """Visits, contacts, naloxone kits and reversals per cell (``visits`` with ``h3_cell``)."""
    return (
        visits.filter(pl.col("h3_cell").is_not_null())
        .group_by("h3_cell")
        .agg(
            pl.len().alias("outreach_visits_4w"),
            pl.col("contacts").sum().alias("outreach_contacts_4w"),
            pl.col("naloxone_kits").sum().alias("naloxone_kits_4w"),
        )
    )


def strips_by_cell(strips: pl.DataFrame) -> pl.DataFrame:
    """Strips tested and fentanyl/xylazine positive of tested per cell (``strips`` with ``h3_cell``)."""
    by_type = {
        kind: (pl.col("strip_type") == kind)
        for kind in ("fentanyl", "xylazine")
    }
    return (
        strips.filter(pl.col("h3_cell").is_not_null())
        .group_by("h3_cell")
        .agg(
            pl.len().alias("strips_tested_8w"),
            *[expr.sum().alias(f"{kind}_tested_8w") for kind, expr in by_type.items()],
            *[(expr & pl.col("positive")).sum().alias(f"{kind}_positive_8w") for kind, expr in by_type.items()],
        )
    )


def alert_text(alerts: pl.DataFrame) -> pl.DataFrame:
    """One sentence per community area from its current alerts (newest first): ``"spike alert:
    deaths, initial spike (high), week of 16 Nov"``."""
    if alerts.height == 0:
        return pl.DataFrame(schema={"community_area_number": pl.Int32, "alert": pl.String})
    rows = {}
    for r in alerts.sort("period_end", descending=True).iter_rows(named=True):
        words = (f"{SERIES_WORDS.get(r['series'], r['series'])} {r['alert_type']} ({r['severity']}), "
                 f"{'week' if r['granularity'] == 'week' else 'day'} of {r['period']:%-d %b}")
        rows.setdefault(r["community_area_number"], [])
        if words not in rows[r["community_area_number"]] and len(rows[r["community_area_number"]]) < 2:
            rows[r["community_area_number"]].append(words)
    return pl.DataFrame(
        {"community_area_number": list(rows), "alert": ["spike alert: " + "; ".join(v) for v in rows.values()]},
        schema={"community_area_number": pl.Int32, "alert": pl.String},
    )


def priorities_table(
    grid: HexGrid,
    *,
    week_start: date,
    forecast_deaths: np.ndarray,
    forecast_rank: np.ndarray,
    recent_deaths: np.ndarray,
    outreach: pl.DataFrame,
    strips: pl.DataFrame,
    hotspots: pl.DataFrame,
    alerts: pl.DataFrame,
    area_names: dict[int, str],
    threshold: int,
) -> pl.DataFrame:
    """``marts.outreach_priorities``: one row per city cell, ranked (see the module docstring)."""
    cells = grid.cells
    top = flagged_count(cells.height, FLAGGED_SHARES[0])
    frame = (
        cells.select("h3_cell", "community_area_number", "in_region", "cell_lat", "cell_lon")
        .with_columns(
            pl.lit(week_start).alias("week_start"),
            pl.Series("forecast_deaths", np.round(forecast_deaths, 3)),
            pl.Series("forecast_rank", forecast_rank, dtype=pl.Int64),
            pl.Series("recent_deaths_display", [display_count(int(n), threshold) for n in recent_deaths]),
            pl.col("community_area_number").replace_strict(area_names, default=None, return_dtype=pl.String)
            .alias("community_area"),
        )
        .hstack(nearest_hotspots(cells, hotspots))
        .join(outreach_by_cell(outreach), on="h3_cell", how="left")
        .join(strips_by_cell(strips), on="h3_cell", how="left")
        .join(alert_text(alerts), on="community_area_number", how="left")
        .with_columns(
            pl.col(c).fill_null(0).cast(pl.Int64)
            for c in ("outreach_visits_4w", "outreach_contacts_4w", "naloxone_kits_4w", "strips_tested_8w",
                      "fentanyl_tested_8w", "xylazine_tested_8w", "fentanyl_positive_8w", "xylazine_positive_8w")
        )
    )
    frame = frame.with_columns(
        *[
            pl.when(pl.col(f"{kind}_tested_8w") > 0)
            .then(pl.col(f"{kind}_positive_8w") / pl.col(f"{kind}_tested_8w"))
            .alias(f"{kind}_positivity_8w")
            for kind in ("fentanyl", "xylazine")
        ],
        (pl.col("in_region") & (pl.col("forecast_rank") <= top) & (pl.col("outreach_visits_4w") == 0))
        .alias("coverage_gap"),
    )
    reasons = [
        reasons_sentence(
            recent_deaths_display=r["recent_deaths_display"],
            fentanyl=(r["fentanyl_positive_8w"], r["fentanyl_tested_8w"]),
            xylazine=(r["xylazine_positive_8w"], r["xylazine_tested_8w"]),
            visits=r["outreach_visits_4w"],
            kits=r["naloxone_kits_4w"],
            alert=r["alert"],
        )
        for r in frame.iter_rows(named=True)
    ]
    return frame.with_columns(pl.Series("reasons", reasons)).select(COLUMNS).sort("forecast_rank")


#: Columns of ``marts.outreach_priorities``, in order.
COLUMNS = [
    "week_start", "h3_cell", "community_area_number", "community_area", "cell_lat", "cell_lon",
    "forecast_deaths", "forecast_rank", "in_region", "nearest_hotspot_id", "nearest_hotspot_m",
    "recent_deaths_display", "outreach_visits_4w", "outreach_contacts_4w", "naloxone_kits_4w",
    "strips_tested_8w", "fentanyl_tested_8w", "fentanyl_positive_8w", "fentanyl_positivity_8w",
    "xylazine_tested_8w", "xylazine_positive_8w", "xylazine_positivity_8w", "alert", "coverage_gap",
    "reasons",
]


def hotspot_coverage(hotspots: pl.DataFrame, outreach: pl.DataFrame, priorities: pl.DataFrame) -> pl.DataFrame:
    """``marts.hotspot_coverage``: each active coalition hot spot's outreach in 4 weeks (visits logged
    at it), its cell's forecast and rank, and whether that cell is a coverage gap."""
    logged = (
        outreach.filter(pl.col("hotspot_id").is_not_null())
        .group_by("hotspot_id")
        .agg(pl.len().alias("visits_4w"), pl.col("contacts").sum().alias("contacts_4w"),
             pl.col("naloxone_kits").sum().alias("naloxone_kits_4w"))
    )
    return (
        hotspots.join(logged, on="hotspot_id", how="left")
        .join(priorities.select("h3_cell", "forecast_deaths", "forecast_rank", "coverage_gap"), on="h3_cell", how="left")
        .with_columns(pl.col(c).fill_null(0).cast(pl.Int64) for c in ("visits_4w", "contacts_4w", "naloxone_kits_4w"))
        .select("hotspot_id", "name", "latitude", "longitude", "community_area_number", "h3_cell",
                "visits_4w", "contacts_4w", "naloxone_kits_4w", "forecast_deaths", "forecast_rank", "coverage_gap")
        .sort("hotspot_id")
    )


def area_priorities(priorities: pl.DataFrame, recent_area_deaths: pl.DataFrame, *, threshold: int) -> pl.DataFrame:
    """``marts.area_priorities`` (public): per community area, expected deaths in the next 4 weeks
    (the sum of its cells, rounded and shown as counts are: "<10"; the value itself is not
    published), its rank among areas, and deaths in the last 8 weeks (suppressed, complementary).
    Nothing finer than an area."""
    areas = (
        priorities.filter(pl.col("community_area_number").is_not_null())
        .group_by("week_start", "community_area_number", "community_area")
        .agg(pl.col("forecast_deaths").sum().alias("forecast_deaths"), pl.col("in_region").all())
        .join(recent_area_deaths, on="community_area_number", how="left")
        .with_columns(pl.col("recent_deaths").fill_null(0).cast(pl.Int64))
        .sort("forecast_deaths", "community_area_number", descending=[True, False])
        .with_row_index("area_rank", offset=1)
    )
    checked = suppress(areas, "recent_deaths", threshold=threshold, complementary_by=["week_start"])
    return checked.select(
        "week_start",
        "community_area_number",
        "community_area",
        "in_region",
        pl.col("area_rank").cast(pl.Int64),
        pl.Series(
            "forecast_deaths_display",
            [display_count(int(round(v)), threshold) for v in checked.get_column("forecast_deaths")],
        ),
        pl.col("recent_deaths_display"),
    ).sort("area_rank")


def since(week_start: date, weeks: int) -> date:
    """The first day of the ``weeks`` weeks before ``week_start``."""
    return week_start - timedelta(weeks=weeks)
