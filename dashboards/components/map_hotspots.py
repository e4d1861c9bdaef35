"""Gi* hot/cold spots and Local Moran clusters by community area on the Map page (pure
functions).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from dashboards.components.map_areas import area_feature
from dashboards.components.map_style import GI_STYLES, MORAN_STYLES, hex_to_rgba


def gi_key(gi_class: str | None, gi_bin: int | None) -> str:
    """The :data:`GI_STYLES` key of a published Gi* class and confidence bin."""
    if gi_class == "hot spot":
        return "hot99" if (gi_bin or 0) >= 3 else "hot95"
    if gi_class == "cold spot":
        return "cold99" if (gi_bin or 0) <= -3 else "cold95"
    return "not significant"


def pick_window(windows: Sequence[tuple[date, date]], end: date) -> tuple[date, date] | None:
    """The latest hot-spot window ``(start, end_exclusive)`` that closes by the end of ``end``'s month.

    The period slider thus moves the hot-spot map back in time; a period ending before the first
    window falls back to the first window. ``None`` when there are no windows.
    """
    if not windows:
        return None
    ordered = sorted(windows)
    closes = date(end.year + (end.month == 12), end.month % 12 + 1, 1)
    done = [w for w in ordered if w[1] <= closes]
    return done[-1] if done else ordered[0]


def class_features(
    classes: pl.DataFrame,
    areas: pl.DataFrame,
    *,
    kind: str,
    measure_label: str,
    window_label: str,
    alpha: int = 235,
) -> list[dict]:
    """Area features coloured by Gi* class (``kind="gi"``) or Local Moran cluster (``"moran"``).

    ``classes`` holds ``marts.area_hotspots`` rows of one measure and window. Areas without a row
    (not analysed) are drawn as not significant.
    """
    by_area = {row["community_area_number"]: row for row in classes.iter_rows(named=True)}
    features = []
    for area in areas.sort("community_area_number").iter_rows(named=True):
        row = by_area.get(area["community_area_number"])
        if kind == "gi":
            key = gi_key(row["gi_class"], row["gi_bin"]) if row else "not significant"
            colour, label = GI_STYLES[key]
            heading = "Getis-Ord Gi*"
        else:
            key = row["moran_cluster"] if row and row["moran_cluster"] in MORAN_STYLES else "not significant"
            colour, label = MORAN_STYLES[key]
            heading = "Local Moran's I"
        features.append(
            area_feature(
                area["community_area_number"],
                area["community_area"],
                area["geometry_geojson"],
                hex_to_rgba(colour, alpha),
                [f"{heading}: {label}", f"Measure: {measure_label}", f"Window: {window_label}"],
                "FDR-adjusted, 5% false-discovery rate",
            )
        )
    return features
