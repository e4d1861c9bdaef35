"""From raw Medical Examiner records to ``staging.me_cases``: typing, classification, placement.

The typed rows stay in DuckDB (``sql/staging/me_cases_typed.sql``). Polars only sees the *distinct*
inputs of each per-row rule — cause texts with manner and flag, age/sex/race combinations, city
names, coordinates that need a point-in-polygon look-up, the street addresses of the geocoding
candidates — and runs the rule's one Python definition on them (the case definition, the
demographic groups, the spellings, point-in-polygon, the city each ZIP names). DuckDB joins the
answers back in one ``CREATE TABLE`` (``sql/staging/me_cases.sql``, which also holds the placement
rule), so the archive never has to fit in Python's memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import duckdb
import numpy as np
import polars as pl

from pipelines.defs.epidemiology.classify import ARCHIVE_OPIOID_FIELD, CAUSE_FIELDS, MANNER_FIELD, classify_cases
from pipelines.defs.epidemiology.demographics import with_demographics
from pipelines.defs.geography.placement import (
    COOK_COUNTY_BOUNDS,
    UNKNOWN_CITY,
    geocoded_areas,
    municipality_name_expr,
    point_in_area,
    zip_cities,
)
from pipelines.warehouse import fetch_row, query_sql_file, run_sql_file

# The ME archive starts in 2014; nothing before 2000 is a plausible death date for it.
MIN_DEATH_DATE = datetime(2000, 1, 1)

#: Inputs of the case definition (see ``classify_cases``), one look-up row per distinct combination.
CAUSE_KEY = (*CAUSE_FIELDS, MANNER_FIELD, ARCHIVE_OPIOID_FIELD)
#: Inputs of the demographic groups (see ``with_demographics``).
DEMOGRAPHIC_KEY = ("age", "gender", "race", "latino")
#: Points looked up per GeoPandas spatial join: bounds the memory of the look-up.
POINT_CHUNK = 250_000
#: Cases written per batch of ``staging.me_cases``: sorting one batch needs ~100 MB, not the archive's GBs.
BATCH_ROWS = 250_000


def residence_city_expr() -> pl.Expr:
    """The residence city with one spelling per place ("Chicago", "CHICAGO", "chicago" → "Chicago")."""
    return pl.col("residence_city").str.strip_chars().str.to_titlecase()


def typed_cases(
    con: duckdb.DuckDBPyConnection, *, min_death_date: datetime, max_death_date: datetime
) -> duckdb.DuckDBPyRelation:
    """The raw records typed as staging types them (``sql/staging/me_cases_typed.sql``), a relation."""
    (lat_lo, lat_hi), (lon_lo, lon_hi) = COOK_COUNTY_BOUNDS["lat"], COOK_COUNTY_BOUNDS["lon"]
    params = {
        "min_death_date": min_death_date,
        "max_death_date": max_death_date,
        "lat_lo": lat_lo,
        "lat_hi": lat_hi,
        "lon_lo": lon_lo,
        "lon_hi": lon_hi,
        "unknown_city": UNKNOWN_CITY,
    }
    return query_sql_file(con, "staging/me_cases_typed.sql", params)


def cause_lookup(causes: pl.DataFrame) -> pl.DataFrame:
    """Case definition and drug flags per distinct (:data:`CAUSE_KEY`) combination.

    ``causes`` holds distinct combinations of the cause fields, manner and the archive's
    ``opioids`` flag; returns them with the columns ``classify_cases`` adds.
    """
    return classify_cases(causes.select(CAUSE_KEY))


def demographic_lookup(people: pl.DataFrame) -> pl.DataFrame:
    """Age group, sex and race/ethnicity per distinct (:data:`DEMOGRAPHIC_KEY`) combination."""
    return with_demographics(people.select(DEMOGRAPHIC_KEY))


def residence_city_lookup(cities: pl.DataFrame) -> pl.DataFrame:
    """``residence_city`` (distinct archive spellings) with its staged spelling ``staged_city``."""
    return cities.select("residence_city", residence_city_expr().alias("staged_city"))


def municipality_lookup(cities: pl.DataFrame) -> pl.DataFrame:
    """``city`` (distinct archive ``incident_city`` texts) with its display name ``municipality``."""
    return cities.select("city", municipality_name_expr(pl.col("city")).alias("municipality"))


def coordinate_lookup(points: pl.DataFrame, areas: pl.DataFrame, chunk: int = POINT_CHUNK) -> pl.DataFrame:
    """Community area number containing each distinct point (``-1`` where none), as ``area``.

    ``points`` has distinct ``latitude``/``longitude``; looked up ``chunk`` points at a time
    (each point's answer does not depend on the others, so chunking changes nothing).
    """
    found = [
        point_in_area(part["latitude"].to_numpy(), part["longitude"].to_numpy(), areas)
        for part in points.iter_slices(chunk)
    ]
    area = np.concatenate(found) if found else np.empty(0, dtype=np.int32)
    return points.select("latitude", "longitude").with_columns(pl.Series("area", area, dtype=pl.Int32))


def geocode_lookup(candidates: pl.DataFrame, geocodes: pl.DataFrame, areas: pl.DataFrame) -> pl.DataFrame:
    """Community area (``area``) per candidate (``incident_street``, ``incident_city``, ``incident_zip``)
    whose address the geocoder matched to a point inside an area; other candidates have no row.

    ``candidates`` are the distinct inputs from ``sql/staging/me_geocode_candidates.sql``,
    ``geocodes`` is ``staging.me_geocodes``; the rule is :func:`~pipelines.defs.geography.placement.geocoded_areas`.
    """
    keyed = candidates.select("incident_street", "incident_city", "incident_zip").with_row_index("_row")
    found = geocoded_areas(keyed, geocodes, areas)
    return keyed.join(found, on="_row", how="inner").select(
        "incident_street", "incident_city", "incident_zip", pl.col("_from_geocode").alias("area")
    )


@dataclass(frozen=True)
class StagingReport:
    """What one build of ``staging.me_cases`` did."""

    rows_in: int
    cases: int
    quarantined: int
    overdose_deaths: int
    placement: dict[str, int]
    first_death: datetime | None
    last_death: datetime | None
    distinct_causes: int
    points_looked_up: int
    addresses_placed: int


def casenumber_batches(con: duckdb.DuckDBPyConnection, batch_rows: int) -> list[tuple[str, str]]:
    """Consecutive casenumber ranges ``(after, upto]`` covering ``raw.me_records``, ~``batch_rows`` each.

    Always at least one range (``("", "")`` for an empty archive, so the table is still created).
    Casenumbers are never empty, so ``""`` is below all of them.
    """
    rows, last = fetch_row(con, "SELECT count(*), max(casenumber) FROM raw.me_records")
    batches = max(1, -(-rows // batch_rows))
    uppers = []
    if batches > 1:
        fractions = [i / batches for i in range(1, batches)]
        uppers = fetch_row(
            con, "SELECT quantile_disc(casenumber, $fractions) FROM raw.me_records", {"fractions": fractions}
        )[0]
    uppers = sorted(set(uppers) | {last or ""})
    return list(zip(["", *uppers[:-1]], uppers, strict=True))


# The distinct inputs of each look-up, from the typed rows staging keeps (view me_typed).
_CAUSES = """
    SELECT DISTINCT primarycause, primarycause_linea, primarycause_lineb, primarycause_linec, secondarycause,
        manner, opioids
    FROM me_typed WHERE reject_reason IS NULL"""
_PEOPLE = "SELECT DISTINCT age, gender, race, latino FROM me_typed WHERE reject_reason IS NULL"
_RESIDENCE_CITIES = """
    SELECT DISTINCT residence_city FROM me_typed WHERE reject_reason IS NULL AND residence_city IS NOT NULL"""
_INCIDENT_CITIES = """
    SELECT DISTINCT incident_city AS city FROM me_typed WHERE reject_reason IS NULL AND incident_city IS NOT NULL"""
# The ZIP → city table counts cases with a known city and a ZIP (see zip_cities).
_ZIP_CITY_COUNTS = """
    SELECT incident_zip, incident_city, count(*) AS len FROM me_typed
    WHERE reject_reason IS NULL AND incident_zip IS NOT NULL AND known_city
    GROUP BY ALL"""
# Only cases without an area name from the archive, with valid coordinates, are placed by them.
_POINTS_TO_PLACE = """
    SELECT DISTINCT latitude, longitude FROM me_typed
    WHERE reject_reason IS NULL AND commarea_from_archive IS NULL AND coordinates_valid"""
_GEOCODES = "SELECT * FROM staging.me_geocodes"


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> pl.DataFrame:
    return con.sql(sql, params=params).pl()


@contextmanager
def typed_archive(
    con: duckdb.DuckDBPyConnection, *, min_death_date: datetime, max_death_date: datetime
) -> Iterator[None]:
    """Register the view ``me_typed`` (``sql/staging/me_cases_typed.sql``) and the ZIP → city
    look-up ``me_zip_lookup`` for the duration of the block."""
    # A view, not a table: each query computes only the typed columns it reads, and the typed
    # archive is never held in memory as a whole.
    con.register("me_typed", typed_cases(con, min_death_date=min_death_date, max_death_date=max_death_date))
    try:
        zips = zip_cities(_frame(con, _ZIP_CITY_COUNTS))
        con.register("me_zip_lookup", zips.to_arrow())
        try:
            yield
        finally:
            con.unregister("me_zip_lookup")
    finally:
        con.unregister("me_typed")


def geocode_candidates(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The distinct (``incident_street``, ``incident_city``, ``incident_zip``) of the cases only an
    address can place, with their number of ``cases`` (inside :func:`typed_archive`)."""
    return query_sql_file(con, "staging/me_geocode_candidates.sql").pl()


def stage_cases_in_warehouse(
    con: duckdb.DuckDBPyConnection,
    *,
    min_death_date: datetime,
    max_death_date: datetime,
    now: datetime,
    source: str,
    batch_rows: int = BATCH_ROWS,
) -> StagingReport:
    """Rebuild ``staging.me_cases`` and the staging quarantine rows of ``source`` inside DuckDB.

    Every typed row is staged or quarantined (``reject_reason``), never both. The table is sorted by
    casenumber, written in casenumber batches of about ``batch_rows`` cases, each sorted on its own;
    the table and the quarantine are replaced in one transaction.
    """
    with typed_archive(con, min_death_date=min_death_date, max_death_date=max_death_date):
        lookups = {
            "me_cause_lookup": cause_lookup(_frame(con, _CAUSES)),
            "me_demographic_lookup": demographic_lookup(_frame(con, _PEOPLE)),
            "me_residence_lookup": residence_city_lookup(_frame(con, _RESIDENCE_CITIES)),
            "me_municipality_lookup": municipality_lookup(_frame(con, _INCIDENT_CITIES)),
        }
        points = _frame(con, _POINTS_TO_PLACE)
        areas = _frame(con, "SELECT community_area_number, community_area, geometry_wkt FROM staging.community_areas")
        lookups["me_coordinate_lookup"] = coordinate_lookup(points, areas)
        lookups["me_geocode_lookup"] = geocode_lookup(geocode_candidates(con), _frame(con, _GEOCODES), areas)
        for name, frame in lookups.items():
            con.register(name, frame.to_arrow())
        try:
            con.execute("BEGIN TRANSACTION")
            con.execute("DROP TABLE IF EXISTS staging.me_cases")
            for number, (after, upto) in enumerate(casenumber_batches(con, batch_rows)):
                batch = query_sql_file(con, "staging/me_cases.sql", {"after": after, "upto": upto})
                # The first batch creates the table (its columns and types), the others append in order.
                if number == 0:
                    batch.create("staging.me_cases")
                else:
                    batch.insert_into("staging.me_cases")
            run_sql_file(con, "staging/overdose_drugs.sql")
            run_sql_file(con, "staging/me_quarantine.sql", {"source": source, "now": now})
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        finally:
            for name in lookups:
                con.unregister(name)
    # Counted from the stored tables, not the ``me_typed`` view: counting the view would type the
    # whole archive a third time. Every raw record is typed once (the area join is on a unique key).
    rows_in, quarantined = fetch_row(
        con,
        """SELECT (SELECT count(*) FROM raw.me_records),
                  (SELECT count(*) FROM staging.quarantine WHERE source = $source AND stage = 'staging')""",
        {"source": source},
    )
    cases, overdoses, first, last = fetch_row(
        con, "SELECT count(*), count(*) FILTER (WHERE is_overdose), min(death_date), max(death_date) FROM staging.me_cases"
    )
    placement = dict(
        con.execute("SELECT placement, count(*) FROM staging.me_cases GROUP BY ALL ORDER BY 2 DESC").fetchall()
    )
    return StagingReport(
        rows_in=rows_in,
        cases=cases,
        quarantined=quarantined,
        overdose_deaths=overdoses,
        placement=placement,
        first_death=first,
        last_death=last,
        distinct_causes=lookups["me_cause_lookup"].height,
        points_looked_up=points.height,
        addresses_placed=lookups["me_geocode_lookup"].height,
    )
