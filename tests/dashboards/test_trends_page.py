"""The Trends page run headless with AppTest against the published demo database: filters change
the numbers by the amounts SQL says, small counts never show, provisional months are marked."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from pipelines.defs.epidemiology.suppression import display_count

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
PAGE = "app_pages/trends.py"
TIMEOUT = 120
TABS = ("Over time", "Year over year", "Drugs", "Age, sex, race", "Intent")
SMALL = re.compile(r"^[1-9]$")


def _q(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _deaths(db: Path, start: date, end: date, *, drug: str = "all", where: str = "in_region", params=()) -> int:
    """Deaths in Chicago community areas matching ``where``, straight from the monthly mart."""
    ((total,),) = _q(
        db,
        f"""SELECT coalesce(sum(deaths), 0) FROM marts.overdose_deaths_monthly
            WHERE drug = ? AND community_area_number IS NOT NULL AND {where}
              AND month BETWEEN ? AND ?""",
        [drug, *params, start, end],
    )
    return int(total)


def _default_period(db: Path) -> tuple[date, date]:
    months = [r[0] for r in _q(db, "SELECT DISTINCT month FROM marts.me_monthly_by_area ORDER BY 1")]
    return months[-12], months[-1]


def _metric(at: AppTest, label: str) -> str:
    (metric,) = [m for m in at.metric if m.label == label]
    return metric.value


def _show_tab(at: AppTest, name: str) -> AppTest:
    at.session_state["trends_tab"] = name
    return at.run()


def _visible_values(at: AppTest) -> list[str]:
    """Every metric value and every cell of every count column of every table on the page."""
    values = [str(m.value) for m in at.metric]
    for frame in at.dataframe:
        table = frame.value
        for column in table.columns:
            if "deaths" in column:
                values += [str(v) for v in table[column].tolist()]
    return values


@pytest.fixture(scope="module")
def db(demo_app_db: Path) -> Path:
    return demo_app_db


@pytest.fixture(scope="module")
def region(db: Path) -> str:
    return _q(db, "SELECT region_label FROM marts.publication")[0][0]


@pytest.fixture(scope="module")
def threshold(db: Path) -> int:
    return _q(db, "SELECT suppress_below FROM marts.publication")[0][0]


@pytest.fixture
def page(db: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The Trends page with its table expanders opened (closed, they draw nothing)."""
    monkeypatch.setenv("ODW_APP_DB", str(db))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    return _open_tables(at).switch_page(PAGE).run()


def _open_tables(at: AppTest) -> AppTest:
    """Open the page's table expanders, as a click on each would (their tables are then drawn)."""
    at.session_state["trends_numbers_table"] = True
    at.session_state["trends_annual_table"] = True
    return at


def test_every_tab_renders_with_titles_and_downloads(page: AppTest, region: str) -> None:
    assert not page.exception
    assert page.title[0].value == f"{region}: trends"
    assert [tab.label for tab in page.tabs] == list(TABS)
    for name in TABS:
        at = _show_tab(page, name)
        assert not at.exception, name
        assert not at.error, name
        charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
        assert charts, name
        # PNG, SVG and CSV under every chart.
        assert len(at.download_button) >= 3 * len(charts), name


def test_default_kpis_match_sql(page: AppTest, db: Path, region: str, threshold: int) -> None:
    start, end = _default_period(db)
    assert _metric(page, f"Deaths, {region}") == display_count(_deaths(db, start, end), threshold)
    before = _deaths(db, start.replace(year=start.year - 1), end.replace(year=end.year - 1))
    assert _metric(page, "Same months a year earlier") == display_count(before, threshold)
    ((population,),) = _q(db, "SELECT sum(population_2020) FROM marts.community_areas WHERE in_region")
    rate = _deaths(db, start, end) / population * 100_000  # twelve months: one year
    assert _metric(page, "Crude rate per 100,000 per year") == f"{rate:,.1f}"


