"""The Trends page's reads from the app database, cached on
:class:`dashboards.components.data.DbVersion`.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards.components.data import DbVersion, read_frame
from dashboards.components.filters import ALL
from pipelines.defs.epidemiology.suppression import suppress


@st.cache_data(show_spinner=False, max_entries=4)
def load_deaths_monthly(version: DbVersion) -> pl.DataFrame:
    """``marts.overdose_deaths_monthly`` in Chicago (raw counts: suppress before display), with
    the columns the Trends page uses; a null area is a Chicago death not placed in an area."""
    return read_frame(
        version,
        """
        SELECT month, community_area_number, drug, intent, age_group, sex, race_ethnicity,
               sum(deaths)::INTEGER AS deaths
        FROM marts.overdose_deaths_monthly
        WHERE place = 'Chicago'
        GROUP BY ALL
        ORDER BY ALL
        """,
    )


@st.cache_data(show_spinner=False, max_entries=4)
def load_deaths_weekly(version: DbVersion) -> pl.DataFrame:
    """``marts.overdose_deaths_weekly`` in Chicago (raw counts; a null area is not placed)."""
    return read_frame(
        version,
        """
        SELECT week, community_area_number, drug, sum(deaths)::INTEGER AS deaths,
               bool_or(is_provisional) AS is_provisional
        FROM marts.overdose_deaths_weekly
        WHERE place = 'Chicago'
        GROUP BY ALL
        ORDER BY ALL
        """,
    )


@st.cache_data(show_spinner=False, max_entries=4)
def load_rates_annual(version: DbVersion) -> pl.DataFrame:
    """Region, rest-of-Chicago, not-placed and city rows of ``marts.overdose_rates_annual``
    (suppressed)."""
    return read_frame(
        version,
        """
        SELECT *
        FROM marts.overdose_rates_annual
        WHERE geography_type IN ('region', 'not_placed', 'city')
        ORDER BY year, geography
        """,
    )


@st.cache_data(show_spinner=False, max_entries=4)
def load_region_suburbs(version: DbVersion) -> tuple[str, ...]:
    """Suburbs the pipeline counted in the region (not part of the Trends selection)."""
    frame = read_frame(
        version,
        """
        SELECT DISTINCT municipality FROM marts.overdose_deaths_monthly
        WHERE in_region AND community_area_number IS NULL AND municipality IS NOT NULL
        ORDER BY 1
        """,
    )
    return tuple(frame.get_column("municipality").to_list())
