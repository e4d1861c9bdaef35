"""The nowcast on the pages (AppTest on the demo's published database): the Overview's expected
counts, the Trends chart's expected line, the Map's period note, the Data quality backtest; and the
plain "needs more pulls" wording when the nowcast has not earned its place."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
PAGES = APP.parent / "app_pages"
TIMEOUT = 120


def _rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def _page(db: Path, monkeypatch: pytest.MonkeyPatch, page: str) -> AppTest:
    monkeypatch.setenv("ODW_APP_DB", str(db))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    if page != "overview.py":
        at = at.switch_page(str(PAGES / page)).run()
    assert not at.exception
    return at


def _texts(at: AppTest) -> str:
    return "\n".join([c.value for c in at.caption] + [m.value for m in at.markdown])


def test_overview_shows_expected_counts_of_the_provisional_months(demo_app_db, monkeypatch):
    shown = _rows(demo_app_db, "SELECT month, expected FROM marts.nowcast "
                               "WHERE geography = 'region' AND drug = 'all' AND shown ORDER BY month")
    assert len(shown) == 3
    at = _page(demo_app_db, monkeypatch, "overview.py")
    cards = {m.label: m.value for m in at.metric}
    for month, expected in shown:
        label = f"{month:%b %Y}, expected"
        assert cards[label] == f"≈ {round(expected):,}" if expected >= 10 else cards[label] == "≈ <10"
    reported = _rows(demo_app_db, "SELECT reported FROM marts.nowcast "
                                  "WHERE geography = 'region' AND drug = 'all' AND shown")
    captions = [c.value for c in at.caption if "expected ≈ " in c.value and "90% range" in c.value]
    assert len(captions) == 3
    # A provisional month of 1-9 deaths: the page's total of the provisional months would give it
    # back from the others' counts, so no month's count is repeated beside its expected count.
    if any(1 <= r < 10 for (r,) in reported):
        assert not any("so far" in c for c in captions)
    else:
        assert all(" so far; expected ≈ " in c for c in captions)


def test_trends_draws_the_expected_line_and_band(demo_app_db, monkeypatch):
    at = _page(demo_app_db, monkeypatch, "trends.py")
    at.session_state["trends_tab"] = "Over time"
    at = at.run()
    (chart, *_) = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    marks = json.dumps(json.loads(chart.proto.spec)).replace(" ", "")
    assert '"strokeDash":[2,3]' in marks
    assert any("expected once toxicology closes" in c.value for c in at.caption)


def test_map_period_note_names_the_expected_counts(demo_app_db, monkeypatch):
    at = _page(demo_app_db, monkeypatch, "map.py")
    assert any("expected once toxicology closes" in c.value for c in at.caption)


def test_data_quality_shows_the_backtest(demo_app_db, monkeypatch):
    at = _page(demo_app_db, monkeypatch, "data_quality.py")
    at.session_state["dq_section"] = "Medical Examiner"  # tabs are drawn only while open
    at = at.run()
    text = _texts(at)
    assert "Nowcast of the provisional months: backtest" in text
    assert "seeded from the portal's :created_at dates" in text
    assert "expected counts are **shown on the public pages**" in text


def test_without_history_the_pages_say_why_and_keep_the_shading(demo_app_db, monkeypatch, tmp_path):
    db = tmp_path / "app.duckdb"
    shutil.copy(demo_app_db, db)
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE marts.nowcast SET shown = false")
        con.execute("UPDATE marts.nowcast_status SET shown = false, vintages = 0, "
                    "reason = 'needs 12 months of pulls with complete counts to check it against (0 so far)'")
    at = _page(db, monkeypatch, "overview.py")
    assert not any(m.label.endswith(", expected") for m in at.metric)
    assert any("not shown yet: the nowcast needs 12 months of pulls" in c.value for c in at.caption)
    assert any(i.value.startswith("**Provisional data:**") for i in at.info)
