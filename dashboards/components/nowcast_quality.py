"""The Data quality page's nowcast section: the backtest by horizon, the verdict, the seeding.

Every nowcast publishes its backtest (rolling origin: at each past pull, nowcast from what was
known then; compare with the count once complete). Shown for the region's and Chicago's overdose
deaths (all drugs); the download holds every drug. No count is shown, only scores of the model.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards.components import nowcast_view, table_display
from dashboards.components.data import DbVersion
from pipelines.formatting import format_refreshed

GEOGRAPHY_LABELS = {"region": "Region", "chicago": "Chicago"}


def seeding_text(status: pl.DataFrame) -> str:
    """Where the pull history starts and why, in one sentence."""
    row = status.row(0, named=True)
    if not row["pulls"]:
        return "No pulls are kept yet: the history starts with the first pull."
    first = format_refreshed(row["first_pull"])
    if row["seeding"] == "created_at":
        return (f"{row['pulls']} pulls since {first}; history before the first pull is seeded from the portal's "
                f":created_at dates ({row['seeding_reason']}).")
    return (f"{row['pulls']} pulls since {first}; history starts with the first pull: the portal's :created_at "
            f"dates cannot seed it ({row['seeding_reason']}).")


def summary_table(backtest: pl.DataFrame) -> pl.DataFrame:
    """The backtest of all overdose deaths by geography and horizon, in words and rounded."""
    return backtest.filter(pl.col("drug") == "all").select(
        pl.col("geography").replace_strict(GEOGRAPHY_LABELS, default=pl.col("geography")).alias("Where"),
        pl.col("horizon").alias("Months back"),
        pl.col("vintages").alias("Past pulls scored"),
        (pl.col("coverage_50") * 100).round(0).alias("50% range held (%)"),
        (pl.col("coverage_90") * 100).round(0).alias("90% range held (%)"),
        pl.col("wis").round(2).alias("Weighted interval score"),
        pl.col("mae_nowcast").round(1).alias("Error, nowcast"),
        pl.col("mae_naive").round(1).alias("Error, provisional count"),
    )


def render(version: DbVersion) -> None:
    """Draw the section (nothing but a caption when the publication has no nowcast)."""
    st.markdown("##### Nowcast of the provisional months: backtest", anchors=False)
    status = nowcast_view.load_status(version)
    if status.is_empty():
        st.caption("This publication has no nowcast; run `make pipeline` again.")
        return
    row = status.filter((pl.col("geography") == "region") & (pl.col("drug") == "all")).row(0, named=True)
    st.caption(
        f"Method: {row['method']}; a count is final {row['complete_months']} months after its month. "
        + seeding_text(status)
    )
    verdict = ("shown on the public pages" if row["shown"]
               else f"not shown on the public pages: the nowcast {row['reason']}")
    st.markdown(f"Region, all overdose deaths: expected counts are **{verdict}**.")
    backtest = nowcast_view.backtest_table(version)
    if backtest.is_empty():
        st.caption("No past pull can be scored yet (a month's count is complete only after "
                   f"{row['complete_months']} months).")
        return
    table_display.show_small_table(summary_table(backtest))
    st.caption(
        "At each past pull the nowcast is made from what was known then and compared with the count once "
        "complete. Held: share of final counts inside the range; weighted interval score (Bracher et al. "
        "2021, lower is better) and mean absolute errors in deaths. Shown when at least "
        "the required pulls are scored, the 90% range held 80–97% of the time and the error beats the "
        "provisional count's (settings `ODW_NOWCAST_*`)."
    )
    table_display.csv_download("Download the nowcast backtest (CSV)", backtest, file_name="nowcast_backtest.csv",
                               key="dq_download_nowcast")
