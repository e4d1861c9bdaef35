"""The dashboard speed script's pure helpers: the pages it visits, its percentile and table rows.

The browser measurements themselves run with ``make dashboard-speed``, not here.
"""

from bench.dashboard_speed import _row, p95, pages


def test_pages_follow_the_app_navigation() -> None:
    found = pages()
    assert found[0] == ("Overview", "/")
    assert ("Map", "/map") in found and ("Data quality", "/data-quality") in found
    assert len({path for _title, path in found}) == len(found) == 7


def test_p95_is_the_nearest_rank() -> None:
    assert p95([float(v) for v in range(1, 21)]) == 19.0
    assert p95([5.0, 1.0, 3.0]) == 5.0
    assert p95([7.0]) == 7.0


def test_rows_say_what_is_missing_and_judge_the_p95() -> None:
    assert _row("Map", [100.0, 200.0, 600.0], 500) == "| Map | 3 | 200 | 600 | over 500 ms |"
    assert _row("Map", [100.0, 200.0, 300.0], 500) == "| Map | 3 | 200 | 300 | ok |"
    assert _row("About", None, 500) == "| About | — | — | — | no area filter |"
    assert _row("Map", [], 2000) == "| Map | 0 | — | — | no sample kept |"
