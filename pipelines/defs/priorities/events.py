"""The forecast's inputs: each death's point (the archive's, or the geocoder's for deaths placed by
geocoding), its H3 cell, and weekly counts per cell and per community area on one calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from pipelines.defs.hotspots.grid import HexGrid, assign_cells
from pipelines.defs.priorities.forecast import Inputs

#: A death's point as the forecast reads it (from :func:`~pipelines.defs.hotspots.assets.overdose_events`).
POINT_SCHEMA = {
    "day": pl.Date,
    "community_area_number": pl.Int32,
    "latitude": pl.Float64,
    "longitude": pl.Float64,
    "point_source": pl.String,
}


def monday(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def with_cells(events: pl.DataFrame, grid: HexGrid) -> pl.DataFrame:
    """``events`` with ``h3_cell`` (null: no point, or a point outside the grid)."""
    cells = pl.Series("h3_cell", [None] * events.height, dtype=pl.String)
    located = events.get_column("latitude").is_not_null() & events.get_column("longitude").is_not_null()
    if located.any():
        found = assign_cells(
            events.filter(located).get_column("latitude").to_numpy(),
            events.filter(located).get_column("longitude").to_numpy(),
            grid,
        )
        cells = cells.scatter(np.flatnonzero(located.to_numpy()), found)
    return events.with_columns(cells)


@dataclass(frozen=True)
class Calendar:
    """Weeks from ``first`` (a Monday): ``weeks`` of them, the last holding the newest data."""

    first: date
    weeks: int

    @classmethod
    def spanning(cls, first_day: date, last_day: date) -> Calendar:
        """Every week from ``first_day``'s to ``last_day``'s."""
        start = monday(first_day)
        return cls(start, (monday(last_day) - start).days // 7 + 1)

    @property
    def next_week(self) -> date:
        """The Monday after the last week: the forecast's week."""
        return self.first + timedelta(weeks=self.weeks)

    def week_starts(self) -> list[date]:
        """The Monday of every week."""
        return [self.first + timedelta(weeks=i) for i in range(self.weeks)]

    def index(self, days: pl.Expr) -> pl.Expr:
        """The week number of each day (may fall outside ``0 … weeks − 1``)."""
        return (days - pl.lit(self.first)).dt.total_days().floordiv(7).cast(pl.Int64)


def weekly_matrix(events: pl.DataFrame, calendar: Calendar, key: str, keys: list) -> np.ndarray:
    """Weeks × keys counts of ``events`` (one per row; rows with a key not in ``keys`` or a day
    outside the calendar are left out)."""
    matrix = np.zeros((calendar.weeks, len(keys)))
    lookup = pl.DataFrame({key: keys, "_column": np.arange(len(keys))})
    tagged = (
        events.with_columns(calendar.index(pl.col("day")).alias("_week"))
        .filter(pl.col("_week").is_between(0, calendar.weeks - 1))
        .join(lookup, on=key, how="inner")
        .group_by("_week", "_column")
        .len()
    )
    matrix[tagged["_week"].to_numpy(), tagged["_column"].to_numpy()] = tagged["len"].to_numpy()
    return matrix


def forecast_inputs(
    placed: pl.DataFrame, grid: HexGrid, alerts: pl.DataFrame, calendar: Calendar
) -> Inputs:
    """The forecast's :class:`~pipelines.defs.priorities.forecast.Inputs`.

    ``placed``: deaths with ``day``, ``community_area_number`` and ``h3_cell`` (from :func:`with_cells`);
    ``alerts``: ``community_area_number``, ``period_end`` of weekly death alerts. An alert counts in
    the week its period ends, so at an origin it is "current" only once its week is over.
    """
    areas = sorted(
        int(a) for a in grid.cells.get_column("community_area_number").drop_nulls().unique().to_list()
    )
    area_column = {area: i for i, area in enumerate(areas)}
    cell_area = np.array(
        [area_column.get(a, -1) if a is not None else -1 for a in grid.cells.get_column("community_area_number")],
        dtype=np.int64,
    )
    weekly = weekly_matrix(placed.filter(pl.col("h3_cell").is_not_null()), calendar, "h3_cell", grid.ids)
    area_weekly = weekly_matrix(
        placed.filter(pl.col("community_area_number").is_not_null()).with_columns(
            pl.col("community_area_number").cast(pl.Int64)
        ),
        calendar,
        "community_area_number",
        areas,
    )
    area_alert = np.minimum(
        weekly_matrix(
            alerts.select(pl.col("community_area_number").cast(pl.Int64), pl.col("period_end").alias("day")),
            calendar,
            "community_area_number",
            areas,
        ),
        1.0,
    )
    return Inputs(tuple(grid.ids), weekly, cell_area, area_weekly, area_alert)
