"""Known-answer and property tests for small-number (primary and complementary) suppression."""

from __future__ import annotations

import time

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.defs.epidemiology.suppression import (
    MISSING_DISPLAY,
    SECONDARY_FOOTNOTE,
    SECONDARY_MARK,
    display_count,
    suppress,
    suppress_total,
)


def recover_hidden_cells(original: pl.DataFrame, published: pl.DataFrame, count_col: str, by: list[str]) -> dict:
    """Play the attacker: total minus visible cells gives a hidden cell exactly when only one is hidden.

    The total is the one the reader sees: the sum of the original cells unless the publication
    withheld it. Returns {group key: recovered value} for every group where the attack succeeds.
    """
    joined = published.with_columns(original=original.get_column(count_col))
    per_group = joined.group_by(by, maintain_order=True).agg(
        pl.col("original").sum().alias("total"),
        pl.col(count_col).sum().alias("visible"),
        pl.col(f"{count_col}_suppressed").sum().alias("hidden"),
        pl.col(f"{count_col}_group_total_suppressed").first().alias("total_withheld"),
    )
    attackable = per_group.filter((pl.col("hidden") == 1) & ~pl.col("total_withheld"))
    return {tuple(row[k] for k in by): row["total"] - row["visible"] for row in attackable.iter_rows(named=True)}


# --- primary suppression --------------------------------------------------------------------------


def test_default_threshold_hides_1_to_9_and_shows_0_and_10():
    frame = pl.DataFrame({"deaths": [0, 1, 5, 9, 10, 11, 1234, None]})
    out = suppress(frame, "deaths")
    assert out["deaths"].to_list() == [0, None, None, None, 10, 11, 1234, None]
    assert out["deaths_suppressed"].to_list() == [False, True, True, True, False, False, False, False]
    assert out["deaths_display"].to_list() == ["0", "<10", "<10", "<10", "10", "11", "1,234", None]
    assert out.columns == ["deaths", "deaths_suppressed", "deaths_display"]
    assert out.schema["deaths"] == pl.Int64


def test_configurable_threshold():
    out = suppress(pl.DataFrame({"n": [0, 1, 4, 5, 9]}), "n", threshold=5)
    assert out["n_display"].to_list() == ["0", "<5", "<5", "5", "9"]
    assert out["n"].to_list() == [0, None, None, 5, 9]
    # threshold 1 suppresses nothing (there is no count from 1 to 0).
    assert suppress(pl.DataFrame({"n": [1, 2]}), "n", threshold=1)["n"].to_list() == [1, 2]


def test_rates_and_their_intervals_are_nulled_on_suppressed_rows():
    frame = pl.DataFrame(
        {
            "deaths": [3, 25],
            "rate": [6.0, 50.0],
            "rate_lower": [1.2, 32.4],
            "rate_upper": [17.5, 73.8],
            "rate_unstable": [True, False],
            "crude": [3.0, 25.0],
        }
    )
    out = suppress(frame, "deaths", rate_cols=["rate", "crude"])
    assert out.row(0, named=True) == {
        "deaths": None,
        "rate": None,
        "rate_lower": None,
        "rate_upper": None,
        "rate_unstable": True,
        "crude": None,
        "deaths_suppressed": True,
        "deaths_display": "<10",
    }
    assert out.row(1, named=True)["rate"] == 50.0 and out.row(1, named=True)["crude"] == 25.0


def test_whole_valued_float_counts_are_accepted():
    out = suppress(pl.DataFrame({"n": [2.0, 1500.0]}), "n")
    assert out["n_display"].to_list() == ["<10", "1,500"]


@pytest.mark.parametrize(
    ("frame", "kwargs", "error"),
    [
        (pl.DataFrame({"n": [-1]}), {}, ValueError),
        (pl.DataFrame({"n": [1.5]}), {}, ValueError),
        (pl.DataFrame({"n": ["3"]}), {}, TypeError),
        (pl.DataFrame({"x": [3]}), {}, ValueError),
        (pl.DataFrame({"n": [3], "n_display": ["<10"]}), {}, ValueError),
        (pl.DataFrame({"n": [3]}), {"threshold": 0}, ValueError),
        (pl.DataFrame({"n": [3]}), {"rate_cols": ["rate"]}, ValueError),
        (pl.DataFrame({"n": [3]}), {"rate_cols": "rate"}, TypeError),
        (pl.DataFrame({"n": [3], "t": [3]}), {"total_col": "t"}, ValueError),
        (pl.DataFrame({"n": [3], "g": [1]}), {"complementary_by": "g"}, TypeError),
        (pl.DataFrame({"n": [3]}), {"complementary_by": ["g"]}, ValueError),
    ],
)
def test_bad_input_is_rejected(frame, kwargs, error):
    with pytest.raises(error):
        suppress(frame, "n", **kwargs)


