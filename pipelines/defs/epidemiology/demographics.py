"""Demographic groups used in every overdose table: age group, sex, race/ethnicity.

Definitions (one place):

- ``age_group``: the 10-year groups of CDC WONDER / NCHS overdose reporting — ``0-14``, ``15-24``,
  ``25-34``, ``35-44``, ``45-54``, ``55-64``, ``65+``; ``Unknown`` when age is missing or outside
  0–120.
- ``sex``: ``Male`` / ``Female`` from the archive's ``gender``; anything else ``Unknown``.
- ``race_ethnicity``: Hispanic of any race first (``latino`` true → ``Hispanic``), then
  non-Hispanic ``NH Black``, ``NH White``, ``NH Asian``; every other or missing race
  ``Other/unknown`` — the grouping the Chicago Department of Public Health uses in its overdose
  reports.
"""

from __future__ import annotations

import polars as pl

AGE_GROUPS = ["0-14", "15-24", "25-34", "35-44", "45-54", "55-64", "65+", "Unknown"]
SEXES = ["Male", "Female", "Unknown"]
RACE_ETHNICITIES = ["Hispanic", "NH Black", "NH White", "NH Asian", "Other/unknown"]


def age_group_expr(age: str = "age") -> pl.Expr:
    """The age group of ``age`` (years)."""
    a = pl.col(age)
    return (
        pl.when(a.is_null() | (a < 0) | (a > 120)).then(pl.lit("Unknown"))
        .when(a < 15).then(pl.lit("0-14"))
        .when(a < 25).then(pl.lit("15-24"))
        .when(a < 35).then(pl.lit("25-34"))
        .when(a < 45).then(pl.lit("35-44"))
        .when(a < 55).then(pl.lit("45-54"))
        .when(a < 65).then(pl.lit("55-64"))
        .otherwise(pl.lit("65+"))
        .alias("age_group")
    )


def sex_expr(gender: str = "gender") -> pl.Expr:
    """``Male``, ``Female`` or ``Unknown`` from the archive's gender text."""
    g = pl.col(gender).str.strip_chars().str.to_lowercase()
    return (
        pl.when(g == "male").then(pl.lit("Male"))
        .when(g == "female").then(pl.lit("Female"))
        .otherwise(pl.lit("Unknown"))
        .alias("sex")
    )


def race_ethnicity_expr(race: str = "race", latino: str = "latino") -> pl.Expr:
    """Hispanic of any race, else non-Hispanic Black / White / Asian, else Other/unknown."""
    r = pl.col(race).str.strip_chars().str.to_lowercase()
    return (
        pl.when(pl.col(latino).fill_null(False)).then(pl.lit("Hispanic"))
        .when(r == "black").then(pl.lit("NH Black"))
        .when(r == "white").then(pl.lit("NH White"))
        .when(r == "asian").then(pl.lit("NH Asian"))
        .otherwise(pl.lit("Other/unknown"))
        .alias("race_ethnicity")
    )


def with_demographics(frame: pl.DataFrame) -> pl.DataFrame:
    """Add ``age_group``, ``sex`` and ``race_ethnicity`` to a frame of cases."""
    return frame.with_columns(age_group_expr(), sex_expr(), race_ethnicity_expr())
