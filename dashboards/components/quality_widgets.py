"""Small pieces of the Data quality page: Chicago wall-clock times, section headings and KPI
cards for a share.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import streamlit as st

from dashboards.components import data, quality
from pipelines.defs.epidemiology.suppression import display_count


def as_chicago_time(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """UTC timestamp columns as Chicago wall-clock time (what every caption on the page uses)."""
    return frame.with_columns(
        pl.col(c).dt.replace_time_zone("UTC").dt.convert_time_zone(data.CHICAGO_TZ.key).dt.replace_time_zone(None)
        for c in columns
    )


def when_text(value: datetime | None) -> str:
    return data.format_refreshed(value) if isinstance(value, datetime) else "—"


def section_heading(title: str, subtitle: list[str]) -> None:
    """A table's title and its source / period / refresh line."""
    st.markdown(f"##### {title}", anchors=False)
    st.caption(" · ".join(subtitle))


def metric_card(
    column, label: str, metric: quality.QualityMetric | None, target: str, noun: str, threshold: int
) -> None:
    """A KPI card for a share: value, its numerator/denominator (suppressed below ``threshold``),
    target and verdict."""
    with column.container(border=True):
        if metric is None or metric.value is None:
            st.metric(label, "—")
            st.caption("Not published")
            return
        hidden = 1 <= metric.numerator < threshold
        st.metric(label, "—" if hidden else f"{metric.value:.1%}")
        st.caption(
            f"{display_count(metric.numerator, threshold)} of {display_count(metric.denominator, threshold)} "
            f"{noun} · {target}"
        )
        verdict = metric.meets_threshold
        if verdict is not None:
            st.badge(
                "meets the threshold" if verdict else "below the threshold",
                icon=":material/check:" if verdict else ":material/warning:",
                color="green" if verdict else "red",
            )


def check_lines(rows: pl.DataFrame) -> str:
    """Markdown bullets: check, asset, what it tests, what it found, when."""
    lines = []
    for row in rows.iter_rows(named=True):
        found = f" — *{row['details']}*" if row["details"] else ""
        lines.append(
            f"- **{row['check_name']}** on `{row['asset']}`: {row['description']}{found} "
            f"({when_text(row['evaluated_at'])})"
        )
    return "\n".join(lines)
