"""Chicago's 77 community areas: boundaries, names and 2020 population.

Boundaries come offline from the ``libpysal`` package's ``Chicago77.shp`` (Illinois State Plane
East, EPSG:3435, shipped without a .prj) or, when configured, from the City of Chicago data
portal, falling back to the bundled copy with a logged warning when the portal is unreachable.
"""

from __future__ import annotations

import io
import logging
import re

import geopandas as gpd
import polars as pl
import requests
import shapely

from pipelines.settings import PROJECT_ROOT

log = logging.getLogger(__name__)

POPULATION_CSV = PROJECT_ROOT / "data_raw" / "reference" / "chicago_community_areas_2020.csv"
SHAPEFILE_CRS = "EPSG:3435"  # Illinois State Plane East (US feet); the .shp ships without a .prj
MAP_CRS = "EPSG:4326"


def name_key(name: str | None) -> str | None:
    """Normalise a community-area name for matching: upper case, letters and digits only.

    ``"O'Hare"``, ``"OHARE"`` and ``"o hare"`` all become ``"OHARE"``; ``"Lake View"`` and
    ``"LAKEVIEW"`` become ``"LAKEVIEW"``. The same rule is used in SQL
    (``regexp_replace(upper(x), '[^A-Z0-9]', '', 'g')``).
    """
    if name is None:
        return None
    key = re.sub(r"[^A-Z0-9]", "", name.upper())
    return key or None


def load_population() -> pl.DataFrame:
    """The 2020 census population of the 77 community areas (file carries its source line)."""
    frame = pl.read_csv(POPULATION_CSV, comment_prefix="#")
    return frame.select(
        pl.col("area_number").cast(pl.Int32).alias("community_area_number"),
        pl.col("community_area"),
        pl.col("population_2020").cast(pl.Int64),
    )


def load_bundled_boundaries() -> gpd.GeoDataFrame:
    """Community-area polygons from libpysal's ``Chicago77.shp``, reprojected to EPSG:4326."""
    # Imported here: libpysal is most of the code location's load time, and only this needs it.
    from libpysal import examples

    frame = gpd.read_file(examples.get_path("Chicago77.shp"))
    frame = frame.set_crs(SHAPEFILE_CRS, allow_override=True).to_crs(MAP_CRS)
    return gpd.GeoDataFrame(
        {"community_area_number": frame["AREA_NUMBE"].astype(int).to_numpy()},
        geometry=frame.geometry.to_numpy(),
        crs=MAP_CRS,
    )


def load_portal_boundaries(url: str, timeout: float = 30.0) -> gpd.GeoDataFrame:
    """Community-area polygons from the City of Chicago portal's GeoJSON endpoint."""
    response = requests.get(url, timeout=timeout, params={"$limit": 100})
    response.raise_for_status()
    frame = gpd.read_file(io.BytesIO(response.content))
    number_col = next(
        (c for c in ("area_numbe", "area_num_1", "area_number") if c in frame.columns), None
    )
    if number_col is None:
        raise ValueError(f"portal boundaries at {url} have no area-number column: {list(frame.columns)}")
    frame = frame.to_crs(MAP_CRS) if frame.crs else frame.set_crs(MAP_CRS)
    out = gpd.GeoDataFrame(
        {"community_area_number": frame[number_col].astype(float).astype(int).to_numpy()},
        geometry=frame.geometry.to_numpy(),
        crs=MAP_CRS,
    )
    if sorted(out["community_area_number"]) != list(range(1, 78)):
        raise ValueError(f"portal boundaries at {url} do not hold the 77 community areas")
    return out


def load_boundaries(source: str, url: str) -> tuple[gpd.GeoDataFrame, str]:
    """Boundaries from ``source`` (``bundled`` or ``portal``); returns the frame and where it came from."""
    if source == "portal":
        try:
            return load_portal_boundaries(url), url
        except (requests.RequestException, ValueError, OSError) as exc:
            log.warning("City portal boundaries unreachable (%s); using the bundled copy", exc)
    return load_bundled_boundaries(), "libpysal Chicago77.shp (bundled)"


def community_area_table(boundaries: gpd.GeoDataFrame, population: pl.DataFrame) -> pl.DataFrame:
    """One row per community area: number, name, name key, population, GeoJSON geometry, centroid."""
    projected_centroids = boundaries.to_crs(SHAPEFILE_CRS).centroid.to_crs(MAP_CRS)
    shapes = pl.DataFrame(
        {
            "community_area_number": boundaries["community_area_number"].astype("int32").to_numpy(),
            # ~10 m simplification keeps the map light without visible change at city scale.
            "geometry_geojson": shapely.to_geojson(boundaries.geometry.simplify(0.0001).to_numpy()),
            "geometry_wkt": boundaries.geometry.to_wkt().to_list(),
            "centroid_lon": projected_centroids.x.to_numpy(),
            "centroid_lat": projected_centroids.y.to_numpy(),
        }
    )
    table = population.join(shapes, on="community_area_number", how="full", coalesce=True)
    missing = table.filter(pl.col("geometry_wkt").is_null() | pl.col("population_2020").is_null())
    if missing.height:
        raise ValueError(
            "boundaries and population disagree on community areas: "
            f"{missing['community_area_number'].to_list()}"
        )
    return table.with_columns(
        pl.col("community_area").str.to_uppercase().str.replace_all("[^A-Z0-9]", "").alias("name_key")
    ).sort("community_area_number")
