"""Test-strip positivity by community area on the Map page: features and legend (pure
functions).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from dashboards.components.map_areas import area_feature
from dashboards.components.map_classes import LegendBin, classify, legend_bins
from dashboards.components.map_style import CIVIDIS_5, NO_DEATHS_COLOUR, SUPPRESSED_COLOUR, hex_to_rgba
from pipelines.defs.field_data.metrics import suppress_proportion


def area_positivity(
    positivity: pl.DataFrame, start: date, end: date, strip: str, *, threshold: int
) -> pl.DataFrame:
    """Test-strip positivity per community area over ``start``..``end`` for one strip type.

    ``positivity`` is ``marts.test_strip_positivity`` (``substance_as_sold = 'all'`` rows). Areas
    are suppressed as one complementary group (as on the Test strips page, whose all-areas total
    is their sum): strips read or positive 1..threshold-1 show "<10" and no positivity
    (``suppress_proportion``). Columns: community_area_number, tests_read and positives (null if
    hidden), their ``_display`` and ``_suppressed`` columns, positivity, positivity_lower,
    positivity_upper (null if hidden), positivity_suppressed.
    """
    frame = (
        positivity.filter(
            pl.col("area_level") == "community_area",
            pl.col("strip_type") == strip,
            pl.col("month").is_between(start, end),
        )
        .group_by("community_area_number")
        .agg(pl.col("tests_read").sum().cast(pl.Int64), pl.col("positives").sum().cast(pl.Int64))
        .sort("community_area_number")
    )
    return suppress_proportion(
        frame,
        successes_col="positives",
        trials_col="tests_read",
        prefix="positivity",
        threshold=threshold,
        complementary_by=[],
    )


#: Positivity classes: fixed edges, so colours mean the same share in every period.
POSITIVITY_EDGES: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


def positivity_features(
    table: pl.DataFrame, areas: pl.DataFrame, *, strip_label: str, period_text: str, threshold: int, alpha: int = 235
) -> list[dict]:
    """Area features coloured by test-strip positivity (cividis), suppressed areas grey."""
    colours = [hex_to_rgba(c, alpha) for c in CIVIDIS_5]
    by_area = {row["community_area_number"]: row for row in table.iter_rows(named=True)}
    features = []
    for area in areas.sort("community_area_number").iter_rows(named=True):
        row = by_area.get(area["community_area_number"])
        if row is None or (not row["tests_read_suppressed"] and not row["tests_read"]):
            fill, lines = hex_to_rgba(NO_DEATHS_COLOUR, alpha), [f"{strip_label} strips: none read"]
        elif row["positivity_suppressed"]:
            fill = hex_to_rgba(SUPPRESSED_COLOUR, alpha)
            if row["tests_read_suppressed"]:
                reason = (
                    f"fewer than {threshold} strips read"
                    if row["tests_read_display"] != "*"
                    else "protects a small count"
                )
            else:
                reason = (
                    f"fewer than {threshold} positive strips"
                    if row["positives_display"] != "*"
                    else "protects a small count"
                )
            lines = [
                f"{strip_label} strips read: {row['tests_read_display']}",
                f"Positivity: not shown ({reason})",
            ]
        else:
            fill = colours[classify(row["positivity"], POSITIVITY_EDGES)]
            lines = [
                f"{strip_label} strips read: {row['tests_read_display']}",
                f"Positivity: {row['positivity']:.0%} (95% CI {row['positivity_lower']:.0%}–"
                f"{row['positivity_upper']:.0%})",
            ]
        features.append(
            area_feature(
                area["community_area_number"],
                area["community_area"],
                area["geometry_geojson"],
                fill,
                [*lines, f"Period: {period_text}"],
                "Task-force field data, by area where the strip was used",
            )
        )
    return features


def positivity_legend(threshold: int, secondary: bool = False) -> list[LegendBin]:
    """Legend of :func:`positivity_features` (fixed 20-point classes)."""
    bins = legend_bins(
        POSITIVITY_EDGES, integer=False, threshold=threshold, secondary=secondary,
        palette=CIVIDIS_5, empty_label="No strips read", unit="strips read or positive", percent=True,
    )  # fmt: skip
    return bins
