"""The nowcast on the pages: expected counts of the provisional months, or why they are not shown.

The pipeline publishes ``marts.nowcast`` (the latest pull's expected counts with 50%/90% ranges, and
``shown``: whether the backtest has earned their display) and ``marts.nowcast_status`` (per
geography × drug: the backtest pooled over the provisional months, the reason when not shown,
how history was seeded). Pages read them here; every count is suppressed as any other
(:mod:`pipelines.defs.nowcast.display`). Expected counts exist for the whole region and for
Chicago, not for a choice of areas.
"""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from dashboards.components.data import DbVersion, read_frame
from pipelines.defs.nowcast.display import RANGE_NOTE, expected_text, month_sentence, not_shown_text, public_value
from pipelines.formatting import format_short_month

#: The label of the expected-count line in charts.
EXPECTED = "Expected once toxicology closes"


@st.cache_data(show_spinner=False, max_entries=8)
def _published(version: DbVersion) -> set[str]:
    """The nowcast tables this publication holds (an older one holds none)."""
    frame = read_frame(version, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' "
                                "AND table_name IN ('nowcast', 'nowcast_status', 'nowcast_backtest')")
    return set(frame.get_column("table_name").to_list())


@st.cache_data(show_spinner=False, max_entries=8)
def load_nowcast(version: DbVersion) -> pl.DataFrame:
    """``marts.nowcast`` (empty when the publication predates the nowcast)."""
    if "nowcast" not in _published(version):
        return pl.DataFrame()
    return read_frame(version, "SELECT * FROM marts.nowcast ORDER BY geography, drug, month")


@st.cache_data(show_spinner=False, max_entries=8)
def load_status(version: DbVersion) -> pl.DataFrame:
    """``marts.nowcast_status`` (empty when the publication predates the nowcast)."""
    if "nowcast_status" not in _published(version):
        return pl.DataFrame()
    return read_frame(version, "SELECT * FROM marts.nowcast_status ORDER BY geography, drug")


def shown_rows(nowcast: pl.DataFrame, geography: str, drug: str) -> pl.DataFrame:
    """The shown expected counts of one series, oldest month first (empty if none is shown)."""
    if nowcast.is_empty():
        return nowcast
    return nowcast.filter((pl.col("geography") == geography) & (pl.col("drug") == drug) & pl.col("shown")).sort("month")


def reason(status: pl.DataFrame, geography: str, drug: str) -> str:
    """Why a series' expected counts are not shown, as a sentence ("" when they are)."""
    if status.is_empty():
        return not_shown_text("has not been run for this publication")
    row = status.filter((pl.col("geography") == geography) & (pl.col("drug") == drug))
    if row.is_empty() or row["shown"][0]:
        return ""
    return not_shown_text(row["reason"][0])


def sentences(rows: pl.DataFrame, threshold: int, *, with_reported: bool = True) -> list[str]:
    """``"Oct 2026: 31 so far; expected ≈ 38, 90% range 33–45"`` for each shown month (without the
    reported count, ``"Oct 2026: expected ≈ 38, …"``, where the page suppresses counts in ways of its
    own: the count is then read from the page's chart or table)."""
    if with_reported:
        return [month_sentence(format_short_month(r["month"]), r["reported"], r["expected"], r["lower_90"],
                               r["upper_90"], threshold) for r in rows.iter_rows(named=True)]
    return [f"{format_short_month(r['month'])}: {expected_text(r['expected'], r['lower_90'], r['upper_90'], threshold)}"
            for r in rows.iter_rows(named=True)]


def chart_rows(rows: pl.DataFrame, threshold: int) -> pl.DataFrame:
    """Plot rows of the expected line and its 90% band (``x``, ``expected``, ``lower_90``,
    ``upper_90``, ``text``); numbers that would be suppressed are left out of the plot."""
    return pl.DataFrame(
        {
            "x": [r["month"].isoformat() for r in rows.iter_rows(named=True)],
            "expected": [public_value(r["expected"], threshold) for r in rows.iter_rows(named=True)],
            "lower_90": [public_value(r["lower_90"], threshold) for r in rows.iter_rows(named=True)],
            "upper_90": [public_value(r["upper_90"], threshold) for r in rows.iter_rows(named=True)],
            "text": sentences(rows, threshold, with_reported=False),
        },
        schema={"x": pl.String, "expected": pl.Float64, "lower_90": pl.Float64, "upper_90": pl.Float64, "text": pl.String},
    )


def trend_layers(rows: pl.DataFrame, threshold: int, colour: str) -> list[alt.Chart]:
    """A dashed expected line and its 90% band over the provisional months, for a monthly chart."""
    plot = chart_rows(rows, threshold)
    if plot.is_empty():
        return []
    base = alt.Chart(plot.with_columns(series=pl.lit(EXPECTED)))
    x = alt.X("x:T")
    band = base.transform_filter("datum.lower_90 != null && datum.upper_90 != null").mark_area(
        opacity=0.18, color=colour).encode(x=x, y="lower_90:Q", y2="upper_90:Q")
    line = base.transform_filter("datum.expected != null").mark_line(
        strokeDash=[2, 3], strokeWidth=2, color=colour, point=alt.OverlayMarkDef(shape="diamond", size=45, color=colour)
    ).encode(x=x, y="expected:Q", tooltip=[alt.Tooltip("text:N", title=EXPECTED)])
    return [band, line]


def overview_cards(version: DbVersion, drug: str, threshold: int, region: str, whole_region: bool) -> None:
    """The Overview's expected counts for the region's provisional months (or why not)."""
    if not whole_region:
        st.caption(f"Expected counts for the provisional months are nowcast for the {region} as a whole "
                   "and for Chicago; clear the area choice to see them.")
        return
    rows = shown_rows(load_nowcast(version), "region", drug)
    if rows.is_empty():
        st.caption(reason(load_status(version), "region", drug) + " The provisional months stay shaded.")
        return
    # The page also gives the provisional months' total: with one month's count hidden, the others
    # shown beside it would give it back, so then no month's count is repeated here.
    hidden = any(1 <= round(v) < threshold for v in rows.get_column("reported").to_list())
    cols = st.columns(len(rows))
    texts = sentences(rows, threshold, with_reported=not hidden)
    for col, row, text in zip(cols, rows.iter_rows(named=True), texts, strict=True):
        value = text.split("expected ≈ ", 1)[1].split(",", 1)[0]
        col.metric(f"{format_short_month(row['month'])}, expected", f"≈ {value}", help=RANGE_NOTE, border=True)
        col.caption(text)
    st.caption(f"{RANGE_NOTE} Backtest: *Data quality*.")


def period_note(version: DbVersion, drug: str, threshold: int, region: str) -> str:
    """One line for the Map's period note: the region's expected counts, or why they are not shown."""
    rows = shown_rows(load_nowcast(version), "region", drug)
    if rows.is_empty():
        return reason(load_status(version), "region", drug)
    return (f"{region}, deaths expected once toxicology closes — "
            + "; ".join(sentences(rows, threshold, with_reported=False)) + ".")


def backtest_table(version: DbVersion) -> pl.DataFrame:
    """The backtest by geography, drug and horizon for the Data quality page (empty if none)."""
    if "nowcast_backtest" not in _published(version):
        return pl.DataFrame()
    return read_frame(version, "SELECT * FROM marts.nowcast_backtest ORDER BY geography, drug, horizon")
