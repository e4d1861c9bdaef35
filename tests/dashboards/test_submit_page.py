"""The Submit field data page under AppTest: members only, the preview, Submit, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboards.components import access
from pipelines.defs.field_data.writing import csv_bytes

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
PASSWORD_HASH = access.hash_password("a long member password", iterations=1_000, salt=bytes(16))
HEADER = ["tested_on", "team", "community_area", "strip_type", "result"]
ROWS = [
    ["2026-10-05", "Submit Test Team", "Austin", "fentanyl", "positive"],
    ["2026-10-05", "Submit Test Team", "Austin", "xylazine", "pos?"],
]


def _app(demo_app_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, member: bool) -> AppTest:
    monkeypatch.setenv("ODW_APP_DB", str(demo_app_db))
    monkeypatch.setenv("ODW_RAW_DIR", str(tmp_path / "raw"))
    monkeypatch.setenv("ODW_REFUSED_DIR", str(tmp_path / "refused"))
    monkeypatch.delenv("ODW_DAGSTER_URL", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.secrets["members"] = {"password_hash": PASSWORD_HASH}
    if member:
        at.session_state["odw_member"] = True
    return at.run()


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_the_page_is_for_members_only(demo_app_db, tmp_path, monkeypatch) -> None:
    public = _app(demo_app_db, tmp_path, monkeypatch, member=False)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        public.switch_page("app_pages/submit_field_data.py")
    member = _app(demo_app_db, tmp_path, monkeypatch, member=True)
    member.switch_page("app_pages/submit_field_data.py").run()
    assert not member.exception and member.title[0].value == "Submit field data"
    assert member.file_uploader


def test_preview_then_submit(demo_app_db, tmp_path, monkeypatch) -> None:
    at = _app(demo_app_db, tmp_path, monkeypatch, member=True)
    at.switch_page("app_pages/submit_field_data.py").run()
    before = _files(tmp_path)
    at.file_uploader[0].upload("Week 41.csv", csv_bytes([HEADER, *ROWS]), "text/csv").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Data rows": "2", "Will load": "1", "Will be quarantined": "1"}
    (table,) = [d.value for d in at.dataframe if "Reason" in d.value.columns]
    assert table["Row"].to_list() == [3] and "result 'pos?'" in table["Reason"][0]
    assert _files(tmp_path) == before, "nothing saved before Submit"
    (submit,) = [b for b in at.button if b.label == "Submit"]
    at = submit.click().run()
    (saved,) = (tmp_path / "raw" / "test_strips").iterdir()
    assert saved.name.startswith("week-41__") and "__shared-password__" in saved.name
    assert any("Saved as" in s.value for s in at.success)
    assert any("file sensor" in m.value for m in at.markdown)


def test_refused_sheet_is_never_saved(demo_app_db, tmp_path, monkeypatch) -> None:
    at = _app(demo_app_db, tmp_path, monkeypatch, member=True)
    at.switch_page("app_pages/submit_field_data.py").run()
    sheet = csv_bytes([[*HEADER, "DOB"], *(r + ["1990-01-01"] for r in ROWS)])
    at.file_uploader[0].upload("dob.csv", sheet, "text/csv").run()
    assert "Refused — nothing was saved." in at.error[0].value and "looks like a birth date" in at.error[0].value
    assert not [b for b in at.button if b.label == "Submit"]
    assert not (tmp_path / "raw").exists() and not (tmp_path / "refused").exists()