def test_drug_filter_changes_the_numbers(page: AppTest, db: Path, region: str, threshold: int) -> None:
    start, end = _default_period(db)
    page.selectbox(key="odw_filter_drug").set_value("fentanyl").run()
    assert not page.exception
    fentanyl = _deaths(db, start, end, drug="fentanyl")
    assert fentanyl != _deaths(db, start, end)
    assert _metric(page, f"Deaths, {region}") == display_count(fentanyl, threshold)
    assert page.query_params["drug"] in ("fentanyl", ["fentanyl"])


def test_sex_filter_gives_counts_only(page: AppTest, db: Path, region: str, threshold: int) -> None:
    start, end = _default_period(db)
    page.selectbox(key="odw_filter_sex").set_value("Female").run()
    assert not page.exception
    female = _deaths(db, start, end, where="in_region AND sex = ?", params=["Female"])
    assert _metric(page, f"Deaths, {region}") == display_count(female, threshold)
    # No population by sex: no rate, and the weekly view (no demographics) is not offered.
    assert _metric(page, "Rate per 100,000 per year") == "—"
    assert "week" not in page.segmented_control(key="trends_step").options
    assert "rate" not in page.segmented_control(key="trends_metric").options
    for tab in TABS:
        at = _show_tab(page, tab)
        assert not at.exception, tab
        assert not [v for v in _visible_values(at) if SMALL.match(v.strip())], tab


def test_weekly_counts_match_the_weekly_mart(page: AppTest, db: Path, region: str, threshold: int) -> None:
    page.segmented_control(key="trends_step").set_value("week").run()
    page.segmented_control(key="trends_metric").set_value("rate").run()
    assert not page.exception
    table = page.dataframe[0].value
    weekly = dict(
        _q(
            db,
            """SELECT week, sum(deaths) FROM marts.overdose_deaths_weekly
               WHERE drug = 'all' AND in_region AND community_area_number IS NOT NULL GROUP BY 1""",
        )
    )
    rows = table[table["series"] == region]
    assert len(rows) >= 50  # a year of Mondays
    checked = 0
    for row in rows.itertuples():
        true = int(weekly.get(date.fromisoformat(row.period_start), 0))
        if row.deaths == "*":
            continue
        assert row.deaths == display_count(true, threshold)
        checked += 1
    assert checked > len(rows) // 2
    assert table["provisional"].any()


