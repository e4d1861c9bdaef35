"""A local, SODA 2.1-compatible HTTP server for tests (never the internet).

It serves ``GET /resource/<dataset_id>.json`` over a list of record dicts with the subset of SoQL
the pipeline uses (``$select``, ``$where`` on ``:updated_at``, ``$order``, ``$limit``, ``$offset``),
records every request, and can inject faults per request::

    with SodaServer(records, faults=["503", ("429", 2), "truncated"]) as server:
        client = SocrataClient(server.base_url, ...)

Fault entries (one per request, in order; or a callable ``request_number -> fault``):

- ``None`` — answer normally;
- an HTTP status such as ``"500"``, ``"503"``, ``"404"`` or ``500`` — that status with a SODA-style
  JSON error body; ``("429", retry_after)`` adds ``Retry-After`` (seconds, or a raw header string;
  ``None`` for no header);
- ``"truncated"`` — 200 with the JSON body cut in half (Content-Length matching the cut body);
- ``"disconnect"`` — 200 announcing the full Content-Length, then closing after half the body;
- ``("slow", seconds)`` — wait, then answer normally (pair with a short client timeout);
- ``"invalid_json"`` — 200 with an HTML error page; ``"not_a_list"`` — 200 with a JSON object.

``fault_rate`` additionally fails that fraction of otherwise healthy requests, drawing a fault from
``random_faults`` with a seeded ``random.Random`` so runs are repeatable.
"""

from __future__ import annotations

import json
import random
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from local_servers import QuietHTTPServer, StandInServer
from requests.structures import CaseInsensitiveDict

Fault = str | int | tuple | None
FaultSpec = Sequence[Fault] | Callable[[int], Fault] | None

DEFAULT_UPDATED_AT = "2024-01-01T00:00:00.000Z"
DEFAULT_LIMIT = 1000
MAX_LIMIT = 50000
SYSTEM_FIELDS = (":id", ":version", ":created_at", ":updated_at")
_WHERE_RE = re.compile(r"\s*:updated_at\s*>\s*'([^']+)'\s*")
_ORDER_RE = re.compile(r"\s*([:\w]+)(?:\s+(ASC|DESC))?\s*", re.IGNORECASE)
_KNOWN_PARAMS = {"$select", "$where", "$order", "$limit", "$offset"}


