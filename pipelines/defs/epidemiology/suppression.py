"""Small-number suppression — applied to every count before it leaves the pipeline.

Rule (primary suppression): a count from 1 to ``threshold - 1`` (default 1–9, setting
``ODW_SUPPRESS_BELOW``) is not shown. This is the CDC WONDER convention for sub-national death counts
("counts of 1–9 are suppressed") that IDPH also applies to its opioid dashboards; zero is shown as 0
because "nobody died" identifies nobody, and hiding zeros would only make the zero cells look like
small counts. A suppressed count is shown as ``"<10"`` (``"<{threshold}"``), the count itself is set to
null so no downstream step can leak it, and any rate (and its ``_lower``/``_upper`` interval) derived
from it is nulled too, since rate × population gives the count back.

Complementary (secondary) suppression: when the cells of a group add up to a total that is shown
(all areas of a month, all drug classes of an area), a single hidden cell is ``total − visible cells``.
So in every group with exactly one primary-suppressed cell, the smallest other non-zero visible cell
is suppressed too and displayed as :data:`SECONDARY_MARK` (``"*"``, footnote
:data:`SECONDARY_FOOTNOTE`) — not ``"<10"``, because it is usually not below 10. Zero cells are never
chosen: a hidden zero would stand out as "must be 0" to anyone who knows this rule, and showing zeros is
the convention above. When a group has one hidden cell and no non-zero cell left to hide (e.g. ``[3, 0,
0]``), the group total itself is withheld instead (``{count_col}_group_total_suppressed``; the
``total_col`` value is nulled and displayed as ``"*"``). A group's cells belong to no other group, so
one vectorised pass leaves every group with zero or at least two hidden non-zero cells (or a withheld
total) — the fixed point an iterative procedure would reach.

Limits: this prevents exact recovery by subtraction (the standard CDC/IDPH requirement). It does not
model interval inference by someone who knows the algorithm (a secondary cell is known to be at least
``threshold``), nor totals published in other tables; two-way tables whose row *and* column totals are
both shown need a suppression pass per margin designed together, which this module does not provide.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import polars as pl

#: Counts from 1 to this minus one are suppressed (CDC WONDER / IDPH: 1–9).
DEFAULT_THRESHOLD = 10
#: Display of a complementary (secondary) suppressed cell or a withheld group total.
SECONDARY_MARK = "*"
#: Footnote to print under any table that contains :data:`SECONDARY_MARK`.
SECONDARY_FOOTNOTE = (
    "* Not shown so that a suppressed small count cannot be worked out from the total."
)
#: Display of a missing (unknown) count.
MISSING_DISPLAY = "—"

_ROW = "__suppress_row"
_PRIMARY = "__suppress_primary"
_WHOLE_TABLE = "__suppress_whole_table"
_SECONDARY = "__suppress_secondary"
_SMALL_TOTAL = "__suppress_small_total"
_TOTAL_WITHHELD = "__suppress_total_withheld"


def _check_threshold(threshold: int) -> None:
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise ValueError(f"threshold must be a positive integer, got {threshold!r}")


def display_count(value: float | None, threshold: int = DEFAULT_THRESHOLD) -> str:
    """Text for one count on a KPI card: ``"<10"`` when suppressed, else ``"1,234"``-style.

    ``0`` is shown as ``"0"``; a missing value (``None`` or NaN) as :data:`MISSING_DISPLAY`.
    Raises ``ValueError`` for a negative or fractional count.
    """
    _check_threshold(threshold)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING_DISPLAY
    if value < 0 or value != int(value):
        raise ValueError(f"a count must be a non-negative whole number, got {value!r}")
    count = int(value)
    if 1 <= count < threshold:
        return f"<{threshold}"
    return f"{count:,}"


def _format_count(expr: pl.Expr) -> pl.Expr:
    """Whole-number text with thousands separators ("1,234,567"), vectorised.

    Polars has no thousands-separator format and Rust regex has no look-ahead, so the digits are
    reversed, a comma is put after every complete group of three, and the result is reversed back.
    """
    return (
        expr.cast(pl.Int64)
        .cast(pl.String)
        .str.reverse()
        .str.replace_all(r"(\d{3})", "${1},")
        .str.strip_suffix(",")
        .str.reverse()
    )


def _check_counts(frame: pl.DataFrame, column: str) -> None:
    if column not in frame.columns:
        raise ValueError(f"column {column!r} not in frame (columns: {frame.columns})")
    dtype = frame.schema[column]
    if not (dtype.is_integer() or dtype.is_float()):
        raise TypeError(f"column {column!r} must hold counts (numeric), got {dtype}")
    values = frame.get_column(column)
    if (values < 0).any():
        raise ValueError(f"column {column!r} has negative counts")
    if dtype.is_float() and (values != values.floor()).any():
        raise ValueError(f"column {column!r} has fractional counts")
    for suffix in ("_suppressed", "_display"):
        if f"{column}{suffix}" in frame.columns:
            raise ValueError(f"column {column}{suffix!s} already exists: {column!r} is already suppressed")


def _display_expr(value: pl.Expr, primary: pl.Expr, secondary: pl.Expr, threshold: int) -> pl.Expr:
    return (
        pl.when(value.is_null())
        .then(pl.lit(None, dtype=pl.String))
        .when(primary)
        .then(pl.lit(f"<{threshold}"))
        .when(secondary)
        .then(pl.lit(SECONDARY_MARK))
        .otherwise(_format_count(value))
    )


def _primary_expr(column: str, threshold: int) -> pl.Expr:
    # Null (unknown) counts are not small counts; they stay null and are not flagged.
    return pl.col(column).is_between(1, threshold - 1).fill_null(False)


def suppress_total(frame: pl.DataFrame, total_col: str, threshold: int = DEFAULT_THRESHOLD) -> pl.DataFrame:
    """Apply primary suppression to a column of totals (a small total is itself identifying).

    A total from 1 to ``threshold - 1`` is nulled; adds ``{total_col}_suppressed`` (bool) and
    ``{total_col}_display`` (``"<10"``, ``"0"`` or ``"1,234"``). Use it for totals shown on their
    own (region KPI, a table's total row); :func:`suppress` with ``total_col`` does this and also
    withholds totals that would reveal a single hidden cell.
    """
    _check_threshold(threshold)
    _check_counts(frame, total_col)
    small = _primary_expr(total_col, threshold)
    return frame.with_columns(
        pl.when(small).then(None).otherwise(pl.col(total_col)).alias(total_col),
        small.alias(f"{total_col}_suppressed"),
        _display_expr(pl.col(total_col), small, pl.lit(False), threshold).alias(f"{total_col}_display"),
    )


def _group_keys(complementary_by: Sequence[str], frame: pl.DataFrame) -> list[str]:
    if isinstance(complementary_by, str):
        raise TypeError("complementary_by must be a sequence of column names, e.g. ['month']")
    keys = list(complementary_by)
    missing = [key for key in keys if key not in frame.columns]
    if missing:
        raise ValueError(f"complementary_by columns {missing} not in frame (columns: {frame.columns})")
    return keys or [_WHOLE_TABLE]


def suppress(
    frame: pl.DataFrame,
    count_col: str,
    *,
    threshold: int = DEFAULT_THRESHOLD,
    rate_cols: Sequence[str] = (),
    complementary_by: Sequence[str] | None = None,
    total_col: str | None = None,
) -> pl.DataFrame:
    """Suppress small counts (and what would reveal them) in ``frame``; see the module docstring.

    * ``count_col`` — non-negative whole counts; cells from 1 to ``threshold - 1`` are suppressed.
    * ``rate_cols`` — rate columns computed from ``count_col``; nulled (with ``{rate}_lower`` and
      ``{rate}_upper`` when present) on every suppressed row.
    * ``complementary_by`` — group columns whose rows add up to a shown total; turns on
      complementary suppression per group. ``[]`` makes the whole frame one group; ``None`` turns it off.
    * ``total_col`` — a column holding the group's shown total (same value on every row of the group,
      at least the sum of the cells); requires ``complementary_by``. The total gets primary
      suppression and is withheld when it would reveal a single hidden cell. Without it the total is
      taken to be the sum of the cells.

    Returns ``frame`` with ``count_col`` nulled where suppressed and these columns added:
    ``{count_col}_suppressed`` (bool, primary or secondary), ``{count_col}_display`` (str: ``"0"``,
    ``"1,234"``, ``"<10"`` for primary, :data:`SECONDARY_MARK` for secondary, null for a null count);
    with ``complementary_by`` also ``{count_col}_group_total_suppressed`` (bool, per row: the group's
    total must not be shown); with ``total_col`` also ``{total_col}_suppressed`` and
    ``{total_col}_display``.

    Raises ``ValueError``/``TypeError`` for missing columns, negative or fractional counts, an
    already-suppressed column, or a ``total_col`` that varies within a group or is below the group's sum.
    """
    _check_threshold(threshold)
    _check_counts(frame, count_col)
    if isinstance(rate_cols, str):
        raise TypeError("rate_cols must be a sequence of column names, e.g. ['rate']")
    missing_rates = [col for col in rate_cols if col not in frame.columns]
    if missing_rates:
        raise ValueError(f"rate columns {missing_rates} not in frame (columns: {frame.columns})")
    if total_col is not None and complementary_by is None:
        raise ValueError("total_col needs complementary_by: the total is the total of a group of rows")

    value = pl.col(count_col)
    primary = pl.col(_PRIMARY)
    work = frame.with_columns(_primary_expr(count_col, threshold).alias(_PRIMARY))

    secondary: pl.Expr = pl.lit(False)
    small_total: pl.Expr = pl.lit(False)
    group_total_withheld: pl.Expr | None = None
    if complementary_by is not None:
        keys = _group_keys(complementary_by, frame)
        work = work.with_columns(pl.int_range(pl.len()).alias(_ROW))
        if keys == [_WHOLE_TABLE]:
            work = work.with_columns(pl.lit(True).alias(_WHOLE_TABLE))
        if total_col is not None:
            _check_counts(frame, total_col)
            _check_totals(work, keys, count_col, total_col)
            group_total = pl.col(total_col)
        else:
            group_total = value.sum().over(keys)

        candidate = (~primary & (value > 0)).fill_null(False)
        needs_complement = primary.sum().over(keys) == 1
        smallest = pl.when(candidate).then(value).min().over(keys)
        # Ties between equal smallest cells go to the first row, so the result is deterministic.
        chosen_row = pl.when(candidate & (value == smallest)).then(pl.col(_ROW)).min().over(keys)
        no_complement = needs_complement & ~candidate.any().over(keys)
        # Materialised once here because the display, flag and null-out expressions below all reuse
        # them; afterwards they are referred to by column name.
        work = work.with_columns(
            (needs_complement & candidate & (pl.col(_ROW) == chosen_row)).alias(_SECONDARY),
            group_total.is_between(1, threshold - 1).fill_null(False).alias(_SMALL_TOTAL),
        ).with_columns((pl.col(_SMALL_TOTAL) | no_complement).alias(_TOTAL_WITHHELD))
        secondary = pl.col(_SECONDARY)
        small_total = pl.col(_SMALL_TOTAL)
        group_total_withheld = pl.col(_TOTAL_WITHHELD)

    hidden = primary | secondary
    rate_targets = [
        col
        for rate in rate_cols
        for col in (rate, f"{rate}_lower", f"{rate}_upper")
        if col in frame.columns
    ]
    outputs = [
        pl.when(hidden).then(None).otherwise(value).alias(count_col),
        *(pl.when(hidden).then(None).otherwise(pl.col(col)).alias(col) for col in rate_targets),
        hidden.alias(f"{count_col}_suppressed"),
        _display_expr(value, primary, secondary, threshold).alias(f"{count_col}_display"),
    ]
    if group_total_withheld is not None:
        outputs.append(group_total_withheld.alias(f"{count_col}_group_total_suppressed"))
        if total_col is not None:
            outputs += [
                pl.when(group_total_withheld).then(None).otherwise(pl.col(total_col)).alias(total_col),
                group_total_withheld.alias(f"{total_col}_suppressed"),
                _display_expr(pl.col(total_col), small_total, group_total_withheld, threshold).alias(
                    f"{total_col}_display"
                ),
            ]
    return work.with_columns(outputs).select(
        frame.columns + _added_columns(count_col, total_col, complementary_by)
    )


def _added_columns(count_col: str, total_col: str | None, complementary_by: Sequence[str] | None) -> list[str]:
    added = [f"{count_col}_suppressed", f"{count_col}_display"]
    if complementary_by is not None:
        added.append(f"{count_col}_group_total_suppressed")
        if total_col is not None:
            added += [f"{total_col}_suppressed", f"{total_col}_display"]
    return added


def _check_totals(work: pl.DataFrame, keys: list[str], count_col: str, total_col: str) -> None:
    """Reject a total that is not one number per group, or is smaller than its own cells' sum."""
    per_group = work.group_by(keys).agg(
        pl.col(total_col).n_unique().alias("distinct_totals"),
        pl.col(total_col).first().alias("total"),
        pl.col(count_col).sum().alias("cells"),
    )
    if (per_group.get_column("distinct_totals") > 1).any():
        raise ValueError(f"{total_col!r} must be the same on every row of a group {keys}")
    if (per_group.get_column("total") < per_group.get_column("cells")).any():
        raise ValueError(f"{total_col!r} is below the sum of {count_col!r} in some group")