def test_area_filter_compares_the_chosen_areas(db: Path, threshold: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # A closed year: in the demo's last 12 months toxicology is still pending for many deaths, and
    # two West Side areas have so few that any one area's total would give them back ("*").
    start, end = date(2025, 1, 1), date(2025, 12, 1)
    ((area, name),) = _q(
        db,
        """SELECT community_area_number, community_area FROM marts.community_areas
           WHERE in_region ORDER BY community_area_number LIMIT 1""",
    )
    monkeypatch.setenv("ODW_APP_DB", str(db))
    page = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    page.query_params.update({"from": f"{start:%Y-%m}", "to": f"{end:%Y-%m}"})
    _open_tables(page.run()).switch_page(PAGE).run()
    page.multiselect(key="odw_filter_areas").set_value([area]).run()
    assert not page.exception
    expected = _deaths(db, start, end, where="community_area_number = ?", params=[area])
    assert _metric(page, f"Deaths, {name}") == display_count(expected, threshold)
    rest = _deaths(db, start, end, where="community_area_number <> ?", params=[area])
    assert f"{display_count(rest, threshold)} deaths" in " ".join(c.value for c in page.caption)


def test_small_counts_show_as_below_threshold_everywhere(
    db: Path, threshold: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = _q(
        db,
        """SELECT community_area_number, community_area, month, sum(deaths) AS n
           FROM marts.overdose_deaths_monthly
           WHERE drug = 'all' AND community_area_number IS NOT NULL
           GROUP BY ALL HAVING n BETWEEN 1 AND ? - 1
           ORDER BY month DESC, community_area_number LIMIT 1""",
        [threshold],
    )
    assert small, "the demo data should have an area-month with 1-9 deaths"
    area, name, month, _n = small[0]
    # The view as a shared link gives it: one area, one month.
    monkeypatch.setenv("ODW_APP_DB", str(db))
    page = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    page.query_params.update({"from": f"{month:%Y-%m}", "to": f"{month:%Y-%m}", "areas": str(area)})
    _open_tables(page.run()).switch_page(PAGE).run()
    assert not page.exception
    assert page.sidebar.select_slider(key="odw_filter_period").value == (month, month)
    assert _metric(page, f"Deaths, {name}") == f"<{threshold}"
    table = page.dataframe[0].value
    assert f"<{threshold}" in table["deaths"].tolist()
    assert any("Not plotted to protect privacy" in c.value for c in page.caption)
    for tab in TABS:
        at = _show_tab(page, tab)
        assert not at.exception, tab
        leaked = [v for v in _visible_values(at) if SMALL.match(v.strip())]
        assert not leaked, f"{tab}: counts of 1-{threshold - 1} shown: {leaked}"


def test_default_view_never_shows_small_counts(page: AppTest, threshold: int) -> None:
    for tab in TABS:
        at = _show_tab(page, tab)
        leaked = [v for v in _visible_values(at) if SMALL.match(v.strip())]
        assert not leaked, f"{tab}: {leaked}"


def test_provisional_months_are_marked(page: AppTest, db: Path) -> None:
    provisional = {
        r[0].strftime("%b %Y")
        for r in _q(db, "SELECT DISTINCT month FROM marts.me_monthly_by_area WHERE is_provisional")
    }
    assert provisional
    table = page.dataframe[0].value
    flagged = set(table.loc[table["provisional"], "period"])
    assert flagged == provisional
    assert any("provisional (toxicology pending)" in c.value for c in page.caption)


def test_year_over_year_table_is_the_published_mart(page: AppTest, db: Path, region: str) -> None:
    at = _show_tab(page, "Year over year")
    ((year, deaths, rate),) = _q(
        db,
        """SELECT year, deaths_display, round(rate, 1) FROM marts.overdose_rates_annual
           WHERE geography = ? AND NOT is_provisional ORDER BY year DESC LIMIT 1""",
        [region],
    )
    annual = at.dataframe[0].value
    row = annual[(annual["year"] == year) & (annual["series"] == region)].iloc[0]
    assert row["deaths"] == deaths
    assert row["rate_per_100k_per_year"] == pytest.approx(rate)


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def test_annual_table_adds_up_to_chicago_with_the_deaths_not_placed(page: AppTest, db: Path, region: str) -> None:
    at = _show_tab(page, "Year over year")
    annual = at.dataframe[0].value
    (year,) = _q(db, "SELECT max(year) FROM marts.overdose_rates_annual WHERE NOT is_provisional")[0]
    rows = annual[annual["year"] == year].set_index("series")["deaths"]
    assert list(rows.index) == [region, "Rest of Chicago", "Not placed in an area", "Chicago"]
    ((in_chicago, not_placed),) = _q(
        db,
        """SELECT sum(deaths), sum(deaths) FILTER (WHERE community_area_number IS NULL)
           FROM marts.overdose_deaths_monthly WHERE place = 'Chicago' AND drug = 'all' AND year(month) = ?""",
        [year],
    )
    assert _number(rows["Chicago"]) == in_chicago
    assert _number(rows["Not placed in an area"]) == not_placed > 0
    assert sum(_number(rows[s]) for s in (region, "Rest of Chicago", "Not placed in an area")) == in_chicago
    table = annual[annual["series"] == "Not placed in an area"]
    assert table["rate_per_100k_per_year"].isna().all()
    assert any("Not placed in an area" in c.value for c in at.caption)


def test_period_comparison_adds_up_to_chicago(page: AppTest, db: Path, region: str) -> None:
    at = _show_tab(page, "Year over year")
    start, end = _default_period(db)
    table = at.dataframe[1].value.set_index("area")["deaths"]
    assert list(table.index) == [region, "Rest of Chicago", "Not placed in an area", "Chicago"]
    ((in_chicago,),) = _q(
        db,
        """SELECT sum(deaths) FROM marts.overdose_deaths_monthly
           WHERE place = 'Chicago' AND drug = 'all' AND month BETWEEN ? AND ?""",
        [start, end],
    )
    assert _number(table["Chicago"]) == in_chicago
    assert sum(_number(table[s]) for s in (region, "Rest of Chicago", "Not placed in an area")) == in_chicago


def _adjusted_sql(db: Path, start: date, end: date, areas: list[int] | None) -> float:
    """The age-adjusted rate of ``areas`` (None: the region) from the published band tables."""
    from pipelines.defs.epidemiology.age_adjusted import STANDARD_POPULATION_2000

    standard = ", ".join(f"('{b}', {n / 1e6!r})" for b, n in STANDARD_POPULATION_2000.items())
    chosen = "in_region" if areas is None else "list_contains($areas, community_area_number)"
    years = ((end.year - start.year) * 12 + end.month - start.month + 1) / 12
    ((rate,),) = _q(
        db,
        f"""WITH standard(age_band, share) AS (VALUES {standard}),
            pop AS (SELECT age_band, sum(population) AS population
                    FROM marts.population_by_age_band JOIN marts.community_areas USING (community_area_number)
                    WHERE {chosen} GROUP BY 1),
            deaths AS (SELECT age_band, sum(deaths) AS deaths FROM marts.overdose_deaths_by_age_band
                       WHERE drug = 'all' AND month BETWEEN $start AND $end AND {chosen} GROUP BY 1)
            SELECT sum(share * coalesce(deaths, 0) / (population * $years)) * 100000
            FROM standard JOIN pop USING (age_band) LEFT JOIN deaths USING (age_band)""",
        {"start": start, "end": end, "years": years} | ({} if areas is None else {"areas": areas}),
    )
    return rate


def test_age_adjusted_choice_changes_the_rate_views(page: AppTest, db: Path, region: str) -> None:
    start, end = _default_period(db)
    page.sidebar.segmented_control(key="odw_filter_rate").set_value("adjusted").run()
    assert not page.exception
    assert page.query_params["rate"] in ("adjusted", ["adjusted"])
    assert _metric(page, "Age-adjusted rate per 100,000 per year") == f"{_adjusted_sql(db, start, end, None):,.1f}"
    assert "Rest of Chicago, age-adjusted rate" in [m.label for m in page.metric]
    captions = " ".join(c.value for c in page.caption)
    assert "2000 US standard population" in captions and f"of unknown age in {region}" in captions
    # Year over year: the chart is the age-adjusted rate; the table shows both, as the mart has them.
    at = _show_tab(page, "Year over year")
    assert not at.exception
    ((year, adjusted, crude, unknown),) = _q(
        db,
        """SELECT year, round(age_adjusted_rate, 1), round(rate, 1), deaths_unknown_age_display
           FROM marts.overdose_rates_annual WHERE geography = ? AND NOT is_provisional ORDER BY year DESC LIMIT 1""",
        [region],
    )
    annual = at.dataframe[0].value
    row = annual[(annual["year"] == year) & (annual["series"] == region)].iloc[0]
    assert row["age_adjusted_rate_per_100k_per_year"] == pytest.approx(adjusted)
    assert row["rate_per_100k_per_year"] == pytest.approx(crude)
    assert row["deaths_unknown_age"] == unknown
    (chart,) = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert "per 100,000 per year, age-adjusted" in chart.proto.spec
    assert "Age-adjusted rate per 100,000 per year" in chart.proto.spec


def test_a_chosen_area_gets_the_age_adjusted_rates_the_pipeline_publishes(page: AppTest, db: Path) -> None:
    """The page computes a chosen area's annual age-adjusted rates itself: they equal the mart's."""
    ((area, name),) = _q(
        db, "SELECT community_area_number, community_area FROM marts.community_areas WHERE community_area = 'Austin'"
    )
    page.sidebar.segmented_control(key="odw_filter_rate").set_value("adjusted").run()
    page.multiselect(key="odw_filter_areas").set_value([area]).run()
    at = _show_tab(page, "Year over year")
    assert not at.exception
    annual = at.dataframe[0].value
    published = _q(
        db,
        """SELECT year, round(age_adjusted_rate, 1) FROM marts.overdose_rates_annual
           WHERE geography = ? AND age_adjusted_rate IS NOT NULL""",
        [name],
    )
    assert len(published) >= 5
    shown = annual[annual["series"] == name].set_index("year")["age_adjusted_rate_per_100k_per_year"]
    for year, rate in published:
        assert shown[year] == pytest.approx(rate), year


def test_a_chosen_areas_annual_table_rates_chicago_over_every_chicago_death(page: AppTest, db: Path) -> None:
    """With an area chosen, the page computes the annual rates itself: Chicago's age-adjusted rate
    (a group over every Chicago death, placed or not) equals the mart's, and the not-placed row has
    no rate of either kind and no unknown-age count."""
    ((area,),) = _q(db, "SELECT community_area_number FROM marts.community_areas WHERE community_area = 'Austin'")
    page.sidebar.segmented_control(key="odw_filter_rate").set_value("adjusted").run()
    page.multiselect(key="odw_filter_areas").set_value([area]).run()
    at = _show_tab(page, "Year over year")
    assert not at.exception
    annual = at.dataframe[0].value
    published = dict(_q(
        db,
        """SELECT year, round(age_adjusted_rate, 1) FROM marts.overdose_rates_annual
           WHERE geography_type = 'city' AND age_adjusted_rate IS NOT NULL""",
    ))  # fmt: skip
    assert len(published) >= 5
    chicago = annual[annual["series"] == "Chicago"].set_index("year")
    for year, rate in published.items():
        assert chicago.loc[year, "age_adjusted_rate_per_100k_per_year"] == pytest.approx(rate), year
    not_placed = annual[annual["series"] == "Not placed in an area"]
    assert len(not_placed) == annual["year"].nunique()
    columns = ["rate_per_100k_per_year", "age_adjusted_rate_per_100k_per_year", "age_adjusted_95ci_lower",
               "age_adjusted_95ci_upper", "deaths_unknown_age"]  # fmt: skip
    assert not_placed[columns].isna().all().all()
    assert not_placed["deaths"].notna().all()


def test_default_annual_table_has_no_rates_for_the_deaths_not_placed(page: AppTest) -> None:
    page.sidebar.segmented_control(key="odw_filter_rate").set_value("adjusted").run()
    at = _show_tab(page, "Year over year")
    annual = at.dataframe[0].value
    not_placed = annual[annual["series"] == "Not placed in an area"]
    assert len(not_placed) >= 10
    assert not_placed[["rate_per_100k_per_year", "age_adjusted_rate_per_100k_per_year", "deaths_unknown_age"]].isna().all().all()
    chicago = annual[annual["series"] == "Chicago"]
    assert chicago["age_adjusted_rate_per_100k_per_year"].notna().sum() >= 5


#: A period of 1-9 Chicago deaths not placed in an area, a rest-of-Chicago area of 1-9 and a region
#: and a rest of 10 or more, for ``drug`` over months $first..$last, latest first.
SMALL_NOT_PLACED = """
    WITH m AS (SELECT * FROM marts.overdose_deaths_monthly WHERE place = 'Chicago' AND drug = $drug
                                                               AND month BETWEEN $first AND $last),
    counts AS (SELECT {period} AS p, community_area_number AS a, any_value(in_region) AS in_region,
                      sum(deaths) AS n FROM m GROUP BY ALL)
    SELECT p, sum(n) FROM counts
    GROUP BY p
    HAVING sum(n) FILTER (WHERE a IS NULL) BETWEEN 1 AND $small
       AND sum(n) FILTER (WHERE a IS NOT NULL AND in_region) > $small
       AND sum(n) FILTER (WHERE a IS NOT NULL AND NOT in_region) > $small
       AND bool_or(a IS NOT NULL AND NOT in_region AND n BETWEEN 1 AND $small)
    ORDER BY p DESC LIMIT 1"""


def _map_and_trends(db: Path, link: dict[str, str], threshold: int, monkeypatch: pytest.MonkeyPatch) -> tuple:
    """(Trends' chart table, Trends' period table, the Map's four totals) for the view of ``link``
    (query parameters), checking that the Map shows the totals Trends does."""
    monkeypatch.setenv("ODW_APP_DB", str(db))
    trends = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    trends.query_params.update(link)
    _open_tables(trends.run()).switch_page(PAGE).run()
    assert not trends.exception
    chart_table = trends.dataframe[0].value.set_index("series")["deaths"]
    at = _show_tab(trends, "Year over year")
    on_trends = at.dataframe[1].value.set_index("area")["deaths"].to_dict()
    the_map = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    the_map.query_params.update(link)
    the_map.run()
    the_map.session_state["map_area_table"] = True
    the_map.switch_page("app_pages/map.py").run()
    assert not the_map.exception
    table = the_map.dataframe[0].value
    on_map = table[table["area_number"].isna()].set_index("community_area")["deaths"].to_dict()
    assert on_map == on_trends
    rest_areas = table[(table["area_number"].notna()) & (table["part_of_city"] == "Rest of Chicago")]
    # The Map's own area table hides a rest-of-Chicago area: the rest is no sum of shown areas.
    assert rest_areas["deaths"].isin([f"<{threshold}", "*"]).any()
    return chart_table, on_trends, on_map


def test_the_map_and_trends_keep_the_rest_and_withhold_chicago_for_a_month(
    db: Path, region: str, threshold: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A month with 1-9 Chicago deaths not placed in an area beside a hidden rest-of-Chicago area:
    a month is shorter than 12 months, so on the Map's table and on Trends' period table and chart
    the rest of Chicago shows its count and Chicago is withheld ("*") — the same figures."""
    ((month, _),) = _q(
        db, SMALL_NOT_PLACED.format(period="month"),
        {"drug": "all", "first": date(1900, 1, 1), "last": date(2100, 1, 1), "small": threshold - 1},
    )  # fmt: skip
    ((rest,),) = _q(
        db,
        """SELECT sum(deaths) FROM marts.overdose_deaths_monthly WHERE place = 'Chicago' AND drug = 'all'
           AND month = $month AND community_area_number IS NOT NULL AND NOT in_region""",
        {"month": month},
    )
    link = {"from": f"{month:%Y-%m}", "to": f"{month:%Y-%m}"}
    chart_table, _, on_map = _map_and_trends(db, link, threshold, monkeypatch)
    assert chart_table["Rest of Chicago"] == f"{rest:,}" and chart_table[region] != "*"
    assert on_map["Chicago"] == "*" and on_map["Rest of Chicago"] == f"{rest:,}"
    assert on_map["Not placed in an area"] == f"<{threshold}"


def test_the_map_and_trends_hide_the_rest_and_show_chicago_over_a_year(
    db: Path, threshold: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same over a calendar year, for a drug whose deaths not placed in an area are 1-9 in a
    year (benzodiazepines on the demo): 12 months keep Chicago's total, so both pages show it and
    hide the rest of Chicago ("*")."""
    ((year_start, chicago),) = _q(
        db, SMALL_NOT_PLACED.format(period="date_trunc('year', month)"),
        {"drug": "benzodiazepine", "first": date(1900, 1, 1), "last": date(2025, 12, 1), "small": threshold - 1},
    )  # fmt: skip
    assert year_start.month == 1
    link = {"from": f"{year_start:%Y}-01", "to": f"{year_start:%Y}-12", "drug": "benzodiazepine"}
    _, _, on_map = _map_and_trends(db, link, threshold, monkeypatch)
    assert on_map["Chicago"] == f"{chicago:,}" and on_map["Rest of Chicago"] == "*"
    assert on_map["Not placed in an area"] == f"<{threshold}"


def test_the_rest_of_chicago_is_drawn_every_month(page: AppTest) -> None:
    """On the demo the deaths not placed in an area are 1-9 in most months, beside a hidden rest
    area: a month keeps the rest of Chicago (Chicago's total is withheld instead, and not drawn),
    so the monthly chart draws the rest in every closed month (the last, provisional months hold
    few deaths yet: their own small counts hide them) and says nothing about a hidden rest."""
    table = page.dataframe[0].value
    rest = table[(table["series"] == "Rest of Chicago") & ~table["provisional"]]
    assert len(rest) >= 6 and not rest["deaths"].isin(["*", "<10"]).any()
    assert not any("rest of Chicago are hidden" in i.value for i in page.info)
