"""The location rules of a field-data row: where it is (coordinates, hot spot, community area) and
whether what it gives agrees (tolerances in :mod:`.locations`).

Only the coordinates that need a point-in-polygon or distance test leave Polars, as arrays.
"""

from __future__ import annotations

import polars as pl

from pipelines.defs.field_data.locations import (
    AREA_TOLERANCE_M,
    HOTSPOT_TOLERANCE_M,
    AreaIndex,
    area_key_expr,
    distance_m,
    in_cook_county_expr,
)
from pipelines.defs.field_data.schema import SourceSpec
from pipelines.defs.field_data.value_rules import Problem, echo_expr, format_number, problem

#: Schema of the hot-spot reference the test-strip and outreach validation joins against.
HOTSPOT_REFERENCE_SCHEMA = {
    "hotspot_id": pl.String,
    "latitude": pl.Float64,
    "longitude": pl.Float64,
    "community_area_number": pl.Int32,
}

def _empty_hotspots() -> pl.DataFrame:
    return pl.DataFrame(schema=HOTSPOT_REFERENCE_SCHEMA)


def locate(
    work: pl.DataFrame, spec: SourceSpec, areas: AreaIndex, hotspots: pl.DataFrame | None
) -> tuple[pl.DataFrame, list[Problem]]:
    """Add the resolved location columns; return them with the location rules."""
    lat, lon = pl.col("_v_latitude"), pl.col("_v_longitude")
    lat_raw, lon_raw = pl.col("latitude"), pl.col("longitude")
    work = work.with_columns(
        (lat.is_not_null() & lon.is_not_null()).alias("_pt_given"),
        in_cook_county_expr(lat, lon).alias("_pt_ok"),
        area_key_expr(pl.col("community_area")).alias("_area_key"),
    )

    # Hot spots: joined on the upper-cased id (the registry itself has none to join).
    uses_hotspots = spec.source != "hotspots"
    registry = (hotspots if hotspots is not None else _empty_hotspots()).select(
        pl.col("hotspot_id").alias("_v_hotspot_id"),
        pl.col("latitude").alias("_hs_lat"),
        pl.col("longitude").alias("_hs_lon"),
        pl.col("community_area_number").cast(pl.Int32).alias("_hs_area"),
        pl.lit(True).alias("_hs_found"),
    )
    if uses_hotspots:
        work = work.join(registry, on="_v_hotspot_id", how="left")
    else:
        work = work.with_columns(
            pl.lit(None, pl.Float64).alias("_hs_lat"), pl.lit(None, pl.Float64).alias("_hs_lon"),
            pl.lit(None, pl.Int32).alias("_hs_area"), pl.lit(None, pl.Boolean).alias("_hs_found"),
        )
    work = work.with_columns(pl.col("_hs_found").fill_null(False))

    # Named community areas, with a "did you mean" for the few distinct unknown names.
    work = work.join(areas.lookup(), on="_area_key", how="left")
    unknown = (
        work.filter(pl.col("_area_key").is_not_null() & pl.col("_named_area").is_null())["_area_key"]
        .unique()
        .to_list()
    )
    work = work.join(areas.suggestions(unknown), on="_area_key", how="left")

    # Points in polygons, once per distinct coordinate pair.
    points = work.filter(pl.col("_pt_ok")).select("_v_latitude", "_v_longitude").unique()
    found = areas.area_of(points["_v_latitude"].to_numpy(), points["_v_longitude"].to_numpy())
    points = points.with_columns(
        pl.Series("_pt_area", found, dtype=pl.Int32).replace(-1, None)
    )
    work = work.join(points, on=["_v_latitude", "_v_longitude"], how="left", nulls_equal=False)
    work = work.with_columns(pl.when(pl.col("_pt_ok")).then(pl.col("_pt_area")).alias("_pt_area"))

    # The point a named area is compared with: the hot spot's, else the row's own coordinates.
    work = work.with_columns(
        pl.when(pl.col("_hs_found")).then(pl.col("_hs_lat")).when(pl.col("_pt_ok")).then(lat).alias("_ref_lat"),
        pl.when(pl.col("_hs_found")).then(pl.col("_hs_lon")).when(pl.col("_pt_ok")).then(lon).alias("_ref_lon"),
        pl.when(pl.col("_hs_found")).then(pl.col("_hs_area")).otherwise(pl.col("_pt_area")).alias("_ref_area"),
        pl.when(pl.col("_hs_found"))
        .then(pl.format("hot spot {} is", pl.col("_v_hotspot_id")))
        .otherwise(pl.lit("the coordinates are"))
        .alias("_ref_label"),
    )
    work = _distances(work, areas)

    names = pl.DataFrame(
        {"_n": list(areas.names), "_name": list(areas.names.values())},
        schema={"_n": pl.Int32, "_name": pl.String},
    )
    area_name = {
        col: pl.col(col).replace_strict(names["_n"], names["_name"], default=None, return_dtype=pl.String)
        for col in ("_named_area", "_ref_area")
    }
    in_text = pl.when(pl.col("_ref_area").is_null()).then(pl.lit("outside Chicago")).otherwise(
        pl.format("in {}", area_name["_ref_area"])
    )
    hint = (
        pl.when((lon > 0) & in_cook_county_expr(lat, -lon))
        .then(pl.format(" (longitudes in Chicago are negative: did you mean -{}?)", format_number(lon)))
        .when(in_cook_county_expr(lon, lat))
        .then(pl.lit(" (latitude and longitude swapped?)"))
        .otherwise(pl.lit(""))
    )
    errors = [
        problem(lat_raw.is_not_null() & lon_raw.is_null(), "latitude is given without longitude"),
        problem(lon_raw.is_not_null() & lat_raw.is_null(), "longitude is given without latitude"),
        problem(pl.col("_pt_given") & ~pl.col("_pt_ok"), pl.format(
            "coordinates {}, {} are outside Cook County{}", format_number(lat), format_number(lon), hint
        )),
        problem(pl.col("_area_key").is_not_null() & pl.col("_named_area").is_null(), pl.format(
            "community_area {} is not a Chicago community area{}",
            # A near-miss of an area name is a typo, not a person's name: safe to show in full.
            pl.when(pl.col("_area_suggestion").is_not_null())
            .then(pl.format("'{}'", pl.col("community_area")))
            .otherwise(echo_expr(pl.col("community_area"))),
            pl.when(pl.col("_area_suggestion").is_not_null())
            .then(pl.format(" (did you mean {}?)", pl.col("_area_suggestion")))
            .otherwise(pl.lit("")),
        )),
        problem(pl.col("_d_hotspot") > HOTSPOT_TOLERANCE_M, pl.format(
            "location conflict: the coordinates are {} km from hot spot {}",
            (pl.col("_d_hotspot") / 1000).round(1).cast(pl.String), pl.col("_v_hotspot_id"),
        )),
        problem(pl.col("_d_area") > AREA_TOLERANCE_M, pl.format(
            "location conflict: community_area says {} but {} {}",
            area_name["_named_area"], pl.col("_ref_label"), in_text,
        )),
    ]
    if uses_hotspots:
        errors.append(problem(
            pl.col("_v_hotspot_id").is_not_null() & ~pl.col("_hs_found"),
            pl.format("hotspot_id {} is not in the hot-spot list", echo_expr(pl.col("hotspot_id"))),
        ))
    if spec.needs_location:
        errors.append(problem(
            pl.all_horizontal(pl.col(c).is_null() for c in ("hotspot_id", "latitude", "longitude", "community_area")),
            "no location: give hotspot_id, latitude and longitude, or community_area",
        ))
    return work.with_columns(
        pl.coalesce(pl.col("_hs_area"), pl.col("_named_area"), pl.col("_pt_area")).alias("community_area_number"),
        pl.when(pl.col("_pt_ok")).then(lat).otherwise(pl.col("_hs_lat")).alias("_final_lat"),
        pl.when(pl.col("_pt_ok")).then(lon).otherwise(pl.col("_hs_lon")).alias("_final_lon"),
        pl.when(pl.col("_hs_found"))
        .then(pl.lit("hotspot"))
        .when(pl.col("_pt_ok"))
        .then(pl.lit("coordinates"))
        .when(pl.col("_named_area").is_not_null())
        .then(pl.lit("community_area"))
        .alias("location_source"),
    ), errors


