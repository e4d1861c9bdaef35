"""The parts of placing Medical Examiner cases (place of occurrence) computed in Python.

The placement rule itself — which of the archive's area name, the coordinates and the geocoded
address places a case, ``outside_chicago``, the suburban fallback, ``municipality`` and
``in_chicago`` — is ``sql/staging/me_cases.sql``, run by
:func:`~pipelines.defs.medical_examiner.staging.stage_cases_in_warehouse`. It joins to the answers
of the functions here, each computed once per distinct input: the community area containing a
point (:func:`point_in_area`), the city each ZIP names (:func:`zip_cities`), a municipality's
display name (:func:`municipality_name_expr`) and the area of each geocoded address
(:func:`geocoded_areas`).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import polars as pl
import shapely

from pipelines.defs.geography.addresses import geocode_address

#: Cook County's extent with a small margin (EPSG:4326). Coordinates outside it are treated as
#: errors in the archive and not used for placement (``coordinates_valid``), and field-data
#: coordinates outside it are refused.
COOK_COUNTY_BOUNDS = {"lat": (41.46, 42.16), "lon": (-88.27, -87.52)}

#: Values of ``incident_city`` that name no place.
UNKNOWN_CITY = ["UNKNOWN", "UNK", "N/A", "NONE"]


def point_in_area(
    latitude: np.ndarray, longitude: np.ndarray, areas: pl.DataFrame
) -> np.ndarray:
    """Community-area number containing each point (``-1`` where none), via a GeoPandas ``sjoin``.

    ``areas`` needs ``community_area_number`` and ``geometry_wkt`` (EPSG:4326).
    """
    if len(latitude) == 0:
        return np.empty(0, dtype=np.int32)
    polygons = gpd.GeoDataFrame(
        {"community_area_number": areas["community_area_number"].to_numpy()},
        geometry=shapely.from_wkt(areas["geometry_wkt"].to_numpy()),
        crs="EPSG:4326",
    )
    points = gpd.GeoDataFrame(
        {"point_index": np.arange(len(latitude))},
        geometry=gpd.points_from_xy(longitude, latitude),
        crs="EPSG:4326",
    )
    joined = gpd.sjoin(points, polygons, how="left", predicate="within")
    # A point on a shared border matches two polygons: keep the lowest area number, deterministically.
    joined = joined.sort_values(["point_index", "community_area_number"]).drop_duplicates("point_index")
    return joined["community_area_number"].fillna(-1).astype("int32").to_numpy()


def municipality_name_expr(city: pl.Expr) -> pl.Expr:
    """A municipality's display name from the archive's upper-case city text (``OAK  PARK`` → ``Oak Park``)."""
    return city.str.strip_chars().str.replace_all(r"\s+", " ").str.to_titlecase()


def zip_cities(counts: pl.DataFrame) -> pl.DataFrame:
    """The city each ZIP code names: the one most often recorded with it in the archive.

    ``counts`` has one row per (``incident_zip``, ``incident_city``) with the number of cases
    ``len``, counted over cases with a known city (``known_city``: not one of :data:`UNKNOWN_CITY`)
    and a ZIP. Ties are
    broken alphabetically, so the answer is deterministic. Returns ``incident_zip``, ``zip_city``.
    """
    return (
        counts.sort(["incident_zip", "len", "incident_city"], descending=[False, True, False])
        .unique("incident_zip", keep="first", maintain_order=True)
        .select("incident_zip", pl.col("incident_city").alias("zip_city"))
    )


def geocoded_areas(cases: pl.DataFrame, geocodes: pl.DataFrame, areas: pl.DataFrame) -> pl.DataFrame:
    """Community area of each case the geocoder matched to a point inside an area: ``_row``, ``_from_geocode``.

    ``cases`` holds the geocoding candidates with their row number ``_row``, ``incident_street`` and
    ``incident_zip``; ``geocodes`` is ``staging.me_geocodes``. A case's address is the one sent for it
    (:func:`~pipelines.defs.geography.addresses.geocode_address`); a ``Match`` is placed by
    :func:`point_in_area` like coordinates. No row for a case whose address is no address, was not
    matched, or whose point lies outside every area.
    """
    schema = {"_row": pl.UInt32, "_from_geocode": pl.Int32}
    matched = geocodes.filter(pl.col("status") == "Match").select(
        "street", "city", "state", "zip", "latitude", "longitude"
    )
    if matched.is_empty() or cases.is_empty():
        return pl.DataFrame(schema=schema)
    keys = cases.select("incident_street", "incident_zip").unique()
    addresses = [geocode_address(street, zip_code) for street, zip_code in keys.iter_rows()]
    keys = keys.with_columns(
        pl.Series(name, [getattr(a, name) if a else None for a in addresses], dtype=pl.String)
        for name in ("street", "city", "state", "zip")
    ).filter(pl.col("street").is_not_null())
    located = (
        cases.select("_row", "incident_street", "incident_zip")
        .join(keys, on=["incident_street", "incident_zip"], how="inner", nulls_equal=True)
        .join(matched, on=["street", "city", "state", "zip"], how="inner")
    )
    area = point_in_area(located["latitude"].to_numpy(), located["longitude"].to_numpy(), areas)
    return (
        located.select(pl.col("_row").cast(pl.UInt32), pl.Series("_from_geocode", area, dtype=pl.Int32))
        .filter(pl.col("_from_geocode") > 0)
    )
