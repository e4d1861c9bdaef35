"""End-to-end: the Data quality page in headless Debian Chromium at 1280x720 and phone width.

The real ``streamlit run`` server reads the demo publication and the demo run's Dagster history.
The page loads with no exception or console error and reaches nothing off the host; the check
summary and the first tab's tables draw, and opening the other tabs draws the quarantine chart
and the data grids; screenshots go to ``test-artifacts/``, the docs' picture of the page to
``docs/assets/screenshots/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlparse

import duckdb
import pytest

from tests.dashboards.browser_support import (
    ARTIFACTS,
    BROWSER_MARKS,
    PageWatch,
    assert_clean,
    docs_screenshot,
    full_screenshot,
    streamlit_server,
)

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def server(demo_pipeline, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard on a free local port: the demo publication and its Dagster run history."""
    with streamlit_server(
        tmp_path_factory.mktemp("streamlit_quality"),
        ODW_APP_DB=str(demo_pipeline.app_db),
        DAGSTER_HOME=str(demo_pipeline.dagster_home),
    ) as url:
        yield url


def _open_quality_page(browser, url: str, width: int, height: int):
    """The app's front page, then Data quality through the sidebar (as a user gets there: a deep
    link makes Streamlit's frontend probe ``/data-quality/_stcore/*`` first, 404s in the console)."""
    page = browser.new_page(viewport={"width": width, "height": height})
    watch = PageWatch(page, urlparse(url).hostname)
    page.goto(url, wait_until="domcontentloaded")
    nav = page.get_by_test_id("stSidebarNav")
    if width < 700:  # the sidebar starts collapsed on a phone
        page.get_by_test_id("stExpandSidebarButton").click()
    nav.get_by_text("Data quality").click()
    page.get_by_text("Asset checks").first.wait_for(timeout=120_000)
    page.get_by_text("Rows in = rows loaded + rows quarantined").wait_for(timeout=120_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000
    )
    page.wait_for_timeout(1_500)
    return page, watch.errors, watch.external


def test_desktop_view(server: str, browser, demo_pipeline) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with duckdb.connect(str(demo_pipeline.app_db), read_only=True) as con:
        checks = con.execute("SELECT count(*) FROM marts.asset_checks").fetchall()[0][0]
    page, errors, external = _open_quality_page(browser, server, 1280, 720)
    try:
        assert page.get_by_text(f"All {checks} checks passed").is_visible()
        # The first tab is Markdown: no data grid and no chart until another tab is opened.
        assert page.get_by_test_id("stMarkdown").locator("table").count() == 2
        assert page.get_by_test_id("stDataFrame").count() == 0
        assert page.get_by_test_id("stVegaLiteChart").count() == 0
        page.screenshot(path=ARTIFACTS / "data-quality-1280x720.png")
        docs_screenshot(page, "data-quality")
        # The Medical Examiner tab: two cards and the placement-by-year table (Markdown, no grid).
        page.get_by_role("tab", name="Medical Examiner").click()
        page.get_by_text("how deaths in Chicago were placed, by year").wait_for(timeout=60_000)
        placement = page.get_by_test_id("stMarkdown").locator("table").filter(has_text="Geocoded")
        assert placement.locator("tbody tr").count() == 11  # 2016–2026
        assert page.get_by_test_id("stDataFrame").count() == 0
        full_screenshot(page, ARTIFACTS / "data-quality-medical-examiner-1280x720-full.png")
        page.get_by_role("tab", name="Quarantined rows").click()
        page.locator("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg").first.wait_for(
            state="attached", timeout=60_000
        )
        page.get_by_test_id("stDataFrame").first.wait_for(state="visible", timeout=60_000)
        full_screenshot(page, ARTIFACTS / "data-quality-quarantine-1280x720-full.png")
        page.get_by_role("tab", name="Ingest log and files").click()
        page.get_by_text("Field-data files held now").wait_for(timeout=60_000)
        page.wait_for_function(
            "() => document.querySelectorAll('[data-testid=\"stDataFrame\"]').length === 2", timeout=60_000
        )
        # Opening the full check list draws its table.
        expander = page.get_by_test_id("stExpander").filter(has_text=f"All {checks} checks")
        assert not expander.get_by_test_id("stDataFrame").is_visible()
        expander.get_by_text(f"All {checks} checks", exact=True).click()
        expander.get_by_test_id("stDataFrame").wait_for(state="visible", timeout=30_000)
        full_screenshot(page, ARTIFACTS / "data-quality-1280x720-full.png")
        assert_clean(page, errors, external)
    finally:
        page.close()


def test_phone_view(server: str, browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page, errors, external = _open_quality_page(browser, server, 390, 844)
    try:
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"page is {overflow}px wider than the phone"
        page.screenshot(path=ARTIFACTS / "data-quality-390x844.png")
        full_screenshot(page, ARTIFACTS / "data-quality-390x844-full.png")
        if page.get_by_test_id("stSidebar").get_attribute("data-collapsed") == "false":
            # The sidebar opened to reach the page still covers it on a phone: close it, as a user would.
            page.get_by_test_id("stSidebarCollapseButton").locator("button").click()
            page.wait_for_timeout(500)
        page.get_by_role("tab", name="Medical Examiner").click()
        page.get_by_text("how deaths in Chicago were placed, by year").wait_for(timeout=60_000)
        page.wait_for_timeout(1_000)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"the Medical Examiner tab is {overflow}px wider than the phone"
        full_screenshot(page, ARTIFACTS / "data-quality-medical-examiner-390x844-full.png")
        assert_clean(page, errors, external)
    finally:
        page.close()