def _distances(work: pl.DataFrame, areas: AreaIndex) -> pl.DataFrame:
    """``_d_hotspot``: metres from a row's coordinates to its hot spot; ``_d_area``: metres from the
    reference point to the named area, where it lies elsewhere (null where not compared)."""
    both = work.filter(pl.col("_hs_found") & pl.col("_pt_ok")).select(
        "_row", "_v_latitude", "_v_longitude", "_hs_lat", "_hs_lon"
    )
    d_hotspot = both.select(
        "_row",
        pl.Series(
            "_d_hotspot",
            distance_m(
                both["_v_latitude"].to_numpy(), both["_v_longitude"].to_numpy(),
                both["_hs_lat"].to_numpy(), both["_hs_lon"].to_numpy(),
            ),
            dtype=pl.Float64,
        ),
    )
    elsewhere = work.filter(
        pl.col("_named_area").is_not_null()
        & pl.col("_ref_lat").is_not_null()
        & ~pl.col("_ref_area").eq_missing(pl.col("_named_area"))
    ).select("_row", "_ref_lat", "_ref_lon", "_named_area")
    d_area = elsewhere.select(
        "_row",
        pl.Series(
            "_d_area",
            areas.distance_to_area(
                elsewhere["_ref_lat"].to_numpy(), elsewhere["_ref_lon"].to_numpy(),
                elsewhere["_named_area"].to_numpy(),
            ),
            dtype=pl.Float64,
        ),
    )
    return work.join(d_hotspot, on="_row", how="left").join(d_area, on="_row", how="left")

