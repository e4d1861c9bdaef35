"""``staging.me_geocodes``: a point for the street address of each Chicago death without one.

Some Chicago deaths in the archive have neither coordinates nor a community area, though most
carry a street address and ZIP. This step finds them (``sql/staging/me_geocode_candidates.sql``),
normalises their addresses (:func:`~pipelines.defs.geography.addresses.geocode_address`), answers
each address from the cache of every answer ever obtained
(:class:`~pipelines.defs.geography.geocode_cache.GeocodeCache`) and — only with
``ODW_GEOCODER=census`` — sends the addresses never asked about to the Census geocoder, saving
its answers after every batch. It writes one row per address of the current candidates that has
an answer; ``staging.me_cases`` places the matched points by point-in-polygon.

With ``ODW_GEOCODER=off`` (the default) nothing is read from the cache or sent, and the table is
empty: placement is exactly what it is without geocoding.

A geocoder that stays unreachable after its retries does not stop the run: the addresses it did
not answer stay unplaced this time (``unanswered`` in the metadata, a warning in the log) and are
sent on the next run. An answer that cannot be cured by asking again (HTTP 400, 404 …: a wrong
``ODW_GEOCODER_URL``) fails the step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import duckdb
import polars as pl

from pipelines.defs.geography.addresses import Address, geocode_address
from pipelines.defs.geography.geocode_cache import CachedAnswer, GeocodeCache
from pipelines.defs.geography.geocoder import CensusGeocoder, GeocoderError
from pipelines.defs.medical_examiner.staging import geocode_candidates, typed_archive

#: Columns of ``staging.me_geocodes`` (sql/raw/schema.sql), in order.
GEOCODE_SCHEMA = {
    "street": pl.String,
    "city": pl.String,
    "state": pl.String,
    "zip": pl.String,
    "status": pl.String,
    "match_type": pl.String,
    "matched_address": pl.String,
    "latitude": pl.Float64,
    "longitude": pl.Float64,
    "tigerline_id": pl.String,
    "side": pl.String,
    "benchmark": pl.String,
    "geocoder": pl.String,
    "geocoded_at": pl.Datetime("us"),
    "cases": pl.Int64,
}


@dataclass(frozen=True)
class GeocodingReport:
    """What one build of ``staging.me_geocodes`` did. Cases are counted as cases, the rest as
    distinct normalised addresses."""

    geocoder: str
    candidates: int
    not_an_address: int
    addresses: int
    cache_hits: int
    sent: int
    matched: int
    no_match: int
    tie: int
    unanswered: int
    requests: int
    retries: int
    error: str | None = None

    def metadata(self) -> dict[str, object]:
        """The report as Dagster metadata (without an empty error)."""
        return {k: v for k, v in asdict(self).items() if not (k == "error" and v is None)}


def candidate_addresses(candidates: pl.DataFrame) -> tuple[dict[Address, int], int]:
    """The addresses to answer, with their number of cases, and the number of cases with no address.

    ``candidates`` is the result of ``sql/staging/me_geocode_candidates.sql`` (incident_street,
    incident_city, incident_zip, cases).
    """
    addresses: dict[Address, int] = {}
    not_an_address = 0
    for street, zip_code, cases in candidates.select("incident_street", "incident_zip", "cases").iter_rows():
        address = geocode_address(street, zip_code)
        if address is None:
            not_an_address += cases
        else:
            addresses[address] = addresses.get(address, 0) + cases
    return addresses, not_an_address


@dataclass
class AnsweredAddresses:
    """What :func:`answer_addresses` found: every answer known now (cache and new), how many of the
    addresses asked about the cache answered, how many were sent, and a transient failure, if any."""

    answers: dict[Address, CachedAnswer]
    cache_hits: int
    sent: int
    error: str | None


def answer_addresses(
    addresses: list[Address],
    cache: GeocodeCache,
    geocoder: CensusGeocoder,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> AnsweredAddresses:
    """Answer ``addresses`` from ``cache``, sending only the others to ``geocoder``.

    The cache is saved after every answered batch, so a later failure loses nothing already
    answered. A transient :class:`GeocoderError` is returned as ``error`` (those addresses stay
    unanswered); any other is raised.
    """
    answers = cache.load()
    missing = sorted(a for a in addresses if a not in answers)
    sent, error = 0, None
    try:
        for batch in geocoder.geocode(missing):
            stamp = now()
            for answer in batch:
                answers[answer.address] = CachedAnswer(answer, geocoder.benchmark, geocoder.base_url, stamp)
            cache.save(answers)
            sent += len(batch)
    except GeocoderError as exc:
        if not exc.transient:
            raise
        error = str(exc)
    return AnsweredAddresses(answers, cache_hits=len(addresses) - len(missing), sent=sent, error=error)


def geocode_table(addresses: dict[Address, int], answers: dict[Address, CachedAnswer]) -> pl.DataFrame:
    """``staging.me_geocodes`` rows: each address of ``addresses`` that has an answer, sorted."""
    rows = []
    for address in sorted(a for a in addresses if a in answers):
        cached = answers[address]
        answer = asdict(cached.answer)
        del answer["address"]
        rows.append(
            {
                **asdict(address),
                **answer,
                "benchmark": cached.benchmark,
                "geocoder": cached.geocoder,
                "geocoded_at": cached.geocoded_at.astimezone(UTC).replace(tzinfo=None),
                "cases": addresses[address],
            }
        )
    return pl.DataFrame(rows, schema=GEOCODE_SCHEMA)


def build_me_geocodes(
    con: duckdb.DuckDBPyConnection,
    *,
    cache: GeocodeCache,
    geocoder: CensusGeocoder | None,
    min_death_date: datetime,
    max_death_date: datetime,
) -> GeocodingReport:
    """Rebuild ``staging.me_geocodes`` (see the module docstring); ``geocoder`` None means off."""
    with typed_archive(con, min_death_date=min_death_date, max_death_date=max_death_date):
        candidates = geocode_candidates(con)
    addresses, not_an_address = candidate_addresses(candidates)
    if geocoder is None:
        answered = AnsweredAddresses({}, cache_hits=0, sent=0, error=None)
    else:
        answered = answer_addresses(list(addresses), cache, geocoder)
    table = geocode_table(addresses, answered.answers)
    con.register("me_geocode_frame", table.to_arrow())
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM staging.me_geocodes")
        con.execute("INSERT INTO staging.me_geocodes SELECT * FROM me_geocode_frame")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("me_geocode_frame")
    statuses = table.get_column("status").value_counts()
    by_status = dict(zip(statuses["status"].to_list(), statuses["count"].to_list(), strict=True))
    return GeocodingReport(
        geocoder="off" if geocoder is None else "census",
        candidates=int(candidates.get_column("cases").sum() or 0),
        not_an_address=not_an_address,
        addresses=len(addresses),
        cache_hits=answered.cache_hits,
        sent=answered.sent,
        matched=by_status.get("Match", 0),
        no_match=by_status.get("No_Match", 0),
        tie=by_status.get("Tie", 0),
        unanswered=0 if geocoder is None else len(addresses) - table.height,
        requests=geocoder.counters.requests if geocoder else 0,
        retries=geocoder.counters.retries if geocoder else 0,
        error=answered.error,
    )
