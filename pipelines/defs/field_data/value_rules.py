"""The rules on single values of a field-data row: reading dates, numbers and allowed values, and
refusing what cannot be read, is out of range, is a spreadsheet formula or too long.

Each rule is a vectorised Polars expression yielding a :class:`Problem` (a condition and the
quarantine reason); :mod:`.validation` applies them all. Values are echoed in a reason only when
they cannot carry personal data (numbers, dates, one short word); anything else is shown as
"(value not shown)".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from pipelines.defs.field_data.schema import MIN_FIELD_DATE, Column

_SAFE_ECHO = r"^([0-9.,:/+\- ]{1,24}|[^\s]{1,20})$"
_NOT_SHOWN = "(value not shown)"


#: Text a spreadsheet would run as a formula (OWASP "CSV injection"): ``=…``, ``+…``, ``@…``, or a
#: minus followed by an expression (``-2+3``, ``-cmd|…``). A plain negative number is not text here.
FORMULA_PATTERN = r"^\s*(?:[=+@]|-.*[-+*/^&(=|!])"


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
class Problem:
    """One rule: where it is broken (never null), and the reason text there."""

    condition: pl.Expr
    message: pl.Expr


def problem(condition: pl.Expr, message: pl.Expr | str) -> Problem:
    text = pl.lit(message) if isinstance(message, str) else message
    return Problem(condition.fill_null(False), text)


def any_problem(problems: list[Problem]) -> pl.Expr:
    return pl.any_horizontal(p.condition for p in problems)


def reasons(problems: list[Problem]) -> pl.Expr:
    """A row's reasons joined with "; " in rule order ("" when it breaks none)."""
    return pl.concat_str(
        [pl.when(p.condition).then(p.message) for p in problems], separator="; ", ignore_nulls=True
    )


def format_number(expr: pl.Expr) -> pl.Expr:
    return expr.round(6).cast(pl.String)


# --- per-column rules ----------------------------------------------------------------------------


def parse_column(column: Column) -> pl.Expr:
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


def column_errors(column: Column, today: date) -> list[Problem]:
    name, raw, v = column.name, pl.col(column.name), pl.col(f"_v_{column.name}")
    errors = []
    if column.required:
        errors.append(problem(raw.is_null(), f"{name} is missing"))
    given = raw.is_not_null()
    if column.kind == "date":
        errors += [
            problem(given & v.is_null(), pl.format(
                "{} {} is not a date (use YYYY-MM-DD, MM/DD/YYYY or an Excel date)", pl.lit(name), echo_expr(raw)
            )),
            problem(v > pl.lit(today), pl.format("{} {} is in the future", pl.lit(name), v.dt.to_string("%Y-%m-%d"))),
            problem(v < pl.lit(MIN_FIELD_DATE), pl.format(
                "{} {} is before {} (a typing error?)", pl.lit(name), v.dt.to_string("%Y-%m-%d"),
                pl.lit(MIN_FIELD_DATE.isoformat()),
            )),
        ]
    elif column.kind in ("text", "id"):
        errors.append(problem(raw.str.contains(FORMULA_PATTERN), f"{name} is a spreadsheet formula, not a value"))
        if column.max_length:
            errors.append(problem(
                raw.str.len_chars() > column.max_length,
                f"{name} is longer than {column.max_length} characters",
            ))
    elif column.kind in ("latitude", "longitude"):
        errors.append(problem(given & v.is_null(), pl.format("{} {} is not a number", pl.lit(name), echo_expr(raw))))
    elif column.kind in ("enum", "bool"):
        allowed = ", ".join(column.allowed)
        errors.append(problem(
            given & v.is_null(), pl.format("{} {} is not one of: {}", pl.lit(name), echo_expr(raw), pl.lit(allowed))
        ))
    elif column.kind == "count":
        digits, value = parse_count_expr(raw)
        errors += [
            problem(given & digits.is_null(), pl.format("{} {} is not a whole number", pl.lit(name), echo_expr(raw))),
            problem(digits.is_not_null() & value.is_null(), f"{name} is implausibly large"),
            problem(value < 0, pl.format("{} {} is negative", pl.lit(name), value.cast(pl.String))),
            problem(value > column.max_value, pl.format(
                "{} {} is implausibly large (more than {} in one row)", pl.lit(name), value.cast(pl.String),
                pl.lit(f"{column.max_value:,}"),
            )),
        ]
    return errors

