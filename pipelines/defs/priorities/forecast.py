"""Where the next deaths are most likely: a prospective hot-spot forecast per H3 cell, as pure functions.

The score of cell ``c`` at a forecast origin (a Monday; only weeks before it are used) is

    score(c) = Σ_{c'} K(c, c') · Σ_{s < origin} λ^(origin − 1 − s) · y(c', s)
               · trend(area(c))^γ · (1 + α · alert(area(c)))

* ``y(c, s)``: deaths with a point in cell ``c`` in week ``s`` (Monday to Sunday);
* time decay ``λ = 0.5^(1 / h)``: a death ``h`` weeks ago counts half as much as one last week;
* spatial kernel ``K``: weight ``w0`` for the cell itself, ``w1`` for the six cells around it (H3
  ring 1), ``w2`` for the twelve of ring 2 — near-repeat risk spreads to the next blocks;
* ``trend``: the community area's deaths in the last 13 weeks against its 13-week average over the
  52 weeks before, shrunk towards 1 (``(recent + 1) / (usual + 1)``); ``γ`` 0 ignores it;
* ``alert``: 1 when the cell's community area had a weekly spike alert ending in the two weeks
  before the origin (``marts.alerts``: alerts use only earlier data, so the backtest sees only what
  was known then); ``α`` 0 ignores it.

Ranking and ties: cells are ranked by score, ties broken by the all-time count before the origin
(more first), then by cell id — with sparse counts most cells tie at zero, and a deterministic
order makes the flagged set reproducible. The flagged set at share ``p`` is the top
``round(p × cells)`` cells.

The Predictive Accuracy Index (PAI; NIJ Real-Time Crime Forecasting Challenge) of a flagged set is
``(deaths in the flagged cells ÷ all deaths) ÷ (flagged cells ÷ all cells)`` over the 4 weeks from
the origin. Across origins it is pooled: all deaths captured ÷ all deaths, over the share flagged
(origins with no deaths add nothing rather than being undefined). Baselines: the last 4 weeks'
counts, and all earlier counts, ranked with the same tie rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import product

import h3
import numpy as np
import scipy.sparse as sp

#: Forecast horizon in weeks (the score is scaled to deaths over this many weeks).
HORIZON_WEEKS = 4
#: Weekly forecast origins in the backtest (two years).
BACKTEST_ORIGINS = 104
#: Shares of the city's cells flagged, for the PAI.
FLAGGED_SHARES = (0.05, 0.10)
#: Weeks of the area trend's recent window and of its usual level.
TREND_RECENT_WEEKS, TREND_USUAL_WEEKS = 13, 52
#: A weekly alert ending this many weeks before an origin still counts as current.
ALERT_CURRENT_WEEKS = 2

#: The small parameter grid the backtest chooses from (4 × 4 × 2 × 2 = 64 candidates): few enough
#: that 104 origins cannot be overfitted by search, wide enough to span short- and long-memory risk.
HALF_LIVES = (13.0, 52.0, 104.0, 208.0)
RING_WEIGHTS = ((1.0, 0.0, 0.0), (1.0, 0.1, 0.0), (1.0, 0.25, 0.0), (1.0, 0.5, 0.0))
TREND_WEIGHTS = (0.0, 1.0)
ALERT_WEIGHTS = (0.0, 0.5)

#: Scores are compared at this many decimals, so sums of the same counts in another order still tie.
SCORE_DECIMALS = 9

FORECAST, RECENT_BASELINE, LONG_TERM_BASELINE = "forecast", "last_4_weeks", "all_earlier_weeks"
MODELS = (FORECAST, RECENT_BASELINE, LONG_TERM_BASELINE)


@dataclass(frozen=True)
class Params:
    """One candidate of the grid: half-life (weeks), ring weights, trend and alert weights."""

    half_life_weeks: float
    ring_weights: tuple[float, float, float]
    trend_weight: float
    alert_weight: float

    def label(self) -> str:
        """``h=13 w=(1, 0.5, 0) trend=1 alert=0.5``."""
        rings = ", ".join(f"{w:g}" for w in self.ring_weights)
        return (f"half-life {self.half_life_weeks:g} wk, rings ({rings}), trend {self.trend_weight:g}, "
                f"alert {self.alert_weight:g}")


def parameter_grid() -> list[Params]:
    """Every candidate, in a fixed order (the first wins a tie)."""
    return [Params(h, w, g, a) for h, w, g, a in product(HALF_LIVES, RING_WEIGHTS, TREND_WEIGHTS, ALERT_WEIGHTS)]


def ring_matrix(cells: Sequence[str], ring: int) -> sp.csr_matrix:
    """Cells × cells 0/1 matrix: 1 where the second cell is exactly ``ring`` H3 steps from the first."""
    index = {cell: i for i, cell in enumerate(cells)}
    rows, cols = [], []
    for i, cell in enumerate(cells):
        neighbours = [cell] if ring == 0 else h3.grid_ring(cell, ring)
        for other in neighbours:
            j = index.get(other)
            if j is not None:
                rows.append(i)
                cols.append(j)
    n = len(cells)
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))


@lru_cache(maxsize=4)
def rings_of(cells: tuple[str, ...]) -> list[sp.csr_matrix]:
    """Rings 0, 1 and 2 of a grid (:func:`ring_matrix`), kept for the next call on the same grid."""
    return [ring_matrix(cells, r) for r in range(3)]


def kernel(rings: Sequence[sp.csr_matrix], weights: Sequence[float]) -> sp.csr_matrix:
    """The spatial kernel ``K = Σ_r w_r · ring_r``."""
    total = sp.csr_matrix(rings[0].shape)
    for matrix, weight in zip(rings, weights, strict=False):
        if weight:
            total = total + weight * matrix
    return total.tocsr()


def decayed_before(weekly: np.ndarray, half_life_weeks: float) -> np.ndarray:
    """Weeks × cells: at row ``t``, ``Σ_{s < t} λ^(t − 1 − s) · y[s]`` (row 0 is zeros)."""
    from scipy.signal import lfilter  # imported here: it loads scipy.stats, ~0.5 s of the location's load

    decay = 0.5 ** (1.0 / half_life_weeks)
    inclusive = lfilter([1.0], [1.0, -decay], weekly, axis=0)
    return np.vstack([np.zeros((1, weekly.shape[1])), inclusive[:-1]])


def sum_before(weekly: np.ndarray, weeks: int | None) -> np.ndarray:
    """Weeks × cells: at row ``t``, the counts of the ``weeks`` weeks before ``t`` (None: all of them)."""
    cumulative = np.vstack([np.zeros((1, weekly.shape[1])), np.cumsum(weekly, axis=0)])
    before = cumulative[:-1]
    if weeks is None:
        return before
    lagged = np.vstack([np.zeros((weeks, weekly.shape[1])), cumulative[:-1 - weeks]])[: weekly.shape[0]]
    return before - lagged


def sum_ahead(weekly: np.ndarray, weeks: int) -> np.ndarray:
    """Weeks × cells: at row ``t``, the counts of weeks ``t … t + weeks − 1`` (cut at the last week)."""
    cumulative = np.vstack([np.zeros((1, weekly.shape[1])), np.cumsum(weekly, axis=0)])
    n = weekly.shape[0]
    ends = np.minimum(np.arange(n) + weeks, n)
    return cumulative[ends] - cumulative[:n]


def area_trend(area_weekly: np.ndarray) -> np.ndarray:
    """Weeks × areas: ``(recent + 1) / (usual + 1)`` — the last 13 weeks against the 13-week average
    of the 52 weeks before them (see the module docstring)."""
    recent = sum_before(area_weekly, TREND_RECENT_WEEKS)
    earlier = sum_before(area_weekly, TREND_RECENT_WEEKS + TREND_USUAL_WEEKS) - recent
    usual = earlier * TREND_RECENT_WEEKS / TREND_USUAL_WEEKS
    return (recent + 1.0) / (usual + 1.0)


def rank_order(scores: np.ndarray, tiebreak: np.ndarray) -> np.ndarray:
    """Cell indexes best first per row: by score, then ``tiebreak`` (both descending), then cell index."""
    scores = np.round(np.atleast_2d(scores), SCORE_DECIMALS)
    tiebreak = np.broadcast_to(np.atleast_2d(tiebreak), scores.shape)
    cell = np.broadcast_to(np.arange(scores.shape[1]), scores.shape)
    # lexsort sorts by the last key first; negate for descending order.
    return np.lexsort((cell, -tiebreak, -scores), axis=-1)


def flagged_count(n_cells: int, share: float) -> int:
    """How many cells a share flags: ``round(share × cells)``, at least one."""
    return max(1, int(round(share * n_cells)))


def pai(hits: float, events: float, flagged: int, n_cells: int) -> float:
    """Predictive Accuracy Index: hit rate over area share; NaN when there were no events."""
    if events <= 0:
        return float("nan")
    return (hits / events) / (flagged / n_cells)


@dataclass(frozen=True)
class Inputs:
    """What the forecast reads, on a common weekly calendar.

    ``weekly``: weeks × cells deaths; ``cell_area``: each cell's community-area column in
    ``area_weekly`` (−1: no area); ``area_weekly``: weeks × areas deaths (all deaths of the area,
    with or without a point); ``area_alert``: weeks × areas, 1 where a weekly spike alert of the area
    ended in that week; ``cells``: H3 ids.
    """

    cells: tuple[str, ...]
    weekly: np.ndarray
    cell_area: np.ndarray
    area_weekly: np.ndarray
    area_alert: np.ndarray


def _per_cell(area_values: np.ndarray, cell_area: np.ndarray, fill: float) -> np.ndarray:
    """Weeks × cells from weeks × areas (cells without an area take ``fill``)."""
    padded = np.hstack([area_values, np.full((area_values.shape[0], 1), fill)])
    return padded[:, np.where(cell_area >= 0, cell_area, area_values.shape[1])]


class Scorer:
    """Scores of every candidate at every week, sharing the work between candidates."""

    def __init__(self, inputs: Inputs) -> None:
        self.inputs = inputs
        self.rings = rings_of(tuple(inputs.cells))
        self.long_term = sum_before(inputs.weekly, None)
        trend = area_trend(inputs.area_weekly)
        self.trend = _per_cell(trend, inputs.cell_area, 1.0)
        recent_alert = (sum_before(inputs.area_alert, ALERT_CURRENT_WEEKS) > 0).astype(float)
        self.alert = _per_cell(recent_alert, inputs.cell_area, 0.0)
        self._decayed: dict[float, np.ndarray] = {}
        self._smoothed: dict[tuple, np.ndarray] = {}

    def smoothed(self, half_life: float, ring_weights: tuple[float, float, float],
                 rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """The weeks ``rows`` × cells: decayed counts spread by the kernel (cached per half-life,
        rings and rows; the decay runs over every week, the kernel only over the rows asked for)."""
        key = (half_life, ring_weights, rows.tobytes() if isinstance(rows, np.ndarray) else repr(rows))
        if key not in self._smoothed:
            if half_life not in self._decayed:
                self._decayed[half_life] = decayed_before(self.inputs.weekly, half_life)
            k = kernel(self.rings, ring_weights)
            self._smoothed[key] = np.asarray((k @ self._decayed[half_life][rows].T).T)
        return self._smoothed[key]

    def scores(self, params: Params, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Scores for ``params`` at the weeks ``rows`` (weeks × cells)."""
        base = self.smoothed(params.half_life_weeks, params.ring_weights, rows)
        if params.trend_weight:
            base = base * self.trend[rows] ** params.trend_weight
        if params.alert_weight:
            base = base * (1.0 + params.alert_weight * self.alert[rows])
        return base

    def baseline(self, model: str, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """The naive baselines' scores: last 4 weeks' counts, or all earlier counts."""
        if model == RECENT_BASELINE:
            return sum_before(self.inputs.weekly, HORIZON_WEEKS)[rows]
        if model == LONG_TERM_BASELINE:
            return self.long_term[rows]
        raise ValueError(f"unknown baseline {model!r}")


def backtest_origins(n_weeks: int, origins: int = BACKTEST_ORIGINS) -> np.ndarray:
    """Week indexes of the origins: the last ``origins`` weeks whose 4-week outcome is fully observed,
    each with at least one earlier week (fewer when the data are shorter)."""
    last = n_weeks - HORIZON_WEEKS
    first = max(1, last - origins + 1)
    return np.arange(first, last + 1) if last >= 1 else np.arange(0)


def tie_order(tiebreak: np.ndarray) -> np.ndarray:
    """Per row, the cells ordered by ``tiebreak`` (descending), then cell index: the order ties follow."""
    tiebreak = np.atleast_2d(tiebreak)
    cell = np.broadcast_to(np.arange(tiebreak.shape[1]), tiebreak.shape)
    return np.lexsort((cell, -tiebreak), axis=-1)


def hits_at(scores: np.ndarray, ties: np.ndarray, outcome: np.ndarray, k: int | Sequence[int]) -> np.ndarray:
    """Per row: the outcome captured by the top ``k`` cells (same set as :func:`rank_order`'s first
    ``k``), in linear time: every cell above the ``k``-th score, then the cells equal to it in
    ``ties`` order (:func:`tie_order`) until ``k`` are taken. A sequence of ``k`` gives one column
    per ``k`` (the scores are reordered once)."""
    s = np.take_along_axis(np.round(np.atleast_2d(scores), SCORE_DECIMALS), ties, axis=1)
    y = np.take_along_axis(np.atleast_2d(outcome), ties, axis=1)
    return _hits_in_tie_order(s, y, k)


def _hits_in_tie_order(s: np.ndarray, y: np.ndarray, k: int | Sequence[int]) -> np.ndarray:
    ks = [k] if isinstance(k, int) else list(k)
    columns = []
    for one in ks:
        kth = -np.partition(-s, one - 1, axis=1)[:, one - 1:one]
        above = s > kth
        equal = s == kth
        room = one - above.sum(axis=1, keepdims=True)
        taken = above | (equal & (np.cumsum(equal, axis=1) <= room))
        columns.append((y * taken).sum(axis=1))
    return columns[0] if isinstance(k, int) else np.column_stack(columns)


@dataclass(frozen=True)
class Backtest:
    """The backtest's verdict: the chosen parameters, the PAI table and the calibration factor.

    ``table`` rows: ``model, flagged_share, sample, pai, hit_rate, window_deaths, origins`` (deaths
    summed over the origins' 4-week windows: a death is in up to four); sample is
    ``all`` (every origin, parameters chosen on them) or ``held_out`` (the newer half, with
    parameters chosen on the older half only — an honest check of the choice).
    """

    params: Params
    held_out_params: Params
    table: list[dict]
    scale: float
    origins: np.ndarray
    candidates: int


def _choose(grid: list[Params], hits: dict[Params, np.ndarray], rows: slice) -> Params:
    """The candidate with the most deaths captured at 5 % (the pooled PAI's numerator; the
    denominator is the same for all), ties by 10 %, then grid order."""
    best, best_key = grid[0], None
    for params in grid:
        key = tuple(float(h[rows].sum()) for h in hits[params])
        if best_key is None or key > best_key:
            best, best_key = params, key
    return best


def run_backtest(inputs: Inputs, grid: list[Params] | None = None, origins: int = BACKTEST_ORIGINS) -> Backtest:
    """Choose the parameters and measure the forecast against both baselines (module docstring)."""
    grid = grid or parameter_grid()
    scorer = Scorer(inputs)
    n_weeks, n_cells = inputs.weekly.shape
    rows = backtest_origins(n_weeks, origins)
    if len(rows) == 0:
        raise ValueError(f"{n_weeks} weeks of data: too few for a backtest (need more than {HORIZON_WEEKS})")
    outcome = sum_ahead(inputs.weekly, HORIZON_WEEKS)[rows]
    ties = tie_order(scorer.long_term[rows])
    ks = [flagged_count(n_cells, share) for share in FLAGGED_SHARES]
    # The outcome in tie order is the same for every candidate: reorder it once.
    y = np.take_along_axis(outcome, ties, axis=1)

    def captured(scores: np.ndarray) -> list[np.ndarray]:
        s = np.take_along_axis(np.round(scores, SCORE_DECIMALS), ties, axis=1)
        return list(_hits_in_tie_order(s, y, ks).T)

    hits = {p: captured(scorer.scores(p, rows)) for p in grid}
    for model in (RECENT_BASELINE, LONG_TERM_BASELINE):
        hits[model] = captured(scorer.baseline(model, rows))
    everything, older, newer = slice(None), slice(0, len(rows) // 2), slice(len(rows) // 2, None)
    chosen = _choose(grid, hits, everything)
    held_out = _choose(grid, hits, older)
    table = []
    for sample, part, params in (("all", everything, chosen), ("held_out", newer, held_out)):
        deaths = float(outcome[part].sum())
        for model in MODELS:
            per_share = hits[params] if model == FORECAST else hits[model]
            for share, k, captured_hits in zip(FLAGGED_SHARES, ks, per_share, strict=True):
                got = float(captured_hits[part].sum())
                table.append({
                    "model": model,
                    "flagged_share": share,
                    "sample": sample,
                    "pai": pai(got, deaths, k, n_cells),
                    "hit_rate": got / deaths if deaths > 0 else float("nan"),
                    "window_deaths": int(round(deaths)),
                    "origins": int(len(rows[part])),
                })
    score_sum = scorer.scores(chosen, rows).sum()
    scale = float(outcome.sum() / score_sum) if score_sum > 0 else 0.0
    return Backtest(chosen, held_out, table, scale, rows, len(grid))


def forecast_next(inputs: Inputs, params: Params, scale: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Expected deaths per cell over the 4 weeks after the last week, their rank (1 = highest) and the
    all-time counts used to break ties.

    The origin is the week after the data's last week: the inputs gain one empty week so the
    "before" sums take in every week of data.
    """
    extended = Inputs(
        inputs.cells,
        np.vstack([inputs.weekly, np.zeros((1, inputs.weekly.shape[1]))]),
        inputs.cell_area,
        np.vstack([inputs.area_weekly, np.zeros((1, inputs.area_weekly.shape[1]))]),
        np.vstack([inputs.area_alert, np.zeros((1, inputs.area_alert.shape[1]))]),
    )
    scorer = Scorer(extended)
    last = np.array([extended.weekly.shape[0] - 1])
    scores = scorer.scores(params, last)
    tiebreak = scorer.long_term[last]
    order = rank_order(scores, tiebreak)[0]
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.arange(1, len(order) + 1)
    return scores[0] * scale, ranks, tiebreak[0]
