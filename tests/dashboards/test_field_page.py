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


def _outreach(at: AppTest, coverage_table: bool = False) -> AppTest:
    """The page with its Outreach tab open (and the naloxone-coverage table's expander)."""
    at.session_state["field_tab"] = "Outreach"
    if coverage_table:
        at.session_state["field_coverage_table"] = True
    return at.run()


def test_field_page_renders_without_exception(field_page: AppTest) -> None:
    assert not field_page.exception
    assert not field_page.error
    assert field_page.title[0].value == "Test strips & outreach"
    assert [t.label for t in field_page.tabs] == ["Test strips", "Outreach"]
    # Opening the page draws the Test strips tab: two Markdown tables with a CSV each, and no data
    # grid or chart.
    assert [m.value.split(" |")[0] for m in field_page.main.markdown if m.value.startswith("| ")] == [
        "| Community area", "| Area"
    ]
    assert not field_page.dataframe and not field_page.get("vega_lite_chart")
    assert len(field_page.download_button) == 2
    outreach = _outreach(field_page)
    assert not outreach.exception
    # Three charts (PNG, SVG, CSV each); the Test strips tables are no longer sent.
    assert len(outreach.get("vega_lite_chart")) == 3
    assert len(outreach.download_button) == 3 * 3
    assert len(outreach.dataframe) == 0, "the coverage table is drawn only when its expander is open"


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


def _markdown_rows(at: AppTest, header: str) -> list[dict[str, str]]:
    """The Markdown table whose header row starts with ``header``, one dict per row, unescaped."""
    (table,) = [m.value for m in at.main.markdown if m.value.startswith(header)]
    head, _rule, *rows = table.splitlines()

    def cells(line: str) -> list[str]:
        return [c.strip().replace("\\", "") for c in line.strip("|").split(" | ")]

    return [dict(zip(cells(head), cells(row), strict=True)) for row in rows]


def test_small_counts_are_shown_as_below_threshold(field_page: AppTest, demo_app_db: Path) -> None:
    ((threshold,),) = _query(demo_app_db, "SELECT suppress_below FROM marts.publication")
    mark = f"<{threshold}"
    cells = [v for row in _markdown_rows(field_page, "| Community area |") for v in row.values()]
    assert mark in cells
    # The suppressed naloxone-coverage rows hide their kits-per-death ratio with the deaths.
    outreach = _outreach(field_page, coverage_table=True)
    coverage = next(f.value for f in outreach.dataframe if "kits_per_death" in f.value.columns)
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
    table = {row["Community area"]: row for row in _markdown_rows(field_page, "| Community area |")}
    for area, strip in small:
        row, label = table[area], strip.capitalize()
        assert row[f"{label} positive"] == f"<{threshold}"
        assert row[f"{label} strips read"] not in (f"<{threshold}", "*")
        assert row[f"{label} positivity (95% CI)"] == "—"  # hidden with the count
    # Nowhere on the table is a positive count of 1 to threshold - 1 printed.
    printed = [
        int(v.replace(",", "")) for row in table.values() for k, v in row.items()
        if k.endswith(" positive") and v.replace(",", "").isdigit()
    ]
    assert printed and not [v for v in printed if 1 <= v < threshold]


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
    # The Test strips tables list only the chosen area (after the all-areas co-detection row).
    (strips,) = _markdown_rows(field_page, "| Community area |")
    ((name,),) = _query(
        demo_app_db, "SELECT community_area FROM marts.community_areas WHERE community_area_number = ?", [area]
    )
    assert strips["Community area"] == name
    assert [row["Area"] for row in _markdown_rows(field_page, "| Area |")] == ["All areas", name]
    # The Outreach tab with the same selection: its coverage table keeps the region row for context
    # and the chosen area.
    outreach = _outreach(field_page, coverage_table=True)
    assert not outreach.exception, outreach.exception
    coverage = next(f.value for f in outreach.dataframe if "kits_per_death" in f.value.columns)
    assert list(coverage["area"])[1:] == [name]


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
