"""Client for the US Census Geocoder's batch service (``/locations/addressbatch``).

One request per batch of at most :data:`MAX_BATCH` addresses: ``POST {base}/locations/addressbatch``,
a multipart form with the CSV file ``addressFile`` (rows ``id,street,city,state,zip``, no header)
and ``benchmark``. The answer is CSV, one line per input in any order::

    "1","3001 W JACKSON BLVD, CHICAGO, IL, 60624","Match","Exact","3001 W JACKSON BLVD, CHICAGO, IL, 60612","-87.701,41.877","111376524","L"
    "2","9 NOWHERE ST, CHICAGO, IL, ","No_Match"
    "3","100 W MAIN ST, CHICAGO, IL, ","Tie"

Only street, city, state and ZIP are sent, each row under a neutral sequence number (1, 2, …
within the batch) — never a case number or anything else about a case.

Retries are the Socrata client's (:mod:`pipelines.defs.http_retries`): 429 (``Retry-After``), 5xx,
time-outs, dropped connections, and answers that are not a complete batch answer (garbled,
truncated, an HTML error page, a line missing) are retried with exponential backoff and full
jitter; other 4xx fail at once with the server's message.

The ``censusgeocode`` package on PyPI was not used: its base URL is a class constant, it has no
retries, sends through module-level ``requests`` (no session), and parses any body — an HTML error
page included — as if it were a batch answer.
"""

from __future__ import annotations

import csv
import io
import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import requests

from pipelines.defs.geography.addresses import Address
from pipelines.defs.http_retries import (
    TRANSIENT_EXCEPTIONS,
    Counters,
    Failure,
    RequestFailed,
    RetryingClient,
    call_with_retries,
    status_failure,
)
from pipelines.defs.medical_examiner.client import CLIENT_VERSION

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://geocoding.geo.census.gov/geocoder"
DEFAULT_BENCHMARK = "Public_AR_Current"
#: The batch service's limit of addresses per request.
MAX_BATCH = 10_000
STATUSES = ("Match", "No_Match", "Tie")
USER_AGENT = (
    f"west-side-overdose-watch/{CLIENT_VERSION} "
    f"(Census batch geocoder client; python-requests/{requests.__version__})"
)


class GeocoderError(RequestFailed):
    """A batch request failed for good (a non-retryable answer, or retries exhausted)."""


@dataclass(frozen=True)
class GeocodeAnswer:
    """The geocoder's answer about one address. Only a ``Match`` has a point."""

    address: Address
    status: str
    match_type: str | None = None
    matched_address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    tigerline_id: str | None = None
    side: str | None = None


