"""Socrata (SODA 2.1) client for the Cook County Medical Examiner case archive (dataset ``cjeq-bs86``).

The client only reads: it pages through ``/resource/<dataset>.json`` ordered by the row identifier
``:id`` and hands back every page body exactly as received, so the caller can keep an immutable raw
copy (see :mod:`pipelines.defs.medical_examiner.snapshots`). It writes nothing itself; a pull that
cannot be completed raises :class:`SocrataError`, which leaves the last good data untouched.

Transient failures (HTTP 429, 5xx, time-outs, dropped connections, truncated or malformed JSON) are
retried with exponential backoff and full jitter; other 4xx answers fail at once because repeating
the same request cannot fix them (the rule is :mod:`pipelines.defs.http_retries`, shared with the
geocoder client).
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata

import requests

from pipelines.defs.http_retries import (
    TRANSIENT_EXCEPTIONS,
    Counters,
    Failure,
    RequestFailed,
    RetryingClient,
    call_with_retries,
    status_failure,
)

log = logging.getLogger(__name__)

#: SODA 2.1 refuses a ``$limit`` above this.
MAX_PAGE_SIZE = 50000
DEFAULT_DATASET_ID = "cjeq-bs86"


def _package_version() -> str:
    try:
        return metadata.version("west-side-overdose-watch")
    except metadata.PackageNotFoundError:
        # Running from a plain checkout without the package installed.
        return "0.0.0+unknown"


CLIENT_VERSION = _package_version()
USER_AGENT = (
    f"west-side-overdose-watch/{CLIENT_VERSION} "
    f"(Cook County Medical Examiner archive client; python-requests/{requests.__version__})"
)

# ``:updated_at`` values as the API returns them, e.g. 2024-05-01T12:00:00.000Z. Anything else is
# refused before it is pasted into a SoQL literal, so a bad watermark can never alter the query.
_TIMESTAMP_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?")



class SocrataError(RequestFailed):
    """A SODA request failed for good (a non-retryable answer, or retries exhausted).

    ``transient`` is true when the client gave up on failures a later attempt may cure (timeouts,
    5xx, 429, dropped connections): the pipeline then retries the whole pull after a pause.
    """


@dataclass(frozen=True)
class Page:
    """One page of a pull: the request URL (never carrying the app token) and the body as received."""

    number: int
    url: str
    body: bytes
    records: list[dict]


@dataclass
class PullResult:
    """Every page of one pull plus the bookkeeping a snapshot manifest records."""

    pages: list[Page]
    requests: int
    retries: int
    started_at: datetime
    finished_at: datetime
    updated_since: str | None
    max_updated_at: str | None
    user_agent: str = USER_AGENT

    @property
    def records(self) -> list[dict]:
        """All records of all pages, in page order."""
        return [record for page in self.pages for record in page.records]

    @property
    def row_count(self) -> int:
        """Number of records over all pages."""
        return sum(len(page.records) for page in self.pages)


def parse_timestamp(value: str) -> datetime:
    """Parse a SODA ``:updated_at`` value (ISO 8601, ``Z`` suffix allowed) into an aware UTC datetime.

    A value without an offset is taken as UTC, as Socrata system timestamps are.
    """
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def max_timestamp(values: list[str | None]) -> str | None:
    """Return the latest of ``values`` (as originally spelled), ignoring ``None``; ``None`` if empty.

    Compared as instants rather than strings so that differing precisions or offsets still order
    correctly.
    """
    best: str | None = None
    best_key: datetime | None = None
    for value in values:
        if not value:
            continue
        key = parse_timestamp(value)
        if best_key is None or key > best_key:
            best, best_key = value, key
    return best


def _parse_records(body: bytes) -> list[dict]:
    """Decode a page body; raise ValueError unless it is a JSON list of objects."""
    data = json.loads(body)
    if not isinstance(data, list):
        raise ValueError(f"expected a JSON list, got {type(data).__name__}")
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise ValueError(f"item {index} is {type(item).__name__}, not an object")
    return data


def _error_detail(response: requests.Response) -> str:
    """The ``message`` of a SODA JSON error body, else the start of the body, for error messages."""
    text = response.text[:300]
    try:
        payload = json.loads(text)
    except ValueError:
        return text.strip()
    if isinstance(payload, dict) and payload.get("message"):
        return str(payload["message"])
    return text.strip()


class SocrataClient(RetryingClient):
    """Read-only SODA 2.1 client that pages a dataset in ``:id`` order with retries.

    ``sleep`` and ``rng`` are injectable so tests can record backoff delays instead of waiting.
    """

    def __init__(
        self,
        base_url: str,
        dataset_id: str = DEFAULT_DATASET_ID,
        app_token: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
        timeout: float = 60,
        max_retries: int = 6,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        sleep: Callable[[float], object] = time.sleep,
        rng: random.Random | None = None,
        session: requests.Session | None = None,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE} (the SODA 2.1 maximum), got {page_size}")
        if not re.fullmatch(r"[a-z0-9]{4}-[a-z0-9]{4}", dataset_id):
            raise ValueError(f"dataset_id must look like 'abcd-1234', got {dataset_id!r}")
        super().__init__(
            base_url, timeout=timeout, max_retries=max_retries, backoff_base=backoff_base,
            backoff_max=backoff_max, sleep=sleep, rng=rng, session=session,
        )
        self.dataset_id = dataset_id
        self.page_size = page_size
        self._app_token = app_token or None

    def __repr__(self) -> str:
        # Spelled out so the token can never leak through a repr in a log or traceback.
        token = "set" if self._app_token else "none"
        return f"SocrataClient(endpoint={self.endpoint!r}, page_size={self.page_size}, app_token={token})"

    @property
    def endpoint(self) -> str:
        """The dataset's JSON resource URL."""
        return f"{self.base_url}/resource/{self.dataset_id}.json"

    @property
    def headers(self) -> dict[str, str]:
        """Request headers; the app token goes here only, never into a URL."""
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if self._app_token:
            headers["X-App-Token"] = self._app_token
        return headers

    def page_url(self, offset: int, updated_since: str | None = None) -> str:
        """The full URL of the page starting at ``offset`` (SoQL parameters encoded, no token)."""
        params: dict[str, str | int] = {"$select": ":*, *"}
        if updated_since is not None:
            params["$where"] = f":updated_at > '{updated_since}'"
        # Without $order SODA guarantees no stable order, and offset paging could skip or repeat rows.
        params["$order"] = ":id"
        params["$limit"] = self.page_size
        params["$offset"] = offset
        prepared = requests.Request("GET", self.endpoint, params=params).prepare()
        assert prepared.url is not None
        return prepared.url

    def iter_pages(self, updated_since: str | None = None) -> Iterator[Page]:
        """Yield pages in ``:id`` order until one holds fewer rows than the page size.

        With ``updated_since`` (a ``:updated_at`` value as the API returned it) only rows updated
        strictly after it are requested. Raises :class:`SocrataError` when a page cannot be fetched.
        """
        # Checked here, not in the generator, so a bad watermark fails at the call, before any request.
        self._check_since(updated_since)
        return self._iter_pages(updated_since, Counters())

    def pull(self, updated_since: str | None = None) -> PullResult:
        """Fetch every page (see :meth:`iter_pages`) and return them with request statistics.

        Raises :class:`SocrataError` without returning anything if any page fails for good.
        """
        self._check_since(updated_since)
        counters = Counters()
        started_at = datetime.now(UTC)
        pages = list(self._iter_pages(updated_since, counters))
        finished_at = datetime.now(UTC)
        result = PullResult(
            pages=pages,
            requests=counters.requests,
            retries=counters.retries,
            started_at=started_at,
            finished_at=finished_at,
            updated_since=updated_since,
            max_updated_at=max_timestamp([r.get(":updated_at") for p in pages for r in p.records]),
        )
        log.info(
            "pulled %d rows in %d pages from %s (%d requests, %d retries, since %s)",
            result.row_count,
            len(pages),
            self.endpoint,
            result.requests,
            result.retries,
            updated_since or "the beginning",
        )
        return result

    def _check_since(self, updated_since: str | None) -> None:
        if updated_since is not None and not _TIMESTAMP_RE.fullmatch(updated_since):
            raise ValueError(f"updated_since must be an ISO timestamp as returned in :updated_at, got {updated_since!r}")

    def _iter_pages(self, updated_since: str | None, counters: Counters) -> Iterator[Page]:
        offset = 0
        number = 1
        while True:
            url = self.page_url(offset, updated_since)
            body, records = self._fetch(url, counters)
            if len(records) > self.page_size:
                # A server ignoring $limit would make offset paging skip rows; refuse rather than guess.
                raise SocrataError(f"{url}: got {len(records)} rows, more than $limit={self.page_size}")
            log.debug("page %d: %d rows from %s", number, len(records), url)
            yield Page(number=number, url=url, body=body, records=records)
            if len(records) < self.page_size:
                return
            offset += len(records)
            number += 1

    def _fetch(self, url: str, counters: Counters) -> tuple[bytes, list[dict]]:
        """GET ``url`` with retries; return the raw body and its decoded records."""
        return call_with_retries(
            lambda: self._attempt(url), what=url, backoff=self.backoff, counters=counters, error=SocrataError, log=log
        )

    def _attempt(self, url: str) -> tuple[bytes, list[dict]] | Failure:
        """One HTTP attempt: the body and its records, or why it failed."""
        try:
            response = self.session.get(url, headers=self.headers, timeout=self.timeout)
            # Without stream=True get() has already read the body, so a connection dropped mid-body
            # raises inside this try as well.
            body = response.content
        except TRANSIENT_EXCEPTIONS as exc:
            return Failure(reason=f"{type(exc).__name__}: {exc}")
        status = response.status_code
        if 200 <= status < 300 and status != 202:
            try:
                return body, _parse_records(body)
            except ValueError as exc:
                # Truncated or garbled bodies (often an HTML error page from a proxy) are transient.
                return Failure(reason=f"invalid JSON body ({len(body)} bytes): {exc}", status=status)
        failure = status_failure(response, _error_detail(response))
        if status == 202:
            # SODA's documented "still processing, ask again" answer.
            failure.retryable = True
        return failure
