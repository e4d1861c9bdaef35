"""The "Test strips & outreach" page run headless with AppTest against the published demo database."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
PAGE = "app_pages/field_data.py"
TIMEOUT = 120


def _query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _default_period(db: Path) -> tuple[date, date]:
    """The page's default period: the 12 latest months of test-strip or outreach data."""
    rows = _query(
        db,
        """SELECT month FROM marts.outreach_monthly UNION SELECT month FROM marts.test_strip_positivity
           ORDER BY month""",
    )
    months = [row[0] for row in rows]
    return months[max(0, len(months) - 12)], months[-1]


def _metric(at: AppTest, label: str) -> str:
    (metric,) = [m for m in at.metric if m.label == label]
    return metric.value


@pytest.fixture
def field_page(demo_app_db: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The app pointed at the demo database, switched to the field-data page and run."""
    monkeypatch.setenv("ODW_APP_DB", str(demo_app_db))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    return at.switch_page(PAGE).run()


def test_field_page_renders_without_exception(field_page: AppTest) -> None:
    assert not field_page.exception
    assert not field_page.error
    assert field_page.title[0].value == "Test strips & outreach"
    assert len(field_page.get("arrow_vega_lite_chart") or field_page.get("vega_lite_chart")) == 3
    # Two tables (CSV) and three charts (PNG, SVG, CSV each).
    assert len(field_page.download_button) == 2 + 3 * 3


def test_kits_kpi_matches_the_warehouse(field_page: AppTest, demo_app_db: Path) -> None:
    start, end = _default_period(demo_app_db)
    ((kits,),) = _query(
        demo_app_db,
        """SELECT sum(naloxone_kits_distributed) FROM marts.outreach_monthly
           WHERE area_level = 'all' AND month BETWEEN ? AND ?""",
        [start, end],
    )
    assert kits >= 10, "the demo data should distribute more kits than the suppression threshold"
    assert _metric(field_page, "Naloxone kits distributed") == f"{int(kits):,}"


def test_fentanyl_positivity_kpi_matches_the_warehouse(field_page: AppTest, demo_app_db: Path) -> None:
    start, end = _default_period(demo_app_db)
    ((positives, read),) = _query(
        demo_app_db,
        """SELECT sum(positives), sum(tests_read) FROM marts.test_strip_positivity
           WHERE area_level = 'all' AND substance_as_sold = 'all' AND strip_type = 'fentanyl'
             AND month BETWEEN ? AND ?""",
        [start, end],
    )
    assert _metric(field_page, "Fentanyl-strip positivity") == f"{positives / read:.0%}"


def test_small_counts_are_shown_as_below_threshold(field_page: AppTest, demo_app_db: Path) -> None:
    ((threshold,),) = _query(demo_app_db, "SELECT suppress_below FROM marts.publication")
    mark = f"<{threshold}"
    cells = [
        str(value)
        for frame in field_page.dataframe
        for column in frame.value.columns
        for value in frame.value[column].tolist()
    ]
    assert mark in cells
    # The suppressed naloxone-coverage rows hide their kits-per-death ratio with the deaths.
    coverage = next(f.value for f in field_page.dataframe if "kits_per_death" in f.value.columns)
    hidden = coverage[coverage["overdose_deaths"] == mark]
    assert not hidden.empty
    assert hidden["kits_per_death"].isna().all()


def test_small_positive_counts_hide_their_positivity(field_page: AppTest, demo_app_db: Path) -> None:
    """An area with 10+ strips read but 1–9 positive shows "<10" positive and no positivity."""
    ((threshold,),) = _query(demo_app_db, "SELECT suppress_below FROM marts.publication")
    start, end = _default_period(demo_app_db)
    small = _query(
        demo_app_db,
        """SELECT community_area, strip_type FROM marts.test_strip_positivity
           WHERE area_level = 'community_area' AND substance_as_sold = 'all' AND month BETWEEN ? AND ?
           GROUP BY ALL HAVING sum(tests_read) >= ? AND sum(positives) BETWEEN 1 AND ? - 1""",
        [start, end, threshold, threshold],
    )
    assert small, "the demo data should have an area with few positive strips"
    table = next(f.value for f in field_page.dataframe if "positivity_pct" in f.value.columns)
    for area, strip in small:
        (row,) = table[(table["community_area"] == area) & (table["strip_type"] == strip.capitalize())].to_dict("records")
        assert row["positives"] == f"<{threshold}" and row["tests_read"] not in (f"<{threshold}", "*")
        assert row["positivity_pct"] != row["positivity_pct"]  # NaN: hidden
    # Nowhere on the table is a positive count of 1 to threshold - 1 printed.
    printed = [int(v.replace(",", "")) for v in table["positives"] if v.replace(",", "").isdigit()]
    assert not [v for v in printed if 1 <= v < threshold]


def test_no_field_data_shows_how_to_add_files(
    demo_app_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "app.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(f"ATTACH '{demo_app_db}' AS demo (READ_ONLY)").fetchall()
        con.execute("CREATE SCHEMA marts").fetchall()
        for table in ("publication", "source_freshness", "me_monthly_by_area", "community_areas"):
            con.execute(f"CREATE TABLE marts.{table} AS SELECT * FROM demo.marts.{table}").fetchall()
        con.execute("DETACH demo").fetchall()
    monkeypatch.setenv("ODW_APP_DB", str(db))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at = at.switch_page(PAGE).run()
    assert not at.exception
    assert not at.error
    text = at.info[0].value
    assert "test_strips/" in text and "outreach/" in text and "data_raw/templates" in text


def test_shared_area_filter_scopes_the_cards(field_page: AppTest, demo_app_db: Path) -> None:
    start, end = _default_period(demo_app_db)
    ((area, kits, read, positives),) = _query(
        demo_app_db,
        """SELECT o.community_area_number, o.kits, p.read, p.positives
           FROM (SELECT community_area_number, sum(naloxone_kits_distributed) AS kits
                 FROM marts.outreach_monthly WHERE area_level = 'community_area'
                   AND month BETWEEN $1 AND $2 GROUP BY ALL) o
           JOIN (SELECT community_area_number, sum(tests_read) AS read, sum(positives) AS positives
                 FROM marts.test_strip_positivity WHERE area_level = 'community_area'
                   AND substance_as_sold = 'all' AND strip_type = 'fentanyl'
                   AND month BETWEEN $1 AND $2 GROUP BY ALL) p USING (community_area_number)
           ORDER BY o.kits DESC LIMIT 1""",
        [start, end],
    )
    all_areas = _metric(field_page, "Naloxone kits distributed")
    field_page.sidebar.multiselect(key="odw_filter_areas").set_value([area]).run()
    assert not field_page.exception
    assert field_page.query_params["areas"] in (str(area), [str(area)])
    assert _metric(field_page, "Naloxone kits distributed") == f"{int(kits):,}" != all_areas
    assert _metric(field_page, "Fentanyl-strip positivity") == f"{positives / read:.0%}"


def test_a_link_with_a_period_reproduces_the_view(
    demo_app_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _start, end = _default_period(demo_app_db)
    ((kits,),) = _query(
        demo_app_db,
        """SELECT sum(naloxone_kits_distributed) FROM marts.outreach_monthly
           WHERE area_level = 'all' AND month = ?""",
        [end],
    )
    monkeypatch.setenv("ODW_APP_DB", str(demo_app_db))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["from"] = f"{end:%Y-%m}"
    at.run().switch_page(PAGE).run()
    assert not at.exception
    assert at.sidebar.select_slider(key="odw_filter_period").value == (end, end)
    assert _metric(at, "Naloxone kits distributed") == f"{int(kits):,}"
