"""Row-level validation of field data: every row is either loaded (typed) or quarantined with a reason.

Pure functions over Polars frames — no files, no database — so each rule is tested on its own. All
rules are vectorised expressions; only the handful of distinct unknown area names (for a "did you
mean" hint) and the coordinates that need a point-in-polygon or distance test leave Polars, as
arrays, never row by row.

The rules, in the words of the quarantine reasons (see docs/data/field-data.md, "Validation"):

* a required value is missing; a value cannot be read (date, number, allowed value);
* a count is negative, fractional, or implausibly large for one row (``Column.max_value``);
* a date is in the future or before :data:`MIN_FIELD_DATE`;
* a text is a spreadsheet formula or too long;
* coordinates lie outside Cook County, or only one of latitude/longitude is given;
* the hot spot is not in the hot-spot list; the community area is not one of Chicago's 77;
* the row gives no location, or locations that disagree (see ``locations.py`` for the tolerances);
* the row has values to the right of the last header column (an unquoted comma, a shifted row);
* the row exactly repeats an earlier row (same or another file; the first one is loaded);
* a hot spot is defined twice; a sample has two results for the same strip type.

Values are echoed in a reason only when they cannot carry personal data (numbers, dates, one short
word); anything else is shown as "(value not shown)".
"""

from __future__ import annotations
from dataclasses import dataclass
from datetime import date

import polars as pl

from pipelines.defs.field_data.location_rules import locate
from pipelines.defs.field_data.locations import AreaIndex
from pipelines.defs.field_data.schema import SYNTHETIC_PREFIX, SourceSpec, staging_columns
from pipelines.defs.field_data.value_rules import any_problem, column_errors, parse_column, problem, reasons

#: Columns a rows frame carries besides the spec's fields (see :func:`validate`).
ROW_COLUMNS = ("file", "sheet", "row_number", "extra_values")

#: Schema of the quarantine frame :func:`validate` returns.
QUARANTINE_SCHEMA = {"file": pl.String, "row_number": pl.Int64, "reason": pl.String}


@dataclass(frozen=True)
class Validated:
    """The outcome of validating a source's rows: typed rows to load, and the rest with reasons."""

    loaded: pl.DataFrame
    quarantined: pl.DataFrame


# --- duplicates ----------------------------------------------------------------------------------


def _row_reference(prefix: str) -> pl.Expr:
    """Where the first row of a group is, relative to the current row: "row 5", "row 5 in 'a.csv'"."""
    first_file, first_sheet, first_row = (pl.col(f"{prefix}_{c}") for c in ("file", "sheet", "row_number"))
    same_file = pl.col("file") == first_file
    return (
        pl.when(same_file & pl.col("sheet").eq_missing(first_sheet))
        .then(pl.format("row {}", first_row))
        .when(same_file)
        .then(pl.format("row {} of sheet '{}'", first_row, first_sheet))
        .otherwise(pl.format("row {} in '{}'", first_row, first_file))
    )


def _first_of(frame: pl.DataFrame, keys: list[str], prefix: str) -> pl.DataFrame:
    """Add ``{prefix}_row/_file/_sheet/_row_number`` of the first row (input order) sharing ``keys``."""
    first = pl.col("_row").min().over(keys)
    frame = frame.with_columns(first.alias(f"{prefix}_row"))
    lookup = frame.select(
        pl.col("_row").alias(f"{prefix}_row"),
        pl.col("file").alias(f"{prefix}_file"),
        pl.col("sheet").alias(f"{prefix}_sheet"),
        pl.col("row_number").alias(f"{prefix}_row_number"),
    )
    return frame.join(lookup, on=f"{prefix}_row", how="left")


def _duplicates(valid: pl.DataFrame, spec: SourceSpec) -> pl.DataFrame:
    """Reasons (``_e_duplicate``) for the valid rows that repeat an earlier one."""
    exact_keys = [f"_v_{n}" for n in spec.names if n != "community_area"] + ["community_area_number"]
    valid = _first_of(valid, exact_keys, "_dup")
    reason = pl.when(pl.col("_row") != pl.col("_dup_row")).then(
        pl.format("exact duplicate of {}", _row_reference("_dup"))
    )
    if spec.source == "hotspots":
        valid = _first_of(valid, ["_v_hotspot_id"], "_def")
        reason = reason.when(pl.col("_row") != pl.col("_def_row")).then(
            pl.format("hotspot_id {} is already defined in {}", pl.col("_v_hotspot_id"), _row_reference("_def"))
        )
    if spec.source == "test_strips":
        sample_keys = ["_v_tested_on", "_v_team", "_v_sample_id", "_v_strip_type"]
        valid = _first_of(valid, sample_keys, "_smp")
        reason = reason.when(pl.col("_v_sample_id").is_not_null() & (pl.col("_row") != pl.col("_smp_row"))).then(
            pl.format(
                "sample {} already has a {} strip result in {}",
                pl.col("_v_sample_id"), pl.col("_v_strip_type"), _row_reference("_smp"),
            )
        )
    return valid.with_columns(reason.alias("_e_duplicate"))


# --- the whole validation ------------------------------------------------------------------------


