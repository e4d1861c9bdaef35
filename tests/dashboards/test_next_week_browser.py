"""The Next week page in headless Chromium: a member signs in with the sidebar form and sees the
ranked places, the forecast map and the brief downloads; the docs screenshot is taken there."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from dashboards.components.access import hash_password
from tests.dashboards.browser_support import (
    BROWSER_MARKS,
    PageWatch,
    assert_clean,
    docs_screenshot,
    settle,
    streamlit_server,
)

pytestmark = BROWSER_MARKS
PASSWORD = "next-week-members"


@pytest.fixture(scope="module")
def member_server(demo_pipeline, demo_app_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard with a member password configured (a secrets file outside the project)."""
    folder = tmp_path_factory.mktemp("next_week_secrets")
    secrets = folder / "secrets.toml"
    secrets.write_text(f'[members]\npassword_hash = "{hash_password(PASSWORD, iterations=1_000)}"\n')
    with streamlit_server(
        folder, ODW_APP_DB=str(demo_app_db), ODW_OUTPUT_DIR=demo_pipeline.env["ODW_OUTPUT_DIR"],
        STREAMLIT_SECRETS_FILES=str(secrets),
    ) as url:
        yield url


def test_member_signs_in_and_sees_next_weeks_places(member_server, browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 720}, accept_downloads=True)
    watch = PageWatch(page, urlparse(member_server).hostname)
    # Opened from the sidebar, as a user would (a deep link makes Streamlit probe the page's own path).
    page.goto(member_server, wait_until="domcontentloaded")
    settle(page)
    page.get_by_test_id("stSidebarNav").get_by_text("Next week", exact=True).click()
    settle(page)
    assert page.get_by_text("Community areas", exact=True).count() >= 1  # the public view first
    page.get_by_text("Task-force member sign-in").click()
    page.get_by_label("Member password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Member mode").first.wait_for(timeout=60_000)
    settle(page)
    page.get_by_role("heading", name="Ranked places").wait_for(timeout=60_000)
    page.get_by_role("heading", name="Forecast map").wait_for(timeout=60_000)
    assert page.get_by_text("coverage gaps").count() >= 1
    page.get_by_role("heading", name="Forecast map").evaluate("h => h.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(2_500)  # deck.gl draws after the script run
    assert page.locator("canvas").count() >= 1
    docs_screenshot(page, "next-week")
    page.get_by_role("heading", name="Team briefs").scroll_into_view_if_needed()
    with page.expect_download() as download:
        page.get_by_role("button", name="Brief: all teams").click()
    assert download.value.suggested_filename.endswith("all_teams.pdf")
    assert_clean(page, watch.errors, watch.external)
