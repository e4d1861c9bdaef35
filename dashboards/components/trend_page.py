"""The state the Trends page's tabs share, and the small helpers they draw with.

The page computes its data, filters and texts once (:class:`TrendsPage`); each tab
(:mod:`dashboards.components.trend_tabs`) reads them from there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl
import streamlit as st

from dashboards.components import charts
from dashboards.components.data import DbVersion
from dashboards.components.filters import Filters
from dashboards.components.trend_selection import Selection
from pipelines.defs.epidemiology.suppression import SECONDARY_FOOTNOTE


@dataclass(frozen=True)
class TrendsPage:
    """What the Trends page's tabs read: the rows, the chosen filters and period, and the texts
    built once per run (``band_deaths``/``band_population`` are None when rates are off)."""

    hidden_marks: tuple[str, str]
    not_placed_note: str
    adjusted: bool
    area_names: dict[int, str]
    band_deaths: pl.DataFrame | None
    band_population: pl.DataFrame | None
    before_start: date
    before_end: date
    compared: pl.DataFrame
    data_months: list[date]
    deaths: pl.DataFrame
    drug_label: str
    start: date
    end: date
    has_year_before: bool
    in_period: list[date]
    period_text: str
    provisional: list[date]
    rate_label: str
    rates_ok: bool
    region: str
    rows: pl.DataFrame
    selection: Selection
    series_areas: dict[str, Sequence[int] | None]
    series_order: list[str]
    series_split: dict[str, str]
    table_order: list[str]
    threshold: int
    version: DbVersion
    view: Filters
    weekly: pl.DataFrame
    source: str
    refreshed: str
    described: str

    def subtitle(self, period: str | None = None, filter_line: str | None = None) -> list[str]:
        """The house subtitle (source, period, refresh time) plus the active filters (by default the
        page's period and filters)."""
        period = self.period_text if period is None else period
        filter_line = self.described if filter_line is None else filter_line
        return [*charts.chart_subtitle(self.source, period, self.refreshed), f"Showing: {filter_line}"]

    def hidden_caption(self, items: list[str], what: str = "points") -> str:
        """A sentence naming the values not drawn because their counts are hidden."""
        if not items:
            return ""
        shown = ", ".join(items[:12]) + (f" and {len(items) - 12} more" if len(items) > 12 else "")
        return (
            f"Not plotted to protect privacy ({len(items)} {what} with 1–{self.threshold - 1} deaths, or "
            f"hidden so that a small count cannot be worked out from a total): {shown}."
        )


def footnotes(*frames: pl.DataFrame) -> str:
    """The "*" footnote when any frame shows a complementary-suppressed value."""
    for frame in frames:
        if "deaths" in frame.columns and frame.get_column("deaths").eq("*").any():
            # Escaped: a caption starting with "* " would render as a bullet list.
            return SECONDARY_FOOTNOTE.replace("*", "\\*", 1)
    return ""


def note(*parts: str) -> None:
    """One caption from the non-empty ``parts``."""
    text = " ".join(p for p in parts if p)
    if text:
        st.caption(text)


def plot_rows(display: pl.DataFrame, x_col: str) -> pl.DataFrame:
    """Display frame + numeric columns the line charts draw (hidden counts become nulls)."""
    return display.with_columns(
        pl.col(x_col).alias("x"),
        pl.col("deaths").str.replace_all(",", "").cast(pl.Int64, strict=False).alias("deaths_n"),
    )
