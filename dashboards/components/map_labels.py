"""The region on the Map page: its outline, the chosen areas' outline, the view that frames
them and the area labels (pure functions).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import polars as pl
import pydeck as pdk
from shapely.geometry import Polygon, mapping, shape
from shapely.geometry import box as shapely_box
from shapely.geometry.polygon import orient
from shapely.ops import unary_union


def region_outline(areas: pl.DataFrame) -> dict:
    """One GeoJSON feature: the dissolved boundary of the areas flagged ``in_region``.

    Community-area boundaries do not meet exactly, so the plain union keeps sliver gaps that
    would draw as stray outline marks inside the region: a tiny buffer out and back closes them,
    and only exterior rings are kept.
    """
    shapes = [shape(json.loads(g)) for g in areas.filter(pl.col("in_region")).get_column("geometry_geojson")]
    if not shapes:
        raise ValueError("no community area is flagged in_region")
    merged = unary_union([s.buffer(2e-4) for s in shapes]).buffer(-2e-4)
    parts = list(merged.geoms) if hasattr(merged, "geoms") else [merged]
    solid = unary_union([Polygon(part.exterior) for part in parts])
    # Through JSON so coordinates are lists, not shapely's tuples (Vega-Lite validation wants lists).
    geometry = json.loads(json.dumps(mapping(solid)))
    return {"type": "Feature", "geometry": geometry, "properties": {}}


def frame_feature(outline: dict, margin: float = 0.12) -> dict:
    """A rectangle around ``outline`` widened by ``margin`` on each side, to frame a static map.

    Wound clockwise, as d3-geo (Vega) reads a polygon's interior.
    """
    min_x, min_y, max_x, max_y = shape(outline["geometry"]).bounds
    dx, dy = (max_x - min_x) * margin, (max_y - min_y) * margin
    box = orient(shapely_box(min_x - dx, min_y - dy, max_x + dx, max_y + dy), sign=-1.0)
    return {"type": "Feature", "geometry": json.loads(json.dumps(mapping(box))), "properties": {}}


def selected_outline(areas: pl.DataFrame, numbers: Iterable[int]) -> list[dict]:
    """Outline features of the chosen areas (drawn dark and thick over every fill)."""
    chosen = set(numbers)
    return [
        {"type": "Feature", "geometry": json.loads(row["geometry_geojson"]), "properties": {}}
        for row in areas.iter_rows(named=True)
        if row["community_area_number"] in chosen
    ]


def region_view_state(areas: pl.DataFrame, zoom: float = 10.6) -> pdk.ViewState:
    """A view centred on the region's area centroids."""
    region = areas.filter(pl.col("in_region"))
    return pdk.ViewState(
        longitude=float(region.get_column("centroid_lon").mean()),
        latitude=float(region.get_column("centroid_lat").mean()),
        zoom=zoom,
        min_zoom=8,
        max_zoom=14,
        pitch=0,
        bearing=0,
    )


def wrap_label(name: str, width: int = 9) -> str:
    """Greedy word wrap of an area name onto lines of at most ``width`` characters.

    Neighbouring West Side areas are small at city zoom ("West Garfield Park" sits next to "East
    Garfield Park"), so long names are stacked to keep the labels from running into each other.
    A single word longer than ``width`` keeps its own line.
    """
    lines: list[str] = []
    for word in name.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines)


#: Label anchors nudged off the centroid where two small neighbours' labels would touch at the
#: opening zoom (West and East Garfield Park sit side by side, both three lines tall).
LABEL_NUDGE: dict[str, tuple[float, float]] = {
    "West Garfield Park": (-0.002, 0.006),
    "East Garfield Park": (0.002, -0.005),
}
#: Pixels a label moves down when an alert marker sits on its area's centroid.
MARKER_LABEL_OFFSET = 11


def region_labels(
    areas: pl.DataFrame, extra: Iterable[int] = (), marked: Iterable[int] = ()
) -> list[dict]:
    """Label points (wrapped name near the centroid) for the region's areas and ``extra`` areas.

    Labels of ``marked`` areas (those with an alert marker on the centroid) move down below it.
    """
    wanted, marked_set = set(extra), set(marked)
    rows = areas.filter(pl.col("in_region") | pl.col("community_area_number").is_in(list(wanted)))
    labels = []
    for row in rows.iter_rows(named=True):
        d_lon, d_lat = LABEL_NUDGE.get(row["community_area"], (0.0, 0.0))
        below = row["community_area_number"] in marked_set
        labels.append(
            {
                "name": wrap_label(row["community_area"]),
                "position": [row["centroid_lon"] + d_lon, row["centroid_lat"] + d_lat],
                "offset": [0, MARKER_LABEL_OFFSET if below else 0],
                "anchor": "top" if below else "center",
            }
        )
    return labels
