"""Wilson score intervals: known answers from Newcombe (1998) and the edge cases."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from pipelines.defs.field_data.metrics import suppress_proportion, wilson_ci, with_proportion


@pytest.mark.parametrize(
    ("x", "n", "lower", "upper"),
    [
        # Newcombe, Stat Med 17 (1998) 857-872, Table I, method 3 (Wilson score, no continuity).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
        # Symmetric cases: 5/10 is centred on 0.5; 10/10 mirrors 0/10.
        (5, 10, 0.2366, 0.7634),
        (10, 10, 0.7225, 1.0000),
    ],
)
def test_known_answers(x: int, n: int, lower: float, upper: float) -> None:
    lo, hi = wilson_ci(x, n)
    assert float(lo) == pytest.approx(lower, abs=5e-5)
    assert float(hi) == pytest.approx(upper, abs=5e-5)


def test_vectorised_and_bounded() -> None:
    x = np.array([0, 3, 7, 50, 100])
    n = np.array([100, 10, 7, 100, 100])
    lower, upper = wilson_ci(x, n)
    assert lower.shape == upper.shape == (5,)
    assert np.all(lower >= 0) and np.all(upper <= 1) and np.all(lower <= x / n) and np.all(x / n <= upper)
    assert lower[0] == 0.0 and upper[-1] == 1.0


def test_wider_level_gives_wider_interval() -> None:
    lo95, hi95 = wilson_ci(30, 100)
    lo99, hi99 = wilson_ci(30, 100, level=0.99)
    assert lo99 < lo95 and hi99 > hi95


def test_no_trials_is_nan() -> None:
    lower, upper = wilson_ci([0, 2], [0, 4])
    assert np.isnan(lower[0]) and np.isnan(upper[0])
    assert not np.isnan(lower[1])


@pytest.mark.parametrize(("x", "n"), [(-1, 5), (6, 5), (1, -2)])
def test_impossible_counts_are_rejected(x: int, n: int) -> None:
    with pytest.raises(ValueError):
        wilson_ci(x, n)


@pytest.mark.parametrize("level", [0, 1, 1.5])
def test_bad_level(level: float) -> None:
    with pytest.raises(ValueError, match="level"):
        wilson_ci(1, 2, level=level)


def test_with_proportion_adds_share_and_interval() -> None:
    frame = pl.DataFrame({"pos": [81, 0], "n": [263, 0]})
    out = with_proportion(frame, successes_col="pos", trials_col="n", prefix="positivity")
    assert out.columns == ["pos", "n", "positivity", "positivity_lower", "positivity_upper"]
    first, empty = out.to_dicts()
    assert first["positivity"] == pytest.approx(81 / 263)
    assert first["positivity_lower"] == pytest.approx(0.2553, abs=5e-5)
    assert empty["positivity"] is None and empty["positivity_lower"] is None and empty["positivity_upper"] is None


def test_with_proportion_names_a_missing_column() -> None:
    with pytest.raises(ValueError, match="'trials'"):
        with_proportion(pl.DataFrame({"x": [1]}), successes_col="x", trials_col="trials", prefix="p")


def test_suppress_proportion_hides_small_positives_and_their_complement() -> None:
    # Four areas of one strip type whose total (84 read, 50 positive) is published elsewhere.
    frame = pl.DataFrame(
        {
            "area": [1, 2, 3, 4],
            "strip": ["fentanyl"] * 4,
            "read": [40, 20, 5, 19],
            "positive": [30, 3, 0, 17],
        }
    )
    out = suppress_proportion(
        frame, successes_col="positive", trials_col="read", prefix="share", threshold=10,
        complementary_by=["strip"],
    ).sort("area")
    rows = {r["area"]: r for r in out.iter_rows(named=True)}
    # Area 1: both counts large -> 30/40 with Wilson bounds, nothing hidden.
    assert rows[1]["share"] == pytest.approx(0.75) and rows[1]["positive_display"] == "30"
    assert rows[1]["share_lower"] == pytest.approx(float(wilson_ci(30, 40)[0]))
    assert not rows[1]["share_suppressed"]
    # Area 2: 20 read is shown, but 3 positive is a small count -> "<10", no share, no interval.
    assert rows[2]["read_display"] == "20" and rows[2]["positive_display"] == "<10"
    assert rows[2]["share"] is None and rows[2]["share_lower"] is None and rows[2]["share_upper"] is None
    assert rows[2]["positive"] is None and rows[2]["share_suppressed"]
    # Area 3: 5 read -> "<10"; its 0 positives take the same mark rather than showing "0".
    assert rows[3]["read_display"] == "<10" and rows[3]["positive_display"] == "<10"
    # Area 4's 17 positives are the smallest other cell: hidden ("*") so 50 − 30 − 17 cannot give
    # area 2 back; and its 19 read are the complement of area 3's hidden 5 read.
    assert rows[4]["positive_display"] == "*" and rows[4]["read_display"] == "*"
    assert rows[4]["share"] is None
    assert [c for c in out.columns if c.endswith("_group_total_suppressed")] == []


def test_suppress_proportion_keeps_a_zero_and_a_full_share() -> None:
    frame = pl.DataFrame({"read": [25, 12], "positive": [0, 12]})
    out = suppress_proportion(frame, successes_col="positive", trials_col="read", prefix="p", threshold=10)
    assert out.get_column("p").to_list() == [0.0, 1.0]
    assert out.get_column("positive_display").to_list() == ["0", "12"]
