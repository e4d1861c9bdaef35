"""The H3 hexagon grid: which cells cover Chicago (or the region), which cell each event falls in,
counts per cell and period, and hexagon neighbour weights.

H3 (Uber's hierarchical hexagonal grid) tiles the globe with hexagons of near-equal area; at the
default resolution 8 a cell is about 0.74 km² (roughly 5 × 5 city blocks), so Chicago is ~950 cells
and the West Side region ~150. Equal-area cells make counts comparable between cells, unlike
community areas of very different sizes.

The grid is the set of cells that *overlap* the study polygons (not only those whose centre lies
inside), so every point inside the city falls in a grid cell. Events are assigned to cells with one
vectorised GeoPandas spatial join against the cells' polygons instead of one ``h3.latlng_to_cell``
call per event; the two agree except for points within micrometres of a cell edge (the test suite
checks agreement on the demo data).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import geopandas as gpd
import h3
import numpy as np
import polars as pl
import shapely

from pipelines.defs.epidemiology.suppression import suppress
from pipelines.defs.geography.placement import point_in_area

if TYPE_CHECKING:
    import libpysal

#: Period types of :func:`count_by_cell`.
PERIOD_TYPES = ("month", "year")


@dataclass(frozen=True)
class HexGrid:
    """The cells of a study area: ``cells`` (one row per cell) and their polygons, in the same order.

    ``cells`` columns: ``h3_cell`` (H3 index, text), ``h3_resolution``, ``cell_lat``/``cell_lon``
    (the cell's centre), ``community_area_number`` (area containing the centre; null over the lake
    or outside the city) and ``in_region`` (the cell overlaps a region area).
    """

    resolution: int
    cells: pl.DataFrame
    polygons: np.ndarray

    @property
    def ids(self) -> list[str]:
        """The cells' H3 indexes, in grid order."""
        return self.cells.get_column("h3_cell").to_list()

    def subset(self, mask: np.ndarray) -> HexGrid:
        """The grid restricted to the cells where ``mask`` is true (order kept)."""
        mask = np.asarray(mask, dtype=bool)
        return HexGrid(self.resolution, self.cells.filter(pl.Series(mask)), self.polygons[mask])


def cells_covering(polygons_wkt: Sequence[str], resolution: int) -> list[str]:
    """Sorted H3 cells at ``resolution`` that overlap the union of the WKT polygons (EPSG:4326)."""
    if not 0 <= resolution <= 15:
        raise ValueError(f"H3 resolution must be 0-15, got {resolution}")
    union = shapely.union_all(shapely.from_wkt(np.asarray(list(polygons_wkt), dtype=object)))
    if union.is_empty:
        return []
    shape = h3.geo_to_h3shape(union.__geo_interface__)
    return sorted(h3.h3shape_to_cells_experimental(shape, resolution, contain="overlap"))


def cell_polygons(cells: Sequence[str]) -> np.ndarray:
    """Shapely polygons (lon/lat) of the cells, in order — one small call per grid cell."""
    rings = [[(lng, lat) for lat, lng in h3.cell_to_boundary(cell)] for cell in cells]
    return shapely.polygons(rings) if rings else np.empty(0, dtype=object)


def build_grid(areas: pl.DataFrame, resolution: int, region_areas: Sequence[int] = ()) -> HexGrid:
    """The grid over all ``areas`` (``community_area_number``, ``geometry_wkt``), region cells marked.

    Built once per process for the same boundaries, resolution and region (the hex layer, the hot
    spots and next week's forecast of one run all ask for it); a :class:`HexGrid` is never changed
    in place, so sharing it is safe.
    """
    return _grid(
        tuple(areas.get_column("community_area_number").to_list()),
        tuple(areas.get_column("geometry_wkt").to_list()),
        resolution,
        tuple(region_areas),
    )