def batch_file(addresses: Sequence[Address]) -> bytes:
    """The ``addressFile`` CSV: ``id,street,city,state,zip`` per address, ids 1..n, no header."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for number, address in enumerate(addresses, start=1):
        writer.writerow([number, address.street, address.city, address.state, address.zip])
    return out.getvalue().encode("utf-8")


def _optional(fields: list[str], index: int) -> str | None:
    value = fields[index].strip() if index < len(fields) else ""
    return value or None


def parse_batch_answer(body: bytes, sent: Sequence[Address]) -> list[GeocodeAnswer]:
    """The answers to ``sent`` (in the order sent) from a batch answer body.

    Raises ValueError (or ``csv.Error``) unless the body answers every address sent exactly once
    with a known status and, for a match, a ``"lon,lat"`` point: a truncated or garbled answer is
    never half-used.
    """
    text = body.decode("utf-8")  # a UnicodeDecodeError is a ValueError too
    answers: dict[int, GeocodeAnswer] = {}
    for line, fields in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not fields or not any(f.strip() for f in fields):
            continue
        if len(fields) < 3:
            raise ValueError(f"line {line}: {len(fields)} field(s), expected at least 3")
        try:
            number = int(fields[0])
        except ValueError:
            raise ValueError(f"line {line}: id {fields[0][:40]!r} is not a number") from None
        if not 1 <= number <= len(sent):
            raise ValueError(f"line {line}: id {number} was not sent")
        if number in answers:
            raise ValueError(f"line {line}: id {number} answered twice")
        status = fields[2].strip()
        if status not in STATUSES:
            raise ValueError(f"line {line}: unknown status {status[:40]!r}")
        address = sent[number - 1]
        if status != "Match":
            answers[number] = GeocodeAnswer(address, status)
            continue
        coordinate = _optional(fields, 5)
        try:
            longitude, latitude = (float(part) for part in (coordinate or "").split(","))
        except ValueError:
            raise ValueError(f"line {line}: a match without a 'lon,lat' point ({coordinate!r})") from None
        answers[number] = GeocodeAnswer(
            address,
            status,
            match_type=_optional(fields, 3),
            matched_address=_optional(fields, 4),
            latitude=latitude,
            longitude=longitude,
            tigerline_id=_optional(fields, 6),
            side=_optional(fields, 7),
        )
    if len(answers) != len(sent):
        missing = len(sent) - len(answers)
        raise ValueError(f"{missing} of {len(sent)} addresses not answered (truncated answer?)")
    return [answers[number] for number in range(1, len(sent) + 1)]


class CensusGeocoder(RetryingClient):
    """Census batch geocoder client: splits addresses into batches and retries each request.

    ``sleep`` and ``rng`` are injectable so tests can record backoff delays instead of waiting.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        benchmark: str = DEFAULT_BENCHMARK,
        *,
        batch_size: int = MAX_BATCH,
        timeout: float = 300,
        max_retries: int = 6,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        sleep: Callable[[float], object] = time.sleep,
        rng: random.Random | None = None,
        session: requests.Session | None = None,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(
                f"batch_size must be between 1 and {MAX_BATCH} (the batch service's limit), got {batch_size}"
            )
        if not benchmark.strip():
            raise ValueError("benchmark must name a Census benchmark, e.g. Public_AR_Current")
        super().__init__(
            base_url, timeout=timeout, max_retries=max_retries, backoff_base=backoff_base,
            backoff_max=backoff_max, sleep=sleep, rng=rng, session=session,
        )
        self.benchmark = benchmark
        self.batch_size = batch_size
        self.counters = Counters()

    def __repr__(self) -> str:
        return f"CensusGeocoder(endpoint={self.endpoint!r}, benchmark={self.benchmark!r}, batch_size={self.batch_size})"

    @property
    def endpoint(self) -> str:
        """The batch service's URL."""
        return f"{self.base_url}/locations/addressbatch"

    def geocode(self, addresses: Sequence[Address]) -> Iterator[list[GeocodeAnswer]]:
        """Answer ``addresses`` one batch (≤ ``batch_size``) at a time, in order; one request each.

        Yields each batch's answers as soon as it is answered, so the caller can keep them before
        the next request. Raises :class:`GeocoderError` when a batch fails for good.
        """
        for start in range(0, len(addresses), self.batch_size):
            batch = list(addresses[start : start + self.batch_size])
            answers = call_with_retries(
                lambda batch=batch: self._attempt(batch),
                what=f"{self.endpoint} ({len(batch)} addresses)",
                backoff=self.backoff,
                counters=self.counters,
                error=GeocoderError,
                log=log,
            )
            log.info("geocoded %d addresses in one batch request to %s", len(batch), self.endpoint)
            yield answers

    def _attempt(self, batch: list[Address]) -> list[GeocodeAnswer] | Failure:
        """One POST of one batch: its answers, or why it failed."""
        try:
            response = self.session.post(
                self.endpoint,
                data={"benchmark": self.benchmark},
                files={"addressFile": ("addresses.csv", batch_file(batch), "text/csv")},
                headers={"User-Agent": USER_AGENT, "Accept": "text/csv, text/plain, */*"},
                timeout=self.timeout,
            )
            body = response.content
        except TRANSIENT_EXCEPTIONS as exc:
            return Failure(reason=f"{type(exc).__name__}: {exc}")
        if 200 <= response.status_code < 300:
            try:
                return parse_batch_answer(body, batch)
            except (ValueError, csv.Error) as exc:
                # Truncated or garbled answers (often an HTML error page from a proxy) are transient.
                return Failure(reason=f"not a batch answer ({len(body)} bytes): {exc}", status=response.status_code)
        return status_failure(response, response.text[:300].strip())
