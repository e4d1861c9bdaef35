"""Shared fixtures of the end-to-end browser tests: the real ``streamlit run`` server, headless Chromium.

Each page has its own test module (test_browser_pages, test_map_browser, ...); screenshots go to
``test-artifacts/`` (git-ignored) for a human to look at.
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


def _assert_clean(page, watch: PageWatch) -> None:
    body = page.locator("body").inner_text()
    assert "Traceback" not in body
    assert "Error" not in body, body[:2000]
    assert not watch.errors, watch.errors
    assert not watch.external, f"the dashboard reached out to the network: {watch.external}"
