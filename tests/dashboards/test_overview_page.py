"""The Overview page (AppTest, demo app database) and its pure KPI functions."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboards.components import overview_metrics as om
from dashboards.components.selection import WITHHELD, hidden_areas, selection_total
from pipelines.defs.epidemiology.age_adjusted import STANDARD_POPULATION_2000
from pipelines.defs.epidemiology.suppression import display_count

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
TIMEOUT = 120


def _query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _metric(at: AppTest, label: str) -> str:
    (metric,) = [m for m in at.metric if m.label == label]
    return metric.value


def _last_complete(db: Path) -> date:
    """Independent of the page: the newest month the pipeline no longer flags provisional."""
    return _query(db, "SELECT max(month) FROM marts.overdose_deaths_monthly WHERE NOT is_provisional")[0][0]


def _deaths(db: Path, start: date, end: date, *, areas: list[int] | None = None, drug: str = "all") -> int:
    rows = _query(
        db,
        """SELECT coalesce(sum(deaths), 0) FROM marts.overdose_deaths_monthly
            WHERE (CASE WHEN $chosen THEN list_contains($areas, community_area_number) ELSE in_region END)
              AND drug = $drug AND month BETWEEN $start AND $end""",
        {"chosen": bool(areas), "areas": areas or [0], "drug": drug, "start": start, "end": end},
    )
    return int(rows[0][0])


def _months_back(month: date, n: int) -> date:
    return om.shift_months(month, -n)


@pytest.fixture
def overview(demo_app_db: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("ODW_APP_DB", str(demo_app_db))
    return AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()


@pytest.fixture
def threshold(demo_app_db: Path) -> int:
    return _query(demo_app_db, "SELECT suppress_below FROM marts.publication")[0][0]


def test_overview_is_the_default_page_with_every_kpi(overview: AppTest, demo_app_db: Path) -> None:
    assert not overview.exception and not overview.error
    region = _query(demo_app_db, "SELECT region_label FROM marts.publication")[0][0]
    assert overview.title[0].value == f"{region}: overdose overview"
    labels = [m.label for m in overview.metric]
    last = _last_complete(demo_app_db)
    for label in (
        f"Deaths, {last:%b %Y}", "Deaths, last 12 months", f"Crude rate, {region}", "Crude rate, Chicago",
        "Fentanyl involved", "Xylazine involved", "Naloxone kits distributed",
        "People trained in naloxone", "Reversals (naloxone given)", "Warm hand-offs",
    ):
        assert label in labels
    assert "Provisional data" in overview.info[0].value
    assert any("Synthetic demo data" in str(b.proto) for b in overview.get("badge")) or any(
        "Synthetic demo data" in m.value for m in overview.markdown
    )
    # The freshness table (Markdown: no data grid on the landing page) lists the Medical
    # Examiner and every field source, one row each.
    assert not overview.dataframe
    (table,) = [m.value for m in overview.markdown if m.value.startswith("| Source | Data from |")]
    rows = table.splitlines()[2:]
    field_sources = _query(demo_app_db, "SELECT label FROM marts.field_data_sources")
    assert len(rows) == 1 + len(field_sources)
    for (label,) in field_sources:
        assert sum(row.startswith(f"| {label} |") for row in rows) == 1


def test_region_kpis_match_the_warehouse(overview: AppTest, demo_app_db: Path, threshold: int) -> None:
    last = _last_complete(demo_app_db)
    year = _deaths(demo_app_db, _months_back(last, 11), last)
    prior = _deaths(demo_app_db, _months_back(last, 23), _months_back(last, 12))
    assert _metric(overview, "Deaths, last 12 months") == display_count(year, threshold)
    (card,) = [m for m in overview.metric if m.label == "Deaths, last 12 months"]
    assert card.delta.startswith(f"{year - prior:+,}")
    ((population,),) = _query(demo_app_db, "SELECT sum(population_2020) FROM marts.community_areas WHERE in_region")
    region = _query(demo_app_db, "SELECT region_label FROM marts.publication")[0][0]
    assert _metric(overview, f"Crude rate, {region}") == f"{year / population * 100_000:,.1f}"
    fentanyl = _deaths(demo_app_db, _months_back(last, 11), last, drug="fentanyl")
    assert _metric(overview, "Fentanyl involved") == f"{fentanyl / year:.0%}"
    ((kits,),) = _query(
        demo_app_db,
        """SELECT sum(naloxone_kits_distributed) FROM marts.outreach_monthly
           WHERE area_level = 'community_area' AND in_region
             AND month > (SELECT max(month) FROM marts.outreach_monthly) - INTERVAL 12 MONTH""",
    )
    assert _metric(overview, "Naloxone kits distributed") == display_count(int(kits), threshold)


def test_chicago_rate_counts_every_chicago_death(overview: AppTest, demo_app_db: Path) -> None:
    """"Crude rate, Chicago" is every death that occurred in Chicago, the unplaced ones included —
    as the age-adjusted one is (``test_rate_cards_follow_the_death_rates_choice``)."""
    last = _last_complete(demo_app_db)
    ((chicago, placed),) = _query(
        demo_app_db,
        """SELECT sum(deaths), sum(deaths) FILTER (WHERE community_area_number IS NOT NULL)
           FROM marts.overdose_deaths_monthly
           WHERE place = 'Chicago' AND drug = 'all' AND month BETWEEN ? AND ?""",
        [_months_back(last, 11), last],
    )
    ((population,),) = _query(demo_app_db, "SELECT sum(population_2020) FROM marts.community_areas")
    assert chicago > placed  # the demo has Chicago deaths that could not be placed in an area
    assert _metric(overview, "Crude rate, Chicago") == f"{chicago / population * 100_000:,.1f}"
    (card,) = [m for m in overview.metric if m.label == "Crude rate, Chicago"]
    assert "including those that could not be placed in a community area (both rates count them)" in card.help


def test_chicago_rate_is_withheld_when_one_part_of_the_city_is_hidden() -> None:
    jan = date(2026, 1, 1)
    areas = pl.DataFrame(
        {"community_area_number": [1, 2], "population_2020": [100_000, 200_000], "in_region": [True, False]}
    )
    def rows(region: int, rest: int, not_placed: int) -> pl.DataFrame:
        return pl.DataFrame(
            [(jan, 1, True, "all", region), (jan, 2, False, "all", rest), (jan, None, False, "all", not_placed)],
            schema=["month", "community_area_number", "in_region", "drug", "deaths"], orient="row",
        )  # fmt: skip

    def bands(region: int, rest: int, not_placed: int) -> pl.DataFrame:
        """The same deaths by age band: all 35-49 but one of unknown age in the region."""
        return pl.DataFrame(
            [(jan, 1, True, "35-49", region - 1), (jan, 1, True, "Unknown", 1), (jan, 2, False, "35-49", rest),
             (jan, None, False, "35-49", not_placed)],
            schema=["month", "community_area_number", "in_region", "age_band", "deaths"], orient="row",
        )  # fmt: skip

    population = pl.DataFrame(  # both areas shaped like the standard
        [(n, band, pop * share / 1e6) for n, pop in ((1, 100_000), (2, 200_000))
         for band, share in STANDARD_POPULATION_2000.items()],
        schema=["community_area_number", "age_band", "population"], orient="row",
    )  # fmt: skip

    def compare(region: int, rest: int, not_placed: int) -> pl.DataFrame:
        return om.rate_comparison(
            rows(region, rest, not_placed), areas, (), "all", jan, jan, scope_label="Region", threshold=10,
            band_deaths=bands(region, rest, not_placed), band_population=population,
        )  # fmt: skip

    city = compare(40, 80, 12).row(1, named=True)
    assert (city["group"], city["deaths"], city["deaths_display"]) == ("Chicago", 132, "132")
    assert city["rate"] == pytest.approx(132 / 300_000 * 100_000 * 12)
    # Both rates count the not-placed deaths: the adjusted one all but the one of unknown age.
    assert city["age_adjusted_rate"] == pytest.approx(131 / 300_000 * 100_000 * 12)
    # 1-9 not placed: Chicago minus the region and the rest would give them back.
    hidden = compare(40, 80, 3)
    assert hidden.row(1, named=True)["deaths_display"] == WITHHELD
    assert all(hidden.row(1, named=True)[c] is None for c in ("rate", "age_adjusted_rate", "age_adjusted_lower"))
    assert hidden.row(0, named=True)["deaths_display"] == "40"
    assert hidden.row(0, named=True)["age_adjusted_rate"] == pytest.approx(39 / 100_000 * 100_000 * 12)
    # With the rest split over two areas, one of them 1-9 (hidden on the Map), the rest of Chicago
    # can hide the 3 instead: over the card's 12 months it does, and Chicago is shown (40 + 75 + 5
    # + 3); over one month the rule keeps the rest and Chicago is withheld.
    three = pl.concat([areas, pl.DataFrame({"community_area_number": [3], "population_2020": [50_000],
                                            "in_region": [False]})])  # fmt: skip
    split_rows = pl.concat([rows(40, 75, 3), pl.DataFrame([(jan, 3, False, "all", 5)], schema=rows(0, 0, 0).schema,
                                                          orient="row")])  # fmt: skip
    year = om.rate_comparison(split_rows, three, (), "all", jan, date(2026, 12, 1), scope_label="Region", threshold=10)
    assert year.get_column("deaths_display").to_list() == ["40", "123"]
    month = om.rate_comparison(split_rows, three, (), "all", jan, jan, scope_label="Region", threshold=10)
    assert month.get_column("deaths_display").to_list() == ["40", WITHHELD]


def test_chicago_card_is_shown_when_the_rest_of_chicago_hides_the_unplaced_deaths(
    overview: AppTest, demo_app_db: Path, threshold: int
) -> None:
    """A drug whose 12 months have 1-9 Chicago deaths not placed in an area (the region and the
    rest shown) and a rest-of-Chicago area of 1-9: the city total's rule hides the rest of
    Chicago instead of Chicago, so Chicago's card shows its rate in either kind. (With every rest
    area shown it is withheld: ``test_chicago_rate_is_withheld_when_one_part_of_the_city_is_hidden``.)"""
    last = _last_complete(demo_app_db)
    drugs = _query(
        demo_app_db,
        """WITH period AS (
               SELECT * FROM marts.overdose_deaths_monthly
               WHERE place = 'Chicago' AND month BETWEEN $start AND $end
           ), rest_areas AS (
               SELECT drug, bool_or(deaths BETWEEN 1 AND $small) AS small_area
               FROM (SELECT drug, community_area_number, sum(deaths) AS deaths FROM period
                     WHERE community_area_number IS NOT NULL AND NOT in_region GROUP BY ALL)
               GROUP BY drug
           )
           SELECT drug, sum(deaths) AS chicago FROM period JOIN rest_areas USING (drug)
           WHERE small_area
           GROUP BY drug
           HAVING sum(deaths) FILTER (WHERE community_area_number IS NULL) BETWEEN 1 AND $small
              AND sum(deaths) FILTER (WHERE community_area_number IS NOT NULL AND in_region) > $small
              AND sum(deaths) FILTER (WHERE community_area_number IS NOT NULL AND NOT in_region) > $small
           ORDER BY drug""",
        {"start": _months_back(last, 11), "end": last, "small": threshold - 1},
    )
    assert drugs, "the demo data should have a drug whose unplaced Chicago deaths are few"
    drug, chicago = drugs[0]
    ((population,),) = _query(demo_app_db, "SELECT sum(population_2020) FROM marts.community_areas")
    overview.sidebar.selectbox(key="odw_filter_drug").set_value(drug).run()
    assert not overview.exception
    for kind, label in (("crude", "Crude rate"), ("adjusted", "Age-adjusted rate")):
        overview.sidebar.segmented_control(key="odw_filter_rate").set_value(kind).run()
        (card,) = [m for m in overview.metric if m.label == f"{label}, Chicago"]
        assert card.value not in (WITHHELD, "—"), kind
        assert not any(c.value.startswith("\\* Chicago's rate for") for c in overview.caption)
    overview.sidebar.segmented_control(key="odw_filter_rate").set_value("crude").run()
    assert _metric(overview, "Crude rate, Chicago") == f"{chicago / population * 100_000:,.1f}"


def test_area_and_drug_filters_change_the_numbers(overview: AppTest, demo_app_db: Path, threshold: int) -> None:
    last = _last_complete(demo_app_db)
    start = _months_back(last, 11)
    # The region area with the most deaths: its own count is public on the map.
    ((area, name, population),) = _query(
        demo_app_db,
        """SELECT c.community_area_number, c.community_area, c.population_2020
           FROM marts.community_areas c JOIN marts.overdose_deaths_monthly d USING (community_area_number)
           WHERE c.in_region AND d.drug = 'all' AND d.month BETWEEN ? AND ?
           GROUP BY ALL ORDER BY sum(d.deaths) DESC LIMIT 1""",
        [start, last],
    )
    region_value = _metric(overview, "Deaths, last 12 months")
    region = _query(demo_app_db, "SELECT region_label FROM marts.publication")[0][0]
    empty_note = f"None chosen: all of {region}."
    assert empty_note in [c.value for c in overview.sidebar.caption]  # what an empty area filter means
    overview.sidebar.multiselect(key="odw_filter_areas").set_value([area]).run()
    assert not overview.exception
    assert empty_note not in [c.value for c in overview.sidebar.caption]
    deaths = _deaths(demo_app_db, start, last, areas=[area])
    assert _metric(overview, "Deaths, last 12 months") == display_count(deaths, threshold) != region_value
    assert _metric(overview, f"Crude rate, {name}") == f"{deaths / population * 100_000:,.1f}"
    assert overview.query_params["areas"] in (str(area), [str(area)])

    overview.sidebar.selectbox(key="odw_filter_drug").set_value("fentanyl").run()
    fentanyl = _deaths(demo_app_db, start, last, areas=[area], drug="fentanyl")
    assert _metric(overview, "Deaths, last 12 months") == display_count(fentanyl, threshold)


def _adjusted_rate(db: Path, start: date, end: date, areas_sql: str) -> float:
    """Age-adjusted rate per 100,000 per year, computed in SQL from the published band tables:
    Σ standard share × deaths of the band / (band population × years), ``areas_sql`` choosing
    the areas (``TRUE`` for the city, whose deaths include those not placed in an area)."""
    standard = ", ".join(f"('{b}', {n / 1e6!r})" for b, n in STANDARD_POPULATION_2000.items())
    years = ((end.year - start.year) * 12 + end.month - start.month + 1) / 12
    ((rate,),) = _query(
        db,
        f"""WITH standard(age_band, share) AS (VALUES {standard}),
            pop AS (SELECT age_band, sum(population) AS population FROM marts.population_by_age_band
                    WHERE {areas_sql} GROUP BY 1),
            deaths AS (SELECT age_band, sum(deaths) AS deaths FROM marts.overdose_deaths_by_age_band
                       WHERE drug = 'all' AND month BETWEEN ? AND ?
                         AND coalesce({areas_sql}, false)
                       GROUP BY 1)
            SELECT sum(s.share * coalesce(d.deaths, 0) / (p.population * ?)) * 100000
            FROM standard s JOIN pop p USING (age_band) LEFT JOIN deaths d USING (age_band)""",
        [start, end, years],
    )
    return rate


def test_rate_cards_follow_the_death_rates_choice(overview: AppTest, demo_app_db: Path) -> None:
    last = _last_complete(demo_app_db)
    start = _months_back(last, 11)
    region = _query(demo_app_db, "SELECT region_label FROM marts.publication")[0][0]
    crude = _metric(overview, f"Crude rate, {region}")
    (card,) = [m for m in overview.metric if m.label == f"Crude rate, {region}"]
    assert "crude " in card.help and "age-adjusted " in card.help  # the help names both
    overview.sidebar.segmented_control(key="odw_filter_rate").set_value("adjusted").run()
    assert not overview.exception
    assert overview.query_params["rate"] in ("adjusted", ["adjusted"])
    labels = [m.label for m in overview.metric]
    assert f"Crude rate, {region}" not in labels
    region_areas = "list_contains((SELECT list(community_area_number) FROM marts.community_areas WHERE in_region), community_area_number)"
    assert _metric(overview, f"Age-adjusted rate, {region}") == f"{_adjusted_rate(demo_app_db, start, last, region_areas):,.1f}"
    assert _metric(overview, "Age-adjusted rate, Chicago") == f"{_adjusted_rate(demo_app_db, start, last, 'TRUE'):,.1f}"
    assert _metric(overview, f"Age-adjusted rate, {region}") != crude
    caption = " ".join(c.value for c in overview.caption)
    assert "Age-adjusted rate per 100,000 per year" in caption and "2000 US standard population" in caption
    assert "of unknown age in " + region in caption


def test_small_counts_are_suppressed_on_the_cards(overview: AppTest, demo_app_db: Path, threshold: int) -> None:
    last = _last_complete(demo_app_db)
    rows = _query(
        demo_app_db,
        """SELECT community_area_number FROM marts.overdose_deaths_monthly
           WHERE in_region AND drug = 'all' AND month = ?
           GROUP BY ALL HAVING sum(deaths) BETWEEN 1 AND ? - 1 ORDER BY 1 LIMIT 1""",
        [last, threshold],
    )
    assert rows, "the demo data should have a region area with a small monthly count"
    overview.sidebar.multiselect(key="odw_filter_areas").set_value([rows[0][0]]).run()
    assert _metric(overview, f"Deaths, {last:%b %Y}") == f"<{threshold}"
    (card,) = [m for m in overview.metric if m.label == f"Deaths, {last:%b %Y}"]
    assert not card.delta, "a change next to a hidden count would give it back"


def test_a_link_reproduces_the_view(demo_app_db: Path, monkeypatch: pytest.MonkeyPatch, threshold: int) -> None:
    last = _last_complete(demo_app_db)
    monkeypatch.setenv("ODW_APP_DB", str(demo_app_db))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["areas"] = "25"
    at.query_params["drug"] = "fentanyl"
    at.run()
    assert at.sidebar.multiselect(key="odw_filter_areas").value == [25]
    assert at.sidebar.selectbox(key="odw_filter_drug").value == "fentanyl"
    deaths = _deaths(demo_app_db, _months_back(last, 11), last, areas=[25], drug="fentanyl")
    assert _metric(at, "Deaths, last 12 months") in (display_count(deaths, threshold), WITHHELD)


# ---- Pure functions ---------------------------------------------------------------------------


def test_last_complete_month_skips_partial_and_provisional_months() -> None:
    assert om.last_complete_month(date(2026, 10, 31)) == date(2026, 10, 1)
    assert om.last_complete_month(date(2026, 10, 30)) == date(2026, 9, 1)
    provisional = [date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)]
    assert om.last_complete_month(date(2026, 10, 31), provisional) == date(2026, 7, 1)
    assert om.shift_months(date(2026, 1, 1), -1) == date(2025, 12, 1)
    assert om.shift_months(date(2026, 7, 1), -23) == date(2024, 8, 1)


def test_selection_total_blocks_differencing() -> None:
    counts = {1: 50, 2: 7, 3: 0, 4: 30, 5: 4}
    # A fixed geography: only the usual rule.
    assert selection_total(counts, [1, 2], 10).display == "57"
    assert selection_total({1: 7}, [1], 10).display == "<10"
    hidden = {2, 5}
    everything = set(counts)
    # {1, 2} holds one hidden area: 57 − 50 would give 7 back.
    assert selection_total(counts, [1, 2], 10, hidden=hidden).display == WITHHELD
    # Two hidden areas summing to 11 reveal only their sum (≥ 10).
    assert selection_total(counts, [1, 2, 5], 10, hidden=hidden, wholes=[everything]).display == "61"
    # Leaving out a single hidden area of a published total gives it back as total − selection.
    assert selection_total(counts, [1, 3, 4, 5], 10, hidden=hidden, wholes=[everything]).display == WITHHELD
    # Visible areas only, with both hidden ones left out together (7 + 4 = 11): shown.
    assert selection_total(counts, [1, 4], 10, hidden=hidden, wholes=[everything]).shown
    # hidden_areas adds a complementary cell to a group with a single small count.
    assert hidden_areas({1: 50, 2: 7, 4: 30}, dict.fromkeys([1, 2, 4], "g"), 10) == {2, 4}


def test_count_change_is_withheld_next_to_a_hidden_count() -> None:
    shown = selection_total({1: 40}, [1], 10)
    small = selection_total({1: 4}, [1], 10)
    change = om.count_change(shown, selection_total({1: 50}, [1], 10))
    assert (change.change, round(change.change_pct)) == (-10, -20)
    assert om.change_text(change, "Jun 2026") == "-10 (-20%) vs Jun 2026"
    assert om.count_change(shown, small).change is None
    assert om.count_change(small, shown).current_display == "<10"


def test_involvement_share_hides_small_groups() -> None:
    rows = []
    for area, total, fent in ((1, 40, 30), (2, 12, 12), (3, 10, 5)):
        rows += [(date(2026, 1, 1), area, area < 3, "all", total), (date(2026, 1, 1), area, area < 3, "fentanyl", fent)]
    deaths = pl.DataFrame(rows, schema=["month", "community_area_number", "in_region", "drug", "deaths"], orient="row")
    geo = om.Geography(region=frozenset({1, 2}), city=frozenset({1, 2, 3}))
    share = om.involvement_share(deaths, (), "fentanyl", date(2026, 1, 1), date(2026, 1, 1), geo, 10)
    assert (share.display, share.note) == ("81%", "42 of 52 deaths")
    # Area 3 alone: 5 with fentanyl, 5 without — both hidden.
    assert om.involvement_share(deaths, (3,), "fentanyl", date(2026, 1, 1), date(2026, 1, 1), geo, 10).share is None


def test_freshness_table_flags_stale_sources() -> None:
    now = datetime(2026, 11, 24, 12)
    sources = pl.DataFrame(
        {
            "source": ["medical_examiner", "outreach", "hotspots"],
            "label": ["ME", "Outreach", "Hot spots"],
            "data_to": [date(2026, 11, 20), date(2026, 9, 1), None],
            "refreshed_at": [now - timedelta(hours=40), now - timedelta(days=1), now - timedelta(days=400)],
        }
    )
    rules = {
        "medical_examiner": om.StaleRule(timedelta(hours=30), timedelta(days=14)),
        "outreach": om.StaleRule(timedelta(days=35), timedelta(days=45)),
    }
    table = om.freshness_table(sources, now, rules)
    assert table.get_column("stale").to_list() == [True, True, False]
    assert table.get_column("warning")[0] == "not loaded for over 30 hours"
    assert table.get_column("warning")[1] == "newest record older than 45 days"
