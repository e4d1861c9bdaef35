"""Placing Medical Examiner cases in a Chicago community area (place of occurrence)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import polars as pl
import shapely

from pipelines.defs.geography.addresses import CITY, STATE, normalise_street

# Cook County's extent with a small margin (EPSG:4326). Coordinates outside it are treated as
# errors in the archive and not used for placement.
COOK_COUNTY_BOUNDS = {"lat": (41.46, 42.16), "lon": (-88.27, -87.52)}

#: Values of ``incident_city`` that name no place.
UNKNOWN_CITY = ["UNKNOWN", "UNK", "N/A", "NONE"]


def valid_coordinates_expr() -> pl.Expr:
    """True where latitude/longitude are present and inside Cook County's extent."""
    (lat_lo, lat_hi), (lon_lo, lon_hi) = COOK_COUNTY_BOUNDS["lat"], COOK_COUNTY_BOUNDS["lon"]
    return (
        pl.col("latitude").is_between(lat_lo, lat_hi) & pl.col("longitude").is_between(lon_lo, lon_hi)
    ).fill_null(False)


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


def known_city_expr() -> pl.Expr:
    """True where ``incident_city`` names a place (present and not one of :data:`UNKNOWN_CITY`)."""
    return pl.col("incident_city").is_not_null() & ~pl.col("incident_city").is_in(UNKNOWN_CITY)


def municipality_name_expr(city: pl.Expr) -> pl.Expr:
    """A municipality's display name from the archive's upper-case city text (``OAK  PARK`` → ``Oak Park``)."""
    return city.str.strip_chars().str.replace_all(r"\s+", " ").str.to_titlecase()


def zip_cities(counts: pl.DataFrame) -> pl.DataFrame:
    """The city each ZIP code names: the one most often recorded with it in the archive.

    ``counts`` has one row per (``incident_zip``, ``incident_city``) with the number of cases
    ``len``, counted over cases with a known city (:func:`known_city_expr`) and a ZIP. Ties are
    broken alphabetically, so the answer is deterministic. Returns ``incident_zip``, ``zip_city``.
    """
    return (
        counts.sort(["incident_zip", "len", "incident_city"], descending=[False, True, False])
        .unique("incident_zip", keep="first", maintain_order=True)
        .select("incident_zip", pl.col("incident_city").alias("zip_city"))
    )


def geocode_candidate_expr(city: pl.Expr) -> pl.Expr:
    """True for a case only an address can place: no area from the archive, no valid coordinates,
    and in Chicago by its ``incident_city`` — or, with the city missing or unknown, by its ZIP's
    city (``city``, see :func:`zip_cities`), or with no ZIP at all.

    Needs ``commarea_from_archive``, ``coordinates_valid``, ``incident_city`` and ``incident_zip``.
    The SQL twin is ``sql/staging/me_geocode_candidates.sql``.
    """
    in_chicago = (
        pl.when(known_city_expr())
        .then(pl.col("incident_city") == CITY)
        .otherwise(pl.col("incident_zip").is_null() | (city == CITY))
    )
    return (pl.col("commarea_from_archive").is_null() & ~pl.col("coordinates_valid") & in_chicago).fill_null(False)


def geocoded_areas(cases: pl.DataFrame, geocodes: pl.DataFrame, areas: pl.DataFrame) -> pl.DataFrame:
    """Community area of each case the geocoder matched to a point inside an area: ``_row``, ``_from_geocode``.

    ``cases`` holds the geocoding candidates with their row number ``_row``, ``incident_street`` and
    ``incident_zip``; ``geocodes`` is ``staging.me_geocodes``. A case's address is its normalised
    street (:func:`~pipelines.defs.geography.addresses.normalise_street`), Chicago, Illinois and its
    ZIP (``""`` when none); a ``Match`` is placed by :func:`point_in_area` like coordinates. No row for a
    case whose address is no address, was not matched, or whose point lies outside every area.
    """
    schema = {"_row": pl.UInt32, "_from_geocode": pl.Int32}
    matched = geocodes.filter(pl.col("status") == "Match").select(
        "street", "city", "state", "zip", "latitude", "longitude"
    )
    if matched.is_empty() or cases.is_empty():
        return pl.DataFrame(schema=schema)
    streets = cases.select(pl.col("incident_street").unique().drop_nulls())
    streets = streets.with_columns(
        pl.col("incident_street").map_elements(normalise_street, return_dtype=pl.String).alias("street")
    )
    located = (
        cases.select("_row", "incident_street", "incident_zip")
        .join(streets, on="incident_street", how="inner")
        .with_columns(
            pl.lit(CITY).alias("city"), pl.lit(STATE).alias("state"), pl.col("incident_zip").fill_null("").alias("zip")
        )
        .join(matched, on=["street", "city", "state", "zip"], how="inner")
    )
    area = point_in_area(located["latitude"].to_numpy(), located["longitude"].to_numpy(), areas)
    return (
        located.select(pl.col("_row").cast(pl.UInt32), pl.Series("_from_geocode", area, dtype=pl.Int32))
        .filter(pl.col("_from_geocode") > 0)
    )


