"""A local stand-in for the US Census Geocoder's batch service, for tests (never the internet).

It serves ``POST <prefix>/locations/addressbatch`` on 127.0.0.1: parses the multipart form (the
CSV file ``addressFile`` of ``id,street,city,state,zip`` rows and the ``benchmark`` field), and
answers in the Census CSV format, one line per input in a shuffled (seeded) order::

    "1","3001 W JACKSON BLVD, CHICAGO, IL, 60624","Match","Exact","3001 W JACKSON BLVD, CHICAGO, IL, 60624","-87.70185,41.87753","111376524","L"
    "2","9 NOWHERE ST, CHICAGO, IL, ","No_Match"
    "3","100 W MAIN ST, CHICAGO, IL, 60624","Tie"

``known`` maps a street (as sent) to its point ``(latitude, longitude)``: a street in it is a
Match, a street in ``ties`` a Tie, any other a No_Match. More than 10,000 rows, a missing
``benchmark`` or ``addressFile``, or another path is answered 400 as the service would refuse it.

Every request is recorded (``requests``: path, headers, form fields, raw body, rows received), and
faults can be injected per request, in order (or a callable ``request_number -> fault``):

- ``None`` — answer normally;
- an HTTP status such as ``"503"`` or ``"400"``; ``("429", retry_after)`` adds ``Retry-After``;
- ``("slow", seconds)`` — wait, then answer normally (pair with a short client timeout);
- ``"truncated"`` — 200 with the answer cut in half (Content-Length of the cut body);
- ``"disconnect"`` — 200 announcing the full Content-Length, then closing after half the body;
- ``"garbled"`` — 200 with an HTML error page.
"""

from __future__ import annotations

import csv
import io
import random
import threading
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any

from local_servers import QuietHTTPServer, StandInServer
from requests.structures import CaseInsensitiveDict

Fault = str | int | tuple | None
MAX_ROWS = 10_000
_SIMPLE_FAULTS = {"truncated", "disconnect", "garbled", "slow"}


def check_fault(fault: Fault) -> Fault:
    """Return ``fault`` unchanged if the server understands it, else raise ValueError."""
    if fault is None:
        return fault
    kind = str(fault[0] if isinstance(fault, tuple) else fault)
    if kind in _SIMPLE_FAULTS or (kind.isdigit() and 100 <= int(kind) <= 599):
        return fault
    raise ValueError(f"unknown fault {fault!r}")


@dataclass
class BatchRequest:
    """One request as received."""

    path: str
    headers: CaseInsensitiveDict
    body: bytes
    fields: dict[str, bytes] = field(default_factory=dict)
    rows: list[list[str]] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    server: QuietHTTPServer
    server_version = "GeocoderTestServer/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
        return

    def do_POST(self) -> None:  # noqa: N802 - name fixed by BaseHTTPRequestHandler
        self.server.stand_in._handle(self)

    def do_GET(self) -> None:  # noqa: N802
        _send(self, 405, b"batch geocoding is POST only", "text/plain")


def parse_form(content_type: str, body: bytes) -> dict[str, bytes]:
    """The fields of a ``multipart/form-data`` body, by name (file fields give their content)."""
    message = BytesParser(policy=policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise ValueError("not a multipart/form-data body")
    fields: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            fields[str(name)] = part.get_payload(decode=True) or b""
    return fields


class GeocoderServer(StandInServer):
    """Census-batch-compatible server; use as a context manager, then read ``base_url``."""

    handler = _Handler

    def __init__(
        self,
        known: Mapping[str, tuple[float, float]] = (),
        *,
        ties: Iterable[str] = (),
        faults: Sequence[Fault] | Callable[[int], Fault] | None = None,
        seed: int = 0,
        prefix: str = "/geocoder",
    ) -> None:
        super().__init__()
        self.known = dict(known)
        self.ties = set(ties)
        self.prefix = prefix.rstrip("/")
        self._faults_fn = faults if callable(faults) else None
        self._faults = [check_fault(f) for f in faults] if faults is not None and not callable(faults) else []
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        #: Every request received, in order.
        self.requests: list[BatchRequest] = []

    def streets_received(self) -> list[str]:
        """The street of every row received, over all requests, in order."""
        return [row[1] for request in self.requests for row in request.rows if len(row) > 1]

    def _next_fault(self, number: int) -> Fault:
        if self._faults_fn is not None:
            return check_fault(self._faults_fn(number))
        return self._faults.pop(0) if self._faults else None

    def _handle(self, handler: _Handler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        request = BatchRequest(handler.path, CaseInsensitiveDict(dict(handler.headers.items())), body)
        with self._lock:
            self.requests.append(request)
            fault = self._next_fault(len(self.requests))
        kind, arg = (fault[0], fault[1]) if isinstance(fault, tuple) else (fault, None)
        kind = str(kind) if kind is not None else None
        if kind == "slow":
            self._closing.wait(float(arg) if arg is not None else 1.0)
            kind = None
        if kind is not None and kind.isdigit():
            headers = {"Retry-After": str(arg)} if kind == "429" and arg is not None else {}
            _send(handler, int(kind), f"injected HTTP {kind}".encode(), "text/plain", headers)
            return
        status, answer = self._answer(request)
        if status != 200:
            _send(handler, status, answer, "text/plain")
        elif kind == "truncated":
            _send(handler, 200, answer[: len(answer) // 2], "text/csv")
        elif kind == "disconnect":
            _send(handler, 200, answer[: len(answer) // 2], "text/csv", content_length=len(answer))
            handler.close_connection = True
        elif kind == "garbled":
            _send(handler, 200, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")
        else:
            _send(handler, 200, answer, "text/csv")

    def _answer(self, request: BatchRequest) -> tuple[int, bytes]:
        """Status and body for a healthy request (400 for what the real service refuses)."""
        if request.path != f"{self.prefix}/locations/addressbatch":
            return 404, f"no such service: {request.path}".encode()
        try:
            request.fields = parse_form(request.headers.get("Content-Type", ""), request.body)
        except ValueError as exc:
            return 400, str(exc).encode()
        if "addressFile" not in request.fields or not request.fields.get("benchmark"):
            return 400, b"addressFile and benchmark are required"
        request.rows = list(csv.reader(io.StringIO(request.fields["addressFile"].decode("utf-8"))))
        if len(request.rows) > MAX_ROWS:
            return 400, f"more than {MAX_ROWS} records in one batch".encode()
        if any(len(row) != 5 for row in request.rows):
            return 400, b"every record needs id,street,city,state,zip"
        out = io.StringIO()
        writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
        rows = list(request.rows)
        with self._lock:
            self._rng.shuffle(rows)
        for number, street, city, state, zip_code in rows:
            given = f"{street}, {city}, {state}, {zip_code}"
            if street in self.ties:
                writer.writerow([number, given, "Tie"])
            elif street in self.known:
                lat, lon = self.known[street]
                writer.writerow(
                    [number, given, "Match", "Exact", given, f"{lon:.6f},{lat:.6f}", str(zlib.crc32(street.encode())), "L"]
                )
            else:
                writer.writerow([number, given, "No_Match"])
        return 200, out.getvalue().encode("utf-8")


def _send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    content_type: str,
    headers: Mapping[str, str] | None = None,
    content_length: int | None = None,
) -> None:
    try:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Unknown"
        handler.send_response(status, phrase)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body) if content_length is None else content_length))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)
        handler.wfile.flush()
    except (BrokenPipeError, ConnectionResetError):
        handler.close_connection = True
