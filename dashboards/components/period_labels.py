"""Periods and labels the pages share: month choices, the default period, provisional months,
source credits and rate text (pure functions).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from dashboards.components.data import SOURCE_NAMES, Freshness
from pipelines.defs.epidemiology import city_total as ct


def month_options(monthly: pl.DataFrame) -> list[date]:
    """Every month present in the monthly mart, oldest first."""
    return monthly.get_column("month").unique().sort().to_list()


def default_period(months: Sequence[date], length: int = 12) -> tuple[date, date]:
    """The ``length`` months ending with the latest data month (provisional months included).

    With fewer months available the whole range is returned.
    """
    if not months:
        raise ValueError("no months to choose from")
    ordered = sorted(months)
    return ordered[max(0, len(ordered) - length)], ordered[-1]


def month_count(start: date, end: date) -> int:
    """Number of calendar months from ``start`` to ``end``, both included (the length the city
    total's rule reads, :func:`pipelines.defs.epidemiology.city_total.period_months`)."""
    return ct.period_months(start, end)


def next_month(month: date) -> date:
    """First day of the month after ``month`` (the exclusive end of a period ending in ``month``)."""
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def source_text(freshness: Freshness) -> str:
    """Source credit for chart subtitles, flagged when the numbers are synthetic."""
    name = SOURCE_NAMES.get(freshness.source, freshness.label)
    return f"{name} — synthetic demo data" if freshness.is_synthetic else name


def provisional_months(monthly: pl.DataFrame) -> list[date]:
    """Months the pipeline flagged provisional (toxicology still pending), oldest first."""
    return monthly.filter(pl.col("is_provisional")).get_column("month").unique().sort().to_list()


def format_rate(value: float | None) -> str:
    """One decimal, or an em dash when there is no rate to show."""
    return "—" if value is None else f"{value:,.1f}"


def format_rate_ci(rate: float | None, lower: float | None, upper: float | None) -> str:
    """``"45.2 (95% CI 38.1–53.3)"``; an em dash when the rate is suppressed."""
    if rate is None:
        return "—"
    if lower is None or upper is None:
        return format_rate(rate)
    return f"{rate:,.1f} (95% CI {lower:,.1f}–{upper:,.1f})"
