"""Fixtures of the report tests: the demo pipeline's report files, and a local SMTP server."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import DEMO_END_MONTH, PipelineRun


@pytest.fixture(scope="session")
def report_dir(demo_pipeline: PipelineRun) -> Path:
    """``ODW_OUTPUT_DIR`` of the demo pipeline run (which built ``meeting_pack`` and ``weekly_eblast``)."""
    return Path(demo_pipeline.env["ODW_OUTPUT_DIR"])


@pytest.fixture(scope="session")
def pack_pptx(report_dir: Path) -> Path:
    return report_dir / "meeting_pack" / f"overdose_watch_meeting_pack_{DEMO_END_MONTH}.pptx"


@pytest.fixture(scope="session")
def pack_pdf(pack_pptx: Path) -> Path:
    return pack_pptx.with_suffix(".pdf")


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for ``smtplib.send_message`` without TLS or login."""

    def _reply(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self) -> None:
        self._reply("220 localhost test SMTP")
        message: dict = {"rcpt": []}
        while line := self.rfile.readline().decode(errors="replace").rstrip("\r\n"):
            verb = line.split(" ", 1)[0].upper()
            if verb == "RCPT":
                message["rcpt"].append(line.split(":", 1)[1].strip(" <>"))
                self._reply("250 OK")
            elif verb == "DATA":
                self._reply("354 end with .")
                lines = []
                while (data := self.rfile.readline().decode(errors="replace")) not in (".\r\n", ""):
                    lines.append(data[1:] if data.startswith("..") else data)
                message["data"] = "".join(lines)
                self.server.received.append(message)  # type: ignore[attr-defined]
                message = {"rcpt": []}
                self._reply("250 queued")
            elif verb == "QUIT":
                self._reply("221 bye")
                return
            else:
                self._reply("250 OK")


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, list[dict]]]:
    """A minimal SMTP server on 127.0.0.1; yields (port, received messages)."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.daemon_threads = True
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], server.received  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
