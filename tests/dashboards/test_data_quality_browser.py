"""End-to-end: the Data quality page in headless Debian Chromium at 1280x720 and phone width.

The real ``streamlit run`` server reads the demo publication and the demo run's Dagster history.
The page loads with no exception or console error and reaches nothing off the host; the check
summary, the quarantine chart and the tables draw; screenshots go to ``test-artifacts/``.
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
def server(demo_pipeline, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``streamlit run dashboards/app.py`` on a free local port: demo publication and run history."""
    port = _free_port()
    log = tmp_path_factory.mktemp("streamlit_quality") / "server.log"
    env = {
        **os.environ,
        "ODW_APP_DB": str(demo_pipeline.app_db),
        "DAGSTER_HOME": str(demo_pipeline.dagster_home),
    }
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
    """One headless Chromium for the module."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def _open_quality_page(browser, url: str, width: int, height: int):
    """The app's front page, then Data quality through the sidebar (as a user gets there: a deep
    link makes Streamlit's frontend probe ``/data-quality/_stcore/*`` first, 404s in the console)."""
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    external: list[str] = []
    host = urlparse(url).hostname
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))

    def _request(request) -> None:
        parsed = urlparse(request.url)
        if parsed.scheme in {"http", "https", "ws", "wss"} and parsed.hostname != host:
            external.append(request.url)

    page.on("request", _request)
    page.goto(url, wait_until="domcontentloaded")
    nav = page.get_by_test_id("stSidebarNav")
    if width < 700:  # the sidebar starts collapsed on a phone
        page.get_by_test_id("stExpandSidebarButton").click()
    nav.get_by_text("Data quality").click()
    page.get_by_text("Asset checks").first.wait_for(timeout=120_000)
    page.locator("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg").first.wait_for(
        state="attached", timeout=120_000
    )
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000
    )
    page.wait_for_timeout(1_500)
    return page, errors, external


def _full_screenshot(page, path: Path) -> None:
    """The whole page (Streamlit scrolls inside ``stMain``, so the viewport grows to its height)."""
    width = page.viewport_size["width"]
    height = page.evaluate(
        "() => Math.ceil(document.querySelector('[data-testid=\"stMain\"]').scrollHeight)"
    )
    page.set_viewport_size({"width": width, "height": min(height, 8_000)})
    page.wait_for_timeout(1_500)
    page.screenshot(path=path)


def _assert_clean(page, errors: list[str], external: list[str]) -> None:
    assert "Traceback" not in page.locator("body").inner_text()
    assert page.get_by_test_id("stException").count() == 0
    assert not errors, errors
    assert not external, f"the dashboard reached out to the network: {external}"


def test_desktop_view(server: str, browser, demo_pipeline) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with duckdb.connect(str(demo_pipeline.app_db), read_only=True) as con:
        checks = con.execute("SELECT count(*) FROM marts.asset_checks").fetchall()[0][0]
    page, errors, external = _open_quality_page(browser, server, 1280, 720)
    try:
        assert page.get_by_text(f"All {checks} checks passed").is_visible()
        page.screenshot(path=ARTIFACTS / "data-quality-1280x720.png")
        # Opening the full check list draws its table.
        expander = page.get_by_test_id("stExpander").filter(has_text=f"All {checks} checks")
        assert not expander.get_by_test_id("stDataFrame").is_visible()
        expander.get_by_text(f"All {checks} checks", exact=True).click()
        expander.get_by_test_id("stDataFrame").wait_for(state="visible", timeout=30_000)
        _full_screenshot(page, ARTIFACTS / "data-quality-1280x720-full.png")
        _assert_clean(page, errors, external)
    finally:
        page.close()


def test_phone_view(server: str, browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page, errors, external = _open_quality_page(browser, server, 390, 844)
    try:
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"page is {overflow}px wider than the phone"
        page.screenshot(path=ARTIFACTS / "data-quality-390x844.png")
        _full_screenshot(page, ARTIFACTS / "data-quality-390x844-full.png")
        _assert_clean(page, errors, external)
    finally:
        page.close()