def test_suppressing_twice_is_refused():
    once = suppress(pl.DataFrame({"n": [3]}), "n")
    with pytest.raises(ValueError, match="already suppressed"):
        suppress(once, "n")


# --- complementary suppression --------------------------------------------------------------------


def test_single_small_cell_gets_smallest_other_cell_hidden():
    frame = pl.DataFrame({"g": ["a"] * 4, "cls": ["w", "x", "y", "z"], "n": [12, 3, 40, 25]})
    out = suppress(frame, "n", complementary_by=["g"])
    assert out["n"].to_list() == [None, None, 40, 25]
    assert out["n_display"].to_list() == [SECONDARY_MARK, "<10", "40", "25"]
    assert out["n_suppressed"].to_list() == [True, True, False, False]
    assert out["n_group_total_suppressed"].to_list() == [False] * 4
    # Total 80 − visible 65 = 15 = 3 + 12: the two hidden cells cannot be told apart.
    assert recover_hidden_cells(frame, out, "n", ["g"]) == {}


def test_two_small_cells_need_no_secondary():
    frame = pl.DataFrame({"g": ["a"] * 4, "n": [5, 7, 30, 40]})
    out = suppress(frame, "n", complementary_by=["g"])
    assert out["n_display"].to_list() == ["<10", "<10", "30", "40"]
    assert SECONDARY_MARK not in out["n_display"].to_list()


def test_no_small_cell_needs_no_secondary():
    out = suppress(pl.DataFrame({"g": ["a"] * 3, "n": [0, 10, 30]}), "n", complementary_by=["g"])
    assert out["n_suppressed"].to_list() == [False, False, False]


def test_zero_cells_are_never_secondary_and_smallest_non_zero_is_chosen():
    out = suppress(pl.DataFrame({"g": ["a"] * 4, "n": [0, 4, 55, 31]}), "n", complementary_by=["g"])
    assert out["n_display"].to_list() == ["0", "<10", "55", SECONDARY_MARK]


def test_ties_hide_exactly_one_cell_the_first():
    out = suppress(pl.DataFrame({"g": ["a"] * 3, "n": [20, 4, 20]}), "n", complementary_by=["g"])
    assert out["n_display"].to_list() == [SECONDARY_MARK, "<10", "20"]


def test_single_small_cell_with_only_zeros_withholds_the_group_total():
    """[3, 0, 0]: no non-zero cell is left to hide, so the group's total must not be shown."""
    frame = pl.DataFrame({"g": ["a", "a", "a", "b", "b"], "n": [3, 0, 0, 12, 30]})
    out = suppress(frame, "n", complementary_by=["g"])
    assert out["n_display"].to_list() == ["<10", "0", "0", "12", "30"]
    assert out["n_group_total_suppressed"].to_list() == [True, True, True, False, False]
    assert recover_hidden_cells(frame, out, "n", ["g"]) == {}


def test_total_col_is_suppressed_when_small_or_revealing():
    frame = pl.DataFrame(
        {
            "g": ["small", "small", "reveal", "reveal", "fine", "fine", "fine"],
            "n": [3, 0, 3, 0, 12, 3, 40],
            # "reveal": the total counts 12 deaths with no cell here (e.g. unknown area), yet
            # 15 − 0 would still be published next to a single hidden cell: withhold it.
            "total": [3, 3, 15, 15, 55, 55, 55],
        }
    )
    out = suppress(frame, "n", complementary_by=["g"], total_col="total")
    assert out["total"].to_list() == [None, None, None, None, 55, 55, 55]
    assert out["total_display"].to_list() == ["<10", "<10", SECONDARY_MARK, SECONDARY_MARK, "55", "55", "55"]
    assert out["total_suppressed"].to_list() == [True, True, True, True, False, False, False]
    assert out["n_display"].to_list() == ["<10", "0", "<10", "0", SECONDARY_MARK, "<10", "40"]
    assert out.columns == [
        "g", "n", "total", "n_suppressed", "n_display", "n_group_total_suppressed",
        "total_suppressed", "total_display",
    ]  # fmt: skip


def test_total_col_must_be_constant_and_not_below_the_cells():
    with pytest.raises(ValueError, match="same on every row"):
        suppress(pl.DataFrame({"g": [1, 1], "n": [3, 20], "t": [23, 24]}), "n", complementary_by=["g"], total_col="t")
    with pytest.raises(ValueError, match="below the sum"):
        suppress(pl.DataFrame({"g": [1, 1], "n": [3, 20], "t": [22, 22]}), "n", complementary_by=["g"], total_col="t")