def _ts(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_timestamp(when: datetime) -> str:
    """Format like Socrata system fields: ``2024-05-01T12:00:00.000Z``."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


_SIMPLE_FAULTS = {"truncated", "disconnect", "invalid_json", "not_a_list", "slow"}


def check_fault(fault: Fault) -> Fault:
    """Return ``fault`` unchanged if the server understands it, else raise ValueError."""
    if fault is None:
        return fault
    kind = fault[0] if isinstance(fault, tuple) else fault
    kind = str(kind)
    if kind in _SIMPLE_FAULTS or (kind.isdigit() and 100 <= int(kind) <= 599):
        return fault
    raise ValueError(f"unknown fault {fault!r}")


class _Row:
    __slots__ = ("row_id", "created_at", "updated_at", "version", "data")

    def __init__(self, row_id: str, created_at: str, updated_at: str, data: dict) -> None:
        self.row_id = row_id
        self.created_at = created_at
        self.updated_at = updated_at
        self.version = 1
        self.data = data

    def system(self) -> dict[str, Any]:
        return {
            ":id": self.row_id,
            ":version": f"rv-{self.version:04d}",
            ":created_at": self.created_at,
            ":updated_at": self.updated_at,
        }


class _QueryError(ValueError):
    """A SoQL problem the real API would answer with 400."""


class _Handler(BaseHTTPRequestHandler):
    server: QuietHTTPServer
    server_version = "SodaTestServer/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
        # Tests read server.requests instead; access logs would only clutter pytest output.
        return

    def do_GET(self) -> None:  # noqa: N802 - name fixed by BaseHTTPRequestHandler
        self.server.stand_in._handle(self)


class SodaServer(StandInServer):
    """Local SODA-compatible server; use as a context manager, then read ``base_url``."""

    handler = _Handler

    def __init__(
        self,
        records: Iterable[dict] = (),
        dataset_id: str = "cjeq-bs86",
        faults: FaultSpec = None,
        *,
        fault_rate: float = 0.0,
        seed: int = 0,
        random_faults: Sequence[Fault] = ("500", "503", ("429", 0), "truncated", "invalid_json"),
        app_token: str | None = None,
        default_updated_at: str = DEFAULT_UPDATED_AT,
        key: str = "casenumber",
    ) -> None:
        """Hold ``records`` (insertion order = ``:id`` order).

        A record may carry its own ``:updated_at`` (else ``default_updated_at``) and ``:id``.
        ``app_token``, when set, makes the server answer 403 to any other non-empty ``X-App-Token``
        as Socrata does. ``key`` is the field :meth:`upsert` matches on.
        """
        super().__init__()
        self.dataset_id = dataset_id
        self.key = key
        self.default_updated_at = default_updated_at
        self.app_token = app_token
        self.fault_rate = fault_rate
        self.random_faults = list(random_faults)
        self._faults_fn = faults if callable(faults) else None
        self._faults_list: list[Fault] = (
            [check_fault(f) for f in faults] if faults is not None and not callable(faults) else []
        )
        for fault in random_faults:
            check_fault(fault)
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._rows: list[_Row] = []
        self._next_id = 1
        #: Every request received, in order: (path, params, headers).
        self.requests: list[tuple[str, dict[str, str], CaseInsensitiveDict]] = []
        #: The fault applied to each request (None when answered normally), parallel to ``requests``.
        self.applied_faults: list[Fault] = []
        self._add(records, updated_at=None, fallback=default_updated_at)

    @property
    def endpoint(self) -> str:
        """The dataset's resource URL."""
        return f"{self.base_url}/resource/{self.dataset_id}.json"

    # ----------------------------------------------------------------- data

    def upsert(self, records: Iterable[dict], updated_at: str | None = None) -> None:
        """Replace records with the same ``key`` (keeping their ``:id``) or append new ones.

        Each touched record gets ``updated_at``, else its own ``:updated_at``, else the current time.
        """
        self._add(records, updated_at=updated_at, fallback=None)

    def _add(self, records: Iterable[dict], *, updated_at: str | None, fallback: str | None) -> None:
        with self._lock:
            by_key = {row.data.get(self.key): row for row in self._rows if row.data.get(self.key) is not None}
            for record in records:
                data = {k: v for k, v in record.items() if not k.startswith(":")}
                stamp = updated_at or record.get(":updated_at") or fallback or format_timestamp(datetime.now(UTC))
                existing = by_key.get(data.get(self.key)) if data.get(self.key) is not None else None
                if existing is not None:
                    existing.data = data
                    existing.updated_at = stamp
                    existing.version += 1
                    continue
                row_id = record.get(":id") or f"row-{self._next_id:08x}"
                self._next_id += 1
                row = _Row(row_id, stamp, stamp, data)
                self._rows.append(row)
                if data.get(self.key) is not None:
                    by_key[data[self.key]] = row

    @property
    def records(self) -> list[dict]:
        """Current records with their system fields, in ``:id`` order."""
        with self._lock:
            return [{**row.system(), **row.data} for row in sorted(self._rows, key=lambda r: r.row_id)]

    # ----------------------------------------------------------------- requests

    def data_requests(self) -> list[dict[str, str]]:
        """Query parameters of every request to the dataset resource, in order."""
        resource = f"/resource/{self.dataset_id}.json"
        return [params for path, params, _ in self.requests if path == resource]

    def _next_fault(self, number: int) -> Fault:
        if self._faults_fn is not None:
            fault = self._faults_fn(number)
        elif self._faults_list:
            fault = self._faults_list.pop(0)
        else:
            fault = None
        if fault is None and self.fault_rate and self._rng.random() < self.fault_rate:
            fault = self._rng.choice(self.random_faults)
        return check_fault(fault)

    def _handle(self, handler: _Handler) -> None:
        split = urlsplit(handler.path)
        params = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        headers = CaseInsensitiveDict(dict(handler.headers.items()))
        with self._lock:
            self.requests.append((split.path, params, headers))
            fault = self._next_fault(len(self.requests))
            self.applied_faults.append(fault)

        kind, arg = (fault[0], fault[1]) if isinstance(fault, tuple) else (fault, None)
        kind = str(kind) if kind is not None else None
        if kind == "slow":
            # Interruptible so stopping the server never waits out a long fault.
            self._closing.wait(float(arg) if arg is not None else 1.0)
            kind = None
        if kind is not None and kind.isdigit():
            extra = {}
            if kind == "429" and arg is not None:
                extra["Retry-After"] = str(arg)
            self._send_error(handler, int(kind), f"injected HTTP {kind}", extra)
            return

        status, body = self._answer(split.path, params, headers)
        if status != 200:
            self._send(handler, status, body)
        elif kind == "truncated":
            self._send(handler, 200, body[: len(body) // 2])
        elif kind == "disconnect":
            self._send(handler, 200, body[: len(body) // 2], content_length=len(body))
            handler.close_connection = True
        elif kind == "invalid_json":
            self._send(handler, 200, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")
        elif kind == "not_a_list":
            self._send(handler, 200, b'{"error": true, "message": "unexpected object"}')
        else:
            self._send(handler, 200, body)

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        content_type: str = "application/json;charset=utf-8",
        content_length: int | None = None,
    ) -> None:
        _send_raw(handler, status, body, content_type, {}, content_length)

    @staticmethod
    def _send_error(handler: BaseHTTPRequestHandler, status: int, message: str, headers: dict[str, str]) -> None:
        _send_raw(handler, status, _error_body("injected", message), "application/json;charset=utf-8", headers, None)

    def _answer(self, path: str, params: dict[str, str], headers: CaseInsensitiveDict) -> tuple[int, bytes]:
        """Status and body for a healthy request, SODA-style errors included."""
        if path != f"/resource/{self.dataset_id}.json":
            return 404, _error_body("not_found", f"Dataset or resource not found: {path}")
        token = headers.get("X-App-Token")
        if self.app_token is not None and token and token != self.app_token:
            return 403, _error_body("authentication_required", "Invalid app_token specified")
        try:
            rows = self._query(params)
        except _QueryError as exc:
            return 400, _error_body("query.compiler.malformed", str(exc))
        return 200, json.dumps(rows, ensure_ascii=False, indent=1).encode("utf-8")

    def _query(self, params: dict[str, str]) -> list[dict]:
        unknown = sorted(k for k in params if k.startswith("$") and k not in _KNOWN_PARAMS)
        if unknown:
            raise _QueryError(f"Unrecognized arguments [{', '.join(unknown)}]")
        limit = _int_param(params, "$limit", DEFAULT_LIMIT)
        if limit > MAX_LIMIT:
            raise _QueryError(f"$limit must be <= {MAX_LIMIT} in SODA 2.1")
        offset = _int_param(params, "$offset", 0)
        with self._lock:
            rows = list(self._rows)
        field_names = {name for row in rows for name in row.data}

        # Plain `field=value` parameters are SODA simple filters.
        for name, value in params.items():
            if not name.startswith("$"):
                rows = [row for row in rows if str(row.data.get(name)) == value]

        where = params.get("$where")
        if where is not None:
            match = _WHERE_RE.fullmatch(where)
            if not match:
                raise _QueryError(f"this test server only understands \":updated_at > '<ts>'\", got {where!r}")
            try:
                since = _ts(match.group(1))
            except ValueError as exc:
                raise _QueryError(f"bad timestamp literal {match.group(1)!r}") from exc
            rows = [row for row in rows if _ts(row.updated_at) > since]

        order = params.get("$order")
        if order is not None:
            match = _ORDER_RE.fullmatch(order)
            if not match:
                raise _QueryError(f"cannot order by {order!r}")
            column, direction = match.group(1), (match.group(2) or "ASC").upper()
            if column not in SYSTEM_FIELDS and column not in field_names:
                raise _QueryError(f"No such column: {column}")
            rows.sort(key=lambda row: str({**row.system(), **row.data}.get(column) or ""), reverse=direction == "DESC")

        rows = rows[offset : offset + limit]
        return [_select(row, params.get("$select"), field_names) for row in rows]


def _select(row: _Row, select: str | None, field_names: set[str]) -> dict:
    """Project a row like ``$select``: ``*`` = user fields, ``:*`` = system fields, or names."""
    if select is None:
        return dict(row.data)
    system = row.system()
    out: dict[str, Any] = {}
    for item in (part.strip() for part in select.split(",")):
        if item == ":*":
            out.update(system)
        elif item == "*":
            out.update(row.data)
        elif item in system:
            out[item] = system[item]
        elif item in field_names:
            if item in row.data:
                out[item] = row.data[item]
        else:
            raise _QueryError(f"No such column: {item}")
    return out


def _int_param(params: dict[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _QueryError(f"{name} must be an integer, got {raw!r}") from None
    if value < 0:
        raise _QueryError(f"{name} must not be negative")
    return value


def _error_body(code: str, message: str) -> bytes:
    return json.dumps({"code": code, "error": True, "message": message}).encode("utf-8")


def _send_raw(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    content_type: str,
    headers: dict[str, str],
    content_length: int | None,
) -> None:
    try:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Unknown"
        handler.send_response(status, phrase)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body) if content_length is None else content_length))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)
        handler.wfile.flush()
    except (BrokenPipeError, ConnectionResetError):
        # The client gave up first (e.g. after its timeout during a "slow" fault).
        handler.close_connection = True

