"""Local stand-ins for a webhook receiver and an SMTP server, on 127.0.0.1 only (no network)."""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest


@dataclass
class Received:
    """What a local server got, and the status it answers with."""

    items: list = field(default_factory=list)
    status: int = 200


@pytest.fixture
def webhook_server() -> Iterator[tuple[str, Received]]:
    """An HTTP server on 127.0.0.1 collecting the JSON bodies POSTed to it; yields (url, received)."""
    received = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            received.items.append({"path": self.path, "body": json.loads(self.rfile.read(length))})
            self.send_response(received.status)
            self.end_headers()

        def log_message(self, *args) -> None:  # keep test output quiet
            return

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hooks/alerts", received
    finally:
        server.shutdown()
        server.server_close()


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib.send_message without TLS or login."""

    def _reply(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self) -> None:
        received: Received = self.server.received  # type: ignore[attr-defined]
        self._reply("220 localhost test SMTP")
        message: dict = {"rcpt": []}
        while True:
            line = self.rfile.readline().decode(errors="replace").rstrip("\r\n")
            if not line:
                return
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self._reply("250 localhost")
            elif verb == "MAIL":
                message["from"] = line
                self._reply("250 OK")
            elif verb == "RCPT":
                message["rcpt"].append(line)
                self._reply("250 OK")
            elif verb == "DATA":
                self._reply("354 end with .")
                lines = []
                while (data := self.rfile.readline().decode(errors="replace")) not in (".\r\n", ""):
                    lines.append(data)
                message["data"] = "".join(lines)
                received.items.append(message)
                message = {"rcpt": []}
                self._reply("250 queued")
            elif verb == "QUIT":
                self._reply("221 bye")
                return
            else:
                self._reply("250 OK")


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, Received]]:
    """A minimal SMTP server on 127.0.0.1; yields (port, received messages)."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.daemon_threads = True
    server.received = Received()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], server.received  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
