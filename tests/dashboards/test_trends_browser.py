"""End-to-end: the Trends page in headless Debian Chromium at 1280x720 and phone width.

Loads with no exception text or console errors, a sidebar filter changes the headline number,
every tab draws; screenshots go to ``test-artifacts/``, and the docs' Trends pictures to
``docs/assets/screenshots/``.
"""

from __future__ import annotations

from urllib.parse import urlparse

from tests.dashboards.browser_support import (
    ARTIFACTS,
    BROWSER_MARKS,
    PageWatch,
    assert_clean,
    docs_screenshot,
    full_screenshot,
)

TABS = ("Over time", "Year over year", "Drugs", "Age, sex, race", "Intent")

pytestmark = BROWSER_MARKS


def _settle(page) -> None:
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=90_000
    )
    page.wait_for_timeout(800)


def _open_trends(browser, url: str, width: int, height: int):
    """The Trends page reached as a user would (a deep link makes Streamlit probe sub-paths)."""
    page = browser.new_page(viewport={"width": width, "height": height})
    watch = PageWatch(page, urlparse(url).hostname)
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_test_id("stMetricValue").first.wait_for(timeout=90_000)
    if width < 640:
        page.get_by_test_id("stExpandSidebarButton").click()
    page.get_by_test_id("stSidebarNav").get_by_text("Trends", exact=True).click()
    page.get_by_text("trends", exact=False).first.wait_for(timeout=90_000)
    page.get_by_role("tab", name="Over time").wait_for(timeout=90_000)
    page.locator("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg").first.wait_for(
        state="attached", timeout=90_000
    )
    _settle(page)
    return page, watch.errors, watch.external


def _headline(page) -> str:
    card = page.get_by_test_id("stMetric").filter(has_text="Deaths,").first
    return card.get_by_test_id("stMetricValue").inner_text()


def test_trends_desktop_filter_and_tabs(server: str, browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page, errors, external = _open_trends(browser, server, 1280, 720)
    try:
        assert page.get_by_text("Synthetic demo data").first.is_visible()
        page.screenshot(path=ARTIFACTS / "trends-1280x720.png")
        docs_screenshot(page, "trends")
        before = _headline(page)
        sidebar = page.get_by_test_id("stSidebar")
        drug = sidebar.get_by_test_id("stSelectbox").filter(has_text="Drug involved").locator("input").first
        # Typed rather than picked from the list: the dropdown can close again if a rerun lands.
        drug.click()
        drug.fill("Fentanyl")
        page.get_by_role("option", name="Fentanyl (incl. analogues)").wait_for(timeout=15_000)
        drug.press("Enter")
        page.wait_for_function(
            """(before) => {
                const card = [...document.querySelectorAll('[data-testid="stMetric"]')]
                    .find(el => el.innerText.includes('Deaths,'));
                return card && card.querySelector('[data-testid="stMetricValue"]').innerText !== before;
            }""",
            arg=before,
            timeout=30_000,
        )
        _settle(page)
        after = _headline(page)
        assert after != before
        assert "drug=fentanyl" in page.url
        for name in TABS:
            page.get_by_role("tab", name=name).click()
            _settle(page)
            page.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=60_000)
            stem = name.lower().replace(",", "").replace(" ", "-")
            page.screenshot(path=ARTIFACTS / f"trends-{stem}-1280x720.png")
            if stem == "year-over-year":
                docs_screenshot(page, "trends-year-over-year")
        page.get_by_role("tab", name="Over time").click()
        _settle(page)
        full_screenshot(page, ARTIFACTS / "trends-over-time-1280x720-full.png")
        assert_clean(page, errors, external)
    finally:
        page.close()


def test_trends_phone_view(server: str, browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page, errors, external = _open_trends(browser, server, 390, 844)
    try:
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"page is {overflow}px wider than the phone"
        full_screenshot(page, ARTIFACTS / "trends-390x844-full.png")
        assert_clean(page, errors, external)
    finally:
        page.close()
