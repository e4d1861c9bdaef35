"""Periods of the Trends page: months, quarters and weeks, their labels, and the same months a
year earlier. Pure functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

import polars as pl

from dashboards.components.period_labels import next_month


#: Time steps of the over-time chart: key -> label.
TIME_STEPS: dict[str, str] = {"week": "Week", "month": "Month", "quarter": "Quarter", "year": "Year"}


def _quarter_start(month: date) -> date:
    return date(month.year, 3 * ((month.month - 1) // 3) + 1, 1)


def period_start(month: date, step: str) -> date:
    """The first month of the ``step`` ("month", "quarter", "year") period containing ``month``."""
    if step == "month":
        return month
    if step == "quarter":
        return _quarter_start(month)
    if step == "year":
        return date(month.year, 1, 1)
    raise ValueError(f"unknown time step {step!r}")


def _period_label(start: date, step: str, months_in: int) -> str:
    if step == "month":
        return f"{start:%b %Y}"
    if step == "quarter":
        label = f"{start.year} Q{(start.month - 1) // 3 + 1}"
        return label if months_in == 3 else f"{label} ({months_in} mo)"
    label = str(start.year)
    return label if months_in == 12 else f"{label} ({months_in} mo)"


def month_periods(months: Sequence[date], provisional: Iterable[date], step: str) -> pl.DataFrame:
    """One row per ``step`` period covering ``months`` (the data months of the chosen range).

    Columns: ``period`` (first day), ``label``, ``years`` (months of the period inside the range,
    / 12 — a partial year is annualised over the months it has), ``is_provisional`` (any
    provisional month), ``nest`` (the enclosing period used for complementary suppression: a
    month's quarter, a quarter's year; one group for years).
    """
    flagged = set(provisional)
    rows: dict[date, dict] = {}
    for month in sorted(months):
        start = period_start(month, step)
        row = rows.setdefault(start, {"period": start, "months": 0, "is_provisional": False})
        row["months"] += 1
        row["is_provisional"] |= month in flagged
    nest = {"month": lambda d: _quarter_start(d), "quarter": lambda d: date(d.year, 1, 1)}.get(
        step, lambda d: date(1900, 1, 1)
    )
    return pl.DataFrame(
        [
            {
                "period": r["period"],
                "label": _period_label(r["period"], step, r["months"]),
                "years": r["months"] / 12,
                "is_provisional": r["is_provisional"],
                "nest": nest(r["period"]),
            }
            for r in rows.values()
        ],
        schema={
            "period": pl.Date,
            "label": pl.String,
            "years": pl.Float64,
            "is_provisional": pl.Boolean,
            "nest": pl.Date,
        },
    )


def week_periods(weekly: pl.DataFrame, start: date, end: date, data_months: Sequence[date]) -> pl.DataFrame:
    """ISO weeks (Monday start) beginning inside ``start``..``end`` (months, inclusive).

    ``years`` counts only the days the data covers (the first and last week of the archive are
    partial), so a partial week's rate is not understated. ``nest`` is the week's month, so a
    month with one hidden week gets a second one hidden (monthly totals are published).
    """
    data_from, data_to = min(data_months), next_month(max(data_months))
    stop = min(next_month(end), data_to)
    first = start - timedelta(days=start.weekday())
    if first < start:
        first += timedelta(days=7)
    flags = (
        weekly.group_by("week").agg(pl.col("is_provisional").any())
        if not weekly.is_empty()
        else pl.DataFrame(schema={"week": pl.Date, "is_provisional": pl.Boolean})
    )
    flagged = {row[0] for row in flags.filter(pl.col("is_provisional")).iter_rows()}
    first_provisional = min(flagged) if flagged else None
    rows = []
    week = first
    while week < stop:
        days = (min(week + timedelta(days=7), data_to) - max(week, data_from)).days
        rows.append(
            {
                "period": week,
                "label": f"Week of {week:%d %b %Y}",
                "years": days / 365.25,
                "is_provisional": first_provisional is not None and week >= first_provisional,
                "nest": week.replace(day=1),
            }
        )
        week += timedelta(days=7)
    return pl.DataFrame(
        rows,
        schema={
            "period": pl.Date,
            "label": pl.String,
            "years": pl.Float64,
            "is_provisional": pl.Boolean,
            "nest": pl.Date,
        },
    )


def same_months_last_year(start: date, end: date) -> tuple[date, date]:
    """The same calendar months one year earlier."""
    return start.replace(year=start.year - 1), end.replace(year=end.year - 1)
