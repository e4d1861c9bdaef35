"""Test-strip display tables (``dashboards.components.strip_tables``): known answers, hidden stays hidden."""

from __future__ import annotations

import polars as pl

from dashboards.components import table_display
from dashboards.components.strip_tables import codetection_display, positivity_display


def _strip_table() -> pl.DataFrame:
    """What ``positivity_table`` returns: one row per area x strip type, small counts as text."""
    return pl.DataFrame(
        {
            "community_area": ["Austin", "Austin", "West Town", "Outside Chicago"],
            "strip_type": ["Fentanyl", "Xylazine", "Fentanyl", "Xylazine"],
            "tests_read": ["187", "114", "55", "<10"],
            "positives": ["131", "<10", "33", "<10"],
            "positivity_pct": [70.06, None, 60.0, None],
            "positivity_95ci_lower_pct": [63.1, None, 46.84, None],
            "positivity_95ci_upper_pct": [76.2, None, 71.9, None],
        }
    )


def test_positivity_display_puts_strip_types_side_by_side() -> None:
    shown = positivity_display(_strip_table())
    assert shown.columns == [
        "Community area",
        "Fentanyl strips read", "Fentanyl positive", "Fentanyl positivity (95% CI)",
        "Xylazine strips read", "Xylazine positive", "Xylazine positivity (95% CI)",
    ]  # fmt: skip
    assert shown.rows() == [
        ("Austin", "187", "131", "70.1% (63.1–76.2)", "114", "<10", None),
        # An area with no xylazine row has nothing in those columns; one with no fentanyl row too.
        ("West Town", "55", "33", "60.0% (46.8–71.9)", None, None, None),
        ("Outside Chicago", None, None, None, "<10", "<10", None),
    ]
    # Drawn as Markdown: the hidden positivity is a dash, the small count stays "<10".
    table = table_display.markdown_table(shown, right=shown.columns[1:])
    assert "| Austin | 187 | 131 | 70\\.1% (63\\.1–76\\.2) | 114 | \\<10 | — |" in table.splitlines()


def test_codetection_display_joins_share_and_interval() -> None:
    co = pl.DataFrame(
        {
            "community_area": ["All areas", "Austin", "West Town"],
            "samples_with_both_strips_read": ["573", "112", "<10"],
            "both_positive_pct": [24.4, 25.9, None],
            "both_positive_95ci_lower_pct": [21.1, 18.7, None],
            "both_positive_95ci_upper_pct": [28.1, 34.7, None],
        }
    )
    # A hidden share hides its interval even if the bounds were present.
    co = co.with_columns(pl.when(pl.col("community_area") == "Austin").then(None).otherwise(pl.col("both_positive_pct"))
                         .alias("both_positive_pct"))
    assert codetection_display(co).row(1) == ("Austin", "112", None)
    co = co.with_columns(pl.Series("both_positive_pct", [24.4, 25.9, None]))
    assert codetection_display(co).rows() == [
        ("All areas", "573", "24.4% (21.1–28.1)"),
        ("Austin", "112", "25.9% (18.7–34.7)"),
        ("West Town", "<10", None),
    ]