@lru_cache(maxsize=4)
def _grid(numbers: tuple[int, ...], wkts: tuple[str, ...], resolution: int, region_areas: tuple[int, ...]) -> HexGrid:
    areas = pl.DataFrame({"community_area_number": numbers, "geometry_wkt": wkts},
                         schema={"community_area_number": pl.Int32, "geometry_wkt": pl.String})
    cells = cells_covering(areas.get_column("geometry_wkt").to_list(), resolution)
    region = (
        set(
            cells_covering(
                areas.filter(pl.col("community_area_number").is_in(list(region_areas)))
                .get_column("geometry_wkt")
                .to_list(),
                resolution,
            )
        )
        if region_areas
        else set()
    )
    centres = np.array([h3.cell_to_latlng(cell) for cell in cells], dtype=np.float64).reshape(-1, 2)
    area_of_centre = point_in_area(centres[:, 0], centres[:, 1], areas)
    frame = pl.DataFrame(
        {
            "h3_cell": cells,
            "h3_resolution": np.full(len(cells), resolution, dtype=np.int8),
            "cell_lat": centres[:, 0],
            "cell_lon": centres[:, 1],
            "community_area_number": area_of_centre,
            "in_region": pl.Series(cells, dtype=pl.String).is_in(sorted(region)),
        },
        schema_overrides={"community_area_number": pl.Int32},
    ).with_columns(pl.when(pl.col("community_area_number") > 0).then(pl.col("community_area_number")))
    return HexGrid(resolution, frame, cell_polygons(cells))


def assign_cells(latitude: np.ndarray, longitude: np.ndarray, grid: HexGrid) -> pl.Series:
    """The grid cell containing each point (null outside the grid), via one spatial join."""
    if len(latitude) == 0:
        return pl.Series("h3_cell", [], dtype=pl.String)
    polygons = gpd.GeoDataFrame(
        {"cell_index": np.arange(len(grid.polygons))}, geometry=grid.polygons, crs="EPSG:4326"
    )
    points = gpd.GeoDataFrame(
        {"point_index": np.arange(len(latitude))},
        geometry=gpd.points_from_xy(
            np.asarray(longitude, dtype=np.float64), np.asarray(latitude, dtype=np.float64)
        ),
        crs="EPSG:4326",
    )
    joined = gpd.sjoin(points, polygons, how="left", predicate="within")
    # A point exactly on a shared edge matches two cells: keep one, deterministically.
    joined = joined.sort_values(["point_index", "cell_index"]).drop_duplicates("point_index")
    index = joined["cell_index"].to_numpy(dtype=np.float64, na_value=np.nan)
    # Points outside every cell take the extra null entry at the end of the lookup.
    lookup = pl.Series("h3_cell", [*grid.ids, None], dtype=pl.String)
    return lookup.gather(np.where(np.isnan(index), len(grid.ids), index).astype(np.int64))


def hex_weights(cells: Sequence[str]) -> libpysal.weights.W:
    """Binary contiguity weights between grid cells: the (up to six) H3 cells sharing an edge.

    Neighbours outside ``cells`` are left out, so cells on the study area's edge have fewer.
    """
    import libpysal  # here, not at the top: it is most of the code location's load time

    present = set(cells)
    neighbors = {cell: sorted(n for n in h3.grid_ring(cell, 1) if n in present) for cell in cells}
    return libpysal.weights.W(neighbors, id_order=list(cells), silence_warnings=True)


def count_by_cell(events: pl.DataFrame, grid: HexGrid, metric: str) -> pl.DataFrame:
    """Counts per cell, period and metric from located events.

    ``events`` has ``latitude``, ``longitude``, ``day`` (DATE) and ``weight`` (1 per death or
    positive strip; the contacts of an outreach visit). Returns ``h3_cell``, ``metric``,
    ``period_type`` (``month``/``year``), ``period`` (first day) and ``count`` (Int64), only for
    cells with a positive count; events outside the grid are not counted.
    """
    located = events.filter(pl.col("latitude").is_not_null() & pl.col("longitude").is_not_null())
    cells = assign_cells(
        located.get_column("latitude").to_numpy(), located.get_column("longitude").to_numpy(), grid
    )
    located = located.with_columns(cells.alias("h3_cell")).filter(pl.col("h3_cell").is_not_null())
    per_type = [
        located.group_by(
            "h3_cell", pl.col("day").dt.truncate("1mo" if kind == "month" else "1y").alias("period")
        )
        .agg(pl.col("weight").sum().cast(pl.Int64).alias("count"))
        .with_columns(pl.lit(kind).alias("period_type"))
        for kind in PERIOD_TYPES
    ]
    schema = {
        "h3_cell": pl.String,
        "metric": pl.String,
        "period_type": pl.String,
        "period": pl.Date,
        "count": pl.Int64,
    }
    if not per_type:
        return pl.DataFrame(schema=schema)
    return (
        pl.concat(per_type)
        .filter(pl.col("count") > 0)
        .with_columns(pl.lit(metric).alias("metric"))
        .select(list(schema))
        .cast(schema)
        .sort("metric", "period_type", "period", "h3_cell")
    )


