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

from pipelines.defs.field_data.locations import (
    AREA_TOLERANCE_M,
    HOTSPOT_TOLERANCE_M,
    AreaIndex,
    area_key_expr,
    distance_m,
    in_cook_county_expr,
)
from pipelines.defs.field_data.schema import (
    MIN_FIELD_DATE,
    SYNTHETIC_PREFIX,
    Column,
    SourceSpec,
    staging_columns,
)

#: Columns a rows frame carries besides the spec's fields (see :func:`validate`).
ROW_COLUMNS = ("file", "sheet", "row_number", "extra_values")

_SAFE_ECHO = r"^([0-9.,:/+\- ]{1,24}|[^\s]{1,20})$"
_NOT_SHOWN = "(value not shown)"

#: Schema of the quarantine frame :func:`validate` returns.
QUARANTINE_SCHEMA = {"file": pl.String, "row_number": pl.Int64, "reason": pl.String}

#: Schema of the hot-spot reference the test-strip and outreach validation joins against.
HOTSPOT_REFERENCE_SCHEMA = {
    "hotspot_id": pl.String,
    "latitude": pl.Float64,
    "longitude": pl.Float64,
    "community_area_number": pl.Int32,
}

#: Text a spreadsheet would run as a formula (OWASP "CSV injection"): ``=…``, ``+…``, ``@…``, or a
#: minus followed by an expression (``-2+3``, ``-cmd|…``). A plain negative number is not text here.
FORMULA_PATTERN = r"^\s*(?:[=+@]|-.*[-+*/^&(=|!])"


@dataclass(frozen=True)
class Validated:
    """The outcome of validating a source's rows: typed rows to load, and the rest with reasons."""

    loaded: pl.DataFrame
    quarantined: pl.DataFrame


# --- parsing expressions -------------------------------------------------------------------------


def value_key_expr(expr: pl.Expr) -> pl.Expr:
    """Polars form of :func:`pipelines.defs.field_data.schema.value_key`."""
    return expr.str.to_lowercase().str.replace_all(r"[^a-z0-9+\-?]+", " ").str.strip_chars()


def parse_date_expr(expr: pl.Expr) -> pl.Expr:
    """Parse ISO ``YYYY-MM-DD`` (a time part is ignored), US ``M/D/YYYY`` or ``M/D/YY``, or an
    Excel serial day number (20000–80000, i.e. 1954–2119) into a Date; null when none fits.

    Impossible dates (``2/30/2026``) give null. Two-digit years are 20YY.
    """
    text = expr.str.strip_chars()
    iso = text.str.extract(
        r"^(\d{4}-\d{1,2}-\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$", 1
    ).str.to_date("%Y-%m-%d", strict=False)
    us = text.str.extract_groups(
        r"^(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?:\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp][Mm])?)?$"
    )
    month, day, year = (us.struct.field(k) for k in ("1", "2", "3"))
    year = pl.when(year.str.len_chars() == 2).then(pl.lit("20") + year).otherwise(year)
    us_date = pl.concat_str([year, month, day], separator="-").str.to_date("%Y-%m-%d", strict=False)
    serial = text.str.extract(r"^(\d{5})(?:\.\d+)?$", 1).cast(pl.Int64)
    # Excel's day 25569 is 1970-01-01, Polars' day 0; serials count from 1899-12-30.
    from_serial = pl.when(serial.is_between(20000, 80000)).then((serial - 25569).cast(pl.Int32).cast(pl.Date))
    return pl.coalesce(iso, us_date, from_serial)


def parse_float_expr(expr: pl.Expr) -> pl.Expr:
    """Decimal number (``41.88``, ``-87.7``, ``41,88`` with a decimal comma); null when not one."""
    text = expr.str.strip_chars().str.replace(r"^([+-]?\d+),(\d+)$", "${1}.${2}")
    ok = text.str.contains(r"^[+-]?(\d+\.?\d*|\.\d+)$")
    return pl.when(ok).then(text.cast(pl.Float64, strict=False))


