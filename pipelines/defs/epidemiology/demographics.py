"""Demographic groups used in every overdose table: age group, sex, race/ethnicity.

Definitions (one place):

- ``age_group``: the 10-year groups of CDC WONDER / NCHS overdose reporting — ``0-14``, ``15-24``,
  ``25-34``, ``35-44``, ``45-54``, ``55-64``, ``65+``; ``Unknown`` when age is missing or outside
  0–120. For display (counts and shares by age).
- ``age_band``: the bands of age adjustment — ``0-4``, ``5-19``, ``20-34``, ``35-49``, ``50-64``,
  ``65-74``, ``75-84``, ``85+`` (:data:`AGE_BANDS`); ``Unknown`` as for ``age_group``. They are the
  bands CMAP publishes the community areas' population in, so every band has a population, and
  the 2000 US standard population is collapsed exactly to them
  (:mod:`pipelines.defs.epidemiology.age_adjusted`). Not for display: the groups above are.
- ``sex``: ``Male`` / ``Female`` from the archive's ``gender``; anything else ``Unknown``.
- ``race_ethnicity``: Hispanic of any race first (``latino`` true → ``Hispanic``), then
  non-Hispanic ``NH Black``, ``NH White``, ``NH Asian``; every other or missing race
  ``Other/unknown`` — the grouping the Chicago Department of Public Health uses in its overdose
  reports.
"""

from __future__ import annotations

import polars as pl

AGE_GROUPS = ["0-14", "15-24", "25-34", "35-44", "45-54", "55-64", "65+", "Unknown"]
#: Age-adjustment bands: label -> first year of age (the last band is open-ended).
AGE_BANDS: dict[str, int] = {
    "0-4": 0, "5-19": 5, "20-34": 20, "35-49": 35, "50-64": 50, "65-74": 65, "75-84": 75, "85+": 85,
}
#: The ``age_group`` / ``age_band`` of a missing or impossible age.
UNKNOWN_AGE = "Unknown"
#: Ages outside this range (years) are errors in the record, treated as unknown.
AGE_RANGE = (0, 120)
SEXES = ["Male", "Female", "Unknown"]
RACE_ETHNICITIES = ["Hispanic", "NH Black", "NH White", "NH Asian", "Other/unknown"]


def _age_unknown(a: pl.Expr) -> pl.Expr:
    return a.is_null() | (a < AGE_RANGE[0]) | (a > AGE_RANGE[1])


def age_group_expr(age: str = "age") -> pl.Expr:
    """The age group of ``age`` (years)."""
    a = pl.col(age)
    return (
        pl.when(_age_unknown(a)).then(pl.lit(UNKNOWN_AGE))
        .when(a < 15).then(pl.lit("0-14"))
        .when(a < 25).then(pl.lit("15-24"))
        .when(a < 35).then(pl.lit("25-34"))
        .when(a < 45).then(pl.lit("35-44"))
        .when(a < 55).then(pl.lit("45-54"))
        .when(a < 65).then(pl.lit("55-64"))
        .otherwise(pl.lit("65+"))
        .alias("age_group")
    )


def age_band_expr(age: str = "age") -> pl.Expr:
    """The age-adjustment band of ``age`` (years): a label of :data:`AGE_BANDS`, or ``Unknown``."""
    a = pl.col(age)
    bands = list(AGE_BANDS.items())
    expr = pl.when(_age_unknown(a)).then(pl.lit(UNKNOWN_AGE))
    for (label, _start), (_next, next_start) in zip(bands, bands[1:], strict=False):
        expr = expr.when(a < next_start).then(pl.lit(label))
    return expr.otherwise(pl.lit(bands[-1][0])).alias("age_band")


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
    """Add ``age_group``, ``sex``, ``race_ethnicity`` and ``age_band`` to a frame of cases."""
    return frame.with_columns(age_group_expr(), sex_expr(), race_ethnicity_expr(), age_band_expr())
