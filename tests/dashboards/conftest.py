"""Fixtures of the dashboard tests: the demo app database as the Trends page loads it, and the
browser tests' server and Chromium (see ``browser_support``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboards.components import trend_queries
from tests.dashboards.browser_support import chromium, streamlit_server
from tests.dashboards.trend_support import query_db


@pytest.fixture(scope="module")
def server(demo_app_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard, served on a free local port, reading the demo app database."""
    with streamlit_server(tmp_path_factory.mktemp("streamlit"), ODW_APP_DB=str(demo_app_db)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """One headless Chromium for the module."""
    with chromium() as instance:
        yield instance


@pytest.fixture(scope="module")
def trend_demo(demo_app_db: Path):
    """The demo app database loaded the way the page loads it (loaders are cache-decorated)."""
    from dashboards.components import data, period_labels

    version = data.db_version(demo_app_db)
    areas = data.load_community_areas(version)
    options = data.load_filter_options(version)
    provisional = period_labels.provisional_months(data.load_monthly(version))
    return {
        "db": demo_app_db,
        "deaths": trend_queries.load_deaths_monthly(version),
        "annual": trend_queries.load_rates_annual(version),
        "areas": areas,
        "months": list(options.months),
        "provisional": provisional,
        "region": query_db(demo_app_db, "SELECT region_label FROM marts.publication")[0][0],
        "threshold": query_db(demo_app_db, "SELECT suppress_below FROM marts.publication")[0][0],
    }
