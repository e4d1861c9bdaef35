"""Known answers for the hot-spot statistics: Gi* by hand and by esda, FDR, EB smoothing, Local
Moran classes, Mann-Kendall and the emerging-hot-spot categories."""

from __future__ import annotations

import math

import esda
import libpysal
import numpy as np
import polars as pl
import pytest
from statsmodels.stats.multitest import multipletests

from pipelines.defs.hotspots import spatial
from pipelines.defs.hotspots.spatial import COLD, HOT
from pipelines.defs.hotspots.spatial import NOT_SIGNIFICANT as NS

# A 3 × 3 lattice (rook contiguity), values 1..9 row by row:
#   1 2 3
#   4 5 6
#   7 8 9
LATTICE = libpysal.weights.lat2W(3, 3, rook=True)
VALUES = np.arange(1.0, 10.0)


def test_gi_star_by_hand_on_a_small_lattice():
    # Corner cell 0: itself and its rook neighbours 1 and 3 -> values 1, 2, 4, sum 7, W = 3.
    # Mean 5, population variance (1² + ... + 9²)/9 − 25 = 20/3, so
    # z = (7 − 5·3) / (sqrt(20/3) · sqrt((9·3 − 3²)/8)) = −8 / (1.5 · sqrt(20/3)).
    z_corner = -8 / (1.5 * math.sqrt(20 / 3))
    # The centre: itself and four neighbours -> 5 + 2 + 4 + 6 + 8 = 25 = 5 · 5: exactly average.
    # Cell 1 (top middle): 2 + 1 + 3 + 5 = 11, W = 4: z = (11 − 20) / (sqrt(20/3) · sqrt((36 − 16)/8)).
    z_top = -9 / (math.sqrt(20 / 3) * math.sqrt(20 / 8))
    result = spatial.gi_star(VALUES, LATTICE, permutations=99, seed=1)
    assert result["gi_z"][0] == pytest.approx(z_corner, abs=1e-12)
    assert result["gi_z"][4] == pytest.approx(0.0, abs=1e-12)
    assert result["gi_z"][1] == pytest.approx(z_top, abs=1e-12)
    # Symmetry of the lattice: the opposite corner is exactly as hot as cell 0 is cold.
    assert result["gi_z"][8] == pytest.approx(-z_corner, abs=1e-12)


def test_gi_star_z_scores_equal_esda_directly():
    rng = np.random.default_rng(11)
    w = libpysal.weights.lat2W(6, 6, rook=False)
    y = rng.poisson(3, w.n).astype(float)
    ours = spatial.gi_star(y, w, permutations=99, seed=2)
    theirs = esda.G_Local(y, spatial.copy_weights(w), transform="B", star=True, permutations=0)
    np.testing.assert_allclose(ours["gi_z"].to_numpy(), theirs.Zs, atol=1e-12)


def test_pseudo_p_counts_ties_on_both_sides():
    sims = np.array([[0.0, 1.0], [0.0, 2.0], [1.0, 3.0], [2.0, 4.0]])  # 4 draws, 2 places
    # Place 0 observed 0, tested downward: draws ≤ 0 are 2 (the ties) -> (2 + 1) / 5.
    # Place 1 observed 4, tested upward: draws ≥ 4 are 1 -> (1 + 1) / 5.
    p = spatial.pseudo_p([0.0, 4.0], sims, [-1, 1])
    np.testing.assert_allclose(p, [3 / 5, 2 / 5])


def test_an_all_zero_neighbourhood_is_not_a_cold_spot():
    # Sparse counts: most places are 0. esda's p_sim would give the all-zero places the smallest
    # p-value in the "cold" direction; ties counted on both sides give them none.
    w = libpysal.weights.lat2W(10, 10)
    y = np.zeros(w.n)
    y[[5, 37, 62, 88]] = 1
    result = spatial.gi_star(y, w, permutations=999, seed=3)
    assert (result["gi_class"] == COLD).sum() == 0


def test_gi_star_finds_a_block_of_high_values():
    w = libpysal.weights.lat2W(10, 10)
    rng = np.random.default_rng(4)
    y = rng.poisson(1.0, w.n).astype(float)
    block = [33, 34, 35, 43, 44, 45, 53, 54, 55]
    y[block] += 6
    result = spatial.gi_star(y, w, permutations=999, seed=5)
    assert result["gi_class"][44] == HOT
    assert result["gi_bin"][44] >= 2
    assert set(np.flatnonzero(result["gi_class"].to_numpy() == HOT)) <= set(block) | {
        n for b in block for n in w.neighbors[b]
    }


def test_constant_values_have_no_hot_spots():
    result = spatial.gi_star(np.full(9, 4.0), LATTICE, permutations=999)
    assert result["gi_class"].to_list() == [NS] * 9
    assert result["gi_p"].to_list() == [1.0] * 9


def test_effective_permutations():
    assert spatial.effective_permutations(999, 10, 0.05) == 999
    # 77 areas at 5 %: 1/(P+1) ≤ 0.05/77 needs P ≥ 1539 -> 1999.
    assert spatial.effective_permutations(999, 77, 0.05) == 1999
    assert spatial.effective_permutations(999, 152, 0.05) == 3999
    assert spatial.effective_permutations(9999, 152, 0.05) == 9999


