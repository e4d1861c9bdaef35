"""The Map page run headless with AppTest on the published demo database: what the map draws.

Known answers come from the app database with plain SQL; the page's numbers are read from the
deck.gl JSON the page sends to the browser (what a user can hover).
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboards.components import map_deck, map_hexagons, map_hotspots, map_style

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dashboards" / "app.py"
MAP_PAGE = APP.parent / "app_pages" / "map.py"
TRENDS_PAGE = APP.parent / "app_pages" / "trends.py"
TIMEOUT = 120
#: A count of 1-9 after a label ("Deaths: 7"), the thing public mode must never show.
SMALL_COUNT = re.compile(r": ([1-9])(?![\d.,%])")


def _query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _default_period(db: Path) -> tuple[date, date]:
    months = [r[0] for r in _query(db, "SELECT DISTINCT month FROM marts.me_monthly_by_area ORDER BY month")]
    return months[max(0, len(months) - 12)], months[-1]


def _area_deaths(db: Path, drug: str, start: date, end: date) -> dict[str, int]:
    rows = _query(
        db,
        """SELECT a.community_area, coalesce(sum(d.deaths), 0)
           FROM marts.community_areas a
           LEFT JOIN marts.overdose_deaths_monthly d
             ON d.community_area_number = a.community_area_number AND d.drug = ?
            AND d.month BETWEEN ? AND ?
           GROUP BY a.community_area""",
        [drug, start, end],
    )
    return {name: int(n) for name, n in rows}


def _spec(at: AppTest) -> dict:
    (chart,) = at.get("deck_gl_json_chart")
    return json.loads(chart.proto.json)


def _layer(spec: dict, layer_id: str) -> dict | None:
    return next((layer for layer in spec["layers"] if layer["id"] == layer_id), None)


def _area_props(at: AppTest) -> dict[str, dict]:
    layer = _layer(_spec(at), map_style.CHOROPLETH_LAYER_ID)
    return {f["properties"]["community_area"]: f["properties"] for f in layer["data"]["features"]}


def _tooltip_texts(spec: dict) -> list[str]:
    texts = []
    for layer in spec["layers"]:
        data = layer["data"]
        objects = data["features"] if isinstance(data, dict) else data
        for obj in objects:
            props = obj.get("properties", obj)
            texts += [str(props[slot]) for slot in map_style.TOOLTIP_SLOTS if slot in props]
    return texts


@pytest.fixture
def app(demo_app_db: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The Map page on the demo database, public mode, with the table under the map opened."""
    monkeypatch.setenv("ODW_APP_DB", str(demo_app_db))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at.session_state["map_area_table"] = True
    at.switch_page(str(MAP_PAGE)).run()
    assert not at.exception, at.exception
    return at


