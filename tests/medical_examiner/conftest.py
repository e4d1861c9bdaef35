"""Fixtures shared by the Medical Examiner staging tests: the 77 areas and a warehouse holding them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import duckdb
import polars as pl
import pytest

from pipelines.defs.geography.boundaries import community_area_table, load_bundled_boundaries, load_population
from pipelines.defs.medical_examiner.staging import MIN_DEATH_DATE
from pipelines.warehouse import query_sql_file, run_sql_file

#: Latest plausible death date in the staging tests (the fixture's dates are all before it).
MAX_DEATH_DATE = datetime(2026, 11, 25)


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


@pytest.fixture
def typed_rows() -> Callable[..., pl.DataFrame]:
    """Reads a warehouse's raw records typed as staging types them (sql/staging/me_cases_typed.sql)."""

    def read(con, max_death_date: datetime = MAX_DEATH_DATE) -> pl.DataFrame:
        params = {"min_death_date": MIN_DEATH_DATE, "max_death_date": max_death_date}
        return query_sql_file(con, "staging/me_cases_typed.sql", params).pl()

    return read
