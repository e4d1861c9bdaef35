"""What ``staging.me_cases`` must hold, checked row by row against the typed rows it came from.

The pipeline runs each per-row rule once per *distinct* input and joins the answers back in SQL
(``sql/staging/me_cases.sql``). Here the same rules' Python definitions run on *every* row, so a
join that loses, doubles or mismatches a row shows up. Placement has one definition, the SQL; it
is checked here by what must hold of every placed row (and by known answers in the tests), not by
a second implementation of the rule.
"""

from __future__ import annotations

import polars as pl

from pipelines.defs.epidemiology.classify import OUTPUT_COLUMNS, classify_cases
from pipelines.defs.epidemiology.demographics import with_demographics
from pipelines.defs.geography.placement import point_in_area
from pipelines.defs.medical_examiner.staging import residence_city_expr

#: Columns of the typed rows that staging does not carry.
NOT_STAGED = ("commarea_from_archive", "known_city", "reject_reason")
#: Columns staging adds from the per-row rules other than placement.
RULE_COLUMNS = ("incident_day", "death_day", *OUTPUT_COLUMNS, "age_group", "sex", "race_ethnicity", "age_band")


def expected_rows(typed: pl.DataFrame) -> pl.DataFrame:
    """The staged rows without their placement: every typed row staging keeps, with the case
    definition, the demographic groups and the residence spelling applied to each row."""
    keep = typed.filter(pl.col("reject_reason").is_null()).sort("casenumber")
    ruled = with_demographics(classify_cases(keep)).with_columns(
        residence_city_expr(),
        pl.col("incident_date").dt.date().alias("incident_day"),
        pl.col("death_date").dt.date().alias("death_day"),
    )
    carried = [c for c in typed.columns if c not in NOT_STAGED]
    return ruled.select(*carried, *RULE_COLUMNS)


def assert_staged_as_defined(staged: pl.DataFrame, typed: pl.DataFrame, areas: pl.DataFrame) -> None:
    """``staged`` (``staging.me_cases``) holds each kept typed row once, in casenumber order, with
    every per-row rule's answer, and a placement consistent with its inputs."""
    expected = expected_rows(typed)
    assert staged.height == expected.height
    assert staged["casenumber"].to_list() == expected["casenumber"].to_list(), "each case once, sorted"
    assert staged.select(expected.columns).equals(expected), "typed columns and per-row rules"

    placement = pl.col("placement")
    number = pl.col("community_area_number")
    facts = staged.with_columns(
        typed.filter(pl.col("reject_reason").is_null()).sort("casenumber")["commarea_from_archive"],
        pl.Series("contains", point_in_area(staged["latitude"].to_numpy(), staged["longitude"].to_numpy(), areas)),
    )

    def none_of(condition: pl.Expr) -> None:
        bad = facts.filter(condition)
        assert bad.is_empty(), bad.select("casenumber", "placement", "community_area_number").head(5)

    archive, valid = pl.col("commarea_from_archive"), pl.col("coordinates_valid")
    # The archive's own area name wins wherever there is one.
    none_of((archive.is_not_null() != (placement == "archive")) | ((placement == "archive") & (number != archive)))
    # Otherwise valid coordinates decide: the area containing the point, or outside Chicago.
    by_point = archive.is_null() & valid
    none_of(by_point & (pl.col("contains") > 0) & ((placement != "coordinates") | (number != pl.col("contains"))))
    none_of(by_point & (pl.col("contains") < 0) & ((placement != "outside_chicago") | number.is_not_null()))
    # Only cases without either are placed by their geocoded address.
    none_of((placement == "geocoded") & (archive.is_not_null() | valid | number.is_null()))
    # An area number exactly when placed in an area; its name; Chicago.
    in_area = placement.is_in(["archive", "coordinates", "geocoded"])
    none_of(in_area != number.is_not_null())
    none_of(in_area & ((pl.col("municipality") != "Chicago") | ~pl.col("in_chicago")))
    none_of(pl.col("in_chicago") != (pl.col("municipality") == "Chicago").fill_null(False))
    named = facts.filter(in_area).join(
        areas.select("community_area_number", pl.col("community_area").alias("area_name")),
        on="community_area_number",
        how="left",
    )
    assert (named["community_area"] == named["area_name"]).all(), "the name of the area"