def test_area_table_is_drawn_once_its_expander_is_opened(demo_app_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Closed, the table is not sent at all (no data-grid code for the browser to load)."""
    monkeypatch.setenv("ODW_APP_DB", str(demo_app_db))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at.switch_page(str(MAP_PAGE)).run()
    assert "Community-area table (the numbers on the map)" in [e.label for e in at.main.expander]
    assert not at.dataframe
    at.session_state["map_area_table"] = True  # what a click on the expander sets
    at.run()
    # The 77 areas, then the region, the rest of Chicago, the deaths not placed in an area, Chicago.
    assert len(at.dataframe[0].value) == 77 + 4
    # Readable headers on screen; the CSV keeps the machine-readable names.
    headers = {name: spec.get("label") for name, spec in json.loads(at.dataframe[0].proto.columns).items()}
    assert headers["community_area"] == "Community area"
    # Both rates, each named for what it is.
    assert headers["rate_per_100k_per_year"] == "Crude rate per 100,000/yr"
    assert headers["age_adjusted_rate_per_100k_per_year"] == "Age-adjusted rate per 100,000/yr"
    # The grid is drawn from the Areas CSV's frame, whose columns keep their names.
    assert list(at.dataframe[0].value.columns)[:2] == ["area_number", "community_area"]
    assert {"rate_per_100k_per_year", "age_adjusted_rate_per_100k_per_year", "deaths_unknown_age"} <= set(
        at.dataframe[0].value.columns
    )


@pytest.fixture
def threshold(demo_app_db: Path) -> int:
    return _query(demo_app_db, "SELECT suppress_below FROM marts.publication")[0][0]


def test_default_map_counts_match_the_warehouse(app: AppTest, demo_app_db: Path) -> None:
    start, end = _default_period(demo_app_db)
    assert app.select_slider(key="odw_filter_period").value == (start, end)
    expected = _area_deaths(demo_app_db, "all", start, end)
    region = [r[0] for r in _query(demo_app_db, "SELECT community_area FROM marts.community_areas WHERE in_region")]
    busiest = max(region, key=expected.get)
    props = _area_props(app)
    assert props[busiest]["line1"] == f"All overdose deaths: {expected[busiest]:,}"
    assert len(props) == 77
    # The table under the map (and its CSV) shows the same numbers as the map.
    table = app.dataframe[0].value
    areas = table[table["area_number"].notna()]
    shown = dict(zip(areas["community_area"], areas["deaths"], strict=True))
    assert len(shown) == 77
    assert all(props[name]["line1"].endswith(f": {shown[name]}") for name in shown)
    labels = [b.label for b in app.get("download_button")]
    assert labels[:2] == ["Map (PNG)", "Areas (CSV)"]
    assert any("Source: Cook County Medical Examiner" in c.value and "Period:" in c.value for c in app.caption)


def test_area_table_ends_with_the_parts_of_chicago(app: AppTest, demo_app_db: Path, threshold: int) -> None:
    """The areas of each part add up to its row, and region + rest + not placed = Chicago."""
    start, end = _default_period(demo_app_db)
    ((region_label,),) = _query(demo_app_db, "SELECT region_label FROM marts.publication")
    ((region, rest, not_placed),) = _query(
        demo_app_db,
        """SELECT sum(deaths) FILTER (WHERE community_area_number IS NOT NULL AND in_region),
                  sum(deaths) FILTER (WHERE community_area_number IS NOT NULL AND NOT in_region),
                  sum(deaths) FILTER (WHERE community_area_number IS NULL)
           FROM marts.overdose_deaths_monthly
           WHERE place = 'Chicago' AND drug = 'all' AND month BETWEEN ? AND ?""",
        [start, end],
    )
    assert min(region, rest, not_placed) >= threshold  # so every total is shown
    table = app.dataframe[0].value
    totals = table[table["area_number"].isna()]
    assert totals["community_area"].tolist() == [region_label, "Rest of Chicago", "Not placed in an area", "Chicago"]
    assert totals["deaths"].tolist() == [f"{n:,}" for n in (region, rest, not_placed, region + rest + not_placed)]
    areas = table[table["area_number"].notna()]
    visible = areas[~areas["deaths"].isin([f"<{threshold}", "*"])]
    if len(visible) == len(areas):
        assert sum(int(d.replace(",", "")) for d in areas["deaths"]) == region + rest
    ((population,),) = _query(demo_app_db, "SELECT sum(population_2020) FROM marts.community_areas")
    chicago = totals[totals["community_area"] == "Chicago"].iloc[0]
    assert chicago["rate_per_100k_per_year"] == pytest.approx(
        round((region + rest + not_placed) / population * 100_000, 1)
    )
    assert totals[totals["community_area"] == "Not placed in an area"]["rate_per_100k_per_year"].isna().all()
    assert any("Not placed in an area" in c.value for c in app.caption)
    # Their age-adjusted rates, computed as the areas' are; Chicago's over every Chicago death.
    adjusted = totals.set_index("community_area")["age_adjusted_rate_per_100k_per_year"]
    for name, deaths_where, population_where in (
        (region_label, "community_area_number IS NOT NULL AND in_region", "in_region"),
        ("Rest of Chicago", "community_area_number IS NOT NULL AND NOT in_region", "NOT in_region"),
        ("Chicago", "TRUE", "TRUE"),
    ):
        expected = _adjusted_sql(demo_app_db, start, end, deaths_where, population_where)
        assert adjusted[name] == pytest.approx(round(expected, 1)), name
    assert adjusted["Chicago"] != pytest.approx(chicago["rate_per_100k_per_year"])
    not_placed_row = totals[totals["community_area"] == "Not placed in an area"].iloc[0]
    assert not_placed_row[["age_adjusted_rate_per_100k_per_year", "age_adjusted_95ci_lower",
                           "deaths_unknown_age"]].isna().all()  # fmt: skip


def _adjusted_sql(db: Path, start: date, end: date, deaths_where: str, population_where: str) -> float:
    """Age-adjusted rate per 100,000 per year of the deaths ``deaths_where`` over the population of
    the areas ``population_where``, by SQL from the published band tables."""
    from pipelines.defs.epidemiology.age_adjusted import STANDARD_POPULATION_2000

    standard = ", ".join(f"('{b}', {n / 1e6!r})" for b, n in STANDARD_POPULATION_2000.items())
    years = ((end.year - start.year) * 12 + end.month - start.month + 1) / 12
    ((rate,),) = _query(
        db,
        f"""WITH standard(age_band, share) AS (VALUES {standard}),
            pop AS (SELECT age_band, sum(population) AS population FROM marts.population_by_age_band
                    JOIN marts.community_areas USING (community_area_number) WHERE {population_where} GROUP BY 1),
            deaths AS (SELECT age_band, sum(deaths) AS deaths FROM marts.overdose_deaths_by_age_band
                       WHERE drug = 'all' AND month BETWEEN ? AND ? AND {deaths_where} GROUP BY 1)
            SELECT sum(share * coalesce(deaths, 0) / (population * ?)) * 100000
            FROM standard JOIN pop USING (age_band) LEFT JOIN deaths USING (age_band)""",
        [start, end, years],
    )
    return rate


def test_drug_filter_changes_the_counts(app: AppTest, demo_app_db: Path) -> None:
    start, end = _default_period(demo_app_db)
    app.selectbox(key="odw_filter_drug").set_value("fentanyl").run()
    assert not app.exception
    assert app.query_params["drug"] == ["fentanyl"] or app.query_params["drug"] == "fentanyl"
    fentanyl = _area_deaths(demo_app_db, "fentanyl", start, end)
    everything = _area_deaths(demo_app_db, "all", start, end)
    props = _area_props(app)
    name = max((n for n in fentanyl if fentanyl[n] != everything[n]), key=fentanyl.get)
    assert props[name]["line1"] == f"Fentanyl (incl. analogues): {fentanyl[name]:,}"


def test_one_month_shows_small_areas_as_under_threshold_and_no_small_number(
    app: AppTest, demo_app_db: Path, threshold: int
) -> None:
    ((month, area),) = _query(
        demo_app_db,
        """SELECT month, community_area FROM marts.me_monthly_by_area
           WHERE overdose_deaths BETWEEN 1 AND ? - 1 ORDER BY month DESC, community_area_number LIMIT 1""",
        [threshold],
    )
    app.select_slider(key="odw_filter_period").set_range(month, month).run()
    app.selectbox(key="map_hex").set_value("outreach_contacts").run()
    assert not app.exception
    props = _area_props(app)
    assert props[area]["line1"] == f"All overdose deaths: <{threshold}"
    assert "not shown" in props[area]["line2"]
    spec = _spec(app)
    texts = _tooltip_texts(spec)
    assert not [t for t in texts if SMALL_COUNT.search(t)]
    deaths = app.dataframe[0].value["deaths"].astype(str).tolist()
    assert f"<{threshold}" in deaths
    assert not [d for d in deaths if re.fullmatch(r"[1-9]", d)]


def test_hexagon_layer_draws_exactly_the_published_cells(app: AppTest, demo_app_db: Path, threshold: int) -> None:
    start, end = _default_period(demo_app_db)
    # The page shows the latest calendar year overlapping the period that has cells.
    ((year,),) = _query(
        demo_app_db,
        """SELECT max(period) FROM marts.hex_counts WHERE metric = 'outreach_contacts'
           AND period_type = 'year' AND year(period) BETWEEN ? AND ?""",
        [start.year, end.year],
    )
    cells = dict(
        _query(
            demo_app_db,
            """SELECT h3_cell, count_display FROM marts.hex_counts WHERE metric = 'outreach_contacts'
               AND period_type = 'year' AND period = ?""",
            [year],
        )
    )
    assert app.selectbox(key="map_hex").options == [
        "None", "Deaths per hexagon", "Positive test strips per hexagon", "Outreach contacts per hexagon"
    ]  # fmt: skip
    app.selectbox(key="map_hex").set_value("outreach_contacts").run()
    assert not app.exception
    layer = _layer(_spec(app), map_style.HEX_LAYER_ID)
    assert len(layer["data"]) == len(cells) > 0
    shown = sorted(o["line1"].rsplit(": ", 1)[1] for o in layer["data"])
    assert shown == sorted(cells.values())
    assert all(int(v.replace(",", "")) >= threshold for v in shown)
    polygons = {tuple(map(tuple, o["polygon"])) for o in layer["data"]}
    assert polygons == {tuple(map(tuple, map_hexagons.hex_polygon(c))) for c in cells}
    assert "Hexagons (CSV)" in [b.label for b in app.get("download_button")]


def test_gi_fill_matches_the_published_classes(app: AppTest, demo_app_db: Path) -> None:
    _start, end = _default_period(demo_app_db)
    closes = date(end.year + (end.month == 12), end.month % 12 + 1, 1)
    rows = _query(
        demo_app_db,
        """SELECT community_area, gi_class, gi_bin, window_label FROM marts.area_hotspots
           WHERE measure = 'eb_rate' AND window_end = (
               SELECT max(window_end) FROM marts.area_hotspots WHERE measure = 'eb_rate' AND window_end <= ?)""",
        [closes],
    )
    app.selectbox(key="map_fill").set_value("gi").run()
    assert not app.exception
    props = _area_props(app)
    for name, gi_class, gi_bin, window in rows:
        colour, label = map_style.GI_STYLES[map_hotspots.gi_key(gi_class, gi_bin)]
        assert map_style.rgba_to_hex(props[name]["fill_color"]) == colour
        assert props[name]["line1"] == f"Getis-Ord Gi*: {label}"
        assert props[name]["line3"] == f"Window: {window}"
    assert any(r[1] == "hot spot" for r in rows), "the demo data has hot spots"
    app.selectbox(key="map_fill").set_value("moran").run()
    props = _area_props(app)
    moran = dict(
        _query(
            demo_app_db,
            """SELECT community_area, moran_cluster FROM marts.area_hotspots
               WHERE measure = 'eb_rate' AND window_label = ?""",
            [rows[0][3]],
        )
    )
    assert all(
        map_style.rgba_to_hex(props[n]["fill_color"]) == map_style.MORAN_STYLES[c][0] for n, c in moran.items()
    )


def test_positivity_fill_matches_the_field_data(app: AppTest, demo_app_db: Path) -> None:
    start, end = _default_period(demo_app_db)
    name, read, positive = max(
        _query(
            demo_app_db,
            """SELECT community_area, sum(tests_read), sum(positives) FROM marts.test_strip_positivity
               WHERE area_level = 'community_area' AND strip_type = 'fentanyl' AND substance_as_sold = 'all'
                 AND month BETWEEN ? AND ? GROUP BY community_area""",
            [start, end],
        ),
        key=lambda r: r[1],
    )
    app.selectbox(key="map_fill").set_value("positivity").run()
    assert not app.exception
    props = _area_props(app)[name]
    assert props["line1"] == f"Fentanyl strips read: {read:,}"
    assert props["line2"].startswith(f"Positivity: {positive / read:.0%} (95% CI ")
    assert any("Task force field data" in c.value for c in app.caption)


def test_alert_markers_sit_on_areas_with_recent_alerts(app: AppTest, demo_app_db: Path) -> None:
    areas = {
        r[0]
        for r in _query(
            demo_app_db,
            "SELECT DISTINCT area FROM marts.alert_badges WHERE is_recent AND area_level = 'community_area'",
        )
    }
    layer = _layer(_spec(app), map_style.ALERT_LAYER_ID)
    assert {m["title"].removeprefix("Alert: ") for m in (layer["data"] if layer else [])} == areas
    if layer:
        assert all(m["line3"].startswith("Methods: ") and "Severity: " in m["line2"] for m in layer["data"])
        assert all("Observed" not in m["note"] for m in layer["data"])
    app.toggle(key="map_alerts").set_value(False).run()
    assert _layer(_spec(app), map_style.ALERT_LAYER_ID) is None


def test_member_mode_adds_hexagon_hot_spots(app: AppTest, demo_app_db: Path) -> None:
    app.secrets["members"] = {"password_sha256": hashlib.sha256(b"a long test password").hexdigest()}
    app.session_state["odw_member"] = True
    app.run()
    assert "Hexagon hot spots (Gi*)" in app.selectbox(key="map_hex").options
    app.selectbox(key="map_hex").set_value("gi").run()
    assert not app.exception
    _start, end = _default_period(demo_app_db)
    closes = date(end.year + (end.month == 12), end.month % 12 + 1, 1)
    ((cells,),) = _query(
        demo_app_db,
        """SELECT count(*) FROM marts.hex_hotspots WHERE measure = 'deaths' AND window_end = (
               SELECT max(window_end) FROM marts.hex_hotspots WHERE window_end <= ?)""",
        [closes],
    )
    layer = _layer(_spec(app), map_style.HEX_LAYER_ID)
    assert len(layer["data"]) == cells > 0
    assert all(o["line1"].startswith("Getis-Ord Gi*: ") for o in layer["data"])


def test_clicking_an_area_selects_it_for_every_page(app: AppTest, demo_app_db: Path) -> None:
    ((number, name),) = _query(
        demo_app_db,
        "SELECT community_area_number, community_area FROM marts.community_areas WHERE in_region "
        "ORDER BY community_area_number LIMIT 1",
    )
    # What st.pydeck_chart puts in the session when the area is clicked.
    app.session_state["map_deck_0"] = {
        "selection": {
            "indices": {map_style.CHOROPLETH_LAYER_ID: [number - 1]},
            "objects": {map_style.CHOROPLETH_LAYER_ID: [{"properties": {"community_area_number": number}}]},
        }
    }
    app.run()
    assert not app.exception
    assert app.query_params["areas"] in (str(number), [str(number)])
    assert any(md.value == f"**Selected:** {name}" for md in app.markdown)
    assert app.multiselect(key="odw_filter_areas").value == [number]
    selected = _layer(_spec(app), map_style.SELECTED_LAYER_ID)
    assert len(selected["data"]["features"]) == 1
    # The chart starts again without a selection of its own, so the area is not re-applied.
    assert "map_deck_1" not in app.session_state or not map_deck.selected_area(app.session_state["map_deck_1"])

    if TRENDS_PAGE.exists():
        app.switch_page(str(TRENDS_PAGE)).run()
        assert not app.exception
        assert app.multiselect(key="odw_filter_areas").value == [number]
        app.switch_page(str(MAP_PAGE)).run()
    app.button(key="map_clear_selection").click().run()
    assert not app.exception
    assert "areas" not in app.query_params
    assert _layer(_spec(app), map_style.SELECTED_LAYER_ID) is None


def test_unpublished_overlays_leave_the_map_working(
    demo_app_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    older = tmp_path / "app.duckdb"
    with duckdb.connect(str(older)) as con:
        con.execute("ATTACH ? AS src (READ_ONLY)", [str(demo_app_db)])
        con.execute("CREATE SCHEMA marts")
        for table in ("community_areas", "me_monthly_by_area", "overdose_deaths_monthly", "source_freshness",
                      "publication", "overdose_deaths_by_age_band", "population_by_age_band"):  # fmt: skip
            con.execute(f"CREATE TABLE marts.{table} AS SELECT * FROM src.marts.{table}")
        for schema, table in con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_catalog = 'src' AND table_schema = 'meta'"
        ).fetchall():
            con.execute("CREATE SCHEMA IF NOT EXISTS meta")
            con.execute(f"CREATE TABLE {schema}.{table} AS SELECT * FROM src.{schema}.{table}")
    monkeypatch.setenv("ODW_APP_DB", str(older))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at.switch_page(str(MAP_PAGE)).run()
    assert not at.exception
    assert _layer(_spec(at), map_style.ALERT_LAYER_ID) is None
    at.selectbox(key="map_hex").set_value("overdose_deaths").run()
    assert not at.exception
    assert _layer(_spec(at), map_style.HEX_LAYER_ID) is None
    assert any("No hexagon has" in c.value for c in at.caption)


def test_rate_layer_shows_the_age_adjusted_rates_the_pipeline_publishes(
    demo_app_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Calendar year 2024 on the map, age-adjusted: each shown area's rate is the annual mart's,
    which the pipeline computes by its own path; the tooltip names both rates."""
    monkeypatch.setenv("ODW_APP_DB", str(demo_app_db))
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    app.query_params.update({"from": "2024-01", "to": "2024-12"})  # a shared link to the year
    app.session_state["map_area_table"] = True
    app.run().switch_page(str(MAP_PAGE)).run()
    assert app.select_slider(key="odw_filter_period").value == (date(2024, 1, 1), date(2024, 12, 1))
    app.selectbox(key="map_fill").set_value("rate").run()
    app.sidebar.segmented_control(key="odw_filter_rate").set_value("adjusted").run()
    assert not app.exception
    assert app.query_params["rate"] in ("adjusted", ["adjusted"])
    assert any(m.value == "##### All overdose deaths: deaths per 100,000 residents per year, age-adjusted"
               for m in app.markdown)
    assert any("Age-adjusted rate per 100,000/yr" in h.value for h in app.get("html"))
    published = dict(_query(
        demo_app_db,
        """SELECT geography, age_adjusted_rate FROM marts.overdose_rates_annual
           WHERE year = 2024 AND geography_type = 'community_area' AND age_adjusted_rate IS NOT NULL""",
    ))
    props = _area_props(app)
    assert len(published) > 20
    for name, rate in published.items():
        assert props[name]["line2"].startswith("Crude rate: "), name
        assert props[name]["line3"].startswith(f"Age-adjusted rate: {rate:,.1f} per 100,000 per year (95% CI "), name
    table = app.dataframe[0].value.set_index("community_area")
    assert table.loc["Austin", "age_adjusted_rate_per_100k_per_year"] == pytest.approx(round(published["Austin"], 1))
    # Hidden areas show neither rate (a rate would give the count back).
    hidden = table[table["deaths"].isin(["<10", "*"])]
    assert len(hidden) and hidden["age_adjusted_rate_per_100k_per_year"].isna().all()
    assert any("2000 US standard population" in c.value and "of unknown age" in c.value for c in app.caption)