def window_matrix(
    events: pl.DataFrame, keys: Sequence, key_col: str, window_starts: Sequence, window_months: int
) -> np.ndarray:
    """Event counts as a windows × places matrix (zeros where nothing happened).

    ``events`` has ``key_col`` (a place id from ``keys``), ``day`` and ``weight``; window ``k`` covers
    ``[window_starts[k], window_starts[k] + window_months)``. Events outside every window or with a
    key not in ``keys`` are ignored.
    """
    starts = pl.Series("window_start", list(window_starts), dtype=pl.Date)
    matrix = np.zeros((len(starts), len(keys)), dtype=np.float64)
    if events.height == 0 or len(starts) == 0:
        return matrix
    key_index = pl.DataFrame({key_col: list(keys), "_place": np.arange(len(keys))})
    ends = starts.dt.offset_by(f"{window_months}mo")
    first, last = starts.min(), ends.max()
    tagged = (
        events.filter((pl.col("day") >= first) & (pl.col("day") < last))
        .join(key_index, on=key_col, how="inner")
        .with_columns(
            # Windows are consecutive and equally long, so the window is a whole-month offset.
            ((pl.col("day").dt.year() - first.year) * 12 + pl.col("day").dt.month() - first.month)
            .floordiv(window_months)
            .alias("_window")
        )
        .group_by("_window", "_place")
        .agg(pl.col("weight").sum())
    )
    matrix[tagged["_window"].to_numpy(), tagged["_place"].to_numpy()] = tagged["weight"].to_numpy()
    return matrix


def public_hex_counts(
    counts: pl.DataFrame, grid: HexGrid, *, threshold: int, provisional_from
) -> tuple[pl.DataFrame, int]:
    """The published hex layer: counts per cell and period with every small cell left out.

    Small-number suppression (:func:`pipelines.defs.epidemiology.suppression.suppress`) runs per
    metric and period with complementary suppression, so no period has exactly one hidden cell that
    the city total could reveal; then the hidden cells are dropped altogether rather than shown as
    "<10", because on a fine grid even "1 to 9 deaths here" points at a block. Zero cells are not
    listed either, so a missing cell means "0 or too few to show". Returns the table and the number
    of cell-periods hidden.
    """
    checked = suppress(
        counts, "count", threshold=threshold, complementary_by=["metric", "period_type", "period"]
    )
    visible = checked.filter(~pl.col("count_suppressed"))
    step = (
        pl.when(pl.col("period_type") == "month")
        .then(pl.col("period").dt.offset_by("1mo"))
        .otherwise(pl.col("period").dt.offset_by("1y"))
    )
    table = visible.join(grid.cells, on="h3_cell", how="inner").select(
        "h3_cell",
        "h3_resolution",
        "cell_lat",
        "cell_lon",
        "community_area_number",
        "in_region",
        "metric",
        "period_type",
        "period",
        "count",
        "count_display",
        # Only the Medical Examiner counts wait for toxicology; field data are final when logged.
        ((pl.col("metric") == "overdose_deaths") & (step > pl.lit(provisional_from))).alias("is_provisional"),
    )
    return table.sort("metric", "period_type", "period", "h3_cell"), checked.height - visible.height
