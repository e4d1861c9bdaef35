"""Submit field data, as a new user would, in headless Debian Chromium against the real server.

A member signs in, uploads a test-strip sheet with one bad row, sees what will load and the
quarantined row with its reason, submits it; the file is in the raw folder with a name saying who
sent it; after the field-data job's run the rows count on Test strips & outreach. A sheet with a
``client_name`` column is refused on screen and nothing is written anywhere. The docs picture
``submit-field-data`` is taken here.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import dagster as dg
import pytest

from dashboards.components import access
from pipelines.defs.field_data.writing import csv_bytes
from tests.conftest import PipelineRun, pipeline_env
from tests.dashboards.browser_support import BROWSER_MARKS, PageWatch, assert_clean, docs_screenshot, streamlit_server
from tests.dashboards.test_browser_pages import _kpi, _settle

pytestmark = BROWSER_MARKS

PASSWORD = "a long member password for the test"
GUESS_CEILING = 12
HEADER = ["tested_on", "team", "community_area", "substance_as_sold", "strip_type", "result", "sample_id"]
ROWS = [
    ["2026-10-05", "Submit Test Team", "Austin", "dope", "fentanyl", "positive", "SUB-1"],
    ["2026-10-05", "Submit Test Team", "Austin", "dope", "xylazine", "negative", "SUB-1"],
    ["2026-10-06", "Submit Test Team", "Austin", "crack", "fentanyl", "negative", "SUB-2"],
    ["2026-10-06", "Submit Test Team", "Austin", "crack", "xylazine", "pos?", "SUB-2"],  # the bad row
]


@pytest.fixture(scope="module")
def workspace(demo_pipeline: PipelineRun, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Copies of the demo warehouse, raw folders and app database, for this module to change."""
    root = tmp_path_factory.mktemp("submit")
    # A lower app-wide ceiling than the default 30 a minute, so a browser (slower than a script) reaches it.
    env = pipeline_env(root, ODW_SIGNIN_MAX_FAILURES_PER_MINUTE=str(GUESS_CEILING))
    shutil.copyfile(demo_pipeline.warehouse, env["ODW_WAREHOUSE"])
    shutil.copyfile(demo_pipeline.app_db, env["ODW_APP_DB"])
    shutil.copytree(demo_pipeline.env["ODW_RAW_DIR"], env["ODW_RAW_DIR"])
    secrets = root / "secrets.toml"
    secrets.write_text(f'[members]\npassword_hash = "{access.hash_password(PASSWORD, iterations=1_000)}"\n')
    env["_SECRETS"] = str(secrets)
    return env