def place_cases(cases: pl.DataFrame, areas: pl.DataFrame, geocodes: pl.DataFrame | None = None) -> pl.DataFrame:
    """Add ``community_area_number``, ``community_area``, ``placement``, ``municipality`` and ``in_chicago``.

    The archive's own ``chi_commarea`` (already matched to ``commarea_from_archive``) wins; cases
    without it but with valid coordinates are placed by point-in-polygon; Chicago cases with
    neither (:func:`geocode_candidate_expr`) are placed by the point the geocoder gave their
    street address (``geocodes``: ``staging.me_geocodes``; none when it is None or empty).
    ``placement`` says how: ``archive``, ``coordinates``, ``geocoded``, ``outside_chicago`` (valid
    coordinates outside every area, or no coordinates but a suburban ``incident_city``) or
    ``unplaced`` (a Chicago or unknown place without a usable area name, coordinates or geocoded
    point inside an area — a geocoded point outside every area places nothing). Suburban cases
    keep a normalised municipality from ``incident_city``, or, when that is missing or
    ``UNKNOWN``, from ``incident_zip`` (the city most often recorded with that ZIP in the same
    archive).
    """
    known_city = known_city_expr()
    # Where the city is missing or UNKNOWN, the ZIP code names it (see zip_cities).
    counts = (
        cases.filter(known_city & pl.col("incident_zip").is_not_null())
        .group_by("incident_zip", "incident_city")
        .len()
    )
    zip_city = zip_cities(counts).rename({"zip_city": "_zip_city"})
    cases = cases.with_columns(valid_coordinates_expr().alias("coordinates_valid"))
    needs_lookup = pl.col("commarea_from_archive").is_null() & pl.col("coordinates_valid")
    lookup = cases.with_row_index("_row").filter(needs_lookup).select("_row", "latitude", "longitude")
    found = point_in_area(lookup["latitude"].to_numpy(), lookup["longitude"].to_numpy(), areas)
    placed = pl.DataFrame(
        {"_row": lookup["_row"], "_from_coordinates": found},
        schema={"_row": pl.UInt32, "_from_coordinates": pl.Int32},
    ).with_columns(pl.when(pl.col("_from_coordinates") > 0).then(pl.col("_from_coordinates")))
    cases = cases.with_row_index("_row").join(zip_city, on="incident_zip", how="left")
    city = pl.when(known_city).then(pl.col("incident_city")).otherwise(pl.col("_zip_city"))
    if geocodes is None or geocodes.is_empty():
        geocoded = pl.DataFrame(schema={"_row": pl.UInt32, "_from_geocode": pl.Int32})
    else:
        geocoded = geocoded_areas(cases.filter(geocode_candidate_expr(city)), geocodes, areas)
    names = areas.select("community_area_number", "community_area")
    cases = (
        cases.join(placed, on="_row", how="left")
        .join(geocoded, on="_row", how="left")
        .with_columns(
            pl.coalesce("commarea_from_archive", "_from_coordinates", "_from_geocode")
            .cast(pl.Int32)
            .alias("community_area_number"),
            pl.when(pl.col("commarea_from_archive").is_not_null())
            .then(pl.lit("archive"))
            .when(pl.col("_from_coordinates").is_not_null())
            .then(pl.lit("coordinates"))
            .when(pl.col("coordinates_valid"))
            .then(pl.lit("outside_chicago"))
            .when(pl.col("_from_geocode").is_not_null())
            .then(pl.lit("geocoded"))
            .otherwise(pl.lit("unplaced"))
            .alias("placement"),
        )
        .join(names, on="community_area_number", how="left")
        .drop("_row", "_from_coordinates", "_from_geocode")
    )
    suburban = city.is_not_null() & (city != CITY)
    municipality = (
        pl.when(pl.col("community_area_number").is_not_null())
        .then(pl.lit("Chicago"))
        .otherwise(municipality_name_expr(city))
    )
    return cases.with_columns(
        municipality.alias("municipality"),
        # Occurred in Chicago: placed in an area, or Chicago by its city (or its ZIP's city) though not placed.
        (municipality == "Chicago").fill_null(False).alias("in_chicago"),
        # Without coordinates, a named suburb still places the case outside Chicago.
        pl.when((pl.col("placement") == "unplaced") & suburban)
        .then(pl.lit("outside_chicago"))
        .otherwise(pl.col("placement"))
        .alias("placement"),
    ).drop("_zip_city")
