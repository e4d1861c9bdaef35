"""The Streamlit app run headless with AppTest against the published demo app database."""

from __future__ import annotations

import json
import os
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipelines.defs.epidemiology.suppression import display_count

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
TIMEOUT = 120


def _query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _region_deaths(db: Path, start: date, end: date) -> int:
    ((deaths,),) = _query(
        db,
        """SELECT coalesce(sum(overdose_deaths), 0) FROM marts.me_monthly_by_area
           WHERE in_region AND month BETWEEN ? AND ?""",
        [start, end],
    )
    return int(deaths)


def _months(db: Path) -> list[date]:
    rows = _query(db, "SELECT DISTINCT month FROM marts.me_monthly_by_area ORDER BY month")
    return [row[0] for row in rows]


def _kpi(at: AppTest, region: str) -> str:
    (metric,) = [m for m in at.metric if m.label == f"All overdose deaths, {region}"]
    return metric.value


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


def test_map_page_renders_without_exception(app: AppTest, region: str) -> None:
    assert not app.exception
    assert not app.error
    assert app.title[0].value == f"{region} overdose deaths"
    assert app.get("deck_gl_json_chart"), "the map is missing"
    assert app.get("arrow_vega_lite_chart") or app.get("vega_lite_chart"), "the trend chart is missing"
    assert len(app.download_button) == 2


def test_kpi_matches_the_warehouse_for_the_default_period(
    app: AppTest, demo_app_db: Path, region: str, threshold: int
) -> None:
    months = _months(demo_app_db)
    start, end = months[max(0, len(months) - 12)], months[-1]
    assert app.select_slider(key="period").value == (start, end)
    expected = display_count(_region_deaths(demo_app_db, start, end), threshold)
    assert _kpi(app, region) == expected


def test_changing_the_period_changes_the_kpi(
    app: AppTest, demo_app_db: Path, region: str, threshold: int
) -> None:
    months = _months(demo_app_db)
    before = _kpi(app, region)
    start, end = months[0], months[min(5, len(months) - 1)]
    app.select_slider(key="period").set_range(start, end).run()
    assert not app.exception
    after = _kpi(app, region)
    assert after == display_count(_region_deaths(demo_app_db, start, end), threshold)
    assert after != before


def test_one_month_shows_suppressed_small_areas(app: AppTest, demo_app_db: Path, threshold: int) -> None:
    months = _months(demo_app_db)
    small = _query(
        demo_app_db,
        """SELECT month, community_area FROM marts.me_monthly_by_area
           WHERE overdose_deaths BETWEEN 1 AND ? - 1 ORDER BY month DESC, community_area_number LIMIT 1""",
        [threshold],
    )
    assert small, "the demo data should have an area with 1-9 deaths in some month"
    month, area = small[0]
    assert month in months
    app.select_slider(key="period").set_range(month, month).run()
    assert not app.exception

    table = app.dataframe[0].value
    shown = dict(zip(table["community_area"], table["deaths"], strict=True))
    assert shown[area] == f"<{threshold}"
    row = table[table["community_area"] == area].iloc[0]
    assert pd.isna(row["rate_per_100k_per_year"])

    deck = json.loads(app.get("deck_gl_json_chart")[0].proto.json)
    features = deck["layers"][0]["data"]["features"]
    (feature,) = [f for f in features if f["properties"]["community_area"] == area]
    assert feature["properties"]["deaths_text"].endswith(f": <{threshold}")
    assert "not shown" in feature["properties"]["rate_text"]


def test_rate_metric_and_drug_switch(app: AppTest, region: str) -> None:
    app.segmented_control(key="metric").set_value("rate").run()
    app.selectbox(key="drug").set_value("fentanyl").run()
    assert not app.exception
    assert any(m.label == f"Fentanyl-involved deaths, {region}" for m in app.metric)
    assert any("per 100,000" in md.value for md in app.markdown)


def test_synthetic_badge_and_provisional_note(app: AppTest, demo_app_db: Path) -> None:
    ((is_synthetic,),) = _query(demo_app_db, "SELECT is_synthetic FROM marts.source_freshness")
    text = " ".join(str(el.value) for el in [*app.markdown, *app.caption])
    assert ("Synthetic demo data" in text) == bool(is_synthetic)
    ((provisional,),) = _query(
        demo_app_db, "SELECT count(DISTINCT month) FROM marts.me_monthly_by_area WHERE is_provisional"
    )
    if provisional:
        assert f"The last {provisional} months" in text and "toxicology pending" in text


def test_about_page_lists_source_and_freshness(app: AppTest, demo_app_db: Path) -> None:
    app.switch_page(str(APP.parent / "app_pages" / "about.py")).run()
    assert not app.exception
    text = " ".join(md.value for md in app.markdown)
    ((label, rows),) = _query(demo_app_db, "SELECT label, row_count FROM marts.source_freshness")
    assert label in text and f"{rows:,}" in text


def test_a_new_publish_is_picked_up_without_restart(
    demo_app_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, region: str, threshold: int
) -> None:
    published = tmp_path / "app.duckdb"
    shutil.copy(demo_app_db, published)
    monkeypatch.setenv("ODW_APP_DB", str(published))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at.switch_page(str(APP.parent / "app_pages" / "map.py")).run()
    before = int(_kpi(at, region).replace(",", ""))

    # Publish the way the pipeline does: write a new file, then swap it in atomically.
    staging = tmp_path / "app.duckdb.new"
    shutil.copy(published, staging)
    with duckdb.connect(str(staging)) as con:
        con.execute(
            """UPDATE marts.me_monthly_by_area SET overdose_deaths = overdose_deaths + 1
               WHERE in_region AND month = (SELECT max(month) FROM marts.me_monthly_by_area)"""
        )
        ((region_areas,),) = con.execute(
            "SELECT count(*) FROM marts.community_areas WHERE in_region"
        ).fetchall()
    os.replace(staging, published)

    at.run()
    assert not at.exception
    assert _kpi(at, region) == display_count(before + region_areas, threshold)


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
