"""The Overview page's reads from the app database (cached, read-only), keyed on
:class:`dashboards.components.data.DbVersion`.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards.components import data
from dashboards.components.overview_metrics import FIELD_KPIS


@st.cache_data(show_spinner=False, max_entries=8)
def load_area_deaths(version: data.DbVersion) -> pl.DataFrame:
    """Deaths in Chicago per month, community area and drug (all demographics and intents summed);
    a null area is a Chicago death not placed in an area."""
    return data.read_frame(
        version,
        """
        SELECT month, community_area_number, in_region, drug,
               sum(deaths)::BIGINT AS deaths, bool_or(is_provisional) AS is_provisional
        FROM marts.overdose_deaths_monthly
        WHERE place = 'Chicago'
        GROUP BY ALL
        ORDER BY month, community_area_number, drug
        """,
    )


@st.cache_data(show_spinner=False, max_entries=8)
def load_outreach(version: data.DbVersion) -> pl.DataFrame:
    """Outreach counts per month and community area (the per-area rows, not the all-areas ones)."""
    return data.read_frame(
        version,
        f"""
        SELECT month, community_area_number, in_region, {", ".join(FIELD_KPIS)}, overdoses_responded
        FROM marts.outreach_monthly
        WHERE area_level = 'community_area'
        ORDER BY month, community_area_number
        """,
    )


@st.cache_data(show_spinner=False, max_entries=8)
def load_sources(version: data.DbVersion) -> pl.DataFrame:
    """Freshness of every source: the Medical Examiner and the field-data sources."""
    return data.read_frame(
        version,
        """
        SELECT source, label, is_synthetic, data_from, data_to, refreshed_at, row_count
        FROM marts.source_freshness
        UNION ALL BY NAME
        SELECT source, label, is_synthetic, data_from, data_to, refreshed_at, row_count
        FROM marts.field_data_sources
        ORDER BY source
        """,
    )


@st.cache_data(show_spinner=False, max_entries=8)
def load_hotspot_detail(version: data.DbVersion) -> pl.DataFrame:
    """Latest-window hot spots per community area (member detail): Gi* class, Moran cluster,
    emerging-hot-spot category and the number of H3 cells flagged as Gi* hot spots."""
    return data.read_frame(
        version,
        """
        WITH hex AS (
            SELECT community_area_number, count(*) FILTER (WHERE gi_class = 'hot spot') AS hot_cells
            FROM marts.hex_hotspots WHERE is_latest_window AND measure = 'deaths'
            GROUP BY ALL
        )
        SELECT a.community_area_number, a.community_area, a.in_region, a.window_label,
               a.gi_class, a.moran_cluster, e.category AS emerging,
               coalesce(hex.hot_cells, 0)::BIGINT AS hot_cells
        FROM marts.area_hotspots a
        LEFT JOIN marts.emerging_hotspots e
          ON e.level = 'community_area' AND e.measure = a.measure
         AND e.community_area_number = a.community_area_number
        LEFT JOIN hex ON hex.community_area_number = a.community_area_number
        WHERE a.is_latest_window AND a.measure = 'deaths'
        ORDER BY a.community_area_number
        """,
    )
