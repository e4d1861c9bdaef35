"""From raw Medical Examiner records to ``staging.me_cases``: typing, classification, placement."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from pipelines.defs.epidemiology.classify import classify_cases
from pipelines.defs.epidemiology.demographics import with_demographics
from pipelines.defs.geography.placement import place_cases

# The ME archive starts in 2014; nothing before 2000 is a plausible death date for it.
MIN_DEATH_DATE = datetime(2000, 1, 1)

REJECT_COLUMNS = ["source_file", "source_row", "casenumber", "reject_reason"]


def split_rejects(typed: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split typed rows into (rows to stage, rows to quarantine with their reason)."""
    rejected = pl.col("reject_reason").is_not_null()
    return typed.filter(~rejected).drop("reject_reason"), typed.filter(rejected).select(REJECT_COLUMNS)


def stage_cases(typed: pl.DataFrame, areas: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Build the ``staging.me_cases`` frame and the quarantine rows from the typed SQL result.

    ``areas`` is ``staging.community_areas`` (number, name, WKT geometry). Returns
    ``(cases, rejects)``; every typed row is in exactly one of them.
    """
    keep, rejects = split_rejects(typed)
    keep = keep.with_columns(
        # The archive mixes "Chicago", "CHICAGO" and "chicago": one spelling per place.
        pl.col("residence_city").str.strip_chars().str.to_titlecase().alias("residence_city"),
        pl.col("incident_date").dt.date().alias("incident_day"),
        pl.col("death_date").dt.date().alias("death_day"),
    )
    cases = place_cases(with_demographics(classify_cases(keep)), areas).drop("commarea_from_archive")
    return cases.sort("casenumber"), rejects
