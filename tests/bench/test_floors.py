"""Known answers for the floors and targets of issue #21 (bench/floors.py) and their tables."""

import pytest

from bench.dashboard_speed import p95
from bench.floors import (
    above,
    dashboard_verdicts,
    first_render_verdict,
    floor_of,
    floor_page,
    interaction_verdict,
    pipeline_verdicts,
    ratio,
    switch_verdicts,
    verdict_table,
    with_floor,
)
from bench.results import ScaleResult, floor_targets_table, floors_table, results_markdown


def test_ratio_above_and_floor_of():
    assert ratio(7.0, 3.5) == 2.0 and ratio(None, 3.5) is None and ratio(7.0, 0.0) is None
    assert above(7.0, 3.5) == 3.5 and above(7.0, None) is None
    assert floor_of([3.6, 3.4, 3.5]) == 3.5 and floor_of([]) is None
    assert with_floor(7.0, 3.5, "s") == "7.0 s (2.00×)"
    assert with_floor(7.0, None, "s") == "7.0 s" and with_floor(None, 3.5, "s") == "–"


def test_each_page_has_the_floor_of_its_kind():
    assert floor_page("Map") == "One-point map"
    assert floor_page("Trends") == "Three-point chart"
    assert floor_page("Overview") == floor_page("About the data") == "Title only"


def test_pipeline_targets_at_1x_are_above_the_floor():
    verdicts = pipeline_verdicts(1, floor_s=4.0, rebuild_s=12.0, rebuild_peak_mib=500.0,
                                 nothing_new_s=6.5, new_day_s=9.0)
    assert [(v.label, v.met) for v in verdicts] == [
        ("full rebuild at 1×", True),  # 12 ≤ 4 + 8: exactly at the limit passes
        ("daily refresh, nothing new at 1×", False),  # 6.5 > 4 + 2
        ("daily refresh, a day's new records at 1×", True),  # 9 ≤ 4 + 5
    ]
    assert verdicts[0].goal == "≤ bare Dagster (4.0 s) + 8 s"
    assert verdicts[1].measured == "6.5 s (1.62×), floor + 2.5 s" and verdicts[1].outcome == "fail"
    unknown = pipeline_verdicts(1, floor_s=None, rebuild_s=12.0, rebuild_peak_mib=None, nothing_new_s=None,
                                new_day_s=None)
    assert {v.outcome for v in unknown} == {"–"}


def test_pipeline_targets_at_100x_are_absolute_and_none_apply_at_10x():
    verdicts = pipeline_verdicts(100, floor_s=4.0, rebuild_s=90.5, rebuild_peak_mib=1536.0,
                                 nothing_new_s=None, new_day_s=None)
    assert [(v.label, v.outcome) for v in verdicts] == [
        ("full rebuild at 100×", "fail"),
        ("peak memory of the rebuild at 100×", "pass"),
    ]
    assert pipeline_verdicts(10, floor_s=4.0, rebuild_s=1.0, rebuild_peak_mib=1.0, nothing_new_s=1.0,
                             new_day_s=1.0) == []


def test_dashboard_targets():
    assert first_render_verdict("Map", 1150.0, 1000.0).met is True
    assert first_render_verdict("Map", 1151.0, 1000.0).met is False
    assert first_render_verdict("Map", 1151.0, None).outcome == "–"
    assert [v.met for v in switch_verdicts("Map", 1000.0, 1500.0)] == [True, True]
    assert [v.met for v in switch_verdicts("Map", 1001.0, 1501.0)] == [False, False]
    assert interaction_verdict("Map", 500.0).met and not interaction_verdict("Map", 501.0).met
    verdicts = dashboard_verdicts(
        {"Overview": 1100.0, "Map": 1300.0, "Trends": 1200.0},
        {"Title only": 1000.0, "One-point map": 1200.0, "Three-point chart": 1000.0},
        {"Map": [800.0, 900.0, 1600.0]},
        {"Map": [100.0, 600.0], "About the data": None},
        p95,
    )
    table = {v.label: (v.measured, v.outcome) for v in verdicts}
    assert table["Overview: first render"] == ("1,100 ms (1.10×) of 1,000 ms", "pass")
    assert table["Map: first render"] == ("1,300 ms (1.08×) of 1,200 ms", "pass")  # against the one-point map
    assert table["Trends: first render"] == ("1,200 ms (1.20×) of 1,000 ms", "fail")
    assert table["Map: switching median"] == ("900 ms", "pass")
    assert table["Map: switching p95"] == ("1,600 ms", "fail")
    assert table["Map: filter interaction p95"] == ("600 ms", "fail")
    assert "About the data: filter interaction p95" not in table  # no filter on that page
    assert "| Trends: first render | ≤ 1.15× Three-point chart | 1,200 ms (1.20×) of 1,000 ms | fail |" in verdict_table(verdicts)


def test_bench_tables_show_the_floor_and_the_verdicts():
    one = ScaleResult(1, me_records=25_000, rebuild_s=12.0, nothing_new_s=5.0, nothing_new_skipped=30,
                      incremental_s=8.0, floor_samples_s=[4.2, 3.8, 4.0])
    assert one.floor_s == 4.0
    table = floors_table([one])
    row = "| 1× | 4.0 (4.2, 3.8, 4.0) | 12.0 s (3.00×), +8.0 s | 5.0 s (1.25×), +1.0 s | 30 | 8.0 s (2.00×), +4.0 s |"
    assert row in table
    targets = floor_targets_table([one])
    assert targets.count("| pass |") == 3
    assert "No target" in floor_targets_table([ScaleResult(10)])
    report = results_markdown([one], {"CPU": "test"})
    assert "## Beside the floor" in report and "| full rebuild at 1× |" in report


def test_a_saved_result_without_floor_fields_still_loads():
    # `--reuse` reads result.json of earlier runs, written before the floor existed.
    assert ScaleResult(**{"scale": 1.0, "rebuild_s": 3.0}).floor_s is None


@pytest.mark.parametrize("scale", [1, 100])
def test_targets_name_their_scale(scale):
    verdicts = pipeline_verdicts(scale, floor_s=1.0, rebuild_s=1.0, rebuild_peak_mib=1.0, nothing_new_s=1.0,
                                 new_day_s=1.0)
    assert all(f"{scale}×" in v.label for v in verdicts)
