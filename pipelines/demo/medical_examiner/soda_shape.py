"""The shape of a record as the SODA 2.1 JSON endpoint of the archive (``cjeq-bs86``) returns it.

* lower-case keys from :data:`FIELDS`; a field whose value is null is ABSENT from its object;
* numbers arrive as strings: ``"age": "45"``, ``"latitude": "41.881234"``, ``"chi_ward": "20.0"``,
  ``"commissioner_district": "3"``, ``"objectid": "12345"``;
* ``latino, opioids, gunrelated, cold_related, heat_related, covid_related`` are JSON booleans;
* timestamps are floating local time: ``"2022-03-26T13:00:00.000"``;
* ``location`` is a point ``{"type": "Point", "coordinates": [lon, lat]}``, present iff lat/lon are;
* ``chi_commarea`` is the upper-case community-area name (``"HUMBOLDT PARK"``, ``"OHARE"``).

:func:`to_soda_frame` turns the generator's numeric working frame into that shape.
"""

from __future__ import annotations

import polars as pl

from pipelines.demo.medical_examiner.categories import COLD, COVID, HEAT
from pipelines.demo.medical_examiner.places import CA_DISTRICT, N_AREAS, TOWNS, community_areas, ward_table

#: Every key a record may carry, in the order the writer emits them.
FIELDS: tuple[str, ...] = (
    "casenumber",
    "death_date",
    "incident_date",
    "age",
    "gender",
    "race",
    "latino",
    "manner",
    "primarycause",
    "primarycause_linea",
    "primarycause_lineb",
    "primarycause_linec",
    "secondarycause",
    "opioids",
    "gunrelated",
    "cold_related",
    "heat_related",
    "covid_related",
    "incident_street",
    "incident_city",
    "incident_zip",
    "residence_city",
    "residence_zip",
    "latitude",
    "longitude",
    "location",
    "chi_ward",
    "chi_commarea",
    "commissioner_district",
    "objectid",
)

#: Fields delivered as JSON booleans.
BOOL_FIELDS: tuple[str, ...] = (
    "latino",
    "opioids",
    "gunrelated",
    "cold_related",
    "heat_related",
    "covid_related",
)


def to_soda_frame(work: pl.DataFrame) -> pl.DataFrame:
    """Turn the numeric working frame into the SODA-shaped string/boolean frame."""
    areas = community_areas()
    n_ca = N_AREAS
    area_names = pl.Series([*areas.names, *([None] * len(TOWNS))], dtype=pl.String)
    districts = pl.Series([str(d) for d in CA_DISTRICT] + [str(t.district) for t in TOWNS],
                          dtype=pl.String)
    ward_offsets, ward_counts, ward_values = ward_table()
    place = pl.col("place")
    is_chi = pl.col("is_chi")
    coord = pl.col("has_coord")

    def decimal(col: str) -> pl.Expr:
        value = pl.col(col)
        magnitude = value.abs()
        text = pl.concat_str([
            pl.when(value < 0).then(pl.lit("-")).otherwise(pl.lit("")),
            (magnitude // 1_000_000).cast(pl.String), pl.lit("."),
            (magnitude % 1_000_000).cast(pl.String).str.zfill(6),
        ])
        return text.str.strip_chars_end("0").str.strip_chars_end(".")

    ward_index = pl.col("place").clip(0, n_ca - 1)
    ward_pos = (
        pl.lit(ward_offsets).gather(ward_index)
        + (pl.col("ward_pick") * pl.lit(ward_counts).gather(ward_index)).floor().cast(pl.Int64)
    )
    street = pl.concat_str(
        [pl.col("house").cast(pl.String), pl.col("street_dir"), pl.col("street_name")],
        separator=" ", ignore_nulls=True)
    fmt = "%Y-%m-%dT%H:%M:%S.000"

    out = work.select(
        casenumber=pl.concat_str([pl.lit("ME"), pl.col("year").cast(pl.String), pl.lit("-"),
                                  pl.col("seq").cast(pl.String).str.zfill(5)]),
        death_date=pl.col("death").dt.strftime(fmt),
        incident_date=pl.when(pl.col("has_incident")).then(pl.col("incident").dt.strftime(fmt)),
        age=pl.when(pl.col("has_age")).then(pl.col("age").cast(pl.String)),
        gender=pl.col("gender"),
        race=pl.col("race"),
        latino=pl.col("latino"),
        manner=pl.col("manner"),
        primarycause=pl.col("primarycause"),
        primarycause_linea=pl.col("primarycause_linea"),
        primarycause_lineb=pl.col("primarycause_lineb"),
        primarycause_linec=pl.col("primarycause_linec"),
        secondarycause=pl.col("secondarycause"),
        opioids=pl.when(pl.col("opioid_flag") >= 0).then(pl.col("opioid_flag") == 1),
        gunrelated=pl.col("gun"),
        cold_related=pl.col("cat") == COLD,
        heat_related=pl.col("cat") == HEAT,
        covid_related=pl.when(pl.col("death") >= pl.datetime(2020, 3, 1))
        .then(pl.col("cat") == COVID),
        incident_street=pl.when(pl.col("no_street")).then(None)
        .when(pl.col("unknown_street")).then(pl.lit("UNKNOWN"))
        .otherwise(pl.concat_str([pl.col("street_prefix").fill_null(""), street,
                                  pl.col("street_suffix").fill_null("")])),
        incident_city=pl.col("incident_city"),
        incident_zip=pl.col("incident_zip"),
        residence_city=pl.col("residence_city"),
        residence_zip=pl.col("residence_zip"),
        latitude=pl.when(coord).then(decimal("ilat")),
        longitude=pl.when(coord).then(decimal("ilon")),
        chi_ward=pl.when(pl.col("has_ward") & is_chi).then(pl.lit(ward_values).gather(ward_pos)),
        chi_commarea=pl.when(pl.col("has_area") & is_chi).then(pl.lit(area_names).gather(place)),
        commissioner_district=pl.when(coord).then(pl.lit(districts).gather(place)),
        objectid=pl.col("objectid").cast(pl.String),
    )
    location = pl.when(pl.col("latitude").is_not_null()).then(pl.struct(
        type=pl.lit("Point"),
        coordinates=pl.concat_list([pl.col("longitude").cast(pl.Float64),
                                    pl.col("latitude").cast(pl.Float64)])))
    return out.with_columns(location=location).select(FIELDS)

