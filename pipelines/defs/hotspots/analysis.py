"""Hot-spot tables from located events: time windows, community-area and hex statistics per window,
emerging-hot-spot categories, and their public (map) forms.

Pure functions: frames in, frames out; the statistics themselves are in :mod:`.spatial`.

Windows. The analysis looks at ``steps`` consecutive windows of ``window_months`` months (default
12 windows of 3 months), the last one ending where the provisional months begin: the latest months
are undercounted while toxicology is pending, and a half-counted last window would look like a
fall everywhere.

Places. Community areas: all 77 (queen contiguity), measured as death counts and as empirical-Bayes
smoothed rates per 100,000 residents. Hexagons: the H3 cells overlapping the task-force region
(edge contiguity), measured as death counts (cells have no population figures). The hex analysis is
limited to the region on purpose: against the whole city the entire West Side is one hot block,
which says nothing about where in the region to send a van.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl
import shapely

from pipelines.defs.hotspots import spatial
from pipelines.defs.hotspots.grid import HexGrid, assign_cells, hex_weights, window_matrix
from pipelines.defs.hotspots.permutation_cache import PermutationCache

#: Base seed of the permutation draws (window ``k`` uses ``PERMUTATION_SEED + k``): fixed so a re-run
#: on the same data gives the same classes.
PERMUTATION_SEED = 20_160_101
PER_100K = 100_000


def window_starts(end: date, window_months: int, steps: int) -> list[date]:
    """First days of ``steps`` consecutive windows of ``window_months`` months ending just before ``end``.

    ``end`` is the first day of a month (exclusive end of the last window).
    """
    if end.day != 1:
        raise ValueError("the analysis end must be the first day of a month")
    index = end.year * 12 + end.month - 1
    return [
        date((index - (steps - k) * window_months) // 12, (index - (steps - k) * window_months) % 12 + 1, 1)
        for k in range(steps)
    ]


def window_frame(starts: Sequence[date], window_months: int) -> pl.DataFrame:
    """One row per window: ``window_index``, ``window_start``, ``window_end`` (exclusive),
    ``window_label`` (e.g. "May 2026 – Jul 2026") and ``is_latest_window``."""
    last_day = pl.col("window_end").dt.offset_by("-1d")
    label = (
        pl.concat_str(
            [pl.col("window_start").dt.strftime("%b %Y"), pl.lit(" – "), last_day.dt.strftime("%b %Y")]
        )
        if window_months > 1
        else pl.col("window_start").dt.strftime("%b %Y")
    )
    return (
        pl.DataFrame(
            {"window_index": np.arange(len(starts), dtype=np.int32), "window_start": list(starts)},
            schema={"window_index": pl.Int32, "window_start": pl.Date},
        )
        .with_columns(pl.col("window_start").dt.offset_by(f"{window_months}mo").alias("window_end"))
        .with_columns(
            label.alias("window_label"), (pl.col("window_index") == len(starts) - 1).alias("is_latest_window")
        )
    )


def _statistics(
    matrix: np.ndarray, w, *, permutations: int, fdr: float, measure: str, cache: PermutationCache | None
) -> pl.DataFrame:
    stats = spatial.local_statistics(
        matrix, w, permutations=permutations, seed=PERMUTATION_SEED, fdr=fdr, cache=cache
    )
    return stats.with_columns(pl.lit(measure).alias("measure"), pl.Series("value", matrix.ravel()))


def area_statistics(
    events: pl.DataFrame,
    areas: pl.DataFrame,
    starts: Sequence[date],
    window_months: int,
    *,
    permutations: int,
    fdr: float,
    cache: PermutationCache | None = None,
) -> pl.DataFrame:
    """Gi\\* and Local Moran per community area and window, for counts and EB-smoothed rates.

    ``events``: ``day``, ``community_area_number``, ``weight``; ``areas``: ``community_area_number``,
    ``population_2020``, ``geometry_wkt``. Returns the long statistics frame (one row per window,
    area and measure) with ``community_area_number``, ``value`` (deaths, or EB rate per 100,000 per
    window) and the :mod:`.spatial` columns.
    """
    areas = areas.sort("community_area_number")
    numbers = areas.get_column("community_area_number").to_list()
    w = spatial.contiguity_weights(shapely.from_wkt(areas.get_column("geometry_wkt").to_numpy()), numbers)
    counts = window_matrix(events, numbers, "community_area_number", starts, window_months)
    population = areas.get_column("population_2020").to_numpy().astype(np.float64)
    eb = (
        np.vstack([spatial.eb_rates(row, population) for row in counts]) * PER_100K if counts.size else counts
    )
    frames = [
        _statistics(counts, w, permutations=permutations, fdr=fdr, measure="deaths", cache=cache),
        _statistics(eb, w, permutations=permutations, fdr=fdr, measure="eb_rate", cache=cache),
    ]
    ids = pl.DataFrame(
        {"place_index": np.arange(len(numbers), dtype=np.int32), "community_area_number": numbers},
        schema={"place_index": pl.Int32, "community_area_number": pl.Int32},
    )
    return pl.concat(frames).join(ids, on="place_index").drop("place_index")


def hex_statistics(
    located: pl.DataFrame,
    grid: HexGrid,
    starts: Sequence[date],
    window_months: int,
    *,
    permutations: int,
    fdr: float,
    cache: PermutationCache | None = None,
) -> pl.DataFrame:
    """Gi\\* and Local Moran per hex cell of ``grid`` and window (measure ``deaths``).

    ``located``: ``day``, ``h3_cell``, ``weight`` (events already assigned to cells).
    """
    cells = grid.ids
    counts = window_matrix(located, cells, "h3_cell", starts, window_months)
    stats = _statistics(
        counts, hex_weights(cells), permutations=permutations, fdr=fdr, measure="deaths", cache=cache
    )
    ids = pl.DataFrame(
        {"place_index": np.arange(len(cells), dtype=np.int32), "h3_cell": cells},
        schema={"place_index": pl.Int32, "h3_cell": pl.String},
    )
    return stats.join(ids, on="place_index").drop("place_index")


def emerging(statistics: pl.DataFrame, place_col: str) -> pl.DataFrame:
    """Emerging-hot-spot category per place and measure from a long statistics frame."""
    frames = []
    for (measure,), part in statistics.group_by(["measure"], maintain_order=True):
        part = part.sort(place_col, "window_index")
        places = part.get_column(place_col).unique(maintain_order=True)
        steps = part.get_column("window_index").n_unique()
        z = part.get_column("gi_z").to_numpy().reshape(len(places), steps)
        classes = part.get_column("gi_class").to_numpy().reshape(len(places), steps)
        frames.append(
            spatial.emerging_hotspots(z, classes).with_columns(
                pl.Series(place_col, places), pl.lit(measure).alias("measure")
            )
        )
    return pl.concat(frames)


#: What a published hot-spot row says about its place and window: classes only, no counts.
_CLASS_COLUMNS = (
    "measure",
    "window_start",
    "window_end",
    "window_label",
    "is_latest_window",
    "gi_class",
    "gi_bin",
    "moran_cluster",
)


def public_area_hotspots(
    statistics: pl.DataFrame, windows: pl.DataFrame, areas: pl.DataFrame, region_areas: Sequence[int]
) -> pl.DataFrame:
    """Map table per community area, window and measure: classes only (no counts, no z-scores).

    Only classes and confidence bins are published because a full set of z-scores could, with the
    weights, be worked back into the underlying counts.
    """
    names = areas.select(pl.col("community_area_number").cast(pl.Int32), "community_area")
    return (
        statistics.join(windows, on="window_index")
        .join(names, on="community_area_number")
        .select(
            "community_area_number",
            "community_area",
            pl.col("community_area_number").is_in(list(region_areas)).alias("in_region"),
            *_CLASS_COLUMNS,
        )
        .sort("measure", "window_start", "community_area_number")
    )


def public_hex_hotspots(statistics: pl.DataFrame, windows: pl.DataFrame, grid: HexGrid) -> pl.DataFrame:
    """Map table per region hex cell and window: classes only (see :func:`public_area_hotspots`)."""
    cells = grid.cells.select("h3_cell", "h3_resolution", "cell_lat", "cell_lon", "community_area_number")
    return (
        statistics.join(windows, on="window_index")
        .join(cells, on="h3_cell")
        .select(
            "h3_cell",
            "h3_resolution",
            "cell_lat",
            "cell_lon",
            "community_area_number",
            *_CLASS_COLUMNS,
        )
        .sort("window_start", "h3_cell")
    )


def statistics_table(
    area_stats: pl.DataFrame, hex_stats: pl.DataFrame, windows: pl.DataFrame
) -> pl.DataFrame:
    """The internal table of every statistic (``marts.hotspot_statistics``): both levels, all windows.

    ``level`` is ``community_area`` or ``hex``; ``place`` the area number (as text) or H3 index.
    Holds counts and z-scores, so it stays in the warehouse and is never published.
    """
    columns = [
        "level",
        "place",
        "community_area_number",
        "h3_cell",
        "measure",
        "window_index",
        "window_start",
        "window_end",
        "is_latest_window",
        "value",
        "gi_z",
        "gi_p",
        "gi_q",
        "gi_bin",
        "gi_class",
        "moran_i",
        "moran_p",
        "moran_q",
        "moran_cluster",
    ]
    areas = area_stats.with_columns(
        pl.lit("community_area").alias("level"),
        pl.col("community_area_number").cast(pl.String).alias("place"),
        pl.lit(None, dtype=pl.String).alias("h3_cell"),
    )
    hexes = hex_stats.with_columns(
        pl.lit("hex").alias("level"),
        pl.col("h3_cell").alias("place"),
        pl.lit(None, dtype=pl.Int32).alias("community_area_number"),
    )
    return (
        pl.concat([areas, hexes], how="diagonal_relaxed")
        .join(windows, on="window_index")
        .select(columns)
        .sort("level", "measure", "window_index", "place")
    )


def public_emerging(
    area_emerging: pl.DataFrame,
    hex_emerging: pl.DataFrame,
    windows: pl.DataFrame,
    areas: pl.DataFrame,
    grid: HexGrid,
) -> pl.DataFrame:
    """Map table of emerging-hot-spot categories for community areas and region hex cells."""
    first, last = windows.get_column("window_start").min(), windows.get_column("window_end").max()
    names = areas.select(pl.col("community_area_number").cast(pl.Int32), "community_area")
    area_part = area_emerging.join(names, on="community_area_number").with_columns(
        pl.lit("community_area").alias("level"), pl.lit(None, dtype=pl.String).alias("h3_cell")
    )
    hex_part = (
        hex_emerging.join(grid.cells.select("h3_cell", "community_area_number"), on="h3_cell")
        .join(names, on="community_area_number", how="left")
        .with_columns(pl.lit("hex").alias("level"))
    )
    return (
        pl.concat([area_part, hex_part], how="diagonal_relaxed")
        .with_columns(pl.lit(first).alias("first_window_start"), pl.lit(last).alias("last_window_end"))
        .select(
            "level",
            "community_area_number",
            "community_area",
            "h3_cell",
            "measure",
            "category",
            "hot_windows",
            "windows",
            "latest_hot",
            "trend",
            "trend_p",
            "first_window_start",
            "last_window_end",
        )
        .sort("level", "measure", "community_area_number", "h3_cell", nulls_last=True)
    )


@dataclass(frozen=True)
class HotspotTables:
    """Everything the hot-spot assets write, plus what they report."""

    windows: pl.DataFrame
    statistics: pl.DataFrame
    area_hotspots: pl.DataFrame
    hex_hotspots: pl.DataFrame
    emerging: pl.DataFrame
    region: HexGrid
    permutations: dict[str, int]


def hotspot_tables(
    deaths: pl.DataFrame,
    areas: pl.DataFrame,
    grid: HexGrid,
    *,
    region_areas: Sequence[int],
    end: date,
    window_months: int,
    steps: int,
    permutations: int,
    fdr: float,
    cache: PermutationCache | None = None,
) -> HotspotTables:
    """Run the whole hot-spot analysis on Chicago overdose deaths.

    ``deaths``: ``day``, ``community_area_number`` (not null), ``latitude``, ``longitude`` (null when
    unknown), ``weight``; ``areas`` as for :func:`area_statistics`; ``grid`` the city grid with its
    region cells marked; the windows end at ``end`` (the first provisional month).
    """
    starts = window_starts(end, window_months, steps)
    windows = window_frame(starts, window_months)
    region = grid.subset(grid.cells.get_column("in_region").to_numpy())
    located = deaths.filter(pl.col("latitude").is_not_null() & pl.col("longitude").is_not_null())
    located = located.with_columns(
        assign_cells(
            located.get_column("latitude").to_numpy(), located.get_column("longitude").to_numpy(), region
        )
    ).filter(pl.col("h3_cell").is_not_null())
    area_stats = area_statistics(deaths, areas, starts, window_months, permutations=permutations, fdr=fdr,
                                  cache=cache)
    hex_stats = hex_statistics(located, region, starts, window_months, permutations=permutations, fdr=fdr,
                               cache=cache)
    return HotspotTables(
        windows=windows,
        statistics=statistics_table(area_stats, hex_stats, windows),
        area_hotspots=public_area_hotspots(area_stats, windows, areas, region_areas),
        hex_hotspots=public_hex_hotspots(hex_stats, windows, region),
        emerging=public_emerging(
            emerging(area_stats, "community_area_number"),
            emerging(hex_stats, "h3_cell"),
            windows,
            areas,
            region,
        ),
        region=region,
        permutations={
            "community areas": spatial.effective_permutations(permutations, areas.height, fdr),
            "hex cells": spatial.effective_permutations(permutations, region.cells.height, fdr),
        },
    )
