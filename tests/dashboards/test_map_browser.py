"""End-to-end: the Map page in headless Debian Chromium — canvas, tooltip, a layer, a click.

The map is reached through the sidebar as a user would (a deep link makes Streamlit's frontend
probe ``/map/_stcore/*`` first, which logs 404s). Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) is not installed"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(demo_app_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``streamlit run dashboards/app.py`` on a free local port, reading the demo app database."""
    port = _free_port()
    log = tmp_path_factory.mktemp("streamlit_map") / "server.log"
    env = {**os.environ, "ODW_APP_DB": str(demo_app_db)}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboards" / "app.py"),
                "--server.headless", "true", "--server.port", str(port),
                "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
                "--server.fileWatcherType", "none",
            ],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"streamlit exited with {proc.returncode}")
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    if time.monotonic() > deadline:
                        raise TimeoutError("streamlit did not start") from None
                    time.sleep(0.5)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    assert "Traceback" not in log.read_text(errors="replace")


@pytest.fixture(scope="module")
def browser() -> Iterator:
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def _settle(page) -> None:
    # The script state, not the status widget: that one also shows "File change" notices.
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stApp\"]')"
        "?.getAttribute('data-test-script-state') === 'notRunning'",
        timeout=90_000,
    )
    # deck.gl tessellates and draws after Streamlit is idle.
    page.wait_for_timeout(2_000)


def _open_map(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    errors: list[str] = []
    external: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    host = urlparse(url).hostname

    def _request(request) -> None:
        parsed = urlparse(request.url)
        if parsed.scheme in {"http", "https", "ws", "wss"} and parsed.hostname != host:
            external.append(request.url)

    page.on("request", _request)
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_test_id("stSidebarNav").get_by_text("Map", exact=True).click()
    page.locator("#deckgl-overlay").wait_for(state="attached", timeout=90_000)
    _settle(page)
    return page, errors, external


def _map_box(page) -> dict:
    deck = page.get_by_test_id("stDeckGlJsonChart")
    deck.scroll_into_view_if_needed()
    box = deck.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 300
    return box


def _assert_clean(page, errors: list[str], external: list[str]) -> None:
    body = page.locator("body").inner_text()
    assert "Traceback" not in body
    assert not page.get_by_test_id("stException").count()
    assert not errors, errors
    assert not external, f"the dashboard reached out to the network: {external}"


def test_map_tooltip_layer_toggle_and_click_to_filter(server: str, browser, demo_app_db: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page, errors, external = _open_map(browser, server)
    try:
        assert page.locator("#deckgl-overlay").is_visible()
        page.screenshot(path=ARTIFACTS / "map-page-1280x720.png")

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

        # A click on the area selects it for every page (held in the URL).
        page.mouse.move(x + 2, y + 2)
        page.wait_for_timeout(500)
        page.mouse.click(x + 2, y + 2)
        page.get_by_text(f"Selected: {area}").wait_for(timeout=60_000)
        _settle(page)
        assert parse_qs(urlparse(page.url).query).get("areas") == [str(number)]
        page.screenshot(path=ARTIFACTS / "map-page-1280x720-selected.png")

        page.get_by_test_id("stSidebarNav").get_by_text("Trends", exact=True).click()
        page.wait_for_function("() => location.pathname.endsWith('/trends')", timeout=60_000)
        _settle(page)
        assert parse_qs(urlparse(page.url).query).get("areas") == [str(number)]
        assert page.get_by_text(area).first.is_visible()
        _assert_clean(page, errors, external)
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
        _assert_clean(page, errors, external)
    finally:
        page.close()
