"""Fixtures shared by the Medical Examiner staging tests: the 77 areas and a warehouse holding them."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from pipelines.defs.geography.boundaries import community_area_table, load_bundled_boundaries, load_population
from pipelines.warehouse import run_sql_file


@pytest.fixture(scope="module")
def areas() -> pl.DataFrame:
    """The bundled community areas as ``staging.community_areas`` holds them."""
    return community_area_table(load_bundled_boundaries(), load_population())


@pytest.fixture
def con(areas):
    """An in-memory warehouse with the raw/staging schema and ``staging.community_areas``."""
    con = duckdb.connect()
    run_sql_file(con, "raw/schema.sql")
    con.register("areas_frame", areas.to_arrow())
    con.execute("CREATE TABLE staging.community_areas AS SELECT * FROM areas_frame")
    yield con
    con.close()
