"""The monthly meeting pack built by the demo pipeline: deck, PDF, numbers equal to the marts."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import duckdb
import pytest
from pptx import Presentation
from pptx.util import Emu

from pipelines.defs.reports import content as report_content
from pipelines.defs.reports import wording
from pipelines.defs.reports.pack import SLIDE_TITLES

MONTH = date(2026, 10, 1)
WINDOW = (date(2025, 11, 1), date(2026, 10, 1))


def _query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _slide_texts(deck: Presentation) -> list[str]:
    return ["\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame) for slide in deck.slides]


def _kpis(deck: Presentation) -> dict[str, tuple[str, str, str]]:
    """Headline tiles of slide 2: key -> (label, value, detail)."""
    tiles = {}
    for shape in deck.slides[1].shapes:
        if shape.name.startswith("KPI "):
            label, value, detail = (p.text for p in shape.text_frame.paragraphs)
            tiles[shape.name.removeprefix("KPI ")] = (label, value, detail)
    return tiles


@pytest.fixture(scope="module")
def deck(pack_pptx: Path) -> Presentation:
    return Presentation(str(pack_pptx))


def test_pipeline_writes_dated_pack_files(pack_pptx: Path, pack_pdf: Path, demo_pipeline) -> None:
    assert pack_pptx.stat().st_size > 100_000 and pack_pdf.stat().st_size > 100_000
    (event,) = [
        e for e in demo_pipeline.result.get_asset_materialization_events()
        if e.asset_key.to_user_string() == "meeting_pack"
    ]
    metadata = event.materialization.metadata
    assert metadata["slides"].value == len(SLIDE_TITLES)
    assert metadata["pptx"].value == str(pack_pptx)
    assert metadata["month"].value == "2026-10"
    assert not list(pack_pptx.parent.glob(".*.tmp"))


def test_deck_has_the_expected_slides_in_order(deck: Presentation) -> None:
    titles = [next(s for s in slide.shapes if s.name == "Title").text_frame.paragraphs[0].text
              for slide in deck.slides]
    assert titles == list(SLIDE_TITLES)
    assert Emu(deck.slide_width).inches / Emu(deck.slide_height).inches == pytest.approx(16 / 9, rel=0.01)
    for slide in deck.slides:
        assert any(s.name == "Badge" and s.text_frame.text == "SYNTHETIC DEMO DATA" for s in slide.shapes)
    # Charts on the map, trend, drug, test-strip and outreach slides.
    pictures = [sum(s.shape_type == 13 for s in slide.shapes) for slide in deck.slides]
    assert pictures == [0, 0, 1, 1, 1, 1, 1, 0, 0]


def test_body_text_is_large_enough_to_project(deck: Presentation) -> None:
    sizes = [run.font.size.pt for slide in deck.slides for shape in slide.shapes if shape.has_text_frame
             and shape.name not in ("Badge",) for p in shape.text_frame.paragraphs for run in p.runs
             if run.font.size is not None]
    body = [s for s in sizes if s not in (12, 14, 15, 16)]  # footer, footnote, tile detail, badge
    assert min(body) >= 18
    assert sizes.count(12) == len(deck.slides)  # only the footer line is 12 pt


def test_headline_numbers_equal_the_marts(deck: Presentation, demo_app_db: Path) -> None:
    tiles = _kpis(deck)
    ((month_deaths,),) = _query(demo_app_db, "SELECT sum(overdose_deaths) FROM marts.me_monthly_by_area "
                                "WHERE in_region AND month = ?", [MONTH])
    ((region, rest, rest_pop),) = _query(
        demo_app_db,
        """SELECT sum(overdose_deaths) FILTER (in_region), sum(overdose_deaths) FILTER (NOT in_region),
                  (SELECT sum(population_2020) FROM marts.community_areas WHERE NOT in_region)
           FROM marts.me_monthly_by_area WHERE month BETWEEN ? AND ?""",
        list(WINDOW),
    )
    ((fentanyl, total),) = _query(
        demo_app_db,
        """SELECT sum(deaths) FILTER (drug = 'fentanyl'), sum(deaths) FILTER (drug = 'all')
           FROM marts.overdose_deaths_monthly
           WHERE in_region AND place = 'Chicago' AND month BETWEEN ? AND ?""",
        list(WINDOW),
    )
    ((kits,),) = _query(demo_app_db, "SELECT naloxone_kits_distributed FROM marts.outreach_monthly "
                        "WHERE area_level = 'all' AND month = ?", [MONTH])
    ((positives, read),) = _query(
        demo_app_db,
        """SELECT positives, tests_read FROM marts.test_strip_positivity WHERE area_level = 'all'
           AND substance_as_sold = 'all' AND strip_type = 'fentanyl' AND month = ?""",
        [MONTH],
    )
    ((alerts,),) = _query(demo_app_db, "SELECT count(*) FROM marts.alert_badges WHERE granularity = 'week' "
                          "AND period_end BETWEEN '2026-10-01' AND '2026-10-31'")
    # Known answers of the demo data (so a change in the generator shows up here), then the deck.
    assert (month_deaths, region, total) == (0, 218, 218)
    assert tiles["month_deaths"][1] == "0" and "Provisional" in tiles["month_deaths"][2]
    ((july,),) = _query(demo_app_db, "SELECT sum(overdose_deaths) FROM marts.me_monthly_by_area "
                        "WHERE in_region AND month = '2026-07-01' AND NOT is_provisional")
    assert tiles["last_final_deaths"] == ("Overdose deaths, West Side, July 2026", f"{july:,}",
                                          "Latest month with final counts")
    assert tiles["window_deaths"][1] == f"{region:,}"
    assert tiles["rest_rate"][1] == f"{rest / rest_pop * 100_000:.1f}"
    assert tiles["fentanyl_share"][1] == f"{fentanyl / total:.0%}"
    assert tiles["fentanyl_share"][2] == f"{fentanyl} of {total} overdose deaths"
    assert tiles["naloxone_kits"][1] == f"{kits:,}"
    assert tiles["fentanyl_positivity"][1] == f"{positives / read:.0%}"
    assert tiles["alerts"][1] == str(alerts) and alerts > 0


def _adjusted(db: Path, in_region: bool) -> float:
    """Age-adjusted rate of the region (or the rest of Chicago) over the 12-month window, from the
    published band tables by SQL: Σ standard share × deaths / (band population × 1 year)."""
    from pipelines.defs.epidemiology.age_adjusted import STANDARD_POPULATION_2000

    standard = ", ".join(f"('{b}', {n / 1e6!r})" for b, n in STANDARD_POPULATION_2000.items())
    ((rate,),) = _query(
        db,
        f"""WITH standard(age_band, share) AS (VALUES {standard}),
            pop AS (SELECT age_band, sum(population) AS population FROM marts.population_by_age_band
                    JOIN marts.community_areas USING (community_area_number) WHERE in_region = ? GROUP BY 1),
            deaths AS (SELECT age_band, sum(deaths) AS deaths FROM marts.overdose_deaths_by_age_band
                       WHERE drug = 'all' AND community_area_number IS NOT NULL AND in_region = ?
                         AND month BETWEEN ? AND ? GROUP BY 1)
            SELECT sum(share * coalesce(deaths, 0) / population) * 100000
            FROM standard JOIN pop USING (age_band) LEFT JOIN deaths USING (age_band)""",
        [in_region, in_region, *WINDOW],
    )
    return rate


def test_headline_slide_names_both_rates(deck: Presentation, demo_app_db: Path) -> None:
    tiles = _kpis(deck)
    region_detail, rest_detail = tiles["window_deaths"][2], tiles["rest_rate"][2]
    ci = r"\([\d.,]+–[\d.,]+\)"
    for detail, in_region in ((region_detail, True), (rest_detail, False)):
        assert re.fullmatch(rf"Crude rate [\d.,]+ {ci}; age-adjusted [\d.,]+ {ci}", detail), detail
        assert f"age-adjusted {_adjusted(demo_app_db, in_region):,.1f} (" in detail
    # The rest of Chicago's headline number is its crude rate, named so under it.
    assert rest_detail.startswith(f"Crude rate {tiles['rest_rate'][1]} (")
    (note,) = [s.text_frame.text for s in deck.slides[1].shapes
               if s.has_text_frame and not s.name.startswith("KPI ") and s.text_frame.text.startswith("Provisional:")]
    assert "per year, 95% CI in brackets; age-adjusted to the 2000 US standard population" in note
    definitions = _slide_texts(deck)[-1]
    assert "Crude rate:" in definitions and "Age-adjusted rate:" in definitions and "Fay–Feuer" in definitions


def test_small_counts_never_appear(deck: Presentation, demo_app_db: Path, pack_pdf: Path) -> None:
    # Known small counts in the demo data: the region's September 2026 deaths, two areas' 12-month
    # deaths and nitazene-involved deaths. Each must appear only as "<10".
    ((september,),) = _query(demo_app_db, "SELECT sum(overdose_deaths) FROM marts.me_monthly_by_area "
                             "WHERE in_region AND month = '2026-09-01'")
    areas = dict(_query(
        demo_app_db,
        """SELECT community_area, sum(overdose_deaths) FROM marts.me_monthly_by_area
           WHERE in_region AND month BETWEEN ? AND ? GROUP BY ALL""",
        list(WINDOW),
    ))
    assert 1 <= september <= 9
    assert 1 <= areas["South Lawndale"] <= 9 and 1 <= areas["Lower West Side"] <= 9
    with duckdb.connect(str(demo_app_db), read_only=True) as con:
        content = report_content.build_pack_content(con)
    shown = content.areas.filter(content.areas["community_area"].is_in(["South Lawndale", "Lower West Side"]))
    assert shown["deaths_display"].to_list() == ["<10", "<10"]
    assert shown["deaths"].null_count() == 2 and shown["rate"].null_count() == 2
    september_row = content.trend.filter(content.trend["month"] == date(2026, 9, 1))
    assert september_row["deaths_display"].to_list() == ["<10"] and september_row["deaths"].to_list() == [None]
    # The 12-month total is shown, so one more month is hidden with it ("*").
    assert content.trend.filter(content.trend["deaths_display"] == "*").height == 1
    texts = "\n".join(_slide_texts(deck))
    pdf_text = subprocess.run(["pdftotext", "-layout", str(pack_pdf), "-"], capture_output=True, text=True,
                              check=True).stdout if shutil.which("pdftotext") else ""
    for text in (texts, pdf_text):
        assert not re.search(r"(?<![\d,.<–])[1-9] (?:overdose )?deaths", text)
        assert not re.search(r"deaths[^\n]{0,3}: [1-9](?![\d,.%])", text)


def test_definitions_say_what_chicago_and_the_rest_count(deck: Presentation, demo_app_db: Path) -> None:
    """The pack's region and rest of Chicago are community areas (the unplaced Chicago deaths are in
    neither); Chicago, named in the alerts, counts every death in the city."""
    definitions = _slide_texts(deck)[SLIDE_TITLES.index("Definitions and sources")]
    assert "rest of Chicago: the other areas; Chicago: every death in the city, placed in an area or not" in (
        definitions.replace("\n", " ")
    )
    ((unplaced,),) = _query(
        demo_app_db,
        """SELECT sum(deaths) FROM marts.overdose_deaths_monthly
           WHERE place = 'Chicago' AND community_area_number IS NULL AND drug = 'all' AND month BETWEEN ? AND ?""",
        list(WINDOW),
    )
    with duckdb.connect(str(demo_app_db), read_only=True) as con:
        content = report_content.build_pack_content(con)
    # The area map holds the 77 community areas, which the unplaced deaths are in none of, and the
    # region's 12-month total is its areas' (the unplaced ones are not in the region).
    assert content.areas.height == 77 and unplaced > 0
    ((region,),) = _query(
        demo_app_db,
        "SELECT sum(overdose_deaths) FROM marts.me_monthly_by_area WHERE in_region AND month BETWEEN ? AND ?",
        list(WINDOW),
    )
    assert content.headline["window_deaths"] == f"{region:,}"


def test_pdf_renders_every_page(pack_pdf: Path, tmp_path: Path) -> None:
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    info = subprocess.run(["pdfinfo", str(pack_pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(rf"^Pages:\s+{len(SLIDE_TITLES)}$", info, re.M)
    assert re.search(r"^Page size:\s+960 x 540 pts", info, re.M)  # 13.333 x 7.5 in, 16:9
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pack_pdf), str(tmp_path / "page")], check=True,
                   timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == len(SLIDE_TITLES)
    assert all(p.stat().st_size > 2_000 for p in pages)
    text = subprocess.run(["pdftotext", str(pack_pdf), "-"], capture_output=True, text=True, check=True).stdout
    for title in SLIDE_TITLES:
        assert title in text


def test_periods_of_the_reports() -> None:
    assert wording.last_complete_month(date(2026, 10, 31)) == date(2026, 10, 1)
    assert wording.last_complete_month(date(2026, 10, 30)) == date(2026, 9, 1)
    assert wording.last_complete_month(date(2024, 2, 29)) == date(2024, 2, 1)
    assert wording.last_complete_week(date(2026, 10, 31)) == date(2026, 10, 19)  # a Saturday
    assert wording.last_complete_week(date(2026, 10, 25)) == date(2026, 10, 19)  # a Sunday
    assert wording.last_complete_week(date(2026, 10, 26)) == date(2026, 10, 19)  # a Monday
    assert wording.format_week(date(2026, 9, 28)) == "28 Sep – 4 Oct 2026"


def test_a_month_outside_the_data_is_refused(demo_app_db: Path) -> None:
    with duckdb.connect(str(demo_app_db), read_only=True) as con:
        with pytest.raises(report_content.ReportDataUnavailable, match="not a complete month"):
            report_content.build_pack_content(con, date(2026, 11, 1))


def test_report_assets_follow_the_publication_in_the_main_job() -> None:
    import dagster as dg

    from pipelines.definitions import defs

    repo = defs().get_repository_def()
    job_keys = repo.get_job("overdose_watch_job").asset_layer.asset_graph.get_all_asset_keys()
    for name in ("meeting_pack", "weekly_eblast"):
        node = repo.asset_graph.get(dg.AssetKey(name))
        assert node.parent_keys == {dg.AssetKey(["app", "published_db"])}
        assert node.group_name == "reports"
        assert dg.AssetKey(name) in job_keys


def test_the_rest_of_chicago_follows_the_city_total_rule_as_on_the_map(demo_app_db: Path) -> None:
    """The pack shows the rest of Chicago's rates over a window: it is hidden exactly where the Map
    hides it for the same months (the city total's rule), so no page's Chicago total minus the
    region and this rest gives the deaths not placed in an area back. Checked on the demo for every
    month (a month keeps the rest: never hidden) and every 12-month window, the pack's own window
    among them (12 months keep Chicago's total: the rest hidden where the rule says; on the demo
    the not-placed count is never small over 12 months, see the next test)."""
    import polars as pl

    from dashboards.components import trend_selection, trend_series
    from pipelines.defs.reports.wording import add_months

    with duckdb.connect(str(demo_app_db), read_only=True) as con:
        ((threshold,),) = con.execute("SELECT suppress_below FROM marts.publication").fetchall()
        areas = con.sql("SELECT community_area_number, in_region, population_2020 FROM marts.community_areas").pl()
        rows = con.sql(
            """SELECT month, community_area_number, sum(deaths)::BIGINT AS deaths FROM marts.overdose_deaths_monthly
               WHERE drug = 'all' AND place = 'Chicago' GROUP BY ALL"""
        ).pl()
        region = trend_selection.region_selection(areas, "Region")
        months = sorted(rows.get_column("month").unique().to_list())
        windows = [(add_months(m, -11), m) for m in months[11:]]
        assert WINDOW in windows
        for start, end in [(m, m) for m in months] + windows:
            on_map = trend_series.period_totals(rows, region, start, end, threshold=threshold)
            rest_on_map = on_map.filter(pl.col("group") == trend_selection.REST_LABEL).get_column("deaths_display").item()
            withheld = report_content.rest_withheld(con, start, end, threshold)
            assert withheld == (rest_on_map == "*"), (start, end)
            if start == end:
                assert not withheld, start
    row = {"rate": 40.0, "rate_lower": 30.0, "rate_upper": 50.0, "age_adjusted_rate": 41.0, "deaths": 120,
           "deaths_display": "120", "deaths_suppressed": False, "in_region": False}  # fmt: skip
    hidden_row = report_content.withheld(row)
    assert report_content.both_rates(hidden_row) == "—" and hidden_row["deaths_display"] == "*"
    assert hidden_row["deaths"] is None and hidden_row["in_region"] is False


def test_the_pack_hides_the_rest_over_its_twelve_months_where_the_map_does() -> None:
    """A hand-made year in the tables the pack reads: 4 deaths not placed in an area, a
    rest-of-Chicago area of 5 (hidden on the Map, its neighbour beside it). Over the pack's 12
    months the rule keeps Chicago's total and hides the rest — the pack does, as the Map's table
    does for the same months; over January alone both keep the rest."""
    import polars as pl

    from dashboards.components import trend_selection, trend_series

    deaths = {1: 16, 2: 20, 3: 5, 4: 70}
    jan, dec = date(2025, 1, 1), date(2025, 12, 1)
    with duckdb.connect() as con:
        con.execute("CREATE SCHEMA marts")
        con.execute(
            """CREATE TABLE marts.community_areas AS SELECT * FROM (VALUES
                   (1, 'A', true, 50000, NULL, NULL, NULL), (2, 'B', true, 50000, NULL, NULL, NULL),
                   (3, 'C', false, 100000, NULL, NULL, NULL), (4, 'D', false, 100000, NULL, NULL, NULL))
               AS t(community_area_number, community_area, in_region, population_2020, geometry_geojson,
                    centroid_lon, centroid_lat)"""
        )
        con.execute("CREATE TABLE marts.me_monthly_by_area (month DATE, community_area_number INT, overdose_deaths INT)")
        con.executemany("INSERT INTO marts.me_monthly_by_area VALUES (?, ?, ?)", [(jan, a, n) for a, n in deaths.items()])
        con.execute(
            """CREATE TABLE marts.overdose_deaths_monthly AS
               SELECT DATE '2025-01-01' AS month, 'all' AS drug, 'Chicago' AS place,
                      NULL::INT AS community_area_number, 4 AS deaths"""
        )
        rows = pl.DataFrame({"month": [jan] * 5, "community_area_number": [*deaths, None],
                             "deaths": [*deaths.values(), 4]})  # fmt: skip
        areas = pl.DataFrame({"community_area_number": [1, 2, 3, 4], "in_region": [True, True, False, False],
                              "population_2020": [50000, 50000, 100000, 100000]})  # fmt: skip
        region = trend_selection.region_selection(areas, "Region")
        for start, end, hidden in ((jan, dec, True), (jan, jan, False)):
            on_map = dict(trend_series.period_totals(rows, region, start, end, threshold=10)
                          .select("group", "deaths_display").iter_rows())  # fmt: skip
            assert (on_map[trend_selection.REST_LABEL] == "*", on_map[trend_selection.CITY_LABEL] != "*") == (hidden, hidden)
            assert report_content.rest_withheld(con, start, end, 10) == hidden, (start, end)
