"""End-to-end: the real ``streamlit run`` server in headless Debian Chromium, desktop and phone.

Screenshots go to ``test-artifacts/`` (git-ignored) for a human to look at.
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
from urllib.parse import urlparse

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


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"streamlit did not answer on {url} within {timeout}s")


@pytest.fixture(scope="module")
def server(demo_app_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``streamlit run dashboards/app.py`` on a free port, reading the demo app database."""
    port = _free_port()
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    env = {**os.environ, "ODW_APP_DB": str(demo_app_db)}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboards" / "app.py"),
                "--server.headless", "true",
                "--server.port", str(port),
                "--server.address", "127.0.0.1",
                "--browser.gatherUsageStats", "false",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, proc)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    server_log = log.read_text(errors="replace")
    assert "Traceback" not in server_log, server_log


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """One headless Chromium for the module."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


class PageWatch:
    """Console errors, uncaught page errors and off-host requests seen by one page."""

    def __init__(self, page, host: str) -> None:
        self.errors: list[str] = []
        self.external: list[str] = []
        page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))

        def _request(request) -> None:
            parsed = urlparse(request.url)
            if parsed.scheme in {"http", "https", "ws", "wss"} and parsed.hostname != host:
                self.external.append(request.url)

        page.on("request", _request)


def _open_map(browser, url: str, width: int, height: int):
    page = browser.new_page(viewport={"width": width, "height": height})
    watch = PageWatch(page, urlparse(url).hostname)
    page.goto(url, wait_until="domcontentloaded")
    # The Overview is the home page; open the Map from the sidebar, as a user would.
    page.get_by_test_id("stSidebarNav").get_by_text("Map", exact=True).click()
    # deck.gl's canvas, the Vega chart, and the KPI value are the last things to appear.
    page.locator("#deckgl-overlay").wait_for(state="attached", timeout=90_000)
    chart = page.locator("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg")
    chart.first.wait_for(state="attached", timeout=90_000)
    page.get_by_test_id("stMetricValue").first.wait_for(timeout=90_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=90_000
    )
    # Let deck.gl finish tessellating and drawing before anything is measured or captured.
    page.wait_for_timeout(2_500)
    return page, watch


def _full_screenshot(page, path: Path) -> None:
    """Screenshot of the whole page: Streamlit scrolls inside ``stMain``, not the document, so
    the viewport is grown to the content height (Playwright's ``full_page`` would stop at the fold).
    """
    width = page.viewport_size["width"]
    height = page.evaluate(
        "() => Math.ceil(document.querySelector('[data-testid=\"stMain\"]').scrollHeight)"
    )
    page.set_viewport_size({"width": width, "height": min(height, 8_000)})
    page.wait_for_timeout(2_000)
    page.screenshot(path=path)


def _assert_clean(page, watch: PageWatch) -> None:
    body = page.locator("body").inner_text()
    assert "Traceback" not in body
    assert "Error" not in body, body[:2000]
    assert not watch.errors, watch.errors
    assert not watch.external, f"the dashboard reached out to the network: {watch.external}"


def test_desktop_projector_view(server: str, browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page, watch = _open_map(browser, server, 1280, 720)
    try:
        assert page.locator("#deckgl-overlay").is_visible()
        assert page.get_by_text("Synthetic demo data").first.is_visible()
        page.screenshot(path=ARTIFACTS / "map-1280x720.png")

        deck = page.get_by_test_id("stDeckGlJsonChart")
        deck.scroll_into_view_if_needed()
        box = deck.bounding_box()
        assert box and box["width"] > 400 and box["height"] > 300
        # The view opens on the West Side, so the centre of the map is a region area.
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        tooltip = page.locator(".deck-tooltip")
        tooltip.wait_for(state="visible", timeout=15_000)
        assert "Population (2020)" in tooltip.inner_text()
        page.screenshot(path=ARTIFACTS / "map-1280x720-tooltip.png")

        _full_screenshot(page, ARTIFACTS / "map-1280x720-full.png")
        _assert_clean(page, watch)
    finally:
        page.close()


def test_phone_view(server: str, browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page, watch = _open_map(browser, server, 390, 844)
    try:
        # Nothing may overflow sideways on a phone.
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"page is {overflow}px wider than the phone"
        page.screenshot(path=ARTIFACTS / "map-390x844.png")
        _full_screenshot(page, ARTIFACTS / "map-390x844-full.png")
        _assert_clean(page, watch)
    finally:
        page.close()


def test_about_page(server: str, browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    # Reached through the sidebar, as a user would: a deep link to /about makes Streamlit's own
    # frontend probe /about/_stcore/* first (404s in the console) before it finds the server root.
    page, watch = _open_map(browser, server, 1280, 720)
    try:
        page.get_by_test_id("stSidebarNav").get_by_text("About the data").click()
        page.get_by_text("Source and freshness").wait_for(timeout=90_000)
        page.wait_for_timeout(500)
        assert page.get_by_text("Synthetic demo data.").first.is_visible()
        _full_screenshot(page, ARTIFACTS / "about-1280x720-full.png")
        _assert_clean(page, watch)
    finally:
        page.close()
