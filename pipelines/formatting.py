"""How months, periods and refresh times are written — one wording for the dashboard and reports."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

CHICAGO_TZ = ZoneInfo("America/Chicago")


def format_short_month(month: date) -> str:
    """``date(2025, 6, 1)`` -> ``"Jun 2025"``."""
    return month.strftime("%b %Y")


def format_day(day: date) -> str:
    """``date(2016, 1, 1)`` -> ``"1 Jan 2016"``."""
    return f"{day.day} {day:%b %Y}"


def format_period(start: date, end: date) -> str:
    """An inclusive month range, e.g. ``"Jul 2024 – Jun 2025"`` (one month: ``"Jun 2025"``)."""
    if start == end:
        return format_short_month(start)
    return f"{format_short_month(start)} – {format_short_month(end)}"


def format_refreshed(refreshed_at_utc: datetime) -> str:
    """A UTC time (naive means UTC) in Chicago time, e.g. ``"14 Jul 2025, 8:05 AM CDT"``."""
    aware = refreshed_at_utc if refreshed_at_utc.tzinfo else refreshed_at_utc.replace(tzinfo=ZoneInfo("UTC"))
    local = aware.astimezone(CHICAGO_TZ)
    hour = local.strftime("%I").lstrip("0")
    return f"{local.day} {local:%b %Y}, {hour}:{local:%M %p %Z}"


def plural(n: int, word: str) -> str:
    """``plural(1, "step")`` → ``"1 step"``; ``plural(3, "step")`` → ``"3 steps"``."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"
