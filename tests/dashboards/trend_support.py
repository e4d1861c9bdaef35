"""Shared pieces of the Trends data tests: the threshold, a hand-made selection, monthly-mart-like
rows and a read-only query of the demo app database.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from dashboards.components import trend_selection


THRESHOLD = 10
SELECTION = trend_selection.Selection(label="Region", areas=(1, 2), population=100_000, city_population=300_000)


def monthly_rows(records: list[tuple[date, int, int]]) -> pl.DataFrame:
    """Monthly-mart-like rows: (month, community area, deaths), drug 'all', one demographic cell."""
    return pl.DataFrame(
        {
            "month": [r[0] for r in records],
            "community_area_number": [r[1] for r in records],
            "drug": ["all"] * len(records),
            "intent": ["accident"] * len(records),
            "age_group": ["35-44"] * len(records),
            "sex": ["Male"] * len(records),
            "race_ethnicity": ["NH Black"] * len(records),
            "deaths": [r[2] for r in records],
        },
        schema_overrides={"deaths": pl.Int32, "community_area_number": pl.Int32},
    )


def query_db(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()
