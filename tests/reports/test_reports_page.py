"""The "Meeting pack & e-blast" page run headless with AppTest on the demo pipeline's outputs."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
PAGE = "app_pages/reports.py"


@pytest.fixture
def page(demo_pipeline, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    for key in ("ODW_APP_DB", "ODW_OUTPUT_DIR", "ODW_WAREHOUSE"):
        monkeypatch.setenv(key, demo_pipeline.env[key])
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    return at.switch_page(PAGE).run()


def test_page_offers_the_latest_reports_and_previews_the_eblast(page: AppTest) -> None:
    assert not page.exception and not page.error
    assert page.title[0].value == "Meeting pack & e-blast"
    labels = [b.label for b in page.get("download_button")]
    assert labels == [
        "Download the deck (.pptx)", "Download the PDF",
        "Download the e-blast (.html)", "Download the plain text (.txt)",
    ]
    assert any("2026-10" in m.value for m in page.markdown)
    assert any("2026-10-19" in m.value for m in page.markdown)
    (preview,) = page.get("iframe")
    assert "West Side Overdose Watch" in preview.proto.srcdoc
    assert "data:image/png;base64," in preview.proto.srcdoc


def test_build_now_makes_a_pack_for_another_month_without_writing_files(page: AppTest, demo_pipeline) -> None:
    output = Path(demo_pipeline.env["ODW_OUTPUT_DIR"])
    before = sorted(p.name for p in output.rglob("*"))
    page.selectbox[0].select_index(1)  # the month before the latest
    page.button[0].click().run()
    assert not page.exception and not page.error
    assert any("overdose_watch_meeting_pack_2026-09" in s.value for s in page.success)
    labels = [b.label for b in page.get("download_button")]
    assert "Download the built deck (.pptx)" in labels and "Download the built PDF" in labels
    assert sorted(p.name for p in output.rglob("*")) == before
