"""What every local stand-in server of the tests shares: 127.0.0.1 on a free port, served from a
daemon thread, quiet about clients that hang up; plus a minimal SMTP receiver. Never the internet."""

from __future__ import annotations

import json
import socketserver
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class QuietHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that keeps stderr quiet when a client hangs up (fault tests do)."""

    daemon_threads = True
    allow_reuse_address = True
    #: The stand-in object whose ``_handle(request_handler)`` answers each request.
    stand_in: Any

    def handle_error(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class StandInServer:
    """Lifecycle of a stand-in: ``with Server(...) as server: server.base_url``.

    Subclasses set ``handler`` (a ``BaseHTTPRequestHandler`` calling ``self.server.stand_in._handle``)
    and may set ``prefix`` (a path the base URL ends with); they call ``super().__init__()``.
    """

    handler: type[BaseHTTPRequestHandler]
    prefix: str = ""

    def __init__(self) -> None:
        self._closing = threading.Event()
        self._httpd: QuietHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self):  # noqa: ANN204 - the subclass
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        if self._httpd is not None:
            raise RuntimeError("server already started")
        self._closing.clear()
        httpd = QuietHTTPServer(("127.0.0.1", 0), self.handler)
        httpd.stand_in = self
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and release the port (wakes any request parked in a ``slow`` fault)."""
        if self._httpd is None:
            return
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port><prefix>`` of the running server."""
        if self._httpd is None:
            raise RuntimeError("server not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}{self.prefix}"


@dataclass
class Received:
    """What a local server got, and the status it answers with."""

    items: list = field(default_factory=list)
    status: int = 200


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for ``smtplib.send_message`` without TLS or login."""

    def _reply(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self) -> None:
        received: Received = self.server.received  # type: ignore[attr-defined]
        self._reply("220 localhost test SMTP")
        message: dict = {"rcpt": []}
        while line := self.rfile.readline().decode(errors="replace").rstrip("\r\n"):
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self._reply("250 localhost")
            elif verb in ("MAIL", "RCPT"):
                address = line.split(":", 1)[1].strip(" <>")
                if verb == "MAIL":
                    message["from"] = address
                else:
                    message["rcpt"].append(address)
                self._reply("250 OK")
            elif verb == "DATA":
                self._reply("354 end with .")
                lines = []
                while (data := self.rfile.readline().decode(errors="replace")) not in (".\r\n", ""):
                    lines.append(data[1:] if data.startswith("..") else data)  # undo dot-stuffing
                message["data"] = "".join(lines)
                received.items.append(message)
                message = {"rcpt": []}
                self._reply("250 queued")
            elif verb == "QUIT":
                self._reply("221 bye")
                return
            else:
                self._reply("250 OK")


@contextmanager
def smtp_receiver() -> Iterator[tuple[int, Received]]:
    """A minimal SMTP server on 127.0.0.1; yields (port, received messages: rcpt, from, data)."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.daemon_threads = True
    server.received = Received()  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], server.received  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def webhook_receiver(path: str = "/hooks/alerts") -> Iterator[tuple[str, Received]]:
    """An HTTP server on 127.0.0.1 collecting the JSON bodies POSTed to it; yields (url, received).

    It answers ``received.status`` (200 unless a test changes it).
    """
    received = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - name fixed by BaseHTTPRequestHandler
            length = int(self.headers.get("Content-Length", 0))
            received.items.append({"path": self.path, "body": json.loads(self.rfile.read(length))})
            self.send_response(received.status)
            self.end_headers()

        def log_message(self, *args: object) -> None:  # keep test output quiet
            return

    server = QuietHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}{path}", received
    finally:
        server.shutdown()
        server.server_close()
