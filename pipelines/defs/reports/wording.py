"""How the reports write dates, shares and rates, and which month or week a report is about."""

from __future__ import annotations

from datetime import date, timedelta

def add_months(month: date, months: int) -> date:
    """First day of the month ``months`` after (negative: before) the month of ``month``."""
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def last_complete_month(data_to: date) -> date:
    """First day of the latest calendar month the data cover in full (data up to ``data_to``)."""
    if (data_to + timedelta(days=1)).month != data_to.month:
        return data_to.replace(day=1)
    return add_months(data_to, -1)


def last_complete_week(data_to: date) -> date:
    """Monday of the latest Monday–Sunday week that ends on or before ``data_to``."""
    sunday = data_to - timedelta(days=(data_to.weekday() + 1) % 7)
    return sunday - timedelta(days=6)


def format_month(month: date) -> str:
    """``date(2026, 10, 1)`` -> ``"October 2026"``."""
    return month.strftime("%B %Y")


def format_week(monday: date) -> str:
    """``"19–25 Oct 2026"`` (or ``"28 Sep – 4 Oct 2026"`` across months)."""
    sunday = monday + timedelta(days=6)
    if monday.month == sunday.month:
        return f"{monday.day}–{sunday.day} {sunday:%b %Y}"
    if monday.year == sunday.year:
        return f"{monday.day} {monday:%b} – {sunday.day} {sunday:%b %Y}"
    return f"{monday.day} {monday:%b %Y} – {sunday.day} {sunday:%b %Y}"


def format_pct(value: float | None) -> str:
    """A share as a whole percentage, or an em dash."""
    return "—" if value is None else f"{value:.0%}"


def format_rate(rate: float | None, lower: float | None = None, upper: float | None = None) -> str:
    """``"45.2 (95% CI 38.1–53.3)"``, ``"45.2"`` without limits, an em dash without a rate."""
    if rate is None:
        return "—"
    if lower is None or upper is None:
        return f"{rate:,.1f}"
    return f"{rate:,.1f} (95% CI {lower:,.1f}–{upper:,.1f})"


def _with_ci(rate: float | None, lower: float | None, upper: float | None) -> str:
    if rate is None:
        return "—"
    return f"{rate:,.1f}" if lower is None or upper is None else f"{rate:,.1f} ({lower:,.1f}–{upper:,.1f})"


def both_rates(row: dict | None) -> str:
    """``"Crude rate 45.2 (38.1–53.3); age-adjusted 47.0 (40.0–55.0)"`` (per 100,000 per year, 95%
    CIs) for a part's row (:func:`~.published.parts_metrics`); an em dash when the count is hidden."""
    if row is None or row["rate"] is None:
        return "—"
    return (
        f"Crude rate {_with_ci(row['rate'], row['rate_lower'], row['rate_upper'])}; age-adjusted "
        f"{_with_ci(row['age_adjusted_rate'], row['age_adjusted_lower'], row['age_adjusted_upper'])}"
    )

