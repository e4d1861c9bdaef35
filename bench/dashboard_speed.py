"""Dashboard speed: first render and filter-interaction latency of every page, in a real browser.

Starts the real app (``streamlit run dashboards/app.py``) on a free local port against an app
database, drives headless Debian Chromium with Playwright and measures, per page:

* **first render** — navigation start → the Streamlit script has finished (``stApp`` reports
  ``data-test-script-state="notRunning"``) and the page's title is on screen; a fresh browser
  context (new session, empty browser cache: a first-ever visit) per repetition, with the time
  until Streamlit's front end is connected (its web socket open — fixed cost of Streamlit itself,
  before any page code runs);
* **returning visitor** — the same, in a new tab of a browser that has opened the dashboard
  before (Streamlit's scripts cached: they are served as immutable);
* **page switch** — in one session, a click on the page in the sidebar navigation → the same
  condition: a page's first render for someone already on the dashboard;
* **interaction** — a shared-filter change in the sidebar (choose a community area, then reset)
  → the rerun it triggers has finished.

* **Streamlit's floor** — the first render, timed in turn with the dashboard's pages, of the
  pages of a reference app with nothing of the dashboard (``bench/reference_app``): a title; a
  title and a one-point pydeck map; a title and a three-point Vega-Lite chart. Machine speed
  drifts from minute to minute, so only figures timed side by side are compared.

Each series (a round of first renders, a page's interactions, the page switches) runs in a new
Chromium process. It also times the cached query functions without their cache (``cache_data``
cleared first).
Prints median and 95th percentile tables (Markdown). Targets (issue #6): first render < 2 s,
interactions < 500 ms, on the demo data.

    .venv/bin/python bench/dashboard_speed.py --app-db data/app.duckdb --reps 5
    make dashboard-speed
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from itertools import zip_longest
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

APP = ROOT / "dashboards" / "app.py"
#: Streamlit's floor: a reference app with nothing of the dashboard (see its docstring).
REFERENCE_APP = ROOT / "bench" / "reference_app" / "app.py"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
FIRST_RENDER_TARGET_MS = 2000
INTERACTION_TARGET_MS = 500
#: Area chosen in the interaction test (a West Side area present in every demo database).
INTERACTION_AREA = "Austin"

# Records every change of the script state with its time, so a rerun too quick to be caught by
# polling is still seen.
_OBSERVER_JS = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  window.__odwStates = [[performance.now(), app.getAttribute('data-test-script-state')]];
  new MutationObserver(() => window.__odwStates.push(
      [performance.now(), app.getAttribute('data-test-script-state')]
  )).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}
"""
_RENDERED_JS = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const main = document.querySelector('[data-testid="stMain"]');
  return app && app.getAttribute('data-test-script-state') === 'notRunning'
      && main && main.querySelector('h1') !== null
      && !document.querySelector('[data-testid="stSkeleton"]');
}
"""
_SOCKET_JS = """
const _OdwSocket = window.WebSocket;
window.WebSocket = function (...args) {
  const socket = new _OdwSocket(...args);
  socket.addEventListener('open', () => { window.__odwSocketOpen = window.__odwSocketOpen || performance.now(); });
  return socket;
};
window.WebSocket.prototype = _OdwSocket.prototype;
Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
"""
_RERUN_DONE_JS = """
(t0) => {
  const states = window.__odwStates || [];
  const ran = states.findIndex(([t, s]) => t >= t0 && s === 'running');
  if (ran < 0) return false;
  return states.slice(ran).some(([t, s]) => s === 'notRunning');
}
"""


def pages() -> list[tuple[str, str]]:
    """(title, URL path) of every page app.py registers (its file exists); the first is ``/``."""
    specs = re.findall(
        r'\(\s*"([a-z_]+\.py)",\s*"([^"]+)",\s*"[^"]*",\s*"([a-z-]+)"\s*\)', APP.read_text()
    )
    out = []
    for file_name, title, url_path in specs:
        if (APP.parent / "app_pages" / file_name).exists():
            out.append((title, "/" if not out else f"/{url_path}"))
    return out


def reference_pages() -> list[tuple[str, str]]:
    """(title, URL path) of the reference app's pages, read from its ``st.Page`` calls; the
    default page is ``/``."""
    specs = re.findall(
        r'st\.Page\(HERE / "[a-z_]+\.py", title="([^"]+)", url_path="([a-z-]+)"(, default=True)?\)',
        REFERENCE_APP.read_text(),
    )
    return [(title, "/" if default else f"/{url_path}") for title, url_path, default in specs]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(app_db: Path, port: int, log: Path, app: Path = APP) -> subprocess.Popen:
    """``streamlit run app`` from the repository root (its ``.streamlit`` settings), once healthy."""
    env = {**os.environ, "ODW_APP_DB": str(app_db)}
    out = log.open("wb")
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", str(app),
            "--server.port", str(port), "--server.address", "127.0.0.1",
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
        ],
        cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise TimeoutError("streamlit did not start within 90 s")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def launch(pw):
    """A new headless Chromium process (Debian's, never a downloaded one)."""
    return pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def _rendered_at(page, url: str) -> float:
    """Open ``url`` in ``page``; the page's clock (ms since navigation start) once it has rendered."""
    page.goto(url, wait_until="commit")
    page.wait_for_function(_RENDERED_JS, timeout=60_000, polling=10)
    return page.evaluate("() => performance.now()")


def first_render_ms(browser, url: str) -> tuple[float, float]:
    """Navigation start → script finished and title shown, in a new session; and navigation start
    → Streamlit's front end connected (its web socket open), the part no page code takes part in."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    context.add_init_script(_SOCKET_JS)
    page = context.new_page()
    try:
        return _rendered_at(page, url), page.evaluate("() => window.__odwSocketOpen || 0")
    finally:
        context.close()


def returning_render_ms(browser, url: str, reps: int) -> list[float]:
    """Navigation start → script finished and title shown, in a new session (a new tab) of a
    browser that has opened the dashboard before: Streamlit serves its scripts as immutable for a
    year, so a returning visitor's browser has them cached (and compiled). The first visit, which
    fills that cache, is not counted."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        times = []
        for _ in range(reps + 1):
            page = context.new_page()
            times.append(_rendered_at(page, url))
            page.close()
        return times[1:]
    finally:
        context.close()


_PAGE_RUN = re.compile(r"page \S+ ran in (\d+) ms")


def page_switch_ms(
    browser, base: str, page_paths: list[tuple[str, str]], reps: int, server_log: Path
) -> dict[str, list[tuple[float, float]]]:
    """In one session, click each page in the sidebar navigation → its script finished and title
    shown: a page's first render for someone already using the dashboard. Each sample is (browser
    ms, server ms): the latter is what the server's page runs for that click took, read from the
    app's "page … ran in … ms" log lines."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    out: dict[str, list[tuple[float, float]]] = {title: [] for title, _path in page_paths}
    try:
        page.goto(base + "/", wait_until="commit")
        page.wait_for_function(_RENDERED_JS, timeout=60_000, polling=50)
        page.evaluate(_OBSERVER_JS)
        nav = page.get_by_test_id("stSidebarNav")
        # Start on the first page, so each click goes to another page (a click on the current
        # page does not rerun); one round visits every page once, ending on the first.
        order = [*page_paths[1:], page_paths[0]]
        for _ in range(reps):
            for title, path in order:
                link = nav.get_by_role("link", name=re.compile(f"^{re.escape(title)}$"))
                logged = server_log.stat().st_size
                t0 = page.evaluate("() => performance.now()")
                link.click()
                # The click must have reached this page's link (not a neighbour moved by a redraw
                # of the sidebar: that fails the series), then its run must finish.
                page.wait_for_url(lambda url, path=path: urlparse(url).path == path, timeout=30_000)
                try:
                    page.wait_for_function(_RERUN_DONE_JS, arg=t0, timeout=20_000, polling=5)
                except PlaywrightTimeout:
                    # Now and then (also before the pages had tabs) the browser shows no run for a
                    # click although the page changed: the sample is dropped (the table's n says
                    # so) and reported, so a series is not lost for it.
                    states = page.evaluate("() => window.__odwStates.slice(-3)")
                    print(f"note: no rerun seen after clicking {title!r} at {t0:.0f} ms on {page.url}: {states}; "
                          "sample dropped", file=sys.stderr)
                    continue
                page.wait_for_function(_RENDERED_JS, timeout=30_000, polling=10)
                browser_ms = page.evaluate("() => performance.now()") - t0
                time.sleep(0.2)  # let the server flush its log line
                with server_log.open("rb") as fh:
                    fh.seek(logged)
                    runs = _PAGE_RUN.findall(fh.read().decode("utf-8", "replace"))
                out[title].append((browser_ms, float(sum(int(ms) for ms in runs))))
        return out
    finally:
        context.close()


def _await_rerun(page, action: Callable[[], None]) -> float:
    t0 = page.evaluate("() => performance.now()")
    action()
    page.wait_for_function(_RERUN_DONE_JS, arg=t0, timeout=30_000, polling=5)
    states = page.evaluate("() => window.__odwStates")
    ran = next(i for i, (t, s) in enumerate(states) if t >= t0 and s == "running")
    done = next(t for t, s in states[ran:] if s == "notRunning")
    return done - t0


def interaction_ms(browser, url: str, reps: int) -> list[float] | None:
    """Choose an area in the sidebar / reset the filters, ``reps`` times each; None if the page
    has no area filter."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        page.goto(url, wait_until="commit")
        page.wait_for_function(_RENDERED_JS, timeout=60_000, polling=50)
        sidebar = page.get_by_test_id("stSidebar")
        areas = sidebar.get_by_test_id("stMultiSelect")
        if areas.count() == 0:
            return None
        page.evaluate(_OBSERVER_JS)
        timings = []
        for _ in range(reps):
            areas.first.locator("input").click()
            page.keyboard.type(INTERACTION_AREA)
            option = page.get_by_role("option", name=re.compile(INTERACTION_AREA))
            option.first.wait_for(timeout=10_000)
            timings.append(_await_rerun(page, option.first.click))
            # Close the drop-down so the next click reaches the button.
            page.keyboard.press("Escape")
            page.get_by_test_id("stMain").locator("h1").first.click()
            page.wait_for_function(_RENDERED_JS, timeout=30_000, polling=10)
            reset = sidebar.get_by_role("button", name=re.compile("Reset filters"))
            timings.append(_await_rerun(page, reset.click))
            page.wait_for_function(_RENDERED_JS, timeout=30_000, polling=10)
        return timings
    finally:
        context.close()


def query_timings(app_db: Path, reps: int) -> dict[str, list[float]]:
    """Milliseconds per call of each cached loader with its cache cleared (a cold read)."""
    logging.getLogger("streamlit.runtime.caching.cache_data_api").setLevel(logging.ERROR)
    from dashboards.components import data
    from dashboards.components import overview_loaders

    version = data.db_version(app_db)
    loaders = {
        "data.load_community_areas": data.load_community_areas,
        "data.load_monthly": data.load_monthly,
        "data.load_publication": data.load_publication,
        "data.load_freshness": data.load_freshness,
        "data.load_filter_options": data.load_filter_options,
        "overview_loaders.load_area_deaths": overview_loaders.load_area_deaths,
        "overview_loaders.load_outreach": overview_loaders.load_outreach,
        "overview_loaders.load_sources": overview_loaders.load_sources,
        "overview_loaders.load_hotspot_detail": overview_loaders.load_hotspot_detail,
    }
    out: dict[str, list[float]] = {}
    for name, loader in loaders.items():
        times = []
        for _ in range(reps):
            loader.clear()
            start = time.perf_counter()
            loader(version)
            times.append((time.perf_counter() - start) * 1000)
        out[name] = times
    return out


def p95(values: list[float]) -> float:
    """The 95th percentile by nearest rank: the ⌈0.95·n⌉-th smallest value."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _row(name: str, values: list[float] | None, target: float | None) -> str:
    if values is None:
        return f"| {name} | — | — | — | no area filter |"
    if not values:
        return f"| {name} | 0 | — | — | no sample kept |"
    med, high = statistics.median(values), p95(values)
    verdict = "" if target is None else ("ok" if high < target else f"over {target:.0f} ms")
    return f"| {name} | {len(values)} | {med:,.0f} | {high:,.0f} | {verdict} |"


def first_render_table(first_column: str, renders: dict[str, list[tuple[float, float]]]) -> list[str]:
    """Markdown rows of first renders: (total, connected) per visit, the first visit cold."""
    lines = [
        f"| {first_column} | n | median | p95 | target < 2,000 ms | cold | connected |",
        "|---|---:|---:|---:|---|---:|---:|",
    ]
    for title, values in renders.items():
        cold, warm = values[0], values[1:]
        connected = statistics.median(socket for _total, socket in warm)
        lines.append(
            _row(title, [total for total, _socket in warm], FIRST_RENDER_TARGET_MS)
            + f" {cold[0]:,.0f} | {connected:,.0f} |"
        )
    return lines


def first_renders(
    pw, sites: list[tuple[str, list[tuple[str, str]]]], reps: int
) -> list[dict[str, list[tuple[float, float]]]]:
    """``reps`` + 1 first renders (the first one cold) of every page of every site (base URL,
    pages), per site in that order.

    The sites' pages are visited in turn — a round visits each page once, alternating between the
    sites, the order reversed every other round — so that pages compared with each other are timed
    while the machine is equally busy (its speed drifts from minute to minute). Each round runs
    in a new browser process, so that what closed pages leave behind (WebGL contexts in the
    software GPU process) does not pile up.
    """
    queues = [[(n, title, base + path) for title, path in page_paths] for n, (base, page_paths) in enumerate(sites)]
    visits = [visit for group in zip_longest(*queues) for visit in group if visit is not None]
    renders: list[dict[str, list[tuple[float, float]]]] = [{title: [] for title, _ in pp} for _base, pp in sites]
    for round_number in range(reps + 1):
        with launch(pw) as chromium:
            for n, title, url in visits if round_number % 2 == 0 else visits[::-1]:
                renders[n][title].append(first_render_ms(chromium, url))
    return renders


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app-db", type=Path, help="app database (default: the configured one)")
    parser.add_argument("--reps", type=int, default=5, help="repetitions per measurement")
    parser.add_argument("--port", type=int, default=0, help="port for streamlit (default: a free one)")
    args = parser.parse_args(argv)
    if args.app_db is None:
        from pipelines.settings import load_settings

        args.app_db = load_settings().app_db
    app_db = args.app_db.resolve()
    if not app_db.exists():
        parser.error(f"{app_db} does not exist: run `make demo-data pipeline` first")

    from playwright.sync_api import sync_playwright

    port = args.port or free_port()
    log = Path(f"/tmp/dashboard_speed_{port}.log")
    server = start_server(app_db, port, log)
    base = f"http://127.0.0.1:{port}"
    returning: dict[str, list[float]] = {}
    interact: dict[str, list[float] | None] = {}
    try:
        with sync_playwright() as pw:
            # Streamlit's floor (the reference app) timed in turn with the dashboard's pages.
            reference_port = free_port()
            reference_server = start_server(
                app_db, reference_port, Path(f"/tmp/dashboard_speed_reference_{reference_port}.log"), REFERENCE_APP
            )
            try:
                render, reference = first_renders(
                    pw, [(base, pages()), (f"http://127.0.0.1:{reference_port}", reference_pages())], args.reps
                )
            finally:
                stop_server(reference_server)
            for title, path in pages():
                with launch(pw) as chromium:
                    returning[title] = returning_render_ms(chromium, base + path, args.reps)
                with launch(pw) as chromium:
                    interact[title] = interaction_ms(chromium, base + path, args.reps)
            with launch(pw) as chromium:
                switch = page_switch_ms(chromium, base, pages(), args.reps, log)
    finally:
        stop_server(server)

    print(f"Dashboard speed — {app_db}, {args.reps} repetitions, Chromium 1280×720, 127.0.0.1\n")
    print(
        "First render in a new browser session (navigation → script finished, title shown), ms; "
        "cold = first visit after the server started; 'connected' = median time until Streamlit's "
        "own front end has loaded and opened its web socket, before any page code runs:\n"
    )
    print("\n".join(first_render_table("Page", render)))
    print(
        "\nFirst render in a new session of a returning visitor (a new tab; Streamlit's scripts "
        "already in the browser's cache from an earlier visit), ms:\n"
    )
    print("| Page | n | median | p95 | target < 2,000 ms |")
    print("|---|---:|---:|---:|---|")
    for title, values in returning.items():
        print(_row(title, values, FIRST_RENDER_TARGET_MS))
    print(
        "\nFirst render of a page from another page (sidebar click → script finished, title shown), "
        "ms; 'server' = median time the server spent running the page for that click:\n"
    )
    print("| Page | n | median | p95 | target < 2,000 ms | server |")
    print("|---|---:|---:|---:|---|---:|")
    for title, values in switch.items():
        server = f"{statistics.median(ms for _browser, ms in values):,.0f}" if values else "—"
        print(_row(title, [ms for ms, _server in values], FIRST_RENDER_TARGET_MS) + f" {server} |")
    print("\nFilter interaction (choose an area / reset → rerun finished), ms:\n")
    print("| Page | n | median | p95 | target < 500 ms |")
    print("|---|---:|---:|---:|---|")
    for title, values in interact.items():
        print(_row(title, values, INTERACTION_TARGET_MS))
    print(
        "\nStreamlit's floor — the same first render, timed in turn with the dashboard's pages, of "
        "a reference app with nothing of the dashboard (bench/reference_app): what Streamlit, a "
        "pydeck map and a Vega-Lite chart cost on this machine by themselves, ms:\n"
    )
    print("\n".join(first_render_table("Reference page", reference)))
    print("\nUncached queries (cache cleared before each call), ms:\n")
    print("| Query | n | median | p95 | |")
    print("|---|---:|---:|---:|---|")
    for name, values in query_timings(app_db, args.reps).items():
        print(_row(name, values, None))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
