"""Fixtures of the dashboard browser tests (see ``browser_support``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dashboards.browser_support import chromium, streamlit_server


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
