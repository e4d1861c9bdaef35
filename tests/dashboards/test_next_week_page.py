"""The Next week page (AppTest, demo app database): ranked places, map, coverage gap and briefs for
members; community areas only, suppressed, for the public. Plus its pure pieces."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboards.components import priorities as pr
from dashboards.components.access import hash_password

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
PAGE = "app_pages/next_week.py"
TIMEOUT = 180
SECRETS = {"members": {"password_hash": hash_password("member-pass", iterations=1_000)}}


def _page(app_db: Path, output_dir: Path, *, member: bool, team: str | None = None) -> AppTest:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ODW_APP_DB", str(app_db))
        mp.setenv("ODW_OUTPUT_DIR", str(output_dir))
        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
        for key, value in SECRETS.items():
            at.secrets[key] = value
        if member:
            at.session_state["odw_member"] = True
        at = at.run().switch_page(PAGE).run()
        if team is not None:
            at.selectbox(key="next-week-team").select(team)
            at = at.run()
    assert not at.exception, at.exception
    return at


def _query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def _all_text(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "success", "warning", "info") for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts) + "\n".join(str(d.value) for d in at.dataframe)


def test_members_see_ranked_places_map_gaps_and_briefs(demo_pipeline, demo_app_db):
    at = _page(demo_app_db, Path(demo_pipeline.env["ODW_OUTPUT_DIR"]), member=True)
    assert [s.value for s in at.subheader] == ["Ranked places", "Forecast map", "A place's strips and alerts", "Team briefs"]
    (table,) = at.dataframe
    shown = table.value
    top = _query(demo_app_db, "SELECT forecast_rank, reasons FROM marts.outreach_priorities WHERE in_region "
                              "ORDER BY forecast_rank LIMIT 25")
    assert shown["Chicago rank"].tolist() == [r[0] for r in top]
    assert shown["Reasons"].tolist() == [r[1] for r in top]
    gaps = _query(demo_app_db, "SELECT count(*) FROM marts.outreach_priorities WHERE in_region AND coverage_gap")[0][0]
    assert f"**{gaps} coverage gaps**" in _all_text(at)
    (chart,) = at.get("deck_gl_json_chart")
    layers = {layer["id"]: layer for layer in json.loads(chart.proto.json)["layers"]}
    assert len(layers["priority-cells"]["data"]) == _query(
        demo_app_db, "SELECT count(*) FROM marts.outreach_priorities WHERE in_region")[0][0]
    assert len(layers["priority-gaps"]["data"]) == gaps
    assert len(layers["priority-hotspots"]["data"]) == _query(demo_app_db, "SELECT count(*) FROM marts.hotspot_coverage")[0][0]
    assert {m.label for m in at.metric} >= {"Fentanyl strips (8 wk)", "Xylazine strips (8 wk)"}
    assert len(at.get("download_button")) == 6  # all teams + five teams
    assert any("beat both naive baselines" in s.value for s in at.success)


def test_team_filter_narrows_to_the_teams_areas_and_its_brief(demo_pipeline, demo_app_db):
    at = _page(demo_app_db, Path(demo_pipeline.env["ODW_OUTPUT_DIR"]), member=True, team="Lawndale Team")
    areas = {r[0] for r in _query(demo_app_db, "SELECT unnest(community_area_numbers) FROM marts.priority_teams "
                                               "WHERE team = 'Lawndale Team'")}
    names = {r[0] for r in _query(demo_app_db, "SELECT DISTINCT community_area FROM marts.outreach_priorities "
                                               f"WHERE community_area_number IN ({','.join(map(str, areas))})")}
    (table,) = at.dataframe
    assert set(table.value["Community area"]) <= names
    assert len(at.get("download_button")) == 2  # the team's own brief and all teams


def test_public_sees_only_community_areas_suppressed(demo_pipeline, demo_app_db):
    at = _page(demo_app_db, Path(demo_pipeline.env["ODW_OUTPUT_DIR"]), member=False)
    assert [s.value for s in at.subheader] == ["Community areas"]
    (table,) = at.dataframe
    assert list(table.value.columns) == ["Rank in Chicago", "Community area", "Expected deaths (4 wk)", "Deaths, last 8 weeks"]
    for value in [*table.value["Expected deaths (4 wk)"], *table.value["Deaths, last 8 weeks"]]:
        assert value in ("0", "<10", "*") or int(value.replace(",", "")) >= 10
    text = _all_text(at)
    cells = [r[0] for r in _query(demo_app_db, "SELECT h3_cell FROM marts.outreach_priorities LIMIT 50")]
    assert not any(cell in text for cell in cells)
    assert not at.get("deck_gl_json_chart") and not at.get("download_button")
    assert "HS-01" not in text


def test_backtest_verdict_names_what_the_forecast_did_not_beat():
    def table(forecast_5: float) -> pl.DataFrame:
        rows = []
        for model, pai5, pai10 in (("forecast", forecast_5, 4.0), ("last_4_weeks", 3.0, 3.5), ("all_earlier_weeks", 5.0, 3.9)):
            for share, value in ((0.05, pai5), (0.10, pai10)):
                rows.append({"model": model, "flagged_share": share, "sample": "all", "pai": value, "origins": 104,
                             "first_origin": date(2024, 11, 18), "last_origin": date(2026, 11, 9)})
        return pl.DataFrame(rows)

    beats, text = pr.backtest_verdict(table(5.5))
    assert beats and "beat both naive baselines" in text
    beats, text = pr.backtest_verdict(table(4.5))
    assert not beats and "did **not** beat: all earlier weeks (baseline) at 5%" in text.replace(" %", "%")
    held_out = table(4.5).with_columns(pl.lit("held_out").alias("sample"))
    beats, text = pr.backtest_verdict(pl.concat([table(5.5), held_out]))
    assert beats and "on the newer half it did not beat: all earlier weeks (baseline) at 5" in text


def test_team_areas_and_place_filter():
    teams = pl.DataFrame({"team": ["A", "B"], "community_area_numbers": [[25], [26, 27]]})
    assert pr.team_areas(teams, "B") == [26, 27] and pr.team_areas(teams, pr.ALL_TEAMS) == [25, 26, 27]
    places = pl.DataFrame({"community_area_number": [25, 26, 27], "forecast_rank": [3, 1, 2]})
    assert pr.filter_places(places, [26, 27])["forecast_rank"].to_list() == [1, 2]
    assert pr.filter_places(places, [])["place"].to_list() == [1, 2, 3]


def test_data_quality_shows_the_backtest_table_and_verdict(demo_pipeline, demo_app_db):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ODW_APP_DB", str(demo_app_db))
        mp.setenv("DAGSTER_HOME", demo_pipeline.env["DAGSTER_HOME"])
        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
        at = at.switch_page("app_pages/data_quality.py").run()
        at.session_state["dq_section"] = "Forecast backtest"
        at = at.run()
    assert not at.exception, at.exception
    (table,) = [m.value.replace("\\.", ".") for m in at.markdown if m.value.startswith("| Origins")]
    pai = {(r[0], r[1], r[2]): r[3] for r in _query(
        demo_app_db, "SELECT sample, model, flagged_share, round(pai, 2) FROM marts.priority_backtest")}
    first = f"| All origins | Forecast | {pai[('all', 'forecast', 0.05)]:.2f} | {pai[('all', 'forecast', 0.10)]:.2f} |"
    assert first in table, table
    assert "Last 4 weeks (baseline)" in table and "All earlier weeks (baseline)" in table
    assert any("beat both naive baselines" in s.value for s in at.success)
