"""Known answers for the place list: the reasons sentence, deaths near a cell, the coverage gap,
suppression of the public area table, and where each death's point comes from."""

from __future__ import annotations

from datetime import date

import h3
import numpy as np
import polars as pl

from pipelines.defs.geography.addresses import geocode_address
from pipelines.defs.geography.death_points import with_geocoded_points
from pipelines.defs.hotspots.grid import HexGrid, cell_polygons
from pipelines.defs.priorities import events as ev
from pipelines.defs.priorities import places


def test_reasons_sentence_known_answers():
    assert places.reasons_sentence(
        recent_deaths_display="<10", fentanyl=(0, 0), xylazine=(6, 9), visits=0, kits=0, alert=None
    ) == "<10 deaths within 500 m in 8 weeks; xylazine in 6 of 9 strips; no team visit in 4 weeks"
    assert places.reasons_sentence(
        recent_deaths_display="12", fentanyl=(7, 8), xylazine=(1, 1), visits=1, kits=14,
        alert="spike alert: deaths initial spike (high), week of 16 Nov",
    ) == ("12 deaths within 500 m in 8 weeks; fentanyl in 7 of 8 strips; xylazine in 1 of 1 strip; "
          "1 team visit in 4 weeks, 14 naloxone kits given; spike alert: deaths initial spike (high), week of 16 Nov")
    assert places.reasons_sentence(
        recent_deaths_display="0", fentanyl=(0, 0), xylazine=(0, 0), visits=3, kits=0, alert=None
    ) == "no death within 500 m in 8 weeks; no strip tested in 8 weeks; 3 team visits in 4 weeks"


def _grid(cells: list[str], region: bool = True) -> HexGrid:
    centres = np.array([h3.cell_to_latlng(c) for c in cells])
    frame = pl.DataFrame({
        "h3_cell": cells, "h3_resolution": [8] * len(cells), "cell_lat": centres[:, 0], "cell_lon": centres[:, 1],
        "community_area_number": pl.Series([26] * len(cells), dtype=pl.Int32), "in_region": [region] * len(cells),
    })
    return HexGrid(8, frame, cell_polygons(cells))


def test_deaths_near_counts_points_within_500_m_of_the_centre():
    cell = h3.latlng_to_cell(41.88, -87.72, 8)
    grid = _grid([cell])
    lat, lon = h3.cell_to_latlng(cell)
    # 0 m, ~333 m north, ~667 m north (1° latitude ≈ 111 km).
    deaths = pl.DataFrame({"latitude": [lat, lat + 0.003, lat + 0.006], "longitude": [lon] * 3})
    assert places.deaths_near(grid.cells, deaths).tolist() == [2]


def _table(grid: HexGrid, visits: pl.DataFrame, strips: pl.DataFrame, recent: list[int]) -> pl.DataFrame:
    n = grid.cells.height
    return places.priorities_table(
        grid,
        week_start=date(2026, 12, 7),
        forecast_deaths=np.linspace(1.0, 0.1, n),
        forecast_rank=np.arange(1, n + 1),
        recent_deaths=np.array(recent),
        outreach=visits,
        strips=strips,
        hotspots=pl.DataFrame({"hotspot_id": ["HS-01"], "latitude": [grid.cells["cell_lat"][0]],
                               "longitude": [grid.cells["cell_lon"][0]]}),
        alerts=pl.DataFrame(schema={"community_area_number": pl.Int32, "series": pl.String, "granularity": pl.String,
                                    "period": pl.Date, "period_end": pl.Date, "alert_type": pl.String,
                                    "severity": pl.String}),
        area_names={26: "West Garfield Park"},
        threshold=10,
    )


def test_top_cells_without_a_visit_are_coverage_gaps_and_deaths_are_suppressed():
    centre = h3.latlng_to_cell(41.88, -87.72, 8)
    cells = [centre, *sorted(h3.grid_ring(centre, 1)), *sorted(h3.grid_ring(centre, 2))]
    cells += sorted(h3.grid_ring(centre, 3))  # 37 cells: 5 % flags the top 2
    grid = _grid(cells)
    visits = pl.DataFrame({"h3_cell": [centre], "hotspot_id": ["HS-01"], "contacts": [20], "naloxone_kits": [9]})
    strips = pl.DataFrame({"h3_cell": [cells[1]] * 3, "strip_type": ["xylazine"] * 3, "positive": [True, True, False]})
    recent = [0] * len(cells)
    recent[1] = 4
    recent[2] = 12
    table = _table(grid, visits, strips, recent)
    assert table.columns == places.COLUMNS
    first, second, third = table.head(3).iter_rows(named=True)
    assert (first["coverage_gap"], second["coverage_gap"], third["coverage_gap"]) == (False, True, False)
    assert first["nearest_hotspot_id"] == "HS-01" and first["outreach_visits_4w"] == 1
    assert second["recent_deaths_display"] == "<10" and third["recent_deaths_display"] == "12"
    assert second["xylazine_positivity_8w"] == 2 / 3 and second["fentanyl_positivity_8w"] is None
    assert second["reasons"] == ("<10 deaths within 500 m in 8 weeks; xylazine in 2 of 3 strips; "
                                 "no team visit in 4 weeks")
    assert "4" not in second["reasons"].split(";")[0]


