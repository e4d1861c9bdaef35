"""The H3 grid: covering cells, point assignment (against h3 itself), weights, counts, suppression."""

from __future__ import annotations

from datetime import date

import h3
import numpy as np
import polars as pl
import pytest
import shapely

from pipelines.defs.hotspots import grid as g

CENTRE = h3.latlng_to_cell(41.8805, -87.7260, 8)  # West Garfield Park


def _areas() -> pl.DataFrame:
    """Two square 'areas' side by side, about 2 × 2 km each, on the West Side."""
    left = shapely.box(-87.745, 41.870, -87.721, 41.888)
    right = shapely.box(-87.721, 41.870, -87.697, 41.888)
    return pl.DataFrame(
        {"community_area_number": [26, 27], "geometry_wkt": [left.wkt, right.wkt]},
        schema_overrides={"community_area_number": pl.Int32},
    )


@pytest.fixture(scope="module")
def grid() -> g.HexGrid:
    return g.build_grid(_areas(), 8, region_areas=[27])


def test_cells_cover_every_point_of_the_areas(grid):
    rng = np.random.default_rng(0)
    lat = rng.uniform(41.870, 41.888, 2_000)
    lon = rng.uniform(-87.745, -87.697, 2_000)
    cells = g.assign_cells(lat, lon, grid)
    assert cells.null_count() == 0
    # The spatial join gives the same cell as h3 itself.
    expected = [h3.latlng_to_cell(a, b, 8) for a, b in zip(lat, lon, strict=True)]
    assert cells.to_list() == expected


def test_grid_columns_and_region_flag(grid):
    cells = grid.cells
    assert cells.columns == [
        "h3_cell",
        "h3_resolution",
        "cell_lat",
        "cell_lon",
        "community_area_number",
        "in_region",
    ]
    assert cells["h3_cell"].to_list() == sorted(cells["h3_cell"].to_list())
    assert (cells["h3_resolution"] == 8).all()
    assert 0 < cells["in_region"].sum() < cells.height
    # A centre inside area 27 makes the cell a region cell.
    assert cells.filter(pl.col("community_area_number") == 27)["in_region"].all()
    assert grid.subset(cells["in_region"].to_numpy()).cells.height == cells["in_region"].sum()


def test_points_outside_the_grid_get_no_cell(grid):
    assert g.assign_cells(np.array([41.95]), np.array([-87.65]), grid).to_list() == [None]
    assert g.assign_cells(np.array([]), np.array([]), grid).len() == 0


def test_hex_weights_are_the_six_neighbours():
    cells = sorted(h3.grid_disk(CENTRE, 2))
    w = g.hex_weights(cells)
    assert sorted(w.neighbors[CENTRE]) == sorted(h3.grid_ring(CENTRE, 1))
    # Cells on the edge of the disk have fewer neighbours inside it.
    edge = min(h3.grid_ring(CENTRE, 2))
    assert 2 <= len(w.neighbors[edge]) < 6


def test_count_by_cell_months_and_years(grid):
    lat, lng = h3.cell_to_latlng(CENTRE)
    events = pl.DataFrame(
        {
            "latitude": [lat, lat, lat, None, 41.95],
            "longitude": [lng, lng, lng, -87.72, -87.65],
            "day": [
                date(2025, 1, 5),
                date(2025, 1, 20),
                date(2025, 3, 1),
                date(2025, 1, 1),
                date(2025, 1, 1),
            ],
            "weight": [1, 2, 1, 1, 1],
        }
    )
    counts = g.count_by_cell(events, grid, "outreach_contacts")
    assert counts.columns == ["h3_cell", "metric", "period_type", "period", "count"]
    assert counts.filter(pl.col("period_type") == "month").select("period", "count").rows() == [
        (date(2025, 1, 1), 3),
        (date(2025, 3, 1), 1),
    ]
    assert counts.filter(pl.col("period_type") == "year").select("period", "count").rows() == [
        (date(2025, 1, 1), 4)
    ]
    assert set(counts["h3_cell"]) == {CENTRE}


def test_public_hex_counts_hide_small_cells(grid):
    cells = grid.ids[:4]
    counts = pl.DataFrame(
        {
            "h3_cell": cells,
            "metric": ["overdose_deaths"] * 4,
            "period_type": ["year"] * 4,
            "period": [date(2025, 1, 1)] * 4,
            "count": [3, 12, 15, 40],
        }
    )
    table, hidden = g.public_hex_counts(counts, grid, threshold=10, provisional_from=date(2025, 8, 1))
    # The 3 is hidden; so is the smallest other cell (12), or 3 = total − visible would show.
    assert hidden == 2
    assert table["count"].to_list() == [15, 40]
    assert table["count_display"].to_list() == ["15", "40"]
    assert table["is_provisional"].all()  # the 2025 year reaches into provisional August
    assert not {"latitude", "longitude"} & set(table.columns)


def test_window_matrix():
    starts = [date(2025, 1, 1), date(2025, 4, 1)]
    events = pl.DataFrame(
        {
            "h3_cell": ["a", "b", "a", "c", "a"],
            "day": [
                date(2025, 1, 3),
                date(2025, 3, 31),
                date(2025, 4, 1),
                date(2025, 2, 1),
                date(2025, 7, 1),
            ],
            "weight": [1, 2, 3, 1, 9],
        }
    )
    matrix = g.window_matrix(events, ["a", "b"], "h3_cell", starts, 3)
    np.testing.assert_array_equal(matrix, [[1, 2], [3, 0]])
