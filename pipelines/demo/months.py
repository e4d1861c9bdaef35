"""The months the synthetic demo inputs cover: the default last month and how a month is typed."""

from __future__ import annotations

import argparse
from datetime import date


def default_end_month(today: date | None = None) -> date:
    """The default last month of the archive: the month before ``today``'s month (first day)."""
    today = today or date.today()
    return date(today.year - 1, 12, 1) if today.month == 1 else date(today.year, today.month - 1, 1)


def parse_month(text: str) -> date:
    """``"2026-10"`` (or ``"2026-10-15"``) -> ``date(2026, 10, 1)``; an ``argparse`` type."""
    try:
        year, month = (int(p) for p in text.split("-")[:2])
        return date(year, month, 1)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM, got {text!r}") from exc
