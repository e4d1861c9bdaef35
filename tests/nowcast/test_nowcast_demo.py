"""The nowcast on the demo, whose pull history has known final counts: the backtest's truth is the
demo's, its 90% ranges hold 80–97% of final counts and it beats the provisional counts; the
published nowcast agrees with the dashboard's counts."""

from __future__ import annotations

import pytest

NOWCAST_COLUMNS = {"geography", "drug", "month", "reported", "expected", "lower_50", "upper_50", "lower_90",
                   "upper_90", "vintages_used", "shown"}
REGION = "community_area_number BETWEEN 23 AND 31"


def test_nowcast_table_has_the_published_columns(demo_pipeline):
    columns = {row[0] for row in demo_pipeline.query(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'marts' AND table_name = 'nowcast'")}
    assert NOWCAST_COLUMNS <= columns


def test_backtest_truth_is_the_demos_final_count(demo_pipeline):
    # Every case of the demo is closed within 11 months, so a month's count 12 months on is its
    # count in the final archive.
    mismatched = demo_pipeline.query(f"""
        WITH truth AS (
            SELECT date_trunc('month', death_date)::DATE AS month, count(*) AS deaths
            FROM staging.me_cases WHERE is_overdose AND {REGION} GROUP BY 1
        )
        SELECT b.month, b.final, t.deaths
        FROM staging.nowcast_backtest_rows AS b JOIN truth AS t USING (month)
        WHERE b.geography = 'region' AND b.drug = 'all' AND b.final <> t.deaths
    """)
    scored = demo_pipeline.query(
        "SELECT count(DISTINCT origin) FROM staging.nowcast_backtest_rows WHERE geography = 'region' AND drug = 'all'")
    assert mismatched == []
    assert scored[0][0] >= 12


def test_ninety_percent_ranges_cover_and_the_nowcast_beats_the_provisional_count(demo_pipeline):
    coverage, mae_nowcast, mae_naive, origins = demo_pipeline.query("""
        SELECT avg((final BETWEEN lower_90 AND upper_90)::INT), avg(abs(expected - final)),
               avg(abs(reported - final)), count(DISTINCT origin)
        FROM staging.nowcast_backtest_rows
        WHERE geography = 'region' AND drug = 'all' AND horizon < 3
    """)[0]
    assert 0.80 <= coverage <= 0.97
    assert mae_nowcast < mae_naive / 3
    assert origins >= 12
    status = demo_pipeline.query(
        "SELECT vintages, coverage_90, mae_nowcast, mae_naive, shown FROM marts.nowcast_status "
        "WHERE geography = 'region' AND drug = 'all'")[0]
    assert status == (origins, pytest.approx(coverage), pytest.approx(mae_nowcast), pytest.approx(mae_naive), True)


def test_backtest_by_horizon(demo_pipeline):
    rows = demo_pipeline.query(
        "SELECT horizon, vintages, coverage_50, coverage_90, wis, mae_nowcast, mae_naive FROM marts.nowcast_backtest "
        "WHERE geography = 'region' AND drug = 'all' ORDER BY horizon")
    assert [r[0] for r in rows] == [0, 1, 2, 3]
    for _, vintages, c50, c90, wis, mae, naive in rows:
        assert vintages >= 12 and 0 <= c50 <= c90 <= 1 and wis >= 0 and mae < naive


def test_shown_months_are_the_provisional_ones_with_the_dashboards_counts(demo_pipeline):
    rows = demo_pipeline.query("""
        SELECT n.month, n.reported, n.expected, n.lower_90, n.upper_90, n.lower_50, n.upper_50,
               coalesce(m.deaths, 0)
        FROM marts.nowcast AS n
        LEFT JOIN (
            SELECT month, sum(deaths) AS deaths FROM marts.overdose_deaths_monthly
            WHERE in_region AND drug = 'all' GROUP BY month
        ) AS m USING (month)
        WHERE n.geography = 'region' AND n.drug = 'all' AND n.shown
        ORDER BY n.month
    """)
    assert [str(r[0]) for r in rows] == ["2026-08-01", "2026-09-01", "2026-10-01"]
    for _, reported, expected, lo90, hi90, lo50, hi50, dashboard in rows:
        assert reported == dashboard
        assert reported <= lo90 <= lo50 <= hi50 <= hi90 and lo90 <= expected <= hi90
        assert expected > reported  # toxicology is still pending for these months
