"""What the remote vendors' tests share: a blob host whose downloads wait at a gate, so that a job
reading from it holds the served Dragoman's one worker for as long as a test wants (its other jobs
then wait, NotStarted / SUBMITTED, deterministically), and the connector's REST API as a test drives it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from dragoman.connector.lifecycle import ConnectorJobStatus
from dragoman.connector.service import Connector
from dragoman.connector.store import ConnectorJob
from dragoman.storage.local import path_to_url

BODY = b"The cat is black.\n"


@dataclass
class Gate:
    """A blob 'account' on 127.0.0.1: HEAD answers at once; GET waits until the gate opens."""

    server: ThreadingHTTPServer
    open: threading.Event = field(default_factory=threading.Event)
    waiting: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.open.set()
        self.server.shutdown()
        self.server.server_close()


def gate() -> Gate:
    state = Gate.__new__(Gate)
    state.open, state.waiting = threading.Event(), threading.Semaphore(0)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _headers(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY)))
            self.send_header("Content-Type", "text/plain")
            self.send_header("x-ms-blob-type", "BlockBlob")
            self.send_header("ETag", '"0x1"')
            self.send_header("Last-Modified", "Mon, 30 Nov 2026 00:00:00 GMT")
            self.end_headers()

        def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
            self._headers()

        def do_GET(self) -> None:  # noqa: N802
            state.waiting.release()
            state.open.wait(120)
            self._headers()
            self.wfile.write(BODY)

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: object, client_address: object) -> None:
            pass  # a client that hung up (the server stopping): nothing to report

    state.server = Server(("127.0.0.1", 0), Handler)
    state.server.daemon_threads = True
    threading.Thread(target=state.server.serve_forever, daemon=True).start()
    return state


@contextmanager
def worker_held(url: str, azure_key: str, held: Gate, out: Path, name: str) -> Iterator[None]:
    """While the block runs, the served Dragoman's one worker (DRAGOMAN_WORKERS=1) is busy reading a
    blob of `held`: a job started meanwhile waits. On leaving, the gate opens and the holding job ends."""
    held.open.clear()
    body = {
        "inputs": [
            {
                "storageType": "File",
                "source": {"sourceUrl": f"http://{held.host}/devstoreaccount1/c/{name}.txt?sig=x", "language": "en"},
                "targets": [{"targetUrl": path_to_url(out / f"{name}.es.txt"), "language": "es"}],
            }
        ]
    }
    headers = {"Ocp-Apim-Subscription-Key": azure_key}
    started = httpx.post(f"{url}/translator/document/batches?api-version=2024-05-01", json=body, headers=headers)
    assert started.status_code == 202, started.text
    location = started.headers["Operation-Location"]
    try:
        assert held.waiting.acquire(timeout=60), "the holding job never reached the gate"
        yield
    finally:
        held.open.set()
        until(lambda: httpx.get(location, headers=headers).json()["status"] not in ("NotStarted", "Running"))


def until(reached: Callable[[], object], timeout: float = 60.0) -> None:
    """Return once `reached()` is truthy (asked every 0.1 s); fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not reached():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.1)


def polled_until(connector: Connector, tenant: str, job_id: str, status: ConnectorJobStatus) -> ConnectorJob:
    """The job once a poll of its vendor leaves it in `status`."""
    until(lambda: connector.poll(tenant, job_id).status is status)
    return connector.store.job(tenant, job_id)


@dataclass
class Rest:
    """The connector's REST API of a served Dragoman, as one tenant."""

    url: str
    key: str

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, status: int = 200) -> Any:
        response = httpx.request(
            method,
            f"{self.url}/connector{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=60,
        )
        assert response.status_code == status, response.text
        return response.json()

    def happy_path(self, vendor: str) -> dict[str, Any]:
        """Two entities × es, ca from en through `vendor`: sent, polled until delivered, imported.
        The job as it ends."""
        self.call(
            "PUT",
            "/entities/chair",
            {"source_language": "en", "fields": {"name": "The red house", "description": "I like dogs."}},
        )
        self.call("PUT", "/entities/table", {"source_language": "en", "fields": {"name": "The cat is black."}})
        job = self.call(
            "POST",
            "/jobs",
            {
                "name": "spring",
                "source_language": "en",
                "target_languages": ["es", "ca"],
                "vendor": vendor,
                "entity_ids": ["chair", "table"],
            },
            status=201,
        )
        assert job["status"] == "draft" and len(job["items"]) == 4
        sent = self.call("POST", f"/jobs/{job['id']}:send")
        assert sent["status"] == "sent", sent
        chair = self.call("GET", "/entities/chair")
        assert chair["in_translation"] == ["ca", "es"] and chair["translated"] == []
        until(lambda: self.call("POST", f"/jobs/{job['id']}:poll")["status"] == "ready_for_import")
        imported = self.call("POST", f"/jobs/{job['id']}:import")
        assert imported["status"] == "imported", imported
        return dict(imported)
