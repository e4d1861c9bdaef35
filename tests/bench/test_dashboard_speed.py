"""The dashboard speed script's pure helpers: the pages it visits, its percentile and table rows.

The browser measurements themselves run with ``make dashboard-speed``, not here; the reference
app they compare with (Streamlit's floor) is run here with AppTest.
"""

import pytest
from streamlit.testing.v1 import AppTest

from bench import dashboard_speed
from bench.dashboard_speed import REFERENCE_APP, _row, first_render_table, p95, pages, reference_pages


def test_pages_follow_the_app_navigation() -> None:
    found = pages()
    assert found[0] == ("Overview", "/")
    assert ("Map", "/map") in found and ("Data quality", "/data-quality") in found
    assert ("Next week", "/next-week") in found
    assert len({path for _title, path in found}) == len(found) == 8


def test_p95_is_the_nearest_rank() -> None:
    assert p95([float(v) for v in range(1, 21)]) == 19.0
    assert p95([5.0, 1.0, 3.0]) == 5.0
    assert p95([7.0]) == 7.0


def test_rows_say_what_is_missing_and_judge_the_p95() -> None:
    assert _row("Map", [100.0, 200.0, 600.0], 500) == "| Map | 3 | 200 | 600 | over 500 ms |"
    assert _row("Map", [100.0, 200.0, 300.0], 500) == "| Map | 3 | 200 | 300 | ok |"
    assert _row("About", None, 500) == "| About | — | — | — | no area filter |"
    assert _row("Map", [], 2000) == "| Map | 0 | — | — | no sample kept |"


def test_first_render_table_splits_off_the_cold_visit() -> None:
    renders = {"Map": [(3000.0, 900.0), (1500.0, 800.0), (2500.0, 1000.0), (1700.0, 700.0)]}
    header, rule, row = first_render_table("Reference page", renders)
    assert header.startswith("| Reference page | n | median | p95 |")
    assert rule.count("|") == header.count("|")
    # Medians of the three warm visits (1,700 total, 800 connected); p95 is the slowest of three.
    assert row == "| Map | 3 | 1,700 | 2,500 | over 2000 ms | 3,000 | 800 |"


def test_reference_pages_are_read_from_the_reference_app() -> None:
    assert reference_pages() == [
        ("Title only", "/"),
        ("One-point map", "/one-point-map"),
        ("Three-point chart", "/three-point-chart"),
    ]


@pytest.mark.parametrize(
    ("page", "title", "element"),
    [
        (None, "Title only", None),
        ("one_point_map.py", "One-point map", "deck_gl_json_chart"),
        ("three_point_chart.py", "Three-point chart", "vega_lite_chart"),
    ],
)
def test_reference_pages_draw_only_a_title_and_their_one_element(page, title, element) -> None:
    at = AppTest.from_file(str(REFERENCE_APP), default_timeout=60).run()
    if page is not None:
        at.switch_page(page).run()
    assert not at.exception
    assert [t.value for t in at.title] == [title]
    drawn = [getattr(e, "type", type(e).__name__) for e in at.main.children.values()]
    assert drawn[1:] == ([element] if element else ["caption"])


def test_first_renders_visit_the_sites_in_turn_and_reverse_every_other_round(monkeypatch) -> None:
    """A round alternates dashboard and reference pages (compared pages timed side by side), each
    round in a new browser; visits are recorded by URL with stand-ins for Chromium."""
    visited: list[str] = []
    launches: list[int] = []

    class Browser:
        def __enter__(self):
            launches.append(len(visited))
            return self

        def __exit__(self, *exc):
            return False

    class Playwright:
        class chromium:  # noqa: N801 - Playwright's attribute name
            @staticmethod
            def launch(**_options):
                return Browser()

    monkeypatch.setattr(dashboard_speed, "first_render_ms", lambda _browser, url: (visited.append(url), (len(visited), 0))[1])
    dash = ("http://d", [("Overview", "/"), ("Map", "/map"), ("Trends", "/trends")])
    ref = ("http://r", [("Title only", "/"), ("One-point map", "/one-point-map")])
    renders, reference = dashboard_speed.first_renders(Playwright(), [dash, ref], reps=1)
    first_round = ["http://d/", "http://r/", "http://d/map", "http://r/one-point-map", "http://d/trends"]
    assert visited == first_round + first_round[::-1]
    assert launches == [0, 5]  # a new browser per round
    assert renders == {"Overview": [(1, 0), (10, 0)], "Map": [(3, 0), (8, 0)], "Trends": [(5, 0), (6, 0)]}
    assert reference == {"Title only": [(2, 0), (9, 0)], "One-point map": [(4, 0), (7, 0)]}
