"""Test-strip tables of the "Test strips & outreach" page (pure: marts in, display frames out).

Positivity by community area and fentanyl + xylazine co-detection over a period, with Wilson 95%
intervals, suppressed as published (``suppress_proportion``); these frames are the CSV downloads.
The ``*_display`` functions lay the same values out as the Markdown tables the page draws (one row
per area, the interval beside its share), without recomputing or unhiding anything.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.defs.field_data.metrics import suppress_proportion

STRIP_LABELS = {"fentanyl": "Fentanyl", "xylazine": "Xylazine", "other": "Other strips"}


def pct(expr: pl.Expr) -> pl.Expr:
    """A share as a percentage with one decimal."""
    return (expr * 100).round(1)


def positivity_table(
    positivity: pl.DataFrame, start: date, end: date, threshold: int
) -> pl.DataFrame:
    """Positivity by community area × strip type over the period, with Wilson 95% intervals.

    Areas are suppressed per strip type as one complementary group, because the all-areas tests
    on the KPI cards are their total: a single hidden area could otherwise be worked out. Strips
    read and positive strips are both small counts (``suppress_proportion``).
    """
    frame = (
        positivity.filter(pl.col("area_level") != "all", pl.col("month").is_between(start, end))
        .group_by("community_area_number", "community_area", "strip_type")
        .agg(pl.col("tests_read").sum(), pl.col("positives").sum())
        .sort("strip_type", "community_area_number", nulls_last=True)
    )
    frame = suppress_proportion(
        frame,
        successes_col="positives",
        trials_col="tests_read",
        prefix="positivity",
        threshold=threshold,
        complementary_by=["strip_type"],
    )
    return frame.sort("community_area_number", "strip_type", nulls_last=True).select(
        pl.col("community_area").fill_null("Outside Chicago").alias("community_area"),
        pl.col("strip_type")
        .replace_strict(STRIP_LABELS, default=pl.col("strip_type"))
        .alias("strip_type"),
        pl.col("tests_read_display").alias("tests_read"),
        pl.col("positives_display").alias("positives"),
        pct(pl.col("positivity")).alias("positivity_pct"),
        pct(pl.col("positivity_lower")).alias("positivity_95ci_lower_pct"),
        pct(pl.col("positivity_upper")).alias("positivity_95ci_upper_pct"),
    )


def codetection_table(
    codetection: pl.DataFrame, start: date, end: date, threshold: int
) -> pl.DataFrame:
    """Share of samples positive for both fentanyl and xylazine, all areas first, then by area."""
    period = codetection.filter(pl.col("month").is_between(start, end))
    keys = ["area_level", "community_area_number", "community_area"]
    frame = (
        period.group_by(keys)
        .agg(pl.col("samples_tested_both").sum(), pl.col("both_positive").sum())
        .sort(pl.col("area_level") != "all", "community_area_number", nulls_last=True)
    )
    share = {
        "successes_col": "both_positive",
        "trials_col": "samples_tested_both",
        "prefix": "share",
        "threshold": threshold,
    }
    areas = suppress_proportion(frame.filter(pl.col("area_level") != "all"), complementary_by=[], **share)
    total = suppress_proportion(frame.filter(pl.col("area_level") == "all"), **share)
    return pl.concat([total, areas]).select(
        pl.col("community_area").fill_null("Outside Chicago").alias("community_area"),
        pl.col("samples_tested_both_display").alias("samples_with_both_strips_read"),
        pct(pl.col("share")).alias("both_positive_pct"),
        pct(pl.col("share_lower")).alias("both_positive_95ci_lower_pct"),
        pct(pl.col("share_upper")).alias("both_positive_95ci_upper_pct"),
    )


def pct_with_ci(value: str, lower: str, upper: str) -> pl.Expr:
    """"62.4% (51.7–71.9)" from percentage columns; missing (hidden) when the value is."""
    return (
        pl.when(pl.col(value).is_not_null())
        .then(pl.format("{}% ({}–{})", *(pl.col(c).round(1).cast(pl.String) for c in (value, lower, upper))))
        .otherwise(None)
    )


def positivity_display(strip_table: pl.DataFrame) -> pl.DataFrame:
    """:func:`positivity_table` as the page shows it: one row per area, each strip type's strips
    read, positives and positivity with its interval side by side (a strip type an area has no
    row for is missing). The numbers are the table's own: nothing is recomputed or unhidden."""
    shown = strip_table.with_columns(
        pct_with_ci("positivity_pct", "positivity_95ci_lower_pct", "positivity_95ci_upper_pct").alias("ci")
    )
    out = shown.select(pl.col("community_area").alias("Community area")).unique(maintain_order=True)
    for strip in shown.get_column("strip_type").unique(maintain_order=True).to_list():
        part = shown.filter(pl.col("strip_type") == strip).select(
            pl.col("community_area").alias("Community area"),
            pl.col("tests_read").alias(f"{strip} strips read"),
            pl.col("positives").alias(f"{strip} positive"),
            pl.col("ci").alias(f"{strip} positivity (95% CI)"),
        )
        out = out.join(part, on="Community area", how="left", maintain_order="left")
    return out


def codetection_display(co_table: pl.DataFrame) -> pl.DataFrame:
    """:func:`codetection_table` as the page shows it: the share with its interval in one column."""
    return co_table.select(
        pl.col("community_area").alias("Area"),
        pl.col("samples_with_both_strips_read").alias("Samples (both strips read)"),
        pct_with_ci("both_positive_pct", "both_positive_95ci_lower_pct", "both_positive_95ci_upper_pct").alias(
            "Both positive (95% CI)"
        ),
    )