def test_public_area_table_shows_nothing_finer_than_an_area_and_suppresses_small_counts():
    priorities = pl.DataFrame({
        "week_start": [date(2026, 12, 7)] * 4, "community_area_number": pl.Series([25, 25, 26, 27], dtype=pl.Int32),
        "community_area": ["Austin", "Austin", "West Garfield Park", "East Garfield Park"],
        "forecast_deaths": [9.0, 3.0, 2.0, 0.2], "in_region": [True] * 4,
    })
    # Two small counts hide each other; with one alone, complementary suppression would hide a second.
    recent = pl.DataFrame({"community_area_number": pl.Series([25, 26, 27], dtype=pl.Int32),
                           "recent_deaths": pl.Series([14, 3, 2], dtype=pl.UInt32)})
    table = places.area_priorities(priorities, recent, threshold=10)
    assert "h3_cell" not in table.columns and "forecast_deaths" not in table.columns
    assert table.select("community_area", "area_rank", "forecast_deaths_display", "recent_deaths_display").rows() == [
        ("Austin", 1, "12", "14"),
        ("West Garfield Park", 2, "<10", "<10"),
        ("East Garfield Park", 3, "0", "<10"),
    ]


def test_geocoded_deaths_take_the_geocoders_point():
    deaths = pl.DataFrame({
        "day": [date(2026, 1, 5)] * 3,
        "community_area_number": pl.Series([26, 26, None], dtype=pl.Int32),
        "placement": ["archive", "geocoded", "unplaced"],
        "latitude": [41.88, None, None],
        "longitude": [-87.72, None, None],
        "incident_street": [None, "4000 W MADISON ST", None],
        "incident_zip": [None, "60624", None],
    })
    address = geocode_address("4000 W MADISON ST", "60624")
    geocodes = pl.DataFrame({"street": [address.street], "city": [address.city], "state": [address.state],
                             "zip": [address.zip], "latitude": [41.881], "longitude": [-87.726]})
    points = with_geocoded_points(deaths, geocodes)
    assert points.select("latitude", "point_source").rows() == [(41.88, "archive"), (41.881, "geocoded"), (None, None)]


def test_weekly_matrix_counts_by_monday_week():
    calendar = ev.Calendar.spanning(date(2026, 1, 7), date(2026, 1, 20))
    assert (calendar.first, calendar.weeks, calendar.next_week) == (date(2026, 1, 5), 3, date(2026, 1, 26))
    events = pl.DataFrame({"day": [date(2026, 1, 5), date(2026, 1, 11), date(2026, 1, 12), date(2026, 2, 1)],
                           "h3_cell": ["a", "a", "b", "a"]})
    assert ev.weekly_matrix(events, calendar, "h3_cell", ["a", "b"]).tolist() == [[2, 0], [0, 1], [0, 0]]


def test_briefs_use_the_standard_fonts_unless_a_name_needs_more():
    from pipelines.defs.reports.team_brief import Place, TeamBrief, core_fonts_fit

    def brief(team: str) -> TeamBrief:
        place = Place(1, 3, "882664caa5fffff", "Austin, near Madison & Cicero (HS-05)", 0.4, "1 of 2", "none tested",
                      True, "<10 deaths within 500 m in 8 weeks; no team visit in 4 weeks")
        return TeamBrief(team, date(2026, 12, 7), ["Austin"], [place], pl.DataFrame(), pl.DataFrame(), 1, 2, 3, 0, [])

    assert core_fonts_fit([brief("Equipo La Villita – Pilsen"), brief("Austin Team")])
    assert not core_fonts_fit([brief("Équipe 東")])


def test_team_table_counts_the_last_four_weeks_and_lists_twelve_weeks_of_areas():
    from pipelines.defs.priorities.assets import team_table

    week = date(2026, 12, 7)
    visits = pl.DataFrame({
        "day": [date(2026, 11, 30), date(2026, 10, 1), date(2026, 11, 20), date(2026, 11, 25)],
        "team": ["A", "A", "B", "C"],
        "community_area_number": pl.Series([25, 26, 29, None], dtype=pl.Int32),
        "contacts": [10, 5, 7, 3], "naloxone_kits": [4, 2, 1, 0], "reversals": [1, 0, 0, 2],
    })
    rows = {r["team"]: r for r in team_table(visits, week).iter_rows(named=True)}
    assert rows["A"]["community_area_numbers"] == [25, 26] and rows["A"]["visits_4w"] == 1
    assert (rows["A"]["contacts_4w"], rows["A"]["naloxone_kits_4w"], rows["A"]["reversals_4w"]) == (10, 4, 1)
    assert rows["B"]["visits_4w"] == 1 and rows["B"]["community_area_numbers"] == [29]
    # A team whose rows name no area is still listed (with no areas), its work counted.
    assert rows["C"]["community_area_numbers"] is None and rows["C"]["reversals_4w"] == 2
