"""A Document Translation endpoint that validates the way Azure does: an HTTP proxy on 127.0.0.1 in
front of a served Dragoman's Azure door, forwarding every request, except that a job started while
`hiding` is set lists no document (`GET .../batches/<id>/documents` answers an empty page) until
`hidden` lets it go. Azure lists a job's documents only once it has validated the job; Dragoman's door
lists them as it starts the job, so without this a job "still validating" cannot be had."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import httpx

_DOCUMENTS = re.compile(r"/document/batches/([^/?]+)/documents(?:\?|$)")
_START = re.compile(r"/document/batches(?:\?|$)")
_HOP_BY_HOP = {"connection", "content-length", "content-encoding", "transfer-encoding", "keep-alive", "host"}


@dataclass
class Validating:
    server: ThreadingHTTPServer
    door: str
    hiding: threading.Event = field(default_factory=threading.Event)  # jobs started now list no document
    hidden: set[str] = field(default_factory=set)  # the ids of jobs listing no document yet

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@contextmanager
def validating(door: str) -> Iterator[Validating]:
    """A proxy to `door` (the served Dragoman's URL) while the block runs."""
    state = Validating.__new__(Validating)
    state.door, state.hiding, state.hidden = door.rstrip("/"), threading.Event(), set()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            listing = _DOCUMENTS.search(self.path)
            if method == "GET" and listing is not None and listing.group(1) in state.hidden:
                self._answer(200, {"Content-Type": "application/json"}, json.dumps({"value": []}).encode())
                return
            headers = {name: value for name, value in self.headers.items() if name.lower() not in _HOP_BY_HOP}
            answer = httpx.request(method, state.door + self.path, content=body, headers=headers, timeout=60)
            if method == "POST" and _START.search(self.path) and answer.status_code == 202 and state.hiding.is_set():
                state.hidden.add(urlsplit(answer.headers["Operation-Location"]).path.rstrip("/").rsplit("/", 1)[-1])
            kept = {name: value for name, value in answer.headers.items() if name.lower() not in _HOP_BY_HOP}
            self._answer(answer.status_code, kept, answer.content)

        def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self._forward("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._forward("POST")

        def do_DELETE(self) -> None:  # noqa: N802
            self._forward("DELETE")

        def log_message(self, *args: object) -> None:
            pass

    state.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.server.daemon_threads = True
    threading.Thread(target=state.server.serve_forever, daemon=True).start()
    try:
        yield state
    finally:
        state.server.shutdown()
        state.server.server_close()
