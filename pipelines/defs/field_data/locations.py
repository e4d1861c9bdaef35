"""Where a field-data row happened: community-area names, coordinates, distances.

A row may give a hot spot, coordinates and a community-area name at once. Community-area boundaries
run down the middle of streets and hot spots are usually intersections, so "the coordinates fall in
a different area than the name says" is often just the other side of the street. Agreement is
therefore judged by distance: a point within :data:`AREA_TOLERANCE_M` of the named area agrees with
it, and a row's coordinates within :data:`HOTSPOT_TOLERANCE_M` of its hot spot agree with the hot spot.
"""

from __future__ import annotations

import difflib
import math

import numpy as np
import polars as pl
import shapely

from pipelines.defs.geography.placement import COOK_COUNTY_BOUNDS, point_in_area

#: A point this close to the community area a row names still agrees with it (street width + GPS error).
AREA_TOLERANCE_M = 200.0
#: A row's own coordinates this close to its hot spot agree with the hot spot.
HOTSPOT_TOLERANCE_M = 1000.0

# Local flat projection around Chicago: metres per degree of latitude and of longitude at 41.85° N.
# Over the few kilometres compared here its error is far below the tolerances above.
_M_PER_DEG_LAT = 111_050.0
_M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(41.85))

#: Widely used neighbourhood names inside the region, and the community area each lies in.
NEIGHBORHOOD_ALIASES = {
    "Little Village": 30,
    "La Villita": 30,
    "Pilsen": 31,
    "West Loop": 28,
    "Tri-Taylor": 28,
    "Illinois Medical District": 28,
    "Ukrainian Village": 24,
    "Wicker Park": 24,
    "East Village": 24,
    "Galewood": 25,
    "K-Town": 29,
}


def area_key_expr(expr: pl.Expr) -> pl.Expr:
    """Polars form of :func:`pipelines.defs.geography.boundaries.name_key` (upper case, A–Z and 0–9)."""
    return expr.str.to_uppercase().str.replace_all("[^A-Z0-9]", "")


def _key(name: str) -> str:
    return "".join(ch for ch in name.upper() if ch.isascii() and ch.isalnum())


def in_cook_county_expr(lat: pl.Expr, lon: pl.Expr) -> pl.Expr:
    """True where the point lies inside Cook County's extent (null coordinates give false)."""
    (lat_lo, lat_hi), (lon_lo, lon_hi) = COOK_COUNTY_BOUNDS["lat"], COOK_COUNTY_BOUNDS["lon"]
    return (lat.is_between(lat_lo, lat_hi) & lon.is_between(lon_lo, lon_hi)).fill_null(False)


def distance_m(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Approximate distance in metres between points (equirectangular, fine at city scale)."""
    dy = (np.asarray(lat1) - np.asarray(lat2)) * _M_PER_DEG_LAT
    dx = (np.asarray(lon1) - np.asarray(lon2)) * _M_PER_DEG_LON
    return np.hypot(dx, dy)


def _to_metres(coords: np.ndarray) -> np.ndarray:
    return np.column_stack([coords[:, 0] * _M_PER_DEG_LON, coords[:, 1] * _M_PER_DEG_LAT])


class AreaIndex:
    """Chicago's community areas for matching names and placing points.

    Built from ``staging.community_areas`` (``community_area_number``, ``community_area``,
    ``geometry_wkt`` in EPSG:4326).
    """

    def __init__(self, areas: pl.DataFrame) -> None:
        self.areas = areas.select("community_area_number", "community_area", "geometry_wkt").sort(
            "community_area_number"
        )
        self.numbers = self.areas["community_area_number"].to_numpy()
        self.names = dict(zip(self.numbers.tolist(), self.areas["community_area"].to_list(), strict=True))
        polygons = shapely.from_wkt(self.areas["geometry_wkt"].to_numpy())
        self._polygons = shapely.transform(polygons, _to_metres)

    def lookup(self) -> pl.DataFrame:
        """Match key → ``community_area_number``: names, numbers ("25", "025") and aliases."""
        keys: dict[str, int] = {}
        for number, name in self.names.items():
            keys[_key(name)] = number
            keys[str(number)] = number
            keys[f"{number:02d}"] = number
        for alias, number in NEIGHBORHOOD_ALIASES.items():
            keys.setdefault(_key(alias), number)
        return pl.DataFrame(
            {"_area_key": list(keys), "_named_area": list(keys.values())},
            schema={"_area_key": pl.String, "_named_area": pl.Int32},
        )

    def suggestions(self, keys: list[str]) -> pl.DataFrame:
        """For unmatched area keys, the closest community-area name (or null when nothing is close)."""
        by_key = {_key(name): name for name in self.names.values()}
        choices = list(by_key)
        found = []
        for key in keys:
            match = difflib.get_close_matches(key, choices, n=1, cutoff=0.75)
            found.append(by_key[match[0]] if match else None)
        return pl.DataFrame(
            {"_area_key": keys, "_area_suggestion": found},
            schema={"_area_key": pl.String, "_area_suggestion": pl.String},
        )

    def area_of(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Community-area number containing each point, ``-1`` where none (outside Chicago)."""
        return point_in_area(np.asarray(lat, dtype=float), np.asarray(lon, dtype=float), self.areas)

    def distance_to_area(self, lat: np.ndarray, lon: np.ndarray, numbers: np.ndarray) -> np.ndarray:
        """Metres from each point to the community area numbered ``numbers[i]`` (0 when inside)."""
        if len(lat) == 0:
            return np.empty(0)
        index = np.searchsorted(self.numbers, np.asarray(numbers))
        points = shapely.points(np.asarray(lon) * _M_PER_DEG_LON, np.asarray(lat) * _M_PER_DEG_LAT)
        return shapely.distance(points, self._polygons[index])
