"""Tables on the pages and their CSV downloads: column headers, data grids, small Markdown
tables (escaped) and the one CSV writer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime

import polars as pl
import streamlit as st

from pipelines.csv_export import csv_export_bytes


def _one_decimal(label: str) -> dict:
    return st.column_config.NumberColumn(label, format="%.1f")


#: On-screen headers of the display frames' columns. The frames keep their machine-readable
#: names, which are the CSV downloads' headers (stable for spreadsheets and scripts); a data grid
#: shows these instead.
COLUMN_LABELS: dict[str, str | dict] = {
    "area": "Area",
    "area_number": "Area no.",
    "community_area": "Community area",
    "part_of_city": "Part of city",
    "series": "Series",
    "period": "Period",
    "period_start": "Period start",
    "year": "Year",
    "months_covered": "Months of data",
    "deaths": "Deaths",
    "rate_per_100k_per_year": _one_decimal("Crude rate per 100,000/yr"),
    "rate_95ci_lower": _one_decimal("Crude 95% CI low"),
    "rate_95ci_upper": _one_decimal("Crude 95% CI high"),
    "rate_change_pct": st.column_config.NumberColumn("Crude rate change (%)", format="%+.1f"),
    "rate_unstable_under_20_deaths": "Crude unstable (<20 deaths)",
    "age_adjusted_rate_per_100k_per_year": _one_decimal("Age-adjusted rate per 100,000/yr"),
    "age_adjusted_95ci_lower": _one_decimal("Age-adjusted 95% CI low"),
    "age_adjusted_95ci_upper": _one_decimal("Age-adjusted 95% CI high"),
    "age_adjusted_unstable_under_20_deaths": "Age-adjusted unstable (<20 deaths)",
    "deaths_unknown_age": st.column_config.TextColumn(
        "Unknown age", help="Deaths of unknown age: counted in the crude rate, left out of the age-adjusted rate."
    ),
    "population_2020": "Population (2020)",
    "provisional": "Provisional",
    "measure": "Measure",
    "window_label": "Window",
    "gi_class": "Gi* class",
    "gi_confidence_bin": "Gi* confidence bin",
    "moran_cluster": "Moran cluster",
    "strip_type": "Strip type",
    "tests_read": "Strips read",
    "positives": "Positive strips",
    "positivity_pct": _one_decimal("Positivity (%)"),
    "positivity_95ci_lower_pct": _one_decimal("95% CI low (%)"),
    "positivity_95ci_upper_pct": _one_decimal("95% CI high (%)"),
    "source": "Source",
    "rows_in": st.column_config.NumberColumn("Rows in", format="localized"),
    "rows_loaded": st.column_config.NumberColumn("Loaded", format="localized"),
    "rows_quarantined": st.column_config.NumberColumn("Quarantined", format="localized"),
}


def table_column_config(columns: Sequence[str], column_config: dict | None = None) -> dict:
    """The grid headers of ``columns``: :data:`COLUMN_LABELS` for those it names, overridden by
    the table's own ``column_config``."""
    return {name: COLUMN_LABELS[name] for name in columns if name in COLUMN_LABELS} | (column_config or {})


def show_table(frame: pl.DataFrame, *, column_config: dict | None = None, **options) -> object:
    """``st.dataframe`` as every data-grid table of the dashboard draws it (short tables are
    Markdown: :func:`show_small_table`): without the index column, with readable headers
    (:func:`table_column_config`). A hidden (suppressed) value is a missing cell; the caption
    under each table says why values are hidden."""
    return st.dataframe(
        frame, hide_index=True, column_config=table_column_config(frame.columns, column_config), **options
    )


def expander_table(
    label: str, frame: pl.DataFrame, *, key: str, expanded: bool = False, caption: str = "", **options
) -> None:
    """:func:`show_table` in an expander (with ``caption`` under the table), drawn only while the
    expander is open.

    A closed expander's table would still be sent and drawn, and ``st.dataframe``'s data grid is
    the largest piece of code the browser loads for a page: ~1.2 MB of JavaScript, ~0.6 s of a
    new session's first render in ``bench/dashboard_speed.py``.
    Opening the expander reruns the page, which then draws the table; ``key`` keeps it open
    across reruns.
    """
    box = st.expander(label, expanded=expanded, key=key, on_change="rerun")
    if box.open:
        with box:
            show_table(frame, **options)
            if caption:
                st.caption(caption)


#: Characters Markdown (and Streamlit's LaTeX, emoji-shortcode and autolink extensions: bare
#: ``www.x.org``, ``name@host.org``, ``https://``) would interpret.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~$:.@])")


def markdown_table(frame: pl.DataFrame, right: Sequence[str] = ()) -> str:
    """``frame`` as a Markdown table: every cell escaped, a missing value as an em dash, whole
    numbers with thousands separators; numeric columns and those named in ``right`` (numbers
    held as text, such as suppressed counts) right-aligned."""
    numeric = [dtype.is_numeric() or name in right for name, dtype in frame.schema.items()]

    def cell(value: object) -> str:
        if value is None:
            return "—"
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value:,}"
        text = value.isoformat() if isinstance(value, (date, datetime)) else str(value)
        return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))

    lines = [
        "| " + " | ".join(cell(name) for name in frame.columns) + " |",
        "|" + "|".join("---:" if is_numeric else "---" for is_numeric in numeric) + "|",
    ]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in frame.iter_rows()]
    return "\n".join(lines)


def show_small_table(frame: pl.DataFrame, right: Sequence[str] = ()) -> object:
    """A short reference table (a few rows, nothing to sort or search) drawn as Markdown, for a
    page that would otherwise load the data grid for it alone (see :func:`expander_table`);
    ``right`` as in :func:`markdown_table`."""
    return st.markdown(markdown_table(frame, right))


def to_csv_bytes(frame: pl.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM, so Excel reads the dashes and apostrophes) of every cell, escaped.

    Written by :func:`pipelines.csv_export.csv_export_bytes`, the one CSV writer of every export.
    """
    return csv_export_bytes(frame.columns, frame.iter_rows())


def csv_download(label: str, frame: pl.DataFrame, *, file_name: str, key: str) -> None:
    """A download button for the CSV of exactly the (suppressed) numbers a chart or table shows."""
    st.download_button(
        label,
        data=to_csv_bytes(frame),
        file_name=file_name,
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
        key=key,
    )
