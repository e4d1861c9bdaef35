"""Validation on simulated data: injected spikes and clusters of the documented strength are found
(sensitivity ≥ 90 %) and data without injections raise no more false alarms than the docs
state. Seeds are fixed, so every figure here is reproducible.

Documented levels (docs/methods/spike-alerts.md and hot-spots.md, "How well does it work?"):

* spikes — a one-period jump of ``ceil(3 + 5·√usual)`` events is detected in ≥ 90 % of series by each
  method; on Poisson series without jumps at most 3 % of periods alarm for C1 and for C2, 10 % for
  C3, 1 % for the seasonal regression and 10 % for "any method";
* clusters — 20 extra deaths over a hex cell and its six neighbours in one window, over a
  background of up to 1 death per cell, make the centre a hot spot in ≥ 90 % of simulations; without
  a cluster at most 0.1 % of cells and 10 % of analyses show a false hot spot.
"""

from __future__ import annotations

import h3
import numpy as np
import pytest

from pipelines.defs.hotspots.ears import ears
from pipelines.defs.hotspots.grid import hex_weights
from pipelines.defs.hotspots.seasonal import seasonal_glm
from pipelines.defs.hotspots.spatial import HOT, NOT_SIGNIFICANT, gi_star
from pipelines.demo.injections import spike_size

MIN_COUNT = 3
MEANS = (0.3, 1.0, 3.0, 10.0)
FAR_LIMITS = {"C1": 0.03, "C2": 0.03, "C3": 0.10, "seasonal": 0.01, "any": 0.10}
WEEKS = 220
PHASE = np.arange(WEEKS) * 7 / 365.25


def _alarms(x: np.ndarray, start: int) -> dict[str, np.ndarray]:
    out = {m: ears(x, m, min_sigma=1.0)["alarm"] for m in ("C1", "C2", "C3")}
    out["seasonal"] = seasonal_glm(x, PHASE[: x.shape[1]], start=start)["alarm"]
    out = {k: v & (x >= MIN_COUNT) for k, v in out.items()}
    out["any"] = np.logical_or.reduce(list(out.values()))
    return out


@pytest.fixture(scope="module")
def background() -> dict[float, np.ndarray]:
    rng = np.random.default_rng(20260501)
    return {mean: rng.poisson(mean, (40, WEEKS)).astype(float) for mean in MEANS}


@pytest.mark.parametrize("mean", MEANS)
def test_spike_sensitivity_at_the_documented_strength(background, mean):
    target = WEEKS - 1
    x = background[mean].copy()
    x[:, target] += spike_size(mean)
    found = {k: v[:, target].mean() for k, v in _alarms(x, target).items()}
    assert min(found.values()) >= 0.90, found


def test_false_alarm_rate_without_injections(background):
    first = 120  # every method has its full baseline from here on
    x = np.vstack([background[mean] for mean in MEANS])
    alarms = _alarms(x, first)
    # The limits hold for the sparsest and the busiest series alike, not only on average.
    for i, mean in enumerate(MEANS):
        rows = slice(40 * i, 40 * (i + 1))
        rates = {k: v[rows, first:].mean() for k, v in alarms.items()}
        for method, limit in FAR_LIMITS.items():
            assert rates[method] <= limit, (mean, method, rates)


# Clusters: a hex disk of radius 6 (127 cells) around the demo's cluster cell.
CENTRE = h3.latlng_to_cell(41.8430, -87.7150, 8)
CELLS = sorted(h3.grid_disk(CENTRE, 6))
RING = [CELLS.index(c) for c in h3.grid_disk(CENTRE, 1)]


@pytest.fixture(scope="module")
def weights():
    return hex_weights(CELLS)


@pytest.mark.parametrize("usual", [0.5, 1.0])
def test_cluster_sensitivity(weights, usual):
    rng = np.random.default_rng(int(usual * 100))
    found = []
    for run in range(25):
        y = rng.poisson(usual, len(CELLS)).astype(float)
        np.add.at(y, rng.choice(RING, 20), 1)  # 20 extra deaths over the centre and its ring
        found.append(gi_star(y, weights, permutations=999, seed=run)["gi_class"][CELLS.index(CENTRE)] == HOT)
    assert np.mean(found) >= 0.90


def test_cluster_false_alarms_without_injection(weights):
    rng = np.random.default_rng(77)
    flagged_cells, runs_with_any = 0, 0
    runs = 40
    for run in range(runs):
        usual = (0.5, 1.0)[run % 2]
        classes = gi_star(
            rng.poisson(usual, len(CELLS)).astype(float), weights, permutations=999, seed=500 + run
        )["gi_class"]
        hot = int((classes == HOT).sum())
        flagged_cells += int((classes != NOT_SIGNIFICANT).sum())
        runs_with_any += hot > 0
    assert flagged_cells / (runs * len(CELLS)) <= 0.001
    assert runs_with_any / runs <= 0.10
