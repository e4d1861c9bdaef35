"""Next week's priorities through the whole demo pipeline: the backtest verdict, the member mart
against independent oracles, the public area table, and the team briefs' PDFs."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import duckdb
import h3
import pytest

from pipelines.defs.epidemiology.suppression import display_count
from pipelines.defs.priorities import places
from pipelines.defs.reports.team_brief import latest_briefs, slug

SPEC_COLUMNS = [
    "week_start", "h3_cell", "community_area_number", "forecast_deaths", "forecast_rank", "in_region",
    "nearest_hotspot_id", "recent_deaths_display", "outreach_visits_4w", "strips_tested_8w",
    "fentanyl_positivity_8w", "xylazine_positivity_8w", "alert", "reasons",
]


def _query(db: Path, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params).fetchall()


def test_forecast_beats_both_baselines_on_the_demo(demo_pipeline):
    rows = demo_pipeline.query("SELECT sample, flagged_share, model, pai FROM marts.priority_backtest")
    pai = {(s, share, m): v for s, share, m, v in rows}
    assert len(pai) == 12
    for share in (0.05, 0.10):
        for baseline in ("last_4_weeks", "all_earlier_weeks"):
            assert pai[("all", share, "forecast")] > pai[("all", share, baseline)], (share, baseline)
    (params,) = demo_pipeline.query(
        "SELECT DISTINCT half_life_weeks, ring_weights, trend_weight, alert_weight, candidates "
        "FROM marts.priority_backtest WHERE sample = 'all'"
    )
    assert params[0] in (13.0, 52.0, 104.0, 208.0) and params[4] == 64


def test_priorities_mart_ranks_every_city_cell_for_the_week_after_the_data(demo_pipeline):
    columns = [r[0] for r in demo_pipeline.query("DESCRIBE marts.outreach_priorities")]
    assert set(SPEC_COLUMNS) <= set(columns)
    assert "recent_deaths" not in columns  # only the suppressed display is kept
    ranks = [r[0] for r in demo_pipeline.query("SELECT forecast_rank FROM marts.outreach_priorities ORDER BY 1")]
    assert ranks == list(range(1, len(ranks) + 1)) and 900 <= len(ranks) <= 1000
    (last_death,) = demo_pipeline.query("SELECT max(death_date)::DATE FROM staging.me_cases")[0]
    (week,) = demo_pipeline.query("SELECT DISTINCT week_start FROM marts.outreach_priorities")[0]
    assert week == last_death - timedelta(days=last_death.weekday()) + timedelta(weeks=1)
    total = demo_pipeline.query("SELECT sum(forecast_deaths) FROM marts.outreach_priorities")[0][0]
    weekly = demo_pipeline.query(
        "SELECT count(*) / 52.0 FROM staging.me_cases WHERE is_overdose AND in_chicago "
        "AND death_date >= $week::DATE - INTERVAL 364 DAY", {"week": week}
    )[0][0]
    # Calibrated to about four weeks' deaths (those with a point; the scale comes from the backtest).
    assert 2.5 * weekly < total < 5 * weekly


def test_recent_deaths_and_outreach_match_independent_counts(demo_pipeline):
    """Oracles: deaths within 500 m by great-circle distance in SQL; visits by h3.latlng_to_cell."""
    week, cells = None, demo_pipeline.query(
        "SELECT week_start, h3_cell, cell_lat, cell_lon, recent_deaths_display, outreach_visits_4w "
        "FROM marts.outreach_priorities WHERE in_region ORDER BY forecast_rank"
    )
    week = cells[0][0]
    deaths = demo_pipeline.query(
        "SELECT latitude, longitude FROM staging.me_cases WHERE is_overdose AND in_chicago AND coordinates_valid "
        "AND death_date::DATE >= $since", {"since": week - timedelta(weeks=8)}
    )
    visits = demo_pipeline.query(
        "SELECT latitude, longitude FROM staging.outreach WHERE latitude IS NOT NULL AND date >= $since",
        {"since": week - timedelta(weeks=4)},
    )
    visited = [h3.latlng_to_cell(lat, lon, 8) for lat, lon in visits]
    seen_deaths = seen_visits = 0
    for _, cell, lat, lon, shown, n_visits in cells:
        near = sum(h3.great_circle_distance((lat, lon), p, unit="m") <= places.NEAR_M + 1 for p in deaths)
        assert shown == display_count(near), cell
        assert n_visits == visited.count(cell), cell
        seen_deaths += near
        seen_visits += n_visits
    assert seen_deaths > 0 and seen_visits > 0


def test_coverage_gaps_are_top_cells_without_a_visit(demo_pipeline):
    gaps = demo_pipeline.query(
        "SELECT in_region, forecast_rank, outreach_visits_4w, reasons FROM marts.outreach_priorities WHERE coverage_gap"
    )
    assert gaps, "the demo has high-risk West Side cells no team visited"
    for in_region, rank, n_visits, reasons in gaps:
        assert in_region and rank <= 47 and n_visits == 0
        assert reasons.endswith("no team visit in 4 weeks") or "no team visit in 4 weeks;" in reasons


def test_public_tables_show_nothing_finer_than_an_area(demo_app_db):
    columns = [r[0] for r in _query(demo_app_db, "DESCRIBE marts.area_priorities")]
    assert not {"h3_cell", "cell_lat", "cell_lon", "nearest_hotspot_id", "forecast_deaths"} & set(columns)
    for display, recent in _query(demo_app_db, "SELECT forecast_deaths_display, recent_deaths_display FROM marts.area_priorities"):
        for value in (display, recent):
            assert value in ("0", "<10", "*") or int(value.replace(",", "")) >= 10, value
    assert _query(demo_app_db, "SELECT count(*) FROM marts.area_priorities")[0][0] == 77


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.skipif(not shutil.which("pdfinfo"), reason="poppler-utils not installed")
def test_team_briefs_are_one_letter_page_per_team(demo_pipeline):
    output = Path(demo_pipeline.env["ODW_OUTPUT_DIR"])
    week, files = latest_briefs(output)
    teams = [r[0] for r in demo_pipeline.query("SELECT team FROM marts.priority_teams ORDER BY team")]
    assert len(teams) == 5 and week == str(demo_pipeline.query("SELECT DISTINCT week_start FROM marts.outreach_priorities")[0][0])
    assert [f.stem for f in files] == ["all_teams", *sorted(slug(t) for t in teams)]
    info = subprocess.run(["pdfinfo", str(files[0])], capture_output=True, text=True, check=True).stdout
    assert f"Pages:           {len(teams)}" in info and "612 x 792 pts (letter)" in info
    text = " ".join(_pdf_text(files[0]).split())  # titles may wrap
    for team in teams:
        assert f"{team}: where to go next week" in text
    assert "Top places" in text and "naloxone kits given" in text and "Do not post" in text
    cases = {r[0] for r in demo_pipeline.query("SELECT casenumber FROM staging.me_cases")}
    assert not [word for word in text.split() if word in cases]
