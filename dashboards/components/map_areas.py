"""The community-area choropleth of the Map page: one GeoJSON feature per area, coloured by
deaths or rate, with its tooltip (pure functions).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date

import polars as pl

from dashboards.components.map_classes import class_colours, classify
from dashboards.components.map_style import NO_DEATHS_COLOUR, SUPPRESSED_COLOUR, hex_to_rgba, tooltip_fields


def area_feature(
    number: int, name: str, geometry_json: str, fill: list[int], lines: Sequence[str], note: str = ""
) -> dict:
    return {
        "type": "Feature",
        "geometry": json.loads(geometry_json),
        "properties": {
            "community_area_number": int(number),
            "community_area": name,
            **tooltip_fields(name, lines, note),
            "fill_color": fill,
        },
    }


#: The rates an area tooltip names: value column -> (label, lower, upper, unstable flag).
RATE_FIELDS: dict[str, tuple[str, str, str, str]] = {
    "rate": ("Crude rate", "rate_lower", "rate_upper", "rate_unstable"),
    "age_adjusted_rate": ("Age-adjusted rate", "age_adjusted_lower", "age_adjusted_upper", "age_adjusted_unstable"),
}


def _rate_text(row: dict, column: str = "rate") -> str:
    label, lower, upper, _unstable = RATE_FIELDS[column]
    if row[column] is None:
        return f"{label}: not available"
    text = f"{label}: {row[column]:,.1f} per 100,000 per year"
    if row[lower] is not None and row[upper] is not None:
        text += f" (95% CI {row[lower]:,.1f}–{row[upper]:,.1f})"
    return text


def _rate_lines(row: dict, threshold: int) -> list[str]:
    """The crude rate, and the age-adjusted rate when the metrics carry it; one line when hidden."""
    if row["deaths_suppressed"]:
        return [f"Rates: not shown (fewer than {threshold} deaths)"]
    return [_rate_text(row, column) for column in RATE_FIELDS if column in row]


def _area_note(row: dict, value_col: str) -> str:
    if row["deaths_suppressed"]:
        return ""
    notes = []
    unstable = RATE_FIELDS.get(value_col, RATE_FIELDS["rate"])[3]
    if row.get(unstable):
        notes.append("Unstable rate: fewer than 20 deaths")
    unknown = row.get("deaths_unknown_age_display")
    if value_col == "age_adjusted_rate" and unknown not in (None, "0"):
        notes.append(f"{unknown} deaths of unknown age not in the age-adjusted rate")
    return "; ".join(notes)


def _geometries(areas: pl.DataFrame) -> dict[int, str]:
    return dict(
        zip(areas.get_column("community_area_number"), areas.get_column("geometry_geojson"), strict=True)
    )


def build_features(
    metrics: pl.DataFrame,
    areas: pl.DataFrame,
    *,
    value_col: str,
    edges: Sequence[float],
    threshold: int,
    count_label: str,
    alpha: int = 235,
) -> list[dict]:
    """GeoJSON features, one per community area, carrying display text and a fill colour.

    ``metrics`` is :func:`dashboards.components.period_metrics.area_period_metrics` output, with the
    age-adjusted columns of :func:`dashboards.components.adjusted_rates.with_area_adjusted` when
    the tooltip should name both rates; ``value_col`` is ``"deaths"``, ``"rate"`` (crude) or
    ``"age_adjusted_rate"``. Properties hold strings only (plus the area number and colour), so a
    suppressed area's count or rate cannot leak through the map data sent to the browser.
    """
    colours = [hex_to_rgba(c, alpha) for c in class_colours(len(edges) - 1)] if len(edges) > 1 else []
    geometry = _geometries(areas)
    features = []
    for row in metrics.sort("community_area_number").iter_rows(named=True):
        if row["deaths_suppressed"]:
            fill = hex_to_rgba(SUPPRESSED_COLOUR, alpha)
        elif not row["deaths"]:
            fill = hex_to_rgba(NO_DEATHS_COLOUR, alpha)
        elif colours and row[value_col] is not None:
            fill = colours[classify(row[value_col], edges)]
        else:
            fill = hex_to_rgba(NO_DEATHS_COLOUR, alpha)
        features.append(
            area_feature(
                row["community_area_number"],
                row["community_area"],
                geometry[row["community_area_number"]],
                fill,
                [
                    f"{count_label}: {row['deaths_display']}",
                    *_rate_lines(row, threshold),
                    f"Population (2020): {row['population']:,}",
                ],
                _area_note(row, value_col),
            )
        )
    return features


def drug_area_metrics(
    counts: pl.DataFrame, areas: pl.DataFrame, start: date, end: date, *, threshold: int
) -> pl.DataFrame:
    """Deaths and rate per community area for one drug (``counts``: month, area number, deaths).

    ``counts`` is ``marts.overdose_deaths_monthly`` summed for the chosen drug. The work, including
    complementary suppression within the region and the rest of the city, is
    :func:`dashboards.components.period_metrics.area_period_metrics`, fed through its all-deaths column.
    """
    from dashboards.components.data import DRUGS
    from dashboards.components.period_metrics import area_period_metrics

    column = DRUGS["overdose"][1]
    flags = areas.select("community_area_number", "in_region")
    monthly = counts.join(flags, on="community_area_number", how="inner").select(
        "month", "community_area_number", "in_region", pl.col("deaths").alias(column)
    )
    return area_period_metrics(monthly, areas, start, end, "overdose", threshold=threshold)
