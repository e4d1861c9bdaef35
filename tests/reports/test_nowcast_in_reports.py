"""The meeting pack and the e-blast give the region's expected counts beside the provisional ones."""

from __future__ import annotations

import duckdb

from pipelines.defs.reports import content as report_content
from pipelines.defs.reports import eblast
from pipelines.defs.reports.nowcast_lines import with_expected


def _shown(db) -> dict:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT month, expected FROM marts.nowcast "
                           "WHERE geography = 'region' AND drug = 'all' AND shown").fetchall()
    return dict(rows)


def test_pack_headline_and_trend_carry_the_expected_counts(demo_app_db):
    shown = _shown(demo_app_db)
    with duckdb.connect(str(demo_app_db), read_only=True) as con:
        content = report_content.build_pack_content(con)
    month_kpi = next(k for k in content.kpis if k.key == "month_deaths")
    assert content.month in shown and month_kpi.provisional
    assert month_kpi.detail.startswith("Provisional: toxicology pending; expected ≈ ")
    expected = content.trend.filter(content.trend["expected_display"].is_not_null())
    assert sorted(expected["month"].to_list()) == sorted(m for m in shown if m <= content.month)
    assert all(expected["is_provisional"].to_list())


def test_eblast_lists_the_expected_counts(demo_app_db):
    with duckdb.connect(str(demo_app_db), read_only=True) as con:
        content = report_content.build_eblast_content(con)
    text = eblast.build_eblast(content, eblast.chart_for(content)).text
    assert "(provisional; expected ≈ " in text and "90% range" in text


def test_no_expected_count_beside_a_hidden_month():
    import polars as pl
    from datetime import date

    trend = pl.DataFrame({"month": [date(2026, 9, 1), date(2026, 10, 1)], "deaths_display": ["*", "12"]})
    nowcast = pl.DataFrame({"month": [date(2026, 9, 1), date(2026, 10, 1)], "reported": [15.0, 12.0],
                            "expected": [15.0, 20.0], "lower_90": [15.0, 16.0], "upper_90": [15.0, 25.0]})
    out = with_expected(trend, nowcast, 10)
    assert out["expected_display"].to_list() == [None, "expected ≈ 20, 90% range 16–25"]
    assert out["lower_plot"].to_list() == [None, 16.0]