def test_bh_qvalues_by_hand_and_against_statsmodels():
    # Sorted 0.01, 0.03, 0.04, 0.2 with m = 4: 0.04, 0.06, 0.0533, 0.2 -> running minimum from the
    # top: 0.04, 0.0533, 0.0533, 0.2.
    q = spatial.bh_qvalues([0.01, 0.04, 0.03, 0.2])
    np.testing.assert_allclose(q, [0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.2])
    p = np.random.default_rng(0).uniform(size=200) ** 3
    np.testing.assert_allclose(spatial.bh_qvalues(p), multipletests(p, method="fdr_bh")[1])
    with_nan = spatial.bh_qvalues([0.01, np.nan, 0.02])
    assert np.isnan(with_nan[1]) and with_nan[0] == pytest.approx(0.02)


def test_eb_rates_by_hand_and_against_esda():
    # Two areas: 2/1000 and 8/1000 -> m = 0.005, s² = (1000·0.003² · 2)/2000 = 9e-6,
    # m / n̄ = 5e-6, a = 4e-6, C = 4e-6 / (4e-6 + 5e-6) = 4/9.
    eb = spatial.eb_rates([2, 8], [1000, 1000])
    np.testing.assert_allclose(eb, [0.005 - 4 / 9 * 0.003, 0.005 + 4 / 9 * 0.003])
    rng = np.random.default_rng(1)
    events = rng.poisson(25, 40).astype(float)
    population = rng.integers(3_000, 90_000, 40).astype(float)
    np.testing.assert_allclose(
        spatial.eb_rates(events, population), esda.smoothing.Empirical_Bayes(events, population).r.ravel()
    )


def test_eb_rates_with_no_extra_variation_smooth_to_the_overall_rate():
    eb = spatial.eb_rates([10, 10, 11], [10_000, 10_000, 10_000])
    np.testing.assert_allclose(eb, np.full(3, 31 / 30_000))
    assert np.isnan(spatial.eb_rates([1, 2], [0, 100])[0])


def test_local_moran_classes_and_statistic():
    w = libpysal.weights.lat2W(12, 12)
    y = np.random.default_rng(8).poisson(5, w.n).astype(float)
    high = [r * 12 + c for r in range(1, 6) for c in range(1, 6)]  # 5 × 5 block of high values
    low = [r * 12 + c for r in range(6, 11) for c in range(6, 11)]  # and one of zeros
    y[high], y[low] = 20.0, 0.0
    result = spatial.local_moran(y, w, permutations=999, seed=8)
    reference = esda.Moran_Local(y, spatial.copy_weights(w), transformation="r", permutations=0)
    np.testing.assert_allclose(result["moran_i"].to_numpy(), reference.Is, atol=1e-12)
    classes = np.array(result["moran_cluster"].to_list())
    # Block centres: every neighbour is like them.
    assert classes[3 * 12 + 3] == "high-high"
    assert classes[8 * 12 + 8] == "low-low"
    # Every significant place carries the name of esda's quadrant (1 HH, 2 LH, 3 LL, 4 HL).
    significant = classes != NS
    expected = np.array([spatial.MORAN_CLUSTERS[int(q)] for q in reference.q])
    assert (classes[significant] == expected[significant]).all()


def test_mann_kendall_known_answers():
    s, z, p = spatial.mann_kendall([[1, 2, 3, 4, 5], [5, 4, 3, 2, 1], [2, 2, 2, 2, 2], [1, 2, 2, 3, 4]])
    # Strictly increasing, T = 5: S = 10, Var = 5·4·15/18 = 50/3, z = (10 − 1)/sqrt(50/3).
    assert s[0] == 10 and z[0] == pytest.approx(9 / math.sqrt(50 / 3))
    assert s[1] == -10 and z[1] == pytest.approx(-9 / math.sqrt(50 / 3))
    assert z[2] == 0 and p[2] == 1
    # [1, 2, 2, 3, 4]: 9 increasing pairs, one tie -> S = 9; one tie group of 2 takes
    # 2·1·9 = 18 off: Var = (300 − 18)/18 = 15.667, z = 8/sqrt(15.667).
    assert s[3] == 9 and z[3] == pytest.approx(8 / math.sqrt(282 / 18))


@pytest.mark.parametrize(
    ("pattern", "trend", "expected"),
    [
        ("..........H", 0, "new"),
        ("HHHHHHHHHHH", +1, "intensifying"),
        ("HHHHHHHHHHH", 0, "persistent"),
        ("HHHHHHHHHHH", -1, "diminishing"),
        (".......HHHH", 0, "consecutive"),
        ("..C...H...H", 0, "oscillating"),
        ("..H...H...H", 0, "sporadic"),
        ("HHHHHHHHHH.", 0, "historical"),
        ("...........", 0, "no pattern"),
        ("CCCCCCCCCCC", 0, "no pattern"),
    ],
)
def test_emerging_categories(pattern, trend, expected):
    classes = np.array([[{"H": HOT, "C": COLD, ".": NS}[c] for c in pattern]])
    steps = len(pattern)
    # z-scores: hot windows above 2, a trend added on top when asked for; others near zero.
    base = np.where(classes == HOT, 3.0, np.where(classes == COLD, -3.0, 0.1))
    z = base + trend * np.linspace(0, 4, steps) + np.random.default_rng(0).normal(0, 0.01, steps)
    result = spatial.emerging_hotspots(z, classes)
    assert result["category"][0] == expected
    assert result["windows"][0] == steps


def test_local_statistics_stacks_windows_in_order():
    frame = spatial.local_statistics(
        np.vstack([VALUES, VALUES[::-1]]), LATTICE, permutations=99, seed=0, fdr=0.05
    )
    assert frame.height == 18
    assert frame.filter(pl.col("window_index") == 0)["gi_z"][0] == pytest.approx(
        -frame.filter(pl.col("window_index") == 1)["gi_z"][0]
    )
