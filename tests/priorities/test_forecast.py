"""Known answers for the forecast, the PAI and the backtest (pipelines/defs/priorities/forecast.py),
on tiny grids computed by hand."""

from __future__ import annotations

import h3
import numpy as np
import pytest

from pipelines.defs.priorities import forecast as fc

CENTRE = h3.latlng_to_cell(41.88, -87.72, 8)


def test_decayed_counts_use_only_earlier_weeks_and_halve_per_half_life():
    weekly = np.array([[1.0], [0.0], [2.0], [0.0]])
    got = fc.decayed_before(weekly, half_life_weeks=1.0)
    # Row t = Σ_{s<t} 0.5^(t-1-s) y[s]: 0; 1; 0.5; 0.25 + 2.
    assert got[:, 0] == pytest.approx([0.0, 1.0, 0.5, 2.25])


def test_sums_before_and_ahead():
    weekly = np.arange(1.0, 7.0)[:, None]  # weeks 0..5 hold 1..6
    assert fc.sum_before(weekly, None)[:, 0].tolist() == [0, 1, 3, 6, 10, 15]
    assert fc.sum_before(weekly, 2)[:, 0].tolist() == [0, 1, 3, 5, 7, 9]
    assert fc.sum_ahead(weekly, 4)[:, 0].tolist() == [10, 14, 18, 15, 11, 6]


def test_ring_matrix_and_kernel_spread_a_death_to_the_neighbours():
    ring1 = sorted(h3.grid_ring(CENTRE, 1))
    ring2 = sorted(h3.grid_ring(CENTRE, 2))
    cells = [CENTRE, *ring1, *ring2]
    rings = [fc.ring_matrix(cells, r) for r in range(3)]
    assert rings[0].sum() == len(cells)
    assert rings[1][0].sum() == 6 and rings[2][0].sum() == 12
    k = fc.kernel(rings, (1.0, 0.5, 0.25))
    deaths = np.zeros(len(cells))
    deaths[0] = 4.0
    spread = k @ deaths
    assert spread[0] == 4.0
    assert spread[1:7].tolist() == [2.0] * 6
    assert spread[7:].tolist() == [1.0] * 12


def test_area_trend_is_recent_quarter_against_usual_quarter_shrunk_to_one():
    weekly = np.zeros((66, 1))
    weekly[:52] = 0.25  # 13 deaths in the 52 usual weeks: 3.25 per 13 weeks
    weekly[52:65] = 1.0  # 13 in the recent 13 weeks
    trend = fc.area_trend(weekly)
    assert trend[65, 0] == pytest.approx((13 + 1) / (3.25 + 1))
    assert trend[0, 0] == 1.0


def test_ties_follow_the_long_term_count_then_the_cell_id():
    scores = np.array([[3.0, 1.0, 1.0, 0.0, 1.0]])
    tiebreak = np.array([[0.0, 5.0, 2.0, 9.0, 5.0]])
    assert fc.rank_order(scores, tiebreak)[0].tolist() == [0, 1, 4, 2, 3]
    outcome = np.array([[1.0, 10.0, 100.0, 1000.0, 10000.0]])
    ties = fc.tie_order(tiebreak)
    for k, expected in ((1, 1), (2, 11), (3, 10011), (4, 10111)):
        assert fc.hits_at(scores, ties, outcome, k).tolist() == [expected]


def test_pai_known_answers():
    # Half the deaths in a tenth of the cells: five times better than chance.
    assert fc.pai(3, 6, 1, 10) == pytest.approx(5.0)
    assert fc.pai(2, 2, 10, 10) == 1.0
    assert np.isnan(fc.pai(0, 0, 1, 10))
    assert fc.flagged_count(949, 0.05) == 47 and fc.flagged_count(949, 0.10) == 95
    assert fc.flagged_count(3, 0.05) == 1


def _tiny_inputs(weekly: np.ndarray, cells: list[str]) -> fc.Inputs:
    n_weeks = weekly.shape[0]
    return fc.Inputs(
        tuple(cells),
        weekly,
        np.zeros(len(cells), dtype=np.int64),
        weekly.sum(axis=1, keepdims=True),
        np.zeros((n_weeks, 1)),
    )


def test_backtest_known_answer_on_a_steady_hot_cell_and_a_moving_blip():
    """19 cells; cell 0 has a death every week, and one death moves around the other cells.

    With 1 cell flagged (5 % of 19), a forecast that remembers cell 0 captures its 4 deaths of every
    4-week outcome out of 8: hit rate 1/2, PAI (1/2)/(1/19) = 9.5. The last-4-weeks baseline also
    ranks cell 0 first (4 deaths, the blip at most 1 in any cell), so it ties at 10.
    """
    cells = [CENTRE, *sorted(h3.grid_ring(CENTRE, 1)), *sorted(h3.grid_ring(CENTRE, 2))]
    weeks = 60
    weekly = np.zeros((weeks, 19))
    weekly[:, 0] = 1.0
    for t in range(weeks):
        weekly[t, 1 + t % 18] += 1.0
    result = fc.run_backtest(_tiny_inputs(weekly, cells), origins=20)
    rows = {(r["model"], r["flagged_share"], r["sample"]): r for r in result.table}
    for model in fc.MODELS:
        assert rows[(model, 0.05, "all")]["pai"] == pytest.approx(9.5)
        assert rows[(model, 0.05, "all")]["window_deaths"] == 20 * 8
    assert len(result.origins) == 20 and result.origins[-1] == weeks - fc.HORIZON_WEEKS
    assert result.candidates == len(fc.parameter_grid()) == 64


def test_forecast_is_scaled_to_deaths_over_four_weeks_and_ranked():
    cells = [CENTRE, *sorted(h3.grid_ring(CENTRE, 1))]
    weekly = np.zeros((30, 7))
    weekly[:, 0] = 1.0
    weekly[::3, 3] = 1.0
    result = fc.run_backtest(_tiny_inputs(weekly, cells), origins=10)
    expected, ranks, _ = fc.forecast_next(_tiny_inputs(weekly, cells), result.params, result.scale)
    assert ranks[0] == 1 and ranks[3] == 2
    assert sorted(ranks.tolist()) == list(range(1, 8))
    # Calibrated on the backtest: about the 4 + 4/3 deaths a 4-week window holds.
    assert expected.sum() == pytest.approx(4 + 4 / 3, rel=0.25)


def test_the_chosen_parameters_are_the_best_pai_at_five_percent():
    rng = np.random.default_rng(7)
    cells = [CENTRE, *sorted(h3.grid_ring(CENTRE, 1)), *sorted(h3.grid_ring(CENTRE, 2))]
    rate = np.where(np.arange(19) < 3, 0.6, 0.05)
    weekly = rng.poisson(rate, size=(120, 19)).astype(float)
    inputs = _tiny_inputs(weekly, cells)
    result = fc.run_backtest(inputs, origins=40)
    scorer = fc.Scorer(inputs)
    rows = result.origins
    outcome = fc.sum_ahead(weekly, 4)[rows]
    ties = fc.tie_order(scorer.long_term[rows])
    k = fc.flagged_count(19, 0.05)
    best = max(fc.hits_at(scorer.scores(p, rows), ties, outcome, k).sum() for p in fc.parameter_grid())
    assert fc.hits_at(scorer.scores(result.params, rows), ties, outcome, k).sum() == best
