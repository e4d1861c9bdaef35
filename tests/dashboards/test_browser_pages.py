"""End-to-end across every page: the real server in headless Debian Chromium, public mode.

Each page is opened from the sidebar (as a user would), must render without exception text,
console errors or requests leaving localhost, and must show no count of 1–9 on a KPI card.
Also: a sidebar filter changes a number, a link with a query string reproduces the view, chart
downloads produce a PNG and a CSV that open, and the Overview fits a phone. Screenshots go to
``test-artifacts/``; those of Overview, Test strips & outreach, Meeting pack & e-blast and About
are the docs' (``docs/assets/screenshots/``).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from urllib.parse import urlparse

import duckdb

from tests.dashboards.browser_support import (
    ARTIFACTS,
    BROWSER_MARKS,
    DOCS_SCREENSHOTS,
    PageWatch,
    assert_clean,
    docs_screenshot,
)

pytestmark = BROWSER_MARKS

APP_PY = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
_RENDERED = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const main = document.querySelector('[data-testid="stMain"]');
  return app && app.getAttribute('data-test-script-state') === 'notRunning'
      && main && main.querySelector('h1') !== null
      && !document.querySelector('[data-testid="stSkeleton"]');
}
"""


def _pages() -> list[tuple[str, str]]:
    """(file, title) of every page app.py registers whose file exists."""
    specs = re.findall(r'\(\s*"([a-z_]+\.py)",\s*"([^"]+)",\s*"[^"]*",\s*"[a-z-]+"\s*\)', APP_PY.read_text())
    return [(f, t) for f, t in specs if (APP_PY.parent / "app_pages" / f).exists()]


def _open(browser, url: str, width: int = 1280, height: int = 720):
    page = browser.new_page(viewport={"width": width, "height": height}, accept_downloads=True)
    watch = PageWatch(page, urlparse(url).hostname)
    page.goto(url, wait_until="domcontentloaded")
    _settle(page)
    return page, watch


def _settle(page) -> None:
    page.wait_for_function(_RENDERED, timeout=90_000, polling=100)
    page.wait_for_timeout(1_000)
    page.wait_for_function(_RENDERED, timeout=90_000, polling=100)


def _kpi(page, label: str) -> str:
    card = page.get_by_test_id("stMetric").filter(has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True))
    return card.get_by_test_id("stMetricValue").inner_text().strip()


def _small_kpis(page) -> list[str]:
    values = page.get_by_test_id("stMetricValue").all_inner_texts()
    return [v for v in values if re.fullmatch(r"\s*[1-9]\s*", v)]


def _db_query(db: Path, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_every_page_loads_clean_in_public_mode(server: str, browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page, watch = _open(browser, server)
    try:
        for file_name, title in _pages():
            page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
            _settle(page)
            main = page.get_by_test_id("stMain")
            text = main.inner_text()
            assert "Traceback" not in text and not page.get_by_test_id("stException").count(), title
            assert not _small_kpis(page), f"{title} shows a count of 1–9 on a card"
            page.screenshot(path=ARTIFACTS / f"page-{file_name.removesuffix('.py')}-1280x720.png")
            # The Map, Trends and Data quality pictures come from their own tests, which wait for
            # the map and charts to be drawn and give Data quality its run history.
            docs_name = file_name.removesuffix(".py").replace("_", "-")
            if DOCS_SCREENSHOTS.get(docs_name) == "test_browser_pages.py":
                docs_screenshot(page, docs_name)
        assert_clean(page, watch.errors, watch.external, forbidden=("Traceback", "Error"))
    finally:
        page.close()


def test_a_sidebar_filter_changes_a_number(server: str, browser) -> None:
    page, watch = _open(browser, server)
    try:
        before = _kpi(page, "Naloxone kits distributed")
        areas = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").first
        areas.locator("input").click()
        page.keyboard.type("Austin")
        page.get_by_role("option", name=re.compile("Austin")).first.click()
        page.keyboard.press("Escape")
        _settle(page)
        after = _kpi(page, "Naloxone kits distributed")
        assert after != before
        assert "areas=25" in page.url
        assert not _small_kpis(page)
        page.screenshot(path=ARTIFACTS / "overview-austin-1280x720.png")
        assert_clean(page, watch.errors, watch.external, forbidden=("Traceback", "Error"))
    finally:
        page.close()


def test_a_link_reproduces_the_view(server: str, browser, demo_app_db: Path) -> None:
    ((kits,),) = _db_query(
        demo_app_db,
        """SELECT sum(naloxone_kits_distributed) FROM marts.outreach_monthly
           WHERE area_level = 'community_area' AND community_area_number = 25
             AND month > (SELECT max(month) FROM marts.outreach_monthly) - INTERVAL 12 MONTH""",
    )
    page, watch = _open(browser, f"{server}/?areas=25&drug=fentanyl")
    try:
        sidebar = page.get_by_test_id("stSidebar")
        assert "Austin" in sidebar.get_by_test_id("stMultiSelect").first.inner_text()
        # The drug from the link is the one the cards describe.
        assert "fentanyl (incl. analogues)" in page.get_by_test_id("stMain").inner_text()
        assert page.locator("h1").first.inner_text().startswith("Austin")
        assert _kpi(page, "Naloxone kits distributed") == f"{int(kits):,}"
        assert_clean(page, watch.errors, watch.external, forbidden=("Traceback", "Error"))
    finally:
        page.close()


def test_chart_downloads_open(server: str, browser) -> None:
    page, watch = _open(browser, server)
    try:
        page.get_by_test_id("stSidebarNav").get_by_text("Test strips & outreach", exact=True).click()
        _settle(page)
        # The charts are on the Outreach tab, drawn when it is opened.
        assert page.locator(".st-key-download_activity_png").count() == 0
        page.get_by_role("tab", name="Outreach").click()
        page.locator(".st-key-download_activity_png").wait_for(timeout=60_000)
        _settle(page)
        # The monthly-activity chart's buttons (keys from field_data.py).
        png_button = page.locator(".st-key-download_activity_png button").filter(has_text="PNG").first
        png_button.scroll_into_view_if_needed()
        with page.expect_download(timeout=60_000) as info:
            png_button.click()
        png = Path(info.value.path()).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000
        csv_button = page.locator(".st-key-download_activity_csv button").filter(has_text="CSV").first
        with page.expect_download(timeout=60_000) as info:
            csv_button.click()
        rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text())))
        assert rows
        small = [
            (k, v)
            for r in rows
            for k, v in r.items()
            if not k.endswith(("_pct", "per_death")) and re.fullmatch(r"[1-9]", v or "")
        ]
        assert not small, small
        assert_clean(page, watch.errors, watch.external, forbidden=("Traceback", "Error"))
    finally:
        page.close()


def test_overview_on_a_phone(server: str, browser) -> None:
    page, watch = _open(browser, server, 390, 844)
    try:
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"page is {overflow}px wider than the phone"
        page.screenshot(path=ARTIFACTS / "overview-390x844.png")
        assert not _small_kpis(page)
        assert_clean(page, watch.errors, watch.external, forbidden=("Traceback", "Error"))
    finally:
        page.close()