def test_multiple_groups_are_independent():
    frame = pl.DataFrame(
        {
            "month": ["2026-01"] * 3 + ["2026-02"] * 3 + ["2026-03"] * 3,
            "area": [23, 25, 29] * 3,
            "deaths": [4, 15, 22, 5, 6, 30, 11, 14, 60],
        }
    )
    out = suppress(frame, "deaths", complementary_by=["month"])
    assert out["deaths_display"].to_list() == [
        "<10", SECONDARY_MARK, "22",  # one small cell: 15 hidden too
        "<10", "<10", "30",  # two small cells: nothing more
        "11", "14", "60",  # nothing small
    ]  # fmt: skip
    assert recover_hidden_cells(frame, out, "deaths", ["month"]) == {}


def test_multi_column_groups_and_whole_table_group():
    frame = pl.DataFrame({"year": [2025, 2025, 2025, 2026], "sex": ["F", "F", "M", "F"], "n": [2, 30, 2, 40]})
    by_two = suppress(frame, "n", complementary_by=["year", "sex"])
    assert by_two["n_display"].to_list() == ["<10", SECONDARY_MARK, "<10", "40"]
    assert by_two["n_group_total_suppressed"].to_list() == [False, False, True, False]
    whole = suppress(frame, "n", complementary_by=[])
    assert whole["n_display"].to_list() == ["<10", "30", "<10", "40"]


def test_complementary_rows_also_null_rates():
    frame = pl.DataFrame({"g": ["a"] * 3, "n": [12, 3, 40], "rate": [1.2, 0.3, 4.0]})
    out = suppress(frame, "n", rate_cols=["rate"], complementary_by=["g"])
    assert out["rate"].to_list() == [None, None, 4.0]


def test_secondary_footnote_names_the_mark():
    assert SECONDARY_FOOTNOTE.startswith(SECONDARY_MARK)


def test_complementary_suppression_is_fast_on_100k_rows():
    rng = np.random.default_rng(11)
    frame = pl.DataFrame(
        {"g": rng.integers(0, 20_000, 100_000), "n": rng.choice([0, 1, 3, 8, 12, 25, 60], 100_000)}
    )
    started = time.perf_counter()
    out = suppress(frame, "n", complementary_by=["g"])
    assert time.perf_counter() - started < 5
    assert recover_hidden_cells(frame, out, "n", ["g"]) == {}


# --- totals and scalar display --------------------------------------------------------------------


def test_suppress_total():
    out = suppress_total(pl.DataFrame({"total": [0, 7, 10, 2500, None]}), "total")
    assert out["total"].to_list() == [0, None, 10, 2500, None]
    assert out["total_suppressed"].to_list() == [False, True, False, False, False]
    assert out["total_display"].to_list() == ["0", "<10", "10", "2,500", None]
    assert suppress_total(pl.DataFrame({"t": [7]}), "t", threshold=5)["t_display"].to_list() == ["7"]


@pytest.mark.parametrize(
    ("value", "threshold", "text"),
    [
        (0, 10, "0"),
        (1, 10, "<10"),
        (9, 10, "<10"),
        (10, 10, "10"),
        (1234, 10, "1,234"),
        (1234567, 10, "1,234,567"),
        (4, 5, "<5"),
        (5, 5, "5"),
        (12.0, 10, "12"),
        (None, 10, MISSING_DISPLAY),
        (float("nan"), 10, MISSING_DISPLAY),
    ],
)
def test_display_count(value, threshold, text):
    assert display_count(value, threshold) == text


def test_display_count_rejects_impossible_counts():
    for bad in (-1, 2.5):
        with pytest.raises(ValueError):
            display_count(bad)


# --- property -------------------------------------------------------------------------------------

cells = st.one_of(st.integers(0, 12), st.integers(0, 300))
tables = st.lists(st.lists(cells, min_size=1, max_size=7), min_size=1, max_size=8)


@settings(max_examples=300, deadline=None)
@given(groups=tables, threshold=st.integers(2, 20))
def test_property_no_single_hidden_cell_and_no_small_count_shown(groups, threshold):
    frame = pl.DataFrame(
        {
            "g": [i for i, group in enumerate(groups) for _ in group],
            "n": [value for group in groups for value in group],
        }
    )
    out = suppress(frame, "n", threshold=threshold, complementary_by=["g"])

    per_group = out.group_by("g").agg(
        pl.col("n_suppressed").sum().alias("hidden"), pl.col("n_group_total_suppressed").first().alias("withheld")
    )
    assert per_group.filter((pl.col("hidden") == 1) & ~pl.col("withheld")).height == 0
    assert recover_hidden_cells(frame, out, "n", ["g"]) == {}

    for original, shown, hidden, text in zip(frame["n"], out["n"], out["n_suppressed"], out["n_display"], strict=True):
        if hidden:
            assert shown is None and text in {f"<{threshold}", SECONDARY_MARK}
            assert original > 0
        else:
            assert shown == original and int(text.replace(",", "")) == original
            assert not 1 <= original < threshold
