"""End-to-end: the Map page in headless Debian Chromium — canvas, tooltip, a layer, a click.

The map is reached through the sidebar as a user would (a deep link makes Streamlit's frontend
probe ``/map/_stcore/*`` first, which logs 404s). Screenshots go to ``test-artifacts/``, and the docs' Map pictures to
``docs/assets/screenshots/``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import duckdb

from tests.dashboards.browser_support import ARTIFACTS, BROWSER_MARKS, PageWatch, assert_clean, docs_screenshot, settle

pytestmark = BROWSER_MARKS


def _settle(page) -> None:
    settle(page)
    # deck.gl tessellates and draws after Streamlit is idle.
    page.wait_for_timeout(2_000)


def _open_map(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    watch = PageWatch(page, urlparse(url).hostname)
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_test_id("stSidebarNav").get_by_text("Map", exact=True).click()
    page.locator("#deckgl-overlay").wait_for(state="attached", timeout=90_000)
    _settle(page)
    return page, watch.errors, watch.external


def _map_box(page) -> dict:
    deck = page.get_by_test_id("stDeckGlJsonChart")
    deck.scroll_into_view_if_needed()
    box = deck.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 300
    return box


def test_map_tooltip_layer_toggle_and_click_to_filter(server: str, browser, demo_app_db: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page, errors, external = _open_map(browser, server)
    try:
        assert page.locator("#deckgl-overlay").is_visible()
        page.screenshot(path=ARTIFACTS / "map-page-1280x720.png")
        docs_screenshot(page, "map")

        # The view opens on the region: its centre is a region area, with a tooltip.
        box = _map_box(page)
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        tooltip = page.locator(".deck-tooltip")
        tooltip.wait_for(state="visible", timeout=15_000)
        text = tooltip.inner_text()
        area = text.splitlines()[0]
        assert "Population (2020)" in text
        with duckdb.connect(str(demo_app_db), read_only=True) as con:
            ((number, in_region),) = con.execute(
                "SELECT community_area_number, in_region FROM marts.community_areas WHERE community_area = ?",
                [area],
            ).fetchall()
        assert in_region

        # A layer toggle: hexagons of outreach contacts are drawn over the areas.
        before = page.get_by_test_id("stDeckGlJsonChart").screenshot()
        page.get_by_test_id("stSelectbox").filter(has_text="Hexagons on top").click()
        page.get_by_role("option", name="Outreach contacts per hexagon").click()
        page.get_by_text("Outreach contacts per hexagon,").first.wait_for(timeout=60_000)
        _settle(page)
        assert page.get_by_test_id("stDeckGlJsonChart").screenshot() != before
        page.screenshot(path=ARTIFACTS / "map-page-1280x720-hexagons.png")
        docs_screenshot(page, "map-hexagons")

        # A click on the area selects it for every page (held in the URL).
        page.mouse.move(x + 2, y + 2)
        page.wait_for_timeout(500)
        page.mouse.click(x + 2, y + 2)
        page.get_by_text(f"Selected: {area}").wait_for(timeout=60_000)
        _settle(page)
        assert parse_qs(urlparse(page.url).query).get("areas") == [str(number)]
        page.screenshot(path=ARTIFACTS / "map-page-1280x720-selected.png")
        docs_screenshot(page, "map-selected")

        page.get_by_test_id("stSidebarNav").get_by_text("Trends", exact=True).click()
        page.wait_for_function("() => location.pathname.endsWith('/trends')", timeout=60_000)
        _settle(page)
        assert parse_qs(urlparse(page.url).query).get("areas") == [str(number)]
        assert page.get_by_text(area).first.is_visible()
        assert_clean(page, errors, external)
    finally:
        page.close()


def test_map_at_phone_width(server: str, browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page, errors, external = _open_map(browser, server)
    try:
        page.set_viewport_size({"width": 390, "height": 844})
        _settle(page)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"page is {overflow}px wider than the phone"
        assert page.locator("#deckgl-overlay").is_visible()
        page.screenshot(path=ARTIFACTS / "map-page-390x844.png")
        height = page.evaluate(
            "() => Math.ceil(document.querySelector('[data-testid=\"stMain\"]').scrollHeight)"
        )
        page.set_viewport_size({"width": 390, "height": min(height, 6_000)})
        page.wait_for_timeout(1_500)
        page.screenshot(path=ARTIFACTS / "map-page-390x844-full.png")
        assert_clean(page, errors, external)
    finally:
        page.close()
