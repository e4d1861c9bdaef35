"""What every end-to-end browser test shares: the real ``streamlit run`` server, headless Debian
Chromium, a watch on console errors and off-host requests, and screenshots.

Screenshots go to ``test-artifacts/`` (git-ignored) for a human to look at. A defined set of them,
:data:`DOCS_SCREENSHOTS`, is also written to ``docs/assets/screenshots/`` (tracked): the pictures
of the docs site and the README, so they show the dashboard as the tests last saw it.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest
from PIL import Image, ImageChops

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DOCS_SCREENSHOTS_DIR = ROOT / "docs" / "assets" / "screenshots"
#: Every screenshot the docs show (``docs/assets/screenshots/<name>.png``), with the test module
#: that takes it. Each is the viewport of a projector, :data:`DOCS_VIEWPORT`, on the demo data.
DOCS_SCREENSHOTS = {
    "overview": "test_browser_pages.py",
    "map": "test_map_browser.py",
    "map-hexagons": "test_map_browser.py",
    "map-selected": "test_map_browser.py",
    "trends": "test_trends_browser.py",
    "trends-year-over-year": "test_trends_browser.py",
    "field-data": "test_browser_pages.py",
    "data-quality": "test_data_quality_browser.py",
    "next-week": "test_next_week_browser.py",
    "submit-field-data": "test_submit_browser.py",
    "reports": "test_browser_pages.py",
    "about": "test_browser_pages.py",
}
DOCS_VIEWPORT = {"width": 1280, "height": 720}
#: A new docs screenshot replaces the tracked one only when more than this share of its pixels
#: changed: a rerun that moves nothing but the refresh times (up to 0.4 % of the pixels, on Data
#: quality) leaves the file (and git) alone; a changed card or chart moves far more.
DOCS_REWRITE_ABOVE = 0.01

#: ``pytestmark`` of every browser-test module.
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) is not installed"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 90) -> None:
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


@contextmanager
def streamlit_server(log_dir: Path, *, options: tuple[str, ...] = (), **env: str) -> Iterator[str]:
    """``streamlit run dashboards/app.py`` on a free local port with ``env`` added (and Streamlit
    command-line ``options``, e.g. ``("--secrets.files", path)``); yields its URL.

    The file watcher is off: its "File change" notice would share the status area tests wait on.
    On exit the server log must hold no traceback.
    """
    port = free_port()
    log = log_dir / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboards" / "app.py"),
                "--server.headless", "true", "--server.port", str(port),
                "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
                "--server.fileWatcherType", "none", *options,
            ],
            cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, proc)
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


@contextmanager
def chromium() -> Iterator:
    """One headless Debian Chromium (never a downloaded browser)."""
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


def settle(page) -> None:
    """Wait until the script run is over (the script state, not the status widget)."""
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stApp\"]')"
        "?.getAttribute('data-test-script-state') === 'notRunning'",
        timeout=90_000,
    )


def full_screenshot(page, path: Path) -> None:
    """The whole page: Streamlit scrolls inside ``stMain``, so the viewport grows to its height
    (Playwright's ``full_page`` would stop at the fold), then returns to its size."""
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    full = page.evaluate("() => Math.ceil(document.querySelector('[data-testid=\"stMain\"]').scrollHeight)")
    page.set_viewport_size({"width": width, "height": min(full, 8_000)})
    page.wait_for_timeout(1_500)
    page.screenshot(path=path)
    page.set_viewport_size({"width": width, "height": height})


def assert_clean(page, errors: list[str], external: list[str], forbidden: tuple[str, ...] = ("Traceback",)) -> None:
    """No exception on the page, no console error, no request leaving localhost."""
    body = page.locator("body").inner_text()
    for text in forbidden:
        assert text not in body, body[:2000]
    assert page.get_by_test_id("stException").count() == 0
    assert not errors, errors
    assert not external, f"the dashboard reached out to the network: {external}"


def compact_png(png: bytes) -> Image.Image:
    """A screenshot as a 256-colour image: a third of the bytes, and the page's flat colours and
    text come through unchanged (no dithering)."""
    with Image.open(io.BytesIO(png)) as image:
        return image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)


def changed_share(old: Path, new: Image.Image) -> float:
    """Share of pixels that differ between the image in ``old`` and ``new`` (1.0 when the sizes differ)."""
    with Image.open(old) as previous:
        before, after = previous.convert("RGB"), new.convert("RGB")
    if before.size != after.size:
        return 1.0
    differing = ImageChops.difference(before, after).convert("L").point(lambda v: 255 if v else 0)
    return differing.histogram()[255] / (after.width * after.height)


def docs_screenshot(page, name: str) -> Path:
    """Screenshot the viewport as the docs picture ``name`` (one of :data:`DOCS_SCREENSHOTS`).

    Also kept in ``test-artifacts/``. The tracked file is rewritten only when the page looks
    different (:data:`DOCS_REWRITE_ABOVE`).
    """
    assert name in DOCS_SCREENSHOTS, f"declare {name!r} in DOCS_SCREENSHOTS"
    assert page.viewport_size == DOCS_VIEWPORT, page.viewport_size
    png = page.screenshot()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"docs-{name}.png").write_bytes(png)
    image = compact_png(png)
    path = DOCS_SCREENSHOTS_DIR / f"{name}.png"
    if not path.exists() or changed_share(path, image) > DOCS_REWRITE_ABOVE:
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path, format="PNG", optimize=True)
    return path
