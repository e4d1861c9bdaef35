"""What the Submit field data page shows of a checked upload, as plain functions of the preview.

The checking itself is the pipeline's (``pipelines/defs/field_data/submission.py``); this module
turns its :class:`~pipelines.defs.field_data.submission.Preview` into the page's words and tables,
and builds the community-area index the check needs from the published database.
"""

from __future__ import annotations

import math

import polars as pl
import shapely
import streamlit as st

from dashboards.components import data
from pipelines.defs.field_data.locations import AreaIndex
from pipelines.defs.field_data.submission import Preview
from pipelines.settings import Settings

#: The sources a member may submit, as the page names them.
SOURCE_LABELS = {"test_strips": "Test strips", "outreach": "Outreach log", "hotspots": "Hot spots"}
#: How often the file sensor looks at the folders, and about how long a field-data run takes.
SENSOR_INTERVAL_S = 60
RUN_MINUTES = 3
_MIB = 1024 * 1024


def upload_limit_mb(settings: Settings) -> int:
    """``st.file_uploader``'s ``max_upload_size`` (whole MB, as Streamlit counts them) for the
    ``ODW_UPLOAD_MAX_BYTES`` limit; the page checks the exact byte limit itself."""
    return max(1, math.ceil(settings.upload_max_bytes / _MIB))


@st.cache_resource(show_spinner=False, max_entries=2)
def area_index(version: data.DbVersion) -> AreaIndex:
    """Chicago's community areas from the published database, as validation places rows."""
    areas = data.load_community_areas(version)
    wkt = shapely.to_wkt(shapely.from_geojson(areas["geometry_geojson"].to_list()))
    return AreaIndex(areas.select("community_area_number", "community_area").with_columns(
        pl.Series("geometry_wkt", list(wkt), dtype=pl.String)
    ))


def summary(preview: Preview) -> list[str]:
    """The preview in a few Markdown lines: how the file was read, what loads, what was left out."""
    outcome = preview.outcome
    lines = [f"Read as **{outcome.read_as}**: {outcome.rows_in:,} data rows."]
    if outcome.blank_rows:
        lines.append(f"{outcome.blank_rows:,} blank rows skipped.")
    if outcome.skipped_sheets:
        names = ", ".join(f"'{s}'" for s in outcome.skipped_sheets)
        lines.append(f"Sheets not read (no header row of this source's columns): {names}.")
    if outcome.ignored_columns:
        lines.append("Columns not used: " + ", ".join(outcome.ignored_columns) + ".")
    if outcome.dropped_columns:
        lines.append("Columns dropped unread: " + ", ".join(outcome.dropped_columns) + ".")
    if preview.replaces:
        lines.append("Replaces the earlier file(s) " + ", ".join(f"`{n}`" for n in preview.replaces) + ".")
    return lines


def quarantine_table(preview: Preview) -> pl.DataFrame:
    """Rows that will not load, with the reason (row numbers as the spreadsheet shows them)."""
    return preview.quarantined.select(pl.col("row_number").alias("Row"), pl.col("reason").alias("Reason"))


def loaded_table(preview: Preview, limit: int = 200) -> pl.DataFrame:
    """The first rows that will load, in the staging table's columns (no bookkeeping columns)."""
    keep = [c for c in preview.loaded.columns if c not in ("is_synthetic", "source_file", "month", "location_source")]
    return preview.loaded.select(pl.col("source_row").alias("Row"), *[c for c in keep if c != "source_row"]).head(limit)


def arrival_text(settings: Settings) -> str:
    """When the submitted rows reach the dashboard."""
    text = (
        f"The pipeline's file sensor looks at the folders every {SENSOR_INTERVAL_S} s while the Dagster "
        f"daemon runs; the rows appear on *Test strips & outreach* about {RUN_MINUTES} minutes after that "
        "(the run also republishes the dashboard's database)."
    )
    if settings.dagster_url:
        text += " Or load it now with the button below."
    return text
