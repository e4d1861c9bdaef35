"""Fixtures shared by the Medical Examiner staging tests: the 77 areas, a warehouse holding them,
and the helpers that load raw records and stage them as the pipeline does."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.defs.geography.boundaries import community_area_table, load_bundled_boundaries, load_population
from pipelines.defs.medical_examiner.ingest import merge_files
from pipelines.defs.medical_examiner.staging import MIN_DEATH_DATE, StagingReport, stage_cases_in_warehouse, typed_cases
from pipelines.warehouse import run_sql_file

#: Latest plausible death date in the staging tests (the fixture's dates are all before it).
MAX_DEATH_DATE = datetime(2026, 11, 25)
#: When the staging tests stage (the quarantine's time stamp).
NOW = datetime(2026, 11, 24, 12, 0)
#: The columns of ``staging.community_areas`` the look-ups read.
AREA_COLUMNS = ["community_area_number", "community_area", "geometry_wkt"]


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
        return typed_cases(con, min_death_date=MIN_DEATH_DATE, max_death_date=max_death_date).pl()

    return read


def load_records(con: duckdb.DuckDBPyConnection, folder: Path, records: list[dict]) -> Path:
    """Write ``records`` as one SODA page in ``folder`` and merge it into ``raw.me_records``."""
    path = folder / "page_0001.json"
    path.write_text(json.dumps(records))
    merge_files(con, [path], pull_id="page", mode="full", checksum=None, watermark=None)
    return path


def stage_in_warehouse(con: duckdb.DuckDBPyConnection, **options) -> StagingReport:
    """``stage_cases_in_warehouse`` as the pipeline runs it, with the tests' date range and clock."""
    return stage_cases_in_warehouse(
        con, min_death_date=MIN_DEATH_DATE, max_death_date=MAX_DEATH_DATE, now=NOW, source="medical_examiner",
        **options,
    )


def staged_cases(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    """``staging.me_cases`` by casenumber."""
    return {r["casenumber"]: r for r in con.sql("SELECT * FROM staging.me_cases").pl().to_dicts()}