def _loaded_columns(spec: SourceSpec) -> list[pl.Expr]:
    exprs: list[pl.Expr] = []
    for column in spec.columns:
        v = pl.col(f"_v_{column.name}")
        if column.name == "latitude":
            exprs.append(pl.col("_final_lat").cast(pl.Float64).alias("latitude"))
        elif column.name == "longitude":
            exprs.append(pl.col("_final_lon").cast(pl.Float64).alias("longitude"))
        elif column.name == "community_area":
            exprs.append(pl.col("_area_name").alias("community_area"))
        elif column.kind == "count":
            exprs.append(v.cast(pl.Int32).alias(column.name))
        else:
            exprs.append(v.alias(column.name))
    if spec.needs_location:
        date_col = spec.of_kind("date")[0].name
        exprs += [
            pl.col(f"_v_{date_col}").dt.truncate("1mo").alias("month"),
            pl.col("location_source"),
        ]
    exprs += [
        pl.col("community_area_number").cast(pl.Int32),
        pl.col("file").str.split("/").list.last().str.starts_with(SYNTHETIC_PREFIX).alias("is_synthetic"),
        pl.col("file").alias("source_file"),
        pl.col("row_number").cast(pl.Int64).alias("source_row"),
    ]
    return exprs


def validate(
    rows: pl.DataFrame,
    spec: SourceSpec,
    *,
    areas: AreaIndex,
    hotspots: pl.DataFrame | None = None,
    today: date,
) -> Validated:
    """Split a source's rows into typed rows to load and quarantined rows with reasons.

    ``rows`` holds :data:`ROW_COLUMNS` plus every column of ``spec`` as text (null when blank), in
    input order — files in name order, rows in file order — which decides which of two duplicates
    is loaded (the first). ``hotspots`` is the hot-spot reference (:data:`~.location_rules.HOTSPOT_REFERENCE_SCHEMA`)
    for test strips and outreach. ``today`` bounds dates ("in the future").

    Every input row ends in exactly one of the two frames. ``loaded`` has the columns of the staging
    table (:func:`~pipelines.defs.field_data.schema.staging_columns`); ``quarantined`` has
    :data:`QUARANTINE_SCHEMA` (``reason`` joins all of a row's problems with "; ").
    """
    missing = [c for c in (*ROW_COLUMNS, *spec.names) if c not in rows.columns]
    if missing:
        raise ValueError(f"rows frame lacks columns {missing}")
    work = rows.select(
        pl.col("file").cast(pl.String),
        pl.col("sheet").cast(pl.String),
        pl.col("row_number").cast(pl.Int64),
        pl.col("extra_values").cast(pl.Int32),
        *(pl.col(n).cast(pl.String) for n in spec.names),
    ).with_row_index("_row")
    work = work.with_columns(parse_column(c) for c in spec.columns)
    work, location_problems = locate(work, spec, areas, hotspots)
    names = pl.DataFrame(
        {"community_area_number": list(areas.names), "_area_name": list(areas.names.values())},
        schema={"community_area_number": pl.Int32, "_area_name": pl.String},
    )
    work = work.join(names, on="community_area_number", how="left")

    problems = [e for c in spec.columns for e in column_errors(c, today)]
    problems += location_problems
    problems.append(problem(pl.col("extra_values") > 0, pl.format(
        "the row has {} value(s) to the right of the last column (an unquoted comma or a shifted row?)",
        pl.col("extra_values"),
    )))
    # Reason texts are built only for the rows that break a rule: formatting every message for
    # every row (most messages are evaluated whether or not their rule applies) took seconds at
    # 100,000 rows, and nearly all rows break none. Rows that break none get no reason either way.
    work = work.with_columns(any_problem(problems).alias("_has_problem"))
    explained = work.filter(pl.col("_has_problem")).select("_row", reasons(problems).alias("_reason"))
    work = work.join(explained, on="_row", how="left", maintain_order="left")
    work = work.with_columns(pl.when(pl.col("_reason") != "").then(pl.col("_reason")).alias("_reason"))

    # Reasons name the sheet only in workbooks with several data sheets.
    work = work.with_columns((pl.col("sheet").n_unique().over("file") > 1).alias("_several_sheets"))
    valid = _duplicates(work.filter(pl.col("_reason").is_null()), spec)
    loaded = valid.filter(pl.col("_e_duplicate").is_null()).sort("_row").select(_loaded_columns(spec))
    bad = pl.concat(
        [
            work.filter(pl.col("_reason").is_not_null()).select(
                "_row", "file", "sheet", "_several_sheets", "row_number", "_reason"
            ),
            valid.filter(pl.col("_e_duplicate").is_not_null()).select(
                "_row", "file", "sheet", "_several_sheets", "row_number", pl.col("_e_duplicate").alias("_reason")
            ),
        ]
    ).sort("_row")
    quarantined = bad.select(
        pl.col("file"),
        pl.col("row_number"),
        pl.when(pl.col("sheet").is_not_null() & pl.col("_several_sheets"))
        .then(pl.format("sheet '{}': {}", pl.col("sheet"), pl.col("_reason")))
        .otherwise(pl.col("_reason"))
        .alias("reason"),
    )
    expected = list(staging_columns(spec))
    if loaded.columns != expected:
        raise AssertionError(f"loaded columns {loaded.columns} differ from {expected}")
    if loaded.height + quarantined.height != rows.height:
        raise AssertionError("validation lost or duplicated rows")
    return Validated(loaded=loaded, quarantined=quarantined)


def empty_rows(spec: SourceSpec) -> pl.DataFrame:
    """A rows frame with no rows, in the shape :func:`validate` takes."""
    schema = {"file": pl.String, "sheet": pl.String, "row_number": pl.Int64, "extra_values": pl.Int32}
    schema.update({n: pl.String for n in spec.names})
    return pl.DataFrame(schema=schema)
