"""The nowcast in the meeting pack and the e-blast: the region's expected counts of the provisional
months beside the reported ones (same wording as the dashboard, ``nowcast/display.py``).

A month whose reported count is hidden by complementary suppression ("*") gets no expected count:
with nothing left to come, the expected count and its range equal the reported one.
"""

from __future__ import annotations

import duckdb
import polars as pl

from pipelines.defs.epidemiology.suppression import SECONDARY_MARK
from pipelines.defs.nowcast.display import expected_text, public_value
from pipelines.defs.reports.published import report_rows

#: Columns :func:`with_expected` adds to a trend frame.
EXPECTED_COLUMNS = ("expected_display", "expected_plot", "lower_plot", "upper_plot")


def region_nowcast(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The region's shown expected counts (empty when the publication has none)."""
    names = set(report_rows(con, "table_names").get_column("table_name").to_list())
    if "nowcast" not in names:
        return pl.DataFrame(schema={"month": pl.Date, "reported": pl.Float64, "expected": pl.Float64,
                                    "lower_90": pl.Float64, "upper_90": pl.Float64})
    return report_rows(con, "region_nowcast")


def with_expected(trend: pl.DataFrame, nowcast: pl.DataFrame, threshold: int) -> pl.DataFrame:
    """``trend`` (month, deaths_display, …) with the expected count's text and plot values per month
    (null where none is shown)."""
    by_month = {r["month"]: r for r in nowcast.iter_rows(named=True)}
    texts, expected, lower, upper = [], [], [], []
    for row in trend.iter_rows(named=True):
        nc = by_month.get(row["month"])
        if nc is None or row["deaths_display"] == SECONDARY_MARK:
            texts.append(None), expected.append(None), lower.append(None), upper.append(None)
            continue
        texts.append(expected_text(nc["expected"], nc["lower_90"], nc["upper_90"], threshold))
        expected.append(public_value(nc["expected"], threshold))
        lower.append(public_value(nc["lower_90"], threshold))
        upper.append(public_value(nc["upper_90"], threshold))
    return trend.with_columns(
        pl.Series("expected_display", texts, dtype=pl.String),
        pl.Series("expected_plot", expected, dtype=pl.Float64),
        pl.Series("lower_plot", lower, dtype=pl.Float64),
        pl.Series("upper_plot", upper, dtype=pl.Float64),
    )
