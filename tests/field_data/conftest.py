"""Fixtures for the field-data tests: community areas, hot spots, a small warehouse."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest
from field_data.helpers import HOTSPOT_ROWS

from pipelines.defs.field_data.locations import AreaIndex
from pipelines.warehouse import run_sql_file


@pytest.fixture(scope="session")
def area_table() -> pl.DataFrame:
    """``staging.community_areas`` as the pipeline builds it (bundled boundaries)."""
    from pipelines.defs.geography.boundaries import community_area_table, load_bundled_boundaries, load_population

    return community_area_table(load_bundled_boundaries(), load_population())


@pytest.fixture(scope="session")
def areas(area_table: pl.DataFrame) -> AreaIndex:
    """The community-area index validation uses."""
    return AreaIndex(area_table)


@pytest.fixture(scope="session")
def hotspots() -> pl.DataFrame:
    """A two-row hot-spot reference for test-strip and outreach validation."""
    return pl.DataFrame(
        HOTSPOT_ROWS,
        schema={"hotspot_id": pl.String, "latitude": pl.Float64, "longitude": pl.Float64,
                "community_area_number": pl.Int32},
        orient="row",
    )


@pytest.fixture
def con(area_table: pl.DataFrame):
    """An in-memory warehouse with the shared schema, the field-data tables and the community areas."""
    connection = duckdb.connect()
    run_sql_file(connection, "raw/schema.sql")
    run_sql_file(connection, "field_data/schema.sql")
    connection.register("area_frame", area_table.to_arrow())
    connection.execute("CREATE TABLE staging.community_areas AS SELECT * FROM area_frame")
    connection.unregister("area_frame")
    yield connection
    connection.close()
