"""Where a death happened, as a point: the archive's valid coordinates, or — for a death placed by
geocoding its street address (``placement = 'geocoded'``, see ``sql/staging/me_cases.sql``) — the
geocoder's matched point for that address (``staging.me_geocodes``, read by
``sql/hotspots/geocoded_points.sql``). The hot spots and next week's forecast place deaths in
hexagons from these points; a death with neither has no point.
"""

from __future__ import annotations

import polars as pl

from pipelines.defs.geography.addresses import geocode_address

#: The address columns the events carry for geocoded deaths only; dropped once the point is found.
ADDRESS_COLUMNS = ("incident_street", "incident_zip")


def with_geocoded_points(events: pl.DataFrame, geocodes: pl.DataFrame) -> pl.DataFrame:
    """``events`` with the geocoder's point for geocoded deaths and ``point_source`` (``archive``,
    ``geocoded`` or null), without the address columns.

    ``events`` has ``placement``, ``latitude``, ``longitude`` (the archive's valid point or null)
    and ``incident_street``/``incident_zip`` (set for geocoded deaths); ``geocodes`` has the matched
    answers: ``street``, ``city``, ``state``, ``zip``, ``latitude``, ``longitude``. A death's address
    is the one sent for it (:func:`~pipelines.defs.geography.addresses.geocode_address`).
    """
    keys = events.select(*ADDRESS_COLUMNS).unique().filter(pl.col("incident_street").is_not_null())
    addresses = [geocode_address(street, zip_code) for street, zip_code in keys.iter_rows()]
    keys = keys.with_columns(
        pl.Series(name, [getattr(a, name) if a else None for a in addresses], dtype=pl.String)
        for name in ("street", "city", "state", "zip")
    )
    located = keys.join(
        geocodes.select("street", "city", "state", "zip", pl.col("latitude").alias("_geo_lat"),
                        pl.col("longitude").alias("_geo_lon")),
        on=["street", "city", "state", "zip"],
        how="inner",
    ).select(*ADDRESS_COLUMNS, "_geo_lat", "_geo_lon")
    has_own = pl.col("latitude").is_not_null() & pl.col("longitude").is_not_null()
    geocoded = (pl.col("placement") == "geocoded") & pl.col("_geo_lat").is_not_null()
    return (
        events.join(located, on=list(ADDRESS_COLUMNS), how="left", nulls_equal=False)
        .with_columns(
            pl.when(has_own).then("latitude").when(geocoded).then("_geo_lat").cast(pl.Float64).alias("latitude"),
            pl.when(has_own).then("longitude").when(geocoded).then("_geo_lon").cast(pl.Float64).alias("longitude"),
            pl.when(has_own).then(pl.lit("archive")).when(geocoded).then(pl.lit("geocoded")).alias("point_source"),
        )
        .drop("_geo_lat", "_geo_lon", *ADDRESS_COLUMNS)
    )
