"""End-to-end: the Trends page in headless Debian Chromium at 1280x720 and phone width.

Loads with no exception text or console errors, a sidebar filter changes the headline number,
every tab draws; screenshots go to ``test-artifacts/``.
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
TABS = ("Over time", "Year over year", "Drugs", "Age, sex, race", "Intent")

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
    log = tmp_path_factory.mktemp("streamlit_trends") / "server.log"
    env = {**os.environ, "ODW_APP_DB": str(demo_app_db)}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboards" / "app.py"),
                "--server.headless", "true", "--server.port", str(port),
                "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
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
    server_log = log.read_text(errors="replace")
    assert "Traceback" not in server_log, server_log


@pytest.fixture(scope="module")
def browser() -> Iterator:
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def _settle(page) -> None:
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=90_000
    )
    page.wait_for_timeout(800)


def _open_trends(browser, url: str, width: int, height: int):
    """The Trends page reached as a user would (a deep link makes Streamlit probe sub-paths)."""
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    external: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    host = urlparse(url).hostname
    page.on(
        "request",
        lambda req: external.append(req.url)
        if urlparse(req.url).scheme in {"http", "https", "ws", "wss"} and urlparse(req.url).hostname != host
        else None,
    )
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
    return page, errors, external


def _full_screenshot(page, path: Path) -> None:
    """The whole page: Streamlit scrolls inside ``stMain``, so the viewport grows to its height."""
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    full = page.evaluate("() => Math.ceil(document.querySelector('[data-testid=\"stMain\"]').scrollHeight)")
    page.set_viewport_size({"width": width, "height": min(full, 8_000)})
    page.wait_for_timeout(1_500)
    page.screenshot(path=path)
    page.set_viewport_size({"width": width, "height": height})


def _headline(page) -> str:
    card = page.get_by_test_id("stMetric").filter(has_text="Deaths,").first
    return card.get_by_test_id("stMetricValue").inner_text()


def _assert_clean(page, errors: list[str], external: list[str]) -> None:
    body = page.locator("body").inner_text()
    assert "Traceback" not in body
    assert "Error" not in body, body[:2000]
    assert not errors, errors
    assert not external, f"the dashboard reached out to the network: {external}"


def test_trends_desktop_filter_and_tabs(server: str, browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page, errors, external = _open_trends(browser, server, 1280, 720)
    try:
        assert page.get_by_text("Synthetic demo data").first.is_visible()
        page.screenshot(path=ARTIFACTS / "trends-1280x720.png")
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
        page.get_by_role("tab", name="Over time").click()
        _settle(page)
        _full_screenshot(page, ARTIFACTS / "trends-over-time-1280x720-full.png")
        _assert_clean(page, errors, external)
    finally:
        page.close()


def test_trends_phone_view(server: str, browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page, errors, external = _open_trends(browser, server, 390, 844)
    try:
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"page is {overflow}px wider than the phone"
        _full_screenshot(page, ARTIFACTS / "trends-390x844-full.png")
        _assert_clean(page, errors, external)
    finally:
        page.close()
