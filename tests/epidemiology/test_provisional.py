"""Known-answer tests for the provisional-month window."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest

from pipelines.defs.epidemiology.provisional import is_provisional_expr, provisional_start


@pytest.mark.parametrize(
    ("last_month", "months", "start"),
    [
        (date(2026, 10, 1), 3, date(2026, 8, 1)),
        (date(2026, 10, 31), 3, date(2026, 8, 1)),  # any day of the latest month
        (date(2026, 2, 1), 3, date(2025, 12, 1)),  # across the year boundary
        (date(2026, 1, 1), 1, date(2026, 1, 1)),
        (date(2026, 1, 1), 13, date(2025, 1, 1)),
        (date(2026, 12, 1), 0, date(2027, 1, 1)),  # none provisional: the month after
    ],
)
def test_provisional_start(last_month, months, start):
    assert provisional_start(last_month, months) == start


def test_provisional_start_rejects_negative():
    with pytest.raises(ValueError):
        provisional_start(date(2026, 10, 1), -1)


def test_is_provisional_expr_last_three_months():
    months = [date(2026, m, 1) for m in range(6, 11)]
    frame = pl.DataFrame({"month": months})
    out = frame.with_columns(is_provisional_expr("month", date(2026, 10, 1), 3))
    assert dict(zip(out["month"], out["is_provisional"], strict=True)) == {
        date(2026, 6, 1): False,
        date(2026, 7, 1): False,
        date(2026, 8, 1): True,
        date(2026, 9, 1): True,
        date(2026, 10, 1): True,
    }


def test_is_provisional_expr_datetime_mid_month_null_and_zero():
    frame = pl.DataFrame(
        {"ts": [datetime(2026, 7, 31, 23, 59), datetime(2026, 8, 15, 12), None]},
        schema={"ts": pl.Datetime("us")},
    )
    out = frame.select(is_provisional_expr(pl.col("ts"), date(2026, 10, 1), 3))
    assert out["is_provisional"].to_list() == [False, True, None]
    none = pl.DataFrame({"month": [date(2026, 10, 1)]}).select(is_provisional_expr("month", date(2026, 10, 1), 0))
    assert none["is_provisional"].to_list() == [False]
