"""The Data quality page's reads: the published quality tables (cached per publication) and the
asset checks' run history (re-read at most once a minute).
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards.components import check_results, data


#: Published tables this page needs beyond those every publication has.
QUALITY_TABLES = (
    "asset_checks", "ingest_log", "me_quarantine", "me_placement_annual", "field_data_files", "field_data_quarantine"
)


# ---- Data access ------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=8)
def load_quality_tables(version: data.DbVersion) -> dict[str, pl.DataFrame] | None:
    """The tables this page reads, or None when the publication predates them."""
    present = set(
        data.read_frame(
            version, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'"
        )
        .get_column("table_name")
        .to_list()
    )
    if not set(QUALITY_TABLES) <= present:
        return None
    read = lambda sql: data.read_frame(version, sql)  # noqa: E731 - one line per table below
    return {
        "checks": read("SELECT * FROM marts.asset_checks ORDER BY asset, check_name"),
        "ingest_log": read("SELECT * FROM marts.ingest_log ORDER BY ingested_at DESC"),
        "me_quarantine": read("SELECT * FROM marts.me_quarantine"),
        "field_quarantine": read("SELECT * FROM marts.field_data_quarantine"),
        "field_files": read("SELECT * FROM marts.field_data_files ORDER BY source, file"),
        "data_quality": read("SELECT * FROM marts.data_quality"),
        "placement_annual": read("SELECT * FROM marts.me_placement_annual ORDER BY year"),
        "sources": read(
            """SELECT source, label, is_synthetic, data_from, data_to, refreshed_at, row_count
               FROM marts.source_freshness
               UNION ALL BY NAME
               SELECT source, label, is_synthetic, data_from, data_to, refreshed_at, row_count
               FROM marts.field_data_sources"""
        ),
    }


@st.cache_data(show_spinner=False, ttl=60, max_entries=4)
def load_check_history(dagster_home: str, checks: tuple[tuple[str, str], ...]) -> check_results.CheckHistory:
    """Latest check results from the run history; re-read at most once a minute."""
    from pathlib import Path

    return check_results.read_check_results(Path(dagster_home), checks)
