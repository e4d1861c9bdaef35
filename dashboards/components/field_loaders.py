"""The Test strips & outreach page's reads from the app database (cached, read-only).
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards.components import data


FIELD_TABLES = (
    "test_strip_positivity",
    "test_strip_codetection",
    "outreach_monthly",
    "naloxone_cumulative",
    "warm_handoff_funnel",
    "naloxone_coverage",
    "field_data_sources",
)
#: Outreach totals on the KPI cards (also read per community area for an area selection).
OUTREACH_KPI_COLUMNS = ("naloxone_kits_distributed", "naloxone_administrations", "warm_handoffs_total")


# ---- Data access ------------------------------------------------------------------------------


def _query(version: data.DbVersion, sql: str) -> pl.DataFrame:
    """One read of ``version`` (checked to be that publication: see ``data.read_frame``)."""
    return data.read_frame(version, sql)


@st.cache_data(show_spinner=False, max_entries=8)
def load_field_marts(version: data.DbVersion) -> dict[str, pl.DataFrame] | None:
    """Every field-data mart this page reads, or None when the database predates them."""
    present = set(
        _query(
            version,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'",
        )
        .get_column("table_name")
        .to_list()
    )
    if not set(FIELD_TABLES) <= present:
        return None
    # Free-text and personal columns do not exist in these marts; source_url is left out because
    # it is a server path, of no use to a reader.
    return {
        "positivity": _query(
            version,
            """SELECT month, area_level, community_area_number, community_area, in_region,
                      strip_type, strips_used, tests_read, positives
               FROM marts.test_strip_positivity WHERE substance_as_sold = 'all'""",
        ),
        "codetection": _query(
            version,
            """SELECT month, area_level, community_area_number, community_area, in_region,
                      samples_tested_both, both_positive
               FROM marts.test_strip_codetection""",
        ),
        "outreach": _query(
            version, "SELECT * FROM marts.outreach_monthly WHERE area_level = 'all'"
        ),
        "outreach_areas": _query(
            version,
            f"""SELECT month, community_area_number, {", ".join(OUTREACH_KPI_COLUMNS)}
               FROM marts.outreach_monthly WHERE area_level = 'community_area'""",
        ),
        "cumulative": _query(version, "SELECT * FROM marts.naloxone_cumulative ORDER BY month"),
        "funnel": _query(
            version,
            """SELECT month, stage_order, stage, stage_count FROM marts.warm_handoff_funnel
               WHERE area_level = 'all'""",
        ),
        "coverage": _query(version, "SELECT * FROM marts.naloxone_coverage"),
        "sources": _query(
            version,
            """SELECT source, is_synthetic, refreshed_at FROM marts.field_data_sources
               WHERE source IN ('test_strips', 'outreach')""",
        ),
    }
