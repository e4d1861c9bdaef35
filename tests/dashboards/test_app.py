"""The Streamlit app run headless with AppTest against the published demo app database."""

from __future__ import annotations

import json
import os
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
TIMEOUT = 120


def _query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _months(db: Path) -> list[date]:
    rows = _query(db, "SELECT DISTINCT month FROM marts.me_monthly_by_area ORDER BY month")
    return [row[0] for row in rows]


@pytest.fixture
def app(demo_app_db: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The app, pointed at the demo database and run once."""
    monkeypatch.setenv("ODW_APP_DB", str(demo_app_db))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    # The Overview is the default page; these tests are about the Map.
    return at.switch_page(str(APP.parent / "app_pages" / "map.py")).run()


@pytest.fixture
def region(demo_app_db: Path) -> str:
    """The region label the pipeline published."""
    return _query(demo_app_db, "SELECT region_label FROM marts.publication")[0][0]


@pytest.fixture
def threshold(demo_app_db: Path) -> int:
    """The suppression threshold the pipeline published with."""
    return _query(demo_app_db, "SELECT suppress_below FROM marts.publication")[0][0]


def _area_line(at: AppTest, area: str) -> str:
    """The count line of ``area``'s map tooltip (the map's area layer comes first)."""
    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    (feature,) = [f for f in deck["layers"][0]["data"]["features"] if f["properties"]["community_area"] == area]
    return feature["properties"]["line1"]


def test_map_page_renders_without_exception(app: AppTest, region: str) -> None:
    assert not app.exception
    assert not app.error
    assert app.title[0].value == f"Map: {region}"
    assert app.get("deck_gl_json_chart"), "the map is missing"
    assert [b.label for b in app.download_button][:2] == ["Map (PNG)", "Areas (CSV)"]


def test_rate_fill_shows_rates(app: AppTest) -> None:
    app.selectbox(key="map_fill").set_value("rate").run()
    assert not app.exception
    assert any("per 100,000" in md.value for md in app.markdown)
    app.session_state["map_area_table"] = True  # open the table under the map
    table = app.run().dataframe[0].value
    assert table["rate_per_100k_per_year"].notna().any()


def test_synthetic_badge_and_provisional_note(app: AppTest, demo_app_db: Path) -> None:
    ((is_synthetic,),) = _query(demo_app_db, "SELECT is_synthetic FROM marts.source_freshness")
    text = " ".join(str(el.value) for el in [*app.markdown, *app.caption])
    assert ("Synthetic demo data" in text) == bool(is_synthetic)
    ((provisional,),) = _query(
        demo_app_db, "SELECT count(DISTINCT month) FROM marts.me_monthly_by_area WHERE is_provisional"
    )
    if provisional:
        assert "are provisional (toxicology pending)" in text


def test_about_page_lists_source_and_freshness(app: AppTest, demo_app_db: Path) -> None:
    app.switch_page(str(APP.parent / "app_pages" / "about.py")).run()
    assert not app.exception
    text = " ".join(md.value for md in app.markdown)
    ((label, rows),) = _query(demo_app_db, "SELECT label, row_count FROM marts.source_freshness")
    assert label in text and f"{rows:,}" in text


def test_a_new_publish_is_picked_up_without_restart(
    demo_app_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = tmp_path / "app.duckdb"
    shutil.copy(demo_app_db, published)
    monkeypatch.setenv("ODW_APP_DB", str(published))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at.switch_page(str(APP.parent / "app_pages" / "map.py")).run()
    months = _months(published)
    ((number, area),) = _query(
        published,
        """SELECT community_area_number, community_area FROM marts.overdose_deaths_monthly
           WHERE drug = 'all' AND in_region AND month BETWEEN ? AND ?
           GROUP BY ALL ORDER BY sum(deaths) DESC LIMIT 1""",
        [months[max(0, len(months) - 12)], months[-1]],
    )
    before = int(_area_line(at, area).rsplit(": ", 1)[1].replace(",", ""))

    # Publish the way the pipeline does: write a new file, then swap it in atomically.
    staging = tmp_path / "app.duckdb.new"
    shutil.copy(published, staging)
    with duckdb.connect(str(staging)) as con:
        con.execute(
            """INSERT INTO marts.overdose_deaths_monthly
               SELECT * REPLACE (10 AS deaths) FROM marts.overdose_deaths_monthly
               WHERE drug = 'all' AND community_area_number = $area AND month = (
                   SELECT max(month) FROM marts.overdose_deaths_monthly
                   WHERE drug = 'all' AND community_area_number = $area)
               LIMIT 1""",
            {"area": number},
        )
    os.replace(staging, published)

    at.run()
    assert not at.exception
    assert _area_line(at, area) == f"All overdose deaths: {before + 10:,}"


def test_missing_database_shows_a_friendly_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ODW_APP_DB", str(tmp_path / "not-published-yet.duckdb"))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert len(at.error) == 1
    assert "make pipeline" in at.error[0].value
    assert not at.get("deck_gl_json_chart")


def test_unreadable_database_shows_a_friendly_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "app.duckdb"
    broken.write_bytes(b"this is not a duckdb file")
    monkeypatch.setenv("ODW_APP_DB", str(broken))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert "make pipeline" in at.error[0].value