def parse_count_expr(expr: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """``(digits, value)`` of a whole-number cell: ``"12"``, ``"12.0"``, ``"1,234"``, ``"-3"``.

    ``digits`` is the whole number as text (null when the cell is not a whole number) and ``value``
    its Int64 (null also when it overflows).
    """
    text = expr.str.strip_chars()
    text = pl.when(text.str.contains(r"^[+-]?\d{1,3}(,\d{3})+$")).then(text.str.replace_all(",", "")).otherwise(text)
    digits = text.str.extract(r"^([+-]?\d+)(?:\.0*)?$", 1)
    return digits, digits.cast(pl.Int64, strict=False)


def echo_expr(raw: pl.Expr) -> pl.Expr:
    """A cell value quoted for a reason, or "(value not shown)" when it could carry personal data."""
    return pl.when(raw.str.contains(_SAFE_ECHO)).then(pl.format("'{}'", raw)).otherwise(pl.lit(_NOT_SHOWN))


@dataclass(frozen=True)
class _Problem:
    """One rule: where it is broken (never null), and the reason text there."""

    condition: pl.Expr
    message: pl.Expr


def _err(condition: pl.Expr, message: pl.Expr | str) -> _Problem:
    text = pl.lit(message) if isinstance(message, str) else message
    return _Problem(condition.fill_null(False), text)


def _any_problem(problems: list[_Problem]) -> pl.Expr:
    return pl.any_horizontal(p.condition for p in problems)


def _reasons(problems: list[_Problem]) -> pl.Expr:
    """A row's reasons joined with "; " in rule order ("" when it breaks none)."""
    return pl.concat_str(
        [pl.when(p.condition).then(p.message) for p in problems], separator="; ", ignore_nulls=True
    )


def _fmt_number(expr: pl.Expr) -> pl.Expr:
    return expr.round(6).cast(pl.String)


# --- per-column rules ----------------------------------------------------------------------------


def _parse_column(column: Column) -> pl.Expr:
    raw = pl.col(column.name)
    v = f"_v_{column.name}"
    if column.kind == "date":
        return parse_date_expr(raw).alias(v)
    if column.kind == "text":
        return raw.str.replace_all(r"\s+", " ").alias(v)
    if column.kind == "id":
        return raw.str.replace_all(r"\s+", " ").str.to_uppercase().alias(v)
    if column.kind in ("latitude", "longitude"):
        return parse_float_expr(raw).alias(v)
    if column.kind == "area":
        return raw.alias(v)
    if column.kind == "enum":
        mapped = value_key_expr(raw).replace_strict(column.value_map(), default=None, return_dtype=pl.String)
        if not column.required:
            # An optional enumeration left blank means "don't know" (documented per column).
            return pl.when(raw.is_null()).then(pl.lit(column.allowed[-1])).otherwise(mapped).alias(v)
        return mapped.alias(v)
    if column.kind == "bool":
        mapped = value_key_expr(raw).replace_strict(column.value_map(), default=None, return_dtype=pl.String)
        return pl.when(raw.is_null()).then(True).otherwise(mapped == "yes").alias(v)
    if column.kind == "count":
        return parse_count_expr(raw)[1].alias(v)
    raise ValueError(f"unknown column kind {column.kind!r}")


def _column_errors(column: Column, today: date) -> list[_Problem]:
    name, raw, v = column.name, pl.col(column.name), pl.col(f"_v_{column.name}")
    errors = []
    if column.required:
        errors.append(_err(raw.is_null(), f"{name} is missing"))
    given = raw.is_not_null()
    if column.kind == "date":
        errors += [
            _err(given & v.is_null(), pl.format(
                "{} {} is not a date (use YYYY-MM-DD, MM/DD/YYYY or an Excel date)", pl.lit(name), echo_expr(raw)
            )),
            _err(v > pl.lit(today), pl.format("{} {} is in the future", pl.lit(name), v.dt.to_string("%Y-%m-%d"))),
            _err(v < pl.lit(MIN_FIELD_DATE), pl.format(
                "{} {} is before {} (a typing error?)", pl.lit(name), v.dt.to_string("%Y-%m-%d"),
                pl.lit(MIN_FIELD_DATE.isoformat()),
            )),
        ]
    elif column.kind in ("text", "id"):
        errors.append(_err(raw.str.contains(FORMULA_PATTERN), f"{name} is a spreadsheet formula, not a value"))
        if column.max_length:
            errors.append(_err(
                raw.str.len_chars() > column.max_length,
                f"{name} is longer than {column.max_length} characters",
            ))
    elif column.kind in ("latitude", "longitude"):
        errors.append(_err(given & v.is_null(), pl.format("{} {} is not a number", pl.lit(name), echo_expr(raw))))
    elif column.kind in ("enum", "bool"):
        allowed = ", ".join(column.allowed)
        errors.append(_err(
            given & v.is_null(), pl.format("{} {} is not one of: {}", pl.lit(name), echo_expr(raw), pl.lit(allowed))
        ))
    elif column.kind == "count":
        digits, value = parse_count_expr(raw)
        errors += [
            _err(given & digits.is_null(), pl.format("{} {} is not a whole number", pl.lit(name), echo_expr(raw))),
            _err(digits.is_not_null() & value.is_null(), f"{name} is implausibly large"),
            _err(value < 0, pl.format("{} {} is negative", pl.lit(name), value.cast(pl.String))),
            _err(value > column.max_value, pl.format(
                "{} {} is implausibly large (more than {} in one row)", pl.lit(name), value.cast(pl.String),
                pl.lit(f"{column.max_value:,}"),
            )),
        ]
    return errors


# --- locations -----------------------------------------------------------------------------------


def _empty_hotspots() -> pl.DataFrame:
    return pl.DataFrame(schema=HOTSPOT_REFERENCE_SCHEMA)


def _locate(
    work: pl.DataFrame, spec: SourceSpec, areas: AreaIndex, hotspots: pl.DataFrame | None
) -> tuple[pl.DataFrame, list[_Problem]]:
    """Add the resolved location columns; return them with the location rules."""
    lat, lon = pl.col("_v_latitude"), pl.col("_v_longitude")
    lat_raw, lon_raw = pl.col("latitude"), pl.col("longitude")
    work = work.with_columns(
        (lat.is_not_null() & lon.is_not_null()).alias("_pt_given"),
        in_cook_county_expr(lat, lon).alias("_pt_ok"),
        area_key_expr(pl.col("community_area")).alias("_area_key"),
    )

    # Hot spots: joined on the upper-cased id (the registry itself has none to join).
    uses_hotspots = spec.source != "hotspots"
    registry = (hotspots if hotspots is not None else _empty_hotspots()).select(
        pl.col("hotspot_id").alias("_v_hotspot_id"),
        pl.col("latitude").alias("_hs_lat"),
        pl.col("longitude").alias("_hs_lon"),
        pl.col("community_area_number").cast(pl.Int32).alias("_hs_area"),
        pl.lit(True).alias("_hs_found"),
    )
    if uses_hotspots:
        work = work.join(registry, on="_v_hotspot_id", how="left")
    else:
        work = work.with_columns(
            pl.lit(None, pl.Float64).alias("_hs_lat"), pl.lit(None, pl.Float64).alias("_hs_lon"),
            pl.lit(None, pl.Int32).alias("_hs_area"), pl.lit(None, pl.Boolean).alias("_hs_found"),
        )
    work = work.with_columns(pl.col("_hs_found").fill_null(False))

    # Named community areas, with a "did you mean" for the few distinct unknown names.
    work = work.join(areas.lookup(), on="_area_key", how="left")
    unknown = (
        work.filter(pl.col("_area_key").is_not_null() & pl.col("_named_area").is_null())["_area_key"]
        .unique()
        .to_list()
    )
    work = work.join(areas.suggestions(unknown), on="_area_key", how="left")

    # Points in polygons, once per distinct coordinate pair.
    points = work.filter(pl.col("_pt_ok")).select("_v_latitude", "_v_longitude").unique()
    found = areas.area_of(points["_v_latitude"].to_numpy(), points["_v_longitude"].to_numpy())
    points = points.with_columns(
        pl.Series("_pt_area", found, dtype=pl.Int32).replace(-1, None)
    )
    work = work.join(points, on=["_v_latitude", "_v_longitude"], how="left", nulls_equal=False)
    work = work.with_columns(pl.when(pl.col("_pt_ok")).then(pl.col("_pt_area")).alias("_pt_area"))

    # The point a named area is compared with: the hot spot's, else the row's own coordinates.
    work = work.with_columns(
        pl.when(pl.col("_hs_found")).then(pl.col("_hs_lat")).when(pl.col("_pt_ok")).then(lat).alias("_ref_lat"),
        pl.when(pl.col("_hs_found")).then(pl.col("_hs_lon")).when(pl.col("_pt_ok")).then(lon).alias("_ref_lon"),
        pl.when(pl.col("_hs_found")).then(pl.col("_hs_area")).otherwise(pl.col("_pt_area")).alias("_ref_area"),
        pl.when(pl.col("_hs_found"))
        .then(pl.format("hot spot {} is", pl.col("_v_hotspot_id")))
        .otherwise(pl.lit("the coordinates are"))
        .alias("_ref_label"),
    )
    work = _distances(work, areas)

    names = pl.DataFrame(
        {"_n": list(areas.names), "_name": list(areas.names.values())},
        schema={"_n": pl.Int32, "_name": pl.String},
    )
    area_name = {
        col: pl.col(col).replace_strict(names["_n"], names["_name"], default=None, return_dtype=pl.String)
        for col in ("_named_area", "_ref_area")
    }
    in_text = pl.when(pl.col("_ref_area").is_null()).then(pl.lit("outside Chicago")).otherwise(
        pl.format("in {}", area_name["_ref_area"])
    )
    hint = (
        pl.when((lon > 0) & in_cook_county_expr(lat, -lon))
        .then(pl.format(" (longitudes in Chicago are negative: did you mean -{}?)", _fmt_number(lon)))
        .when(in_cook_county_expr(lon, lat))
        .then(pl.lit(" (latitude and longitude swapped?)"))
        .otherwise(pl.lit(""))
    )
    errors = [
        _err(lat_raw.is_not_null() & lon_raw.is_null(), "latitude is given without longitude"),
        _err(lon_raw.is_not_null() & lat_raw.is_null(), "longitude is given without latitude"),
        _err(pl.col("_pt_given") & ~pl.col("_pt_ok"), pl.format(
            "coordinates {}, {} are outside Cook County{}", _fmt_number(lat), _fmt_number(lon), hint
        )),
        _err(pl.col("_area_key").is_not_null() & pl.col("_named_area").is_null(), pl.format(
            "community_area {} is not a Chicago community area{}",
            # A near-miss of an area name is a typo, not a person's name: safe to show in full.
            pl.when(pl.col("_area_suggestion").is_not_null())
            .then(pl.format("'{}'", pl.col("community_area")))
            .otherwise(echo_expr(pl.col("community_area"))),
            pl.when(pl.col("_area_suggestion").is_not_null())
            .then(pl.format(" (did you mean {}?)", pl.col("_area_suggestion")))
            .otherwise(pl.lit("")),
        )),
        _err(pl.col("_d_hotspot") > HOTSPOT_TOLERANCE_M, pl.format(
            "location conflict: the coordinates are {} km from hot spot {}",
            (pl.col("_d_hotspot") / 1000).round(1).cast(pl.String), pl.col("_v_hotspot_id"),
        )),
        _err(pl.col("_d_area") > AREA_TOLERANCE_M, pl.format(
            "location conflict: community_area says {} but {} {}",
            area_name["_named_area"], pl.col("_ref_label"), in_text,
        )),
    ]
    if uses_hotspots:
        errors.append(_err(
            pl.col("_v_hotspot_id").is_not_null() & ~pl.col("_hs_found"),
            pl.format("hotspot_id {} is not in the hot-spot list", echo_expr(pl.col("hotspot_id"))),
        ))
    if spec.needs_location:
        errors.append(_err(
            pl.all_horizontal(pl.col(c).is_null() for c in ("hotspot_id", "latitude", "longitude", "community_area")),
            "no location: give hotspot_id, latitude and longitude, or community_area",
        ))
    return work.with_columns(
        pl.coalesce(pl.col("_hs_area"), pl.col("_named_area"), pl.col("_pt_area")).alias("community_area_number"),
        pl.when(pl.col("_pt_ok")).then(lat).otherwise(pl.col("_hs_lat")).alias("_final_lat"),
        pl.when(pl.col("_pt_ok")).then(lon).otherwise(pl.col("_hs_lon")).alias("_final_lon"),
        pl.when(pl.col("_hs_found"))
        .then(pl.lit("hotspot"))
        .when(pl.col("_pt_ok"))
        .then(pl.lit("coordinates"))
        .when(pl.col("_named_area").is_not_null())
        .then(pl.lit("community_area"))
        .alias("location_source"),
    ), errors


def _distances(work: pl.DataFrame, areas: AreaIndex) -> pl.DataFrame:
    """``_d_hotspot``: metres from a row's coordinates to its hot spot; ``_d_area``: metres from the
    reference point to the named area, where it lies elsewhere (null where not compared)."""
    both = work.filter(pl.col("_hs_found") & pl.col("_pt_ok")).select(
        "_row", "_v_latitude", "_v_longitude", "_hs_lat", "_hs_lon"
    )
    d_hotspot = both.select(
        "_row",
        pl.Series(
            "_d_hotspot",
            distance_m(
                both["_v_latitude"].to_numpy(), both["_v_longitude"].to_numpy(),
                both["_hs_lat"].to_numpy(), both["_hs_lon"].to_numpy(),
            ),
            dtype=pl.Float64,
        ),
    )
    elsewhere = work.filter(
        pl.col("_named_area").is_not_null()
        & pl.col("_ref_lat").is_not_null()
        & ~pl.col("_ref_area").eq_missing(pl.col("_named_area"))
    ).select("_row", "_ref_lat", "_ref_lon", "_named_area")
    d_area = elsewhere.select(
        "_row",
        pl.Series(
            "_d_area",
            areas.distance_to_area(
                elsewhere["_ref_lat"].to_numpy(), elsewhere["_ref_lon"].to_numpy(),
                elsewhere["_named_area"].to_numpy(),
            ),
            dtype=pl.Float64,
        ),
    )
    return work.join(d_hotspot, on="_row", how="left").join(d_area, on="_row", how="left")


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
    is loaded (the first). ``hotspots`` is the hot-spot reference (:data:`HOTSPOT_REFERENCE_SCHEMA`)
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
    work = work.with_columns(_parse_column(c) for c in spec.columns)
    work, location_problems = _locate(work, spec, areas, hotspots)
    names = pl.DataFrame(
        {"community_area_number": list(areas.names), "_area_name": list(areas.names.values())},
        schema={"community_area_number": pl.Int32, "_area_name": pl.String},
    )
    work = work.join(names, on="community_area_number", how="left")

    problems = [e for c in spec.columns for e in _column_errors(c, today)]
    problems += location_problems
    problems.append(_err(pl.col("extra_values") > 0, pl.format(
        "the row has {} value(s) to the right of the last column (an unquoted comma or a shifted row?)",
        pl.col("extra_values"),
    )))
    # Reason texts are built only for the rows that break a rule: formatting every message for
    # every row (most messages are evaluated whether or not their rule applies) took seconds at
    # 100,000 rows, and nearly all rows break none. Rows that break none get no reason either way.
    work = work.with_columns(_any_problem(problems).alias("_has_problem"))
    reasons = work.filter(pl.col("_has_problem")).select("_row", _reasons(problems).alias("_reason"))
    work = work.join(reasons, on="_row", how="left", maintain_order="left")
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