@pytest.fixture(scope="module")
def member_server(workspace: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {k: v for k, v in workspace.items() if not k.startswith("_")}
    with streamlit_server(tmp_path_factory.mktemp("streamlit"), options=("--secrets.files", workspace["_SECRETS"]),
                          **env) as url:
        yield url


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _signed_in_page(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    watch = PageWatch(page, urlparse(url).hostname)
    page.goto(url, wait_until="domcontentloaded")
    _settle(page)
    page.get_by_text("Task-force member sign-in").click()
    page.get_by_label("Member password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Member mode").first.wait_for(timeout=60_000)
    _settle(page)
    return page, watch


def _open_submit_page(page) -> None:
    page.get_by_role("link", name="Submit field data").click()
    page.get_by_role("heading", name="Submit field data").wait_for(timeout=60_000)
    _settle(page)


def _tests_run(page) -> int:
    # Through the sidebar: a new page load would be a new session, signed out.
    page.get_by_role("link", name="Test strips & outreach").click()
    page.get_by_role("heading", name="Test strips & outreach").wait_for(timeout=60_000)
    _settle(page)
    return int(_kpi(page, "Tests run").replace(",", ""))


def test_a_member_submits_a_sheet_and_its_rows_load(member_server, browser, workspace, tmp_path) -> None:
    raw = Path(workspace["ODW_RAW_DIR"])
    page, watch = _signed_in_page(browser, member_server)
    before = _tests_run(page)
    _open_submit_page(page)
    sheet = tmp_path / "October strips.csv"
    sheet.write_bytes(csv_bytes([HEADER, *ROWS]))
    page.locator("input[type=file]").set_input_files(str(sheet))
    page.get_by_text("Rows that will not load").wait_for(timeout=60_000)
    _settle(page)
    assert _kpi(page, "Will load") == "3" and _kpi(page, "Will be quarantined") == "1"
    reason = page.get_by_test_id("stDataFrame").first
    assert reason.is_visible()
    body = page.locator("body").inner_text()
    assert "Read as csv" in body
    docs_screenshot(page, "submit-field-data")
    page.get_by_role("button", name="Submit").click()
    page.get_by_test_id("stAlertContentSuccess").wait_for(timeout=60_000)
    (saved,) = [p for p in (raw / "test_strips").iterdir() if p.name.startswith("october-strips__")]
    assert "__shared-password__" in saved.name and saved.read_bytes() == sheet.read_bytes()
    assert "file sensor" in page.locator("body").inner_text()
    assert_clean(page, watch.errors, watch.external)

    # The pipeline's field-data job (in process here; the sensor or "Load it now" in production).
    with pytest.MonkeyPatch.context() as mp:
        for key, value in workspace.items():
            if not key.startswith("_"):
                mp.setenv(key, value)
        from pipelines.definitions import defs

        result = defs().resolve_job_def("field_data_job").execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert result.success
    assert _tests_run(page) == before + 3
    page.close()


def test_a_sheet_with_a_client_name_column_is_refused_and_nothing_is_written(
    member_server, browser, workspace, tmp_path
) -> None:
    root = Path(workspace["ODW_WAREHOUSE"]).parent
    page, watch = _signed_in_page(browser, member_server)
    _open_submit_page(page)
    before = _files(root)
    sheet = tmp_path / "names.csv"
    sheet.write_bytes(csv_bytes([[*HEADER, "client_name"], *(r[:6] + ["SUB-9", "Jane Roe"] for r in ROWS[:2])]))
    page.locator("input[type=file]").set_input_files(str(sheet))
    page.get_by_text("Refused — nothing was saved.").wait_for(timeout=60_000)
    body = page.locator("body").inner_text()
    assert "column 'client_name' looks like a person's name" in body and "Jane Roe" not in body
    assert page.get_by_role("button", name="Submit").count() == 0
    assert _files(root) == before, "nothing written anywhere"
    assert_clean(page, watch.errors, watch.external)
    page.close()


def test_a_script_guessing_across_fresh_sessions_is_stopped_long_before_it_is_done(member_server, browser) -> None:
    """100 passwords planned over 20 fresh sessions (5 each) from this host: each session locks after
    5, and the app-wide ceiling (here 12 wrong passwords a minute) pauses sign-in for everyone. Last
    in the module: the pause would hold up the other tests' sign-ins for a minute."""
    tried, paused_at, messages = 0, None, []
    for session in range(20):
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(member_server, wait_until="domcontentloaded")
        _settle(page)
        page.get_by_text("Task-force member sign-in").click()
        for guess in range(5):
            page.get_by_label("Member password").fill(f"guess {session}-{guess}")
            page.get_by_role("button", name="Sign in").click()
            _settle(page)
            error = page.get_by_test_id("stAlertContentError").first
            error.wait_for(timeout=30_000)
            tried += 1
            messages.append(error.inner_text())
            if "paused for everyone" in messages[-1]:
                paused_at = tried
                break
        page.close()
        if paused_at:
            break
    assert paused_at == GUESS_CEILING, messages
    # Each session was locked after its own 5 wrong passwords before that.
    assert sum("locked for" in m for m in messages) == GUESS_CEILING // 5
    # Now even the right password is refused unchecked, from a fresh session.
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(member_server, wait_until="domcontentloaded")
    _settle(page)
    page.get_by_text("Task-force member sign-in").click()
    page.get_by_label("Member password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    _settle(page)
    assert "paused for everyone" in page.get_by_test_id("stAlertContentError").first.inner_text()
    assert page.get_by_text("Public view").count() >= 1
    page.close()
