"""A blob host that answers a byte every so often cannot hold a worker for long, nor keep a cancel
from ending its job. Reproduction from the 2026 hardening review: an allowed host answering HEAD at
once and sending the GET body one byte every 4 s made a 39-byte blob take 156 s (each read is under
the read timeout), held both workers, and its job's cancel stayed `Cancelling`."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from dragoman.storage.local import path_to_url
from tests.conftest import wait_for
from tests.processes import environment, serving

pytestmark = pytest.mark.slow

KEY = "slow-storage-key"
BODY = b"The cat is black.\n" * 3
CALL_SECONDS = 4


@dataclass
class Trickle:
    """A blob 'account' that answers metadata at once and sends blob contents a byte a second."""

    server: ThreadingHTTPServer
    downloads: list[float] = field(default_factory=list)  # when each GET started
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])


def trickle() -> Trickle:
    state = Trickle.__new__(Trickle)
    state.downloads, state.stop = [], threading.Event()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _headers(self, status: int) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(BODY)))
            self.send_header("Content-Type", "text/plain")
            self.send_header("x-ms-blob-type", "BlockBlob")
            self.send_header("ETag", '"0x1"')
            self.send_header("Last-Modified", "Mon, 30 Nov 2026 00:00:00 GMT")
            if status == 206:
                self.send_header("Content-Range", f"bytes 0-{len(BODY) - 1}/{len(BODY)}")
            self.end_headers()

        def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
            self._headers(200)

        def do_GET(self) -> None:  # noqa: N802
            state.downloads.append(time.monotonic())
            self._headers(206)
            for byte in BODY:
                if state.stop.wait(1.0):
                    return
                try:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                except OSError:
                    return

        def log_message(self, *args: object) -> None:
            pass

    state.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.server.daemon_threads = True
    threading.Thread(target=state.server.serve_forever, daemon=True).start()
    return state


@dataclass
class World:
    endpoint: str
    host: Trickle
    docs: Path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("slow")
    host = trickle()
    (root / "docs").mkdir()
    tenants = {"slow": {"azure_keys": [KEY], "azure_blob_hosts": [f"127.0.0.1:{host.port}"]}}
    env = environment(
        root / "data",
        [root / "docs"],
        workers=2,
        DRAGOMAN_TENANTS=json.dumps(tenants),
        DRAGOMAN_STORAGE_CALL_SECONDS=str(CALL_SECONDS),
    )
    try:
        with serving(env, root / "server.log") as url:
            yield World(url, host, root / "docs")
    finally:
        host.stop.set()
        host.server.shutdown()


def start(world: World, name: str) -> str:
    source = f"http://127.0.0.1:{world.host.port}/devstoreaccount1/c/{name}.txt?sig=x"
    body = {
        "inputs": [
            {
                "storageType": "File",
                "source": {"sourceUrl": source, "language": "en"},
                "targets": [{"targetUrl": path_to_url(world.docs / f"{name}.es.txt"), "language": "es"}],
            }
        ]
    }
    response = httpx.post(
        world.endpoint + "/translator/document/batches?api-version=2024-05-01",
        json=body,
        headers={"Ocp-Apim-Subscription-Key": KEY},
        timeout=60,
    )
    assert response.status_code == 202, response.text
    return response.headers["Operation-Location"]


def status(location: str) -> dict[str, object]:
    body: dict[str, object] = httpx.get(location, headers={"Ocp-Apim-Subscription-Key": KEY}).json()
    return body


def test_a_download_that_trickles_fails_its_document_at_the_call_deadline(world: World) -> None:
    location = start(world, "trickled")
    wait_for(lambda: status(location)["status"] not in ("NotStarted", "Running"), timeout=60)
    documents = httpx.get(location.replace("?", "/documents?"), headers={"Ocp-Apim-Subscription-Key": KEY}).json()
    [document] = documents["value"]
    assert document["status"] == "Failed"
    assert f"did not finish within {CALL_SECONDS} s" in document["error"]["message"]
    # the document took its deadline, not the 54 s the host would have taken
    assert not (world.docs / "trickled.es.txt").exists()


def test_a_cancel_stops_a_trickling_download_at_once(world: World) -> None:
    before = len(world.host.downloads)
    location = start(world, "cancelled")
    wait_for(lambda: len(world.host.downloads) > before, timeout=30)  # the download is under way
    response = httpx.delete(location, headers={"Ocp-Apim-Subscription-Key": KEY})
    assert response.status_code == 200
    # the job ends cancelled, well before the call's deadline would have failed the document
    wait_for(lambda: status(location)["status"] == "Cancelled", timeout=CALL_SECONDS - 1)
    summary = status(location)["summary"]
    assert isinstance(summary, dict) and summary["cancelled"] == 1 and summary["failed"] == 0
