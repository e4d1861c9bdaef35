"""Retrying one HTTP request: the rule the Socrata client and the geocoder client share.

An *attempt* either returns its result or a :class:`Failure` saying why it failed and whether a
fresh attempt may cure it. :func:`call_with_retries` repeats retryable failures with exponential
backoff and full jitter (or the server's ``Retry-After``, capped), and raises the client's own
error type when a failure is not retryable or the retries are used up.

What is retryable: HTTP 429 and 5xx (see :func:`status_failure`), time-outs and dropped or
garbled transfers (:data:`TRANSIENT_EXCEPTIONS`), and whatever body the client cannot parse (the
client returns a retryable :class:`Failure` for it). Any other 4xx would fail the same way again
and is not retried.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Self, TypeVar

import requests

T = TypeVar("T")

#: Failures of the transport that a fresh attempt may cure. ChunkedEncodingError covers a body
#: cut short against its Content-Length; ContentDecodingError a corrupt gzip stream.
TRANSIENT_EXCEPTIONS = (
    requests.Timeout,
    requests.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


class RequestFailed(RuntimeError):
    """A request failed for good (a non-retryable answer, or retries exhausted).

    ``transient`` is true when the client gave up on failures a later attempt may cure (timeouts,
    5xx, 429, dropped connections): the caller may try the whole operation again later.
    """

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass
class Failure:
    """Why an attempt failed, kept for the retry log line and the final error."""

    reason: str
    status: int | None = None
    retry_after: float | None = None
    retryable: bool = True


@dataclass
class Counters:
    """Requests sent and retries made, over one operation."""

    requests: int = 0
    retries: int = 0


@dataclass
class Backoff:
    """How often and how long to wait between attempts.

    ``sleep`` and ``rng`` are injectable so tests can record the delays instead of waiting.
    """

    max_retries: int = 6
    base: float = 1.0
    ceiling: float = 60.0
    sleep: Callable[[float], object] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")

    def delay(self, attempt: int, failure: Failure) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (0-based)."""
        if failure.retry_after is not None:
            # The server said how long to wait; honour it, but never beyond our own ceiling.
            return min(self.ceiling, failure.retry_after)
        # Full jitter spreads retries of many clients instead of synchronising them.
        return self.rng.uniform(0, min(self.ceiling, self.base * 2**attempt))


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def status_failure(response: requests.Response, detail: str) -> Failure:
    """The :class:`Failure` for a non-success HTTP answer; ``detail`` is the server's message.

    429 (with its ``Retry-After``) and 5xx are retryable; any other status is not.
    """
    status = response.status_code
    reason = f"{response.reason or 'no reason'}: {detail}" if detail else (response.reason or "no reason")
    if status == 429:
        return Failure(reason=reason, status=status, retry_after=parse_retry_after(response.headers.get("Retry-After")))
    if status >= 500:
        return Failure(reason=reason, status=status)
    # A bad query, unknown resource or refused credential would fail the same way again.
    return Failure(reason=reason, status=status, retryable=False)


def call_with_retries(
    attempt: Callable[[], T | Failure],
    *,
    what: str,
    backoff: Backoff,
    counters: Counters,
    error: type[RequestFailed],
    log: logging.Logger,
) -> T:
    """Run ``attempt`` until it returns a result; retry retryable failures as ``backoff`` says.

    ``what`` names the request in log lines and errors (a URL; never a secret). Raises ``error``
    (a :class:`RequestFailed` subclass) at once for a failure that is not retryable, and with
    ``transient=True`` once ``backoff.max_retries`` retries have failed too.
    """
    number = 0
    while True:
        counters.requests += 1
        outcome = attempt()
        if not isinstance(outcome, Failure):
            return outcome
        failure = outcome
        attempts = number + 1
        if not failure.retryable:
            raise error(
                f"{what} answered HTTP {failure.status} ({failure.reason}) on attempt {attempts}; "
                "this answer is not retried"
            )
        if number >= backoff.max_retries:
            status = f"HTTP {failure.status}" if failure.status is not None else "no HTTP status"
            raise error(
                f"giving up on {what} after {attempts} attempts; last failure: {status}: {failure.reason}",
                transient=True,
            )
        delay = backoff.delay(number, failure)
        log.warning(
            "attempt %d/%d for %s failed (%s%s); retrying in %.2f s",
            attempts,
            backoff.max_retries + 1,
            what,
            f"HTTP {failure.status}: " if failure.status is not None else "",
            failure.reason,
            delay,
        )
        counters.retries += 1
        backoff.sleep(delay)
        number += 1


class RetryingClient:
    """What the HTTP clients share: a timeout, a :class:`Backoff` and a session they may own.

    ``sleep`` and ``rng`` are injectable so tests can record backoff delays instead of waiting; a
    ``session`` passed in stays the caller's to close, one made here is closed by :meth:`close`.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float,
        max_retries: int,
        backoff_base: float,
        backoff_max: float,
        sleep: Callable[[float], object],
        rng: random.Random | None,
        session: requests.Session | None,
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be > 0, got {timeout}")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.backoff = Backoff(
            max_retries=max_retries,
            base=backoff_base,
            ceiling=backoff_max,
            sleep=sleep,
            rng=rng if rng is not None else random.Random(),
        )
        self._owns_session = session is None
        self.session = session if session is not None else requests.Session()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP session if this client created it."""
        if self._owns_session:
            self.session.close()
