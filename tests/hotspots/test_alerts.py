"""Alerts: series building, episode classification, severity, ids and the public badges."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from pipelines.defs.hotspots import alerts as al

NAMES = {25: "Austin", 26: "West Garfield Park", 8: "Near North Side"}
PLACES = al.area_keys([26, 25], NAMES, "West Side")


def _events(rows: list[tuple[date, int | None, int]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema={"day": pl.Date, "community_area_number": pl.Int32, "weight": pl.Int64}, orient="row"
    )


def test_area_keys_order_and_names():
    assert PLACES.rows() == [
        ("community_area", 25, "Austin"),
        ("community_area", 26, "West Garfield Park"),
        ("region", None, "West Side"),
        ("city", None, "Chicago"),
    ]


def test_build_series_adds_areas_region_and_city():
    first = date(2024, 1, 1)  # a Monday
    events = _events(
        [
            (date(2024, 1, 1), 25, 1),
            (date(2024, 1, 1), 26, 2),
            (date(2024, 1, 2), 8, 1),  # Chicago, outside the region
            (date(2024, 1, 3), None, 1),  # suburban: not counted anywhere
            (date(2024, 1, 9), 26, 1),
        ]
    )
    daily, weekly = al.build_series(events, PLACES, "overdose_deaths", first, date(2024, 1, 16))
    assert daily.counts.shape == (4, 16) and daily.periods[0] == first
    np.testing.assert_array_equal(daily.counts[:, 0], [1, 2, 3, 3])
    np.testing.assert_array_equal(daily.counts[:, 1], [0, 0, 0, 1])
    assert daily.counts[:, 2].sum() == 0
    # Two complete weeks (Jan 1–7, Jan 8–14); the partial week from Jan 15 is left out.
    assert weekly.periods == [date(2024, 1, 1), date(2024, 1, 8)]
    np.testing.assert_array_equal(weekly.counts, [[1, 0], [2, 1], [3, 1], [4, 1]])
    assert weekly.keys["series"].unique().to_list() == ["overdose_deaths"]


def test_chicago_counts_its_deaths_not_placed_in_an_area():
    """With ``in_chicago`` (deaths), Chicago's series counts every death in Chicago; an unplaced
    one is in no area and not in the region."""
    events = pl.DataFrame(
        {
            "day": [date(2024, 1, 1)] * 4,
            "community_area_number": [25, None, None, 8],
            "municipality": ["Chicago", "Chicago", "Cicero", "Chicago"],
            "in_chicago": [True, True, False, True],
            "weight": [1, 1, 1, 1],
        },
        schema_overrides={"community_area_number": pl.Int32},
    )
    daily, _ = al.build_series(events, PLACES, "overdose_deaths", date(2024, 1, 1), date(2024, 1, 7))
    # Austin, West Garfield Park, West Side, Chicago (Austin + the unplaced one + area 8).
    np.testing.assert_array_equal(daily.counts[:, 0], [1, 0, 1, 3])
    # Field sources have no in_chicago column: Chicago is every event with an area, as before.
    daily, _ = al.build_series(events.drop("in_chicago"), PLACES, "s", date(2024, 1, 1), date(2024, 1, 7))
    np.testing.assert_array_equal(daily.counts[:, 0], [1, 0, 1, 2])


def test_weeks_start_on_the_first_monday():
    daily, weekly = al.build_series(
        _events([(date(2024, 1, 3), 25, 1)]), PLACES, "s", date(2024, 1, 3), date(2024, 1, 21)
    )
    assert weekly.periods == [date(2024, 1, 8), date(2024, 1, 15)]
    # The one event (Jan 3) is before the first full week; daily it counts for Austin, region, city.
    assert weekly.counts.sum() == 0 and daily.counts.sum() == 3


def test_classify_episodes_known_sequence():
    observed = np.array([[0, 5, 6, 5, 1, 0, 0, 7, 0, 0, 0]], dtype=float)
    signal = np.array([[0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0]], dtype=bool)
    opening = np.full(observed.shape, np.inf)
    opening[0, [1, 2, 7]] = [4.0, 4.5, 6.0]
    kind, start = al.classify_episodes(observed, signal, opening, gap=2)
    # 1: initial (threshold 4 frozen); 2: alarm again -> sustained; 3: no alarm but 5 ≥ 4 ->
    # sustained high burden; 4: below 4 but within 2 periods of the last alarm -> open, no row;
    # 5: closes; 7: a new initial spike; 8–9 open without rows; 10 closed.
    assert kind[0].tolist() == [0, 1, 2, 3, 0, 0, 0, 1, 0, 0, 0]
    assert start[0].tolist() == [-1, 1, 1, 1, -1, -1, -1, 7, -1, -1, -1]


def test_an_alarm_during_a_long_burden_is_sustained_not_initial():
    observed = np.array([[9, 8, 8, 8, 8, 12, 1]], dtype=float)
    signal = np.array([[1, 0, 0, 0, 0, 1, 0]], dtype=bool)
    opening = np.array([[7.0, np.inf, np.inf, np.inf, np.inf, 11.0, np.inf]])
    kind, start = al.classify_episodes(observed, signal, opening)
    assert kind[0].tolist() == [1, 3, 3, 3, 3, 2, 0]
    assert set(start[0][:6]) == {0}


def test_severity_levels():
    frame = pl.DataFrame({"ratio": [0.5, 1.0, 1.99, 2.0, float("inf")]})
    levels = frame.select(al.severity_expr(pl.col("ratio"))).to_series().to_list()
    assert levels == ["low", "moderate", "moderate", "high", "high"]


def _spike_events(seed: int = 1) -> tuple[pl.DataFrame, date, date]:
    rng = np.random.default_rng(seed)
    first = date(2023, 1, 2)
    days = 3 * 365
    rows = []
    for area, rate in ((25, 0.25), (26, 0.1)):
        counts = rng.poisson(rate, days)
        rows += [
            (first + timedelta(days=int(d)), area, int(c))
            for d in np.flatnonzero(counts)
            for c in [counts[d]]
        ]
    spike_week = date(2025, 3, 3)
    rows += [(spike_week + timedelta(days=d), 26, 2) for d in range(4)]  # 8 extra deaths in a week
    return _events(rows), first, spike_week


def test_source_alerts_find_a_planted_weekly_spike():
    events, first, spike_week = _spike_events()
    last = first + timedelta(days=3 * 365 - 1)
    alerts = al.source_alerts(
        events,
        PLACES,
        "overdose_deaths",
        first_day=first,
        last_day=last,
        provisional_from=date(2025, 11, 1),
        min_sigma=1.0,
        min_count=3,
    )
    hit = alerts.filter(
        pl.col("granularity") == "week",
        pl.col("period") == spike_week,
        pl.col("area") == "West Garfield Park",
    )
    assert set(hit["method"]) >= {"ears_c1", "ears_c2", "farrington_glm"}
    assert set(hit["alert_type"]) == {"initial spike"}
    assert (hit["observed"] >= 8).all() and (hit["observed"] > hit["threshold"]).all()
    assert hit["severity"].is_in(["moderate", "high"]).all()
    # Ids are unique per row and stable across runs.
    assert alerts["alert_id"].n_unique() == alerts.height
    again = al.source_alerts(
        events,
        PLACES,
        "overdose_deaths",
        first_day=first,
        last_day=last,
        provisional_from=date(2025, 11, 1),
        min_sigma=1.0,
        min_count=3,
    )
    assert again["alert_id"].to_list() == alerts["alert_id"].to_list()
    assert list(alerts.schema) == list(al.ALERT_SCHEMA)
    # Every alert needs at least min_count events in its period.
    assert (alerts["observed"] >= 3).all()


def test_recent_and_provisional_flags():
    rows = pl.DataFrame(
        {
            "granularity": ["day", "day"],
            "period": [date(2026, 10, 1), date(2026, 10, 20)],
            "period_end": [date(2026, 10, 1), date(2026, 10, 20)],
            "area_level": ["region"] * 2,
            "community_area_number": [None, None],
            "area": ["West Side"] * 2,
            "series": ["overdose_deaths"] * 2,
            "observed": [5.0, 5.0],
            "expected": [1.0, 1.0],
            "threshold": [4.0, 4.0],
            "statistic": [4.0, 4.0],
            "ratio": [1.3, 1.3],
            "method": ["ears_c1"] * 2,
            "alert_type": ["initial spike"] * 2,
            "episode_start": [date(2026, 10, 1), date(2026, 10, 20)],
        },
        schema_overrides={"community_area_number": pl.Int32},
    )
    out = al.finish_alerts(rows, last_day=date(2026, 10, 31), provisional_from=date(2026, 8, 1))
    assert out["is_recent"].to_list() == [False, True]  # recent = the last 14 days of data
    assert out["is_provisional"].to_list() == [True, True]
    assert out["severity"].to_list() == ["moderate", "moderate"]
    assert (
        al.finish_alerts(rows.head(0), last_day=date(2026, 10, 31), provisional_from=date(2026, 8, 1)).height
        == 0
    )


def test_badges_group_methods_and_suppress_small_counts():
    events, first, spike_week = _spike_events()
    alerts = al.source_alerts(
        events,
        PLACES,
        "overdose_deaths",
        first_day=first,
        last_day=first + timedelta(days=3 * 365 - 1),
        provisional_from=date(2025, 11, 1),
        min_sigma=1.0,
        min_count=3,
    )
    badges = al.public_badges(alerts, threshold=10)
    assert badges["badge_id"].n_unique() == badges.height
    assert badges.height == alerts["badge_id"].n_unique()
    one = badges.filter(
        pl.col("granularity") == "week",
        pl.col("period") == spike_week,
        pl.col("area") == "West Garfield Park",
    )
    assert one.height == 1 and "ears_c2" in one["methods"][0]
    small = badges.filter(pl.col("observed_display") == "<10")
    assert small.height > 0 and small["observed"].is_null().all()
    assert not {"expected", "threshold", "statistic", "ratio"} & set(badges.columns)


@pytest.mark.parametrize("min_count", [3, 5])
def test_min_count_is_respected(min_count):
    events, first, _ = _spike_events(2)
    alerts = al.source_alerts(
        events,
        PLACES,
        "overdose_deaths",
        first_day=first,
        last_day=first + timedelta(days=3 * 365 - 1),
        provisional_from=date(2025, 11, 1),
        min_sigma=1.0,
        min_count=min_count,
    )
    spikes = alerts.filter(pl.col("alert_type") != "sustained high burden")
    assert (spikes["observed"] >= min_count).all()


def test_region_includes_its_suburbs_when_configured():
    events = pl.DataFrame(
        {
            "day": [date(2024, 1, 1), date(2024, 1, 1), date(2024, 1, 2)],
            "community_area_number": [25, None, None],
            "municipality": [None, "Cicero", "Evanston"],
            "weight": [1, 1, 1],
        },
        schema_overrides={"community_area_number": pl.Int32},
    )
    plain, _ = al.build_series(events, PLACES, "s", date(2024, 1, 1), date(2024, 1, 2))
    with_suburbs, _ = al.build_series(events, PLACES, "s", date(2024, 1, 1), date(2024, 1, 2), ["Cicero"])
    # Rows: Austin, West Garfield Park, region, Chicago.
    np.testing.assert_array_equal(plain.counts[:, 0], [1, 0, 1, 1])
    np.testing.assert_array_equal(with_suburbs.counts[:, 0], [1, 0, 2, 1])  # Cicero joins the region only
    assert with_suburbs.counts[:, 1].sum() == 0  # Evanston is not in the region
