"""Which months are provisional — the single definition used by every table, chart and KPI.

Overdose deaths are counted when the Medical Examiner rules the manner of death, and that waits for
toxicology: a recent death stays "PENDING" for weeks to months, so the latest months are undercounted
and rise as cases close. The last ``months`` months up to and including the latest data month are
therefore flagged provisional (default 3, setting ``ODW_PROVISIONAL_MONTHS``), and dashboards mark them
and keep them out of trend comparisons. Example: latest data month 2026-10, ``months = 3`` →
2026-08, 2026-09 and 2026-10 are provisional; 2026-07 is final.
"""

from __future__ import annotations

from datetime import date

import polars as pl


def provisional_start(last_month: date, months: int = 3) -> date:
    """First day of the first provisional month, given the latest data month.

    ``last_month`` may be any day of the latest data month. The result is the first day of the month
    ``months - 1`` months before it, so ``months`` calendar months (``last_month`` included) are
    provisional. With ``months = 0`` nothing is provisional and the result is the first day of the
    month *after* ``last_month``, so ``month >= provisional_start(...)`` is false for all data.

    Raises ``ValueError`` for a negative ``months``.
    """
    if months < 0:
        raise ValueError(f"the number of provisional months cannot be negative, got {months}")
    # Count months on a single axis (year * 12 + month - 1) so borrowing across years is plain arithmetic.
    index = last_month.year * 12 + (last_month.month - 1) - (months - 1)
    return date(index // 12, index % 12 + 1, 1)


def is_provisional_expr(month_col: str | pl.Expr, last_month: date, months: int = 3) -> pl.Expr:
    """Boolean Polars expression: is the row's month provisional?

    ``month_col`` is a column name or expression of ``Date`` or ``Datetime`` type (any day in the
    month). A row is provisional when its month is on or after :func:`provisional_start`; a month
    later than ``last_month`` (which should not exist) also counts as provisional, so it can never be
    shown as final. A null month gives null. The expression is named ``is_provisional``.
    """
    column = pl.col(month_col) if isinstance(month_col, str) else month_col
    # Any day of a month is >= the first day of the first provisional month iff that month is
    # provisional, so no month truncation is needed; the cast makes Datetime columns comparable.
    return (column.cast(pl.Date) >= pl.lit(provisional_start(last_month, months))).alias("is_provisional")
