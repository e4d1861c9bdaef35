"""Breakdowns of the Trends page by drug and demographics: two-way suppression on hand-made
frames, and the demo app database checked against SQL written independently in the tests.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from dashboards.components import trend_breakdowns, trend_selection
from dashboards.components.filters import Filters
from tests.dashboards.trend_support import SELECTION, THRESHOLD, monthly_rows, query_db


def test_two_way_suppression_protects_both_margins() -> None:
    frame = pl.DataFrame(
        {
            "year": [2025, 2025, 2025, 2026, 2026, 2026],
            "category": ["a", "b", "c", "a", "b", "c"],
            "deaths": [50, 3, 40, 60, 30, 45],
        }
    )
    shown = trend_breakdowns.suppress_two_way(frame, row_key="year", col_key="category", threshold=THRESHOLD)
    # 2025: b (3) hidden, c (40) its complement; then columns b and c each had one hidden cell,
    # so 2026's b and c are hidden too. Every row and column has 0 or >= 2 hidden cells.
    assert shown.get_column("deaths_display").to_list() == ["50", "<10", "*", "60", "*", "*"]
    hidden = shown.filter(pl.col("deaths_suppressed"))
    for key in ("year", "category"):
        counts = hidden.group_by(key).len().get_column("len").to_list()
        assert all(c >= 2 for c in counts)
    assert shown.get_column("deaths").to_list() == [50, None, None, 60, None, None]


def test_breakdowns_by_category_and_drug() -> None:
    jan = date(2026, 1, 1)
    rows = pl.concat(
        [
            monthly_rows([(jan, 1, 40)]),
            monthly_rows([(jan, 1, 5)]).with_columns(pl.lit("Female").alias("sex")),
            monthly_rows([(jan, 2, 20)]).with_columns(pl.lit("Female").alias("sex")),
            monthly_rows([(jan, 1, 2)]).with_columns(pl.lit("Unknown").alias("sex")),
            monthly_rows([(jan, 1, 12)]).with_columns(pl.lit("fentanyl").alias("drug")),
            monthly_rows([(jan, 1, 3)]).with_columns(pl.lit("xylazine").alias("drug")),
        ]
    )
    only_all = rows.filter(pl.col("drug") == "all")
    sex = trend_breakdowns.breakdown_period(only_all, SELECTION, "sex", jan, jan, threshold=THRESHOLD)
    assert sex.get_column("category").to_list() == ["Male", "Female", "Unknown"]
    # Unknown (2) is hidden, and so is the smallest other (Female, 25): the total 67 is shown.
    assert sex.get_column("deaths_display").to_list() == ["40", "*", "<10"]
    assert sex.get_column("share").to_list()[0] == pytest.approx(40 / 67)
    assert sex.get_column("share").to_list()[1:] == [None, None]

    drugs = trend_breakdowns.drug_period(rows, SELECTION, ["fentanyl", "xylazine", "heroin"], jan, jan, threshold=THRESHOLD)
    assert drugs.get_column("deaths_display").to_list() == ["12", "<10", "0"]
    assert drugs.get_column("share").to_list()[0] == pytest.approx(12 / 67)
    assert drugs.get_column("share").to_list()[1] is None
    table = trend_breakdowns.breakdown_display(drugs, "drug", {"fentanyl": "Fentanyl", "xylazine": "Xylazine", "heroin": "Heroin"})
    assert table.row(0) == ("Fentanyl", "12", 17.9)


def test_breakdowns_match_sql_and_never_show_small_counts(trend_demo) -> None:
    db, threshold = trend_demo["db"], trend_demo["threshold"]
    start, end = trend_demo["months"][-12], trend_demo["months"][-1]
    view = Filters(start=start, end=end)
    selection = trend_selection.make_selection(view, trend_demo["areas"], trend_demo["region"])
    rows = trend_selection.filter_rows(trend_demo["deaths"], view)
    for dimension, (column, _label) in trend_breakdowns.DIMENSIONS.items():
        frame = trend_breakdowns.breakdown_period(rows, selection, dimension, start, end, threshold=threshold)
        expected = dict(
            query_db(
                db,
                f"""SELECT {column}, sum(deaths) FROM marts.overdose_deaths_monthly
                    WHERE drug = 'all' AND in_region AND community_area_number IS NOT NULL
                      AND month BETWEEN ? AND ? GROUP BY 1""",
                [start, end],
            )
        )
        for row in frame.iter_rows(named=True):
            true = expected.get(row["category"], 0)
            if 1 <= true < threshold:
                assert row["deaths_display"] == f"<{threshold}"
            elif row["deaths_suppressed"]:
                assert row["deaths_display"] == "*"
            else:
                assert row["deaths"] == true
        assert frame.get_column("total").max() == sum(expected.values())
        shown = frame.get_column("deaths_display").to_list()
        assert not any(s.isdigit() and 1 <= int(s) < threshold for s in shown)
        hidden = sum(frame.get_column("deaths_suppressed"))
        assert hidden != 1, "a single hidden category could be worked out from the total"


def test_all_of_chicagos_breakdown_is_hidden_where_chicago_is_withheld() -> None:
    """All of Chicago's intent groups add up to Chicago's total: where the city total's rule
    withholds it (4 not placed: every rest area shown, or a period shorter than 12 months), the
    groups are hidden too."""
    jan = date(2026, 1, 1)
    city = trend_selection.Selection(label=trend_selection.CITY_LABEL, areas=(1, 2, 3, 4), population=100_000, city_population=100_000,
                        not_placed=True, config_region=frozenset({1, 2}))  # fmt: skip

    def accidents(not_placed: int, rest_area: int) -> str:
        rows = monthly_rows([(jan, 1, 30), (jan, 3, 40), (jan, 4, rest_area), (jan, None, not_placed)])
        frame = trend_breakdowns.breakdown_period(rows, city, "intent", jan, jan, threshold=THRESHOLD)
        return frame.filter(pl.col("category") == "accident").get_column("deaths_display").item()

    assert accidents(4, 20) == "*"  # Chicago withheld: 94 - 30 - 60 would give the 4 back
    assert accidents(4, 5) == "*"  # area 4 is hidden on the Map, but a month keeps the rest
    assert accidents(12, 20) == "102"
    # Over 12 months the rule keeps Chicago when a rest area is hidden: the groups are shown.
    dec = date(2026, 12, 1)
    rows = monthly_rows([(jan, 1, 30), (jan, 3, 40), (jan, 4, 5), (jan, None, 4)])
    frame = trend_breakdowns.breakdown_period(rows, city, "intent", jan, dec, threshold=THRESHOLD)
    assert frame.filter(pl.col("category") == "accident").get_column("deaths_display").item() == "79"
