"""Year over year on the Trends page: the annual series reproduces the published annual rates of
the demo app database.
"""

from __future__ import annotations

import pytest

from dashboards.components import trend_annual, trend_selection
from dashboards.components.filters import Filters


def test_annual_series_reproduces_the_published_annual_rates(trend_demo) -> None:
    """The page's own computation (used when filters are set) equals the pipeline's mart."""
    view = Filters(start=trend_demo["months"][0], end=trend_demo["months"][-1])
    selection = trend_selection.make_selection(view, trend_demo["areas"], trend_demo["region"])
    ours = trend_annual.annual_series(
        trend_selection.filter_rows(trend_demo["deaths"], view), selection, trend_demo["months"], trend_demo["provisional"],
        threshold=trend_demo["threshold"],
    )  # fmt: skip
    columns = ["year", "geography", "deaths", "deaths_display", "rate", "rate_lower", "rate_upper",
               "rate_change_pct", "is_provisional", "months_covered"]  # fmt: skip
    mart = trend_demo["annual"].select(columns).sort("year", "geography")
    mine = ours.select(columns).sort("year", "geography")
    assert mine.height == mart.height > 0
    assert mine.drop("rate", "rate_lower", "rate_upper").equals(mart.drop("rate", "rate_lower", "rate_upper"))
    for col in ("rate", "rate_lower", "rate_upper"):
        assert mine.get_column(col).to_list() == pytest.approx(mart.get_column(col).to_list())
