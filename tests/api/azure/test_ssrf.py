"""Blob URLs cannot make `dragoman serve` reach hosts it should not, and one tenant pointing at a host
that never answers cannot starve another's cancel. Attacks of the 2026 hardening review, replayed
against a real server, with real local HTTP servers standing for the internal hosts."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from azure.ai.translation.document import DocumentTranslationClient
from azure.core.credentials import AzureKeyCredential

from dragoman.storage.local import path_to_url
from tests.conftest import wait_for, write_documents
from tests.processes import environment, serving

pytestmark = pytest.mark.slow

ATTACKER, VICTIM = "attacker-key", "victim-key"
BATCHES = "/translator/document/batches?api-version=2024-05-01"


@dataclass
class Recorder:
    """An HTTP server on 127.0.0.1 that records every request: an internal page nobody should reach."""

    server: ThreadingHTTPServer
    requests: list[str] = field(default_factory=list)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])


def recorder(answer: int = 200, location: str | None = None) -> Recorder:
    record = Recorder.__new__(Recorder)
    record.requests = []

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            record.requests.append(f"{self.command} {self.path}")
            self.send_response(answer)
            if location:
                self.send_header("Location", location)
            body = b"<html>internal secret page</html>"
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_PUT = do_HEAD = do_POST = do_DELETE = _any

        def log_message(self, *args: object) -> None:
            pass

    record.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=record.server.serve_forever, daemon=True).start()
    return record


class Silent:
    """A host that accepts connections and never answers a byte (a port scan's slow target)."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = int(self.listener.getsockname()[1])
        self.connections: list[socket.socket] = []
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(connection)

    def close(self) -> None:
        self._stop = True
        self.listener.close()
        for connection in self.connections:
            connection.close()


@dataclass
class World:
    endpoint: str
    internal: Recorder
    redirector: Recorder
    silent: Silent
    victim_docs: Path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("ssrf")
    internal = recorder()
    redirector = recorder(302, f"http://127.0.0.1:{internal.port}/devstoreaccount1/c?restype=container")
    silent = Silent()
    victim_docs = root / "victim"
    victim_docs.mkdir()
    tenants = {
        "attacker": {
            "azure_keys": [ATTACKER],
            # allowed: Azure, and two local hosts standing for storage accounts (one redirects, one hangs)
            "azure_blob_hosts": ["*.blob.core.windows.net", f"127.0.0.1:{redirector.port}", f"127.0.0.1:{silent.port}"],
        },
        "victim": {"azure_keys": [VICTIM], "roots": [str(victim_docs)]},
    }
    env = environment(root / "data", [root], workers=2, DRAGOMAN_TENANTS=json.dumps(tenants))
    try:
        with serving(env, root / "server.log") as url:
            yield World(url, internal, redirector, silent, victim_docs)
    finally:
        silent.close()
        internal.server.shutdown()
        redirector.server.shutdown()


def start(endpoint: str, key: str, source: str, target: str, storage_type: str = "Folder") -> httpx.Response:
    body = {
        "inputs": [
            {
                "source": {"sourceUrl": source, "language": "en"},
                "targets": [{"targetUrl": target, "language": "es"}],
                "storageType": storage_type,
            }
        ]
    }
    return httpx.post(endpoint + BATCHES, json=body, headers={"Ocp-Apim-Subscription-Key": key}, timeout=120)


def job_error(endpoint: str, key: str, response: httpx.Response) -> str:
    """The inner error code of a start that was refused, at once (400) or as a failed validation."""
    if response.status_code != 202:
        return str(response.json()["error"]["innerError"]["code"])
    status = httpx.get(response.headers["Operation-Location"], headers={"Ocp-Apim-Subscription-Key": key}).json()
    assert status["status"] == "ValidationFailed", status
    return str(status["error"]["innerError"]["code"])


@pytest.mark.parametrize(
    ("source", "target"),
    [
        # a backslash before '@': the allow-list saw an Azure host, the HTTP stack connected to 127.0.0.1
        (
            "http://127.0.0.1:{internal}\\@acct.blob.core.windows.net/c?sig=x",
            "https://acct.blob.core.windows.net/t?sig=x",
        ),
        (
            "https://acct.blob.core.windows.net/c?sig=x",
            "http://127.0.0.1:{internal}\\@acct.blob.core.windows.net/t?sig=x",
        ),
        # userinfo, an unlisted IP literal (a port scan), and encodings of the same host
        ("http://acct.blob.core.windows.net@127.0.0.1:{internal}/c?sig=x", "https://acct.blob.core.windows.net/t"),
        ("http://127.0.0.1:{internal}/devstoreaccount1/c?sig=x", "https://acct.blob.core.windows.net/t"),
        ("http://127.1:{internal}/devstoreaccount1/c?sig=x", "https://acct.blob.core.windows.net/t"),
        ("http://2130706433:{internal}/devstoreaccount1/c?sig=x", "https://acct.blob.core.windows.net/t"),
        ("http://[::ffff:127.0.0.1]:{internal}/devstoreaccount1/c", "https://acct.blob.core.windows.net/t"),
        # an allowed host that redirects to an internal one
        ("http://127.0.0.1:{redirector}/devstoreaccount1/c?sig=x", "https://acct.blob.core.windows.net/t"),
    ],
)
def test_blob_urls_never_reach_an_internal_host(world: World, source: str, target: str) -> None:
    ports = {"internal": world.internal.port, "redirector": world.redirector.port}
    response = start(world.endpoint, ATTACKER, source.format(**ports), target.format(**ports))
    assert response.status_code < 500
    assert job_error(world.endpoint, ATTACKER, response) in (
        "InvalidDocumentAccessLevel",
        "InvalidTargetDocumentAccessLevel",
    )
    assert world.internal.requests == []  # the internal page was never read, nothing was PUT there


def test_a_redirect_is_not_followed(world: World) -> None:
    before = len(world.redirector.requests)
    response = start(
        world.endpoint,
        ATTACKER,
        f"http://127.0.0.1:{world.redirector.port}/devstoreaccount1/c?sig=x",
        "https://acct.blob.core.windows.net/t?sig=x",
    )
    assert job_error(world.endpoint, ATTACKER, response) == "InvalidDocumentAccessLevel"
    assert len(world.redirector.requests) > before  # the allowed host was asked ...
    assert world.internal.requests == []  # ... and where it pointed was not


def test_a_host_that_never_answers_cannot_starve_another_tenants_cancel(world: World) -> None:
    # Given the victim's job, queued behind nothing but running slowly enough to be cancelled
    write_documents(world.victim_docs / "in", count=3)
    victim = DocumentTranslationClient(world.endpoint, AzureKeyCredential(VICTIM))
    # When the attacker sends many batches whose source is a host that accepts and never answers
    silent_source = f"http://127.0.0.1:{world.silent.port}/devstoreaccount1/c?sig=x"
    with ThreadPoolExecutor(max_workers=24) as pool:
        attacks = [
            pool.submit(start, world.endpoint, ATTACKER, silent_source, "https://acct.blob.core.windows.net/t")
            for _ in range(24)
        ]
        wait_for(lambda: len(world.silent.connections) >= 4, timeout=30)  # requests are hanging on the host
        # past its bound the attacker is refused at once instead of taking a thread each
        wait_for(lambda: sum(attack.done() for attack in attacks) >= 24 - 4, timeout=30)
        refused = [attack.result() for attack in attacks if attack.done()]
        # Then the victim can still start and cancel a job while the attacker's requests hang
        poller = victim.begin_translation(
            path_to_url(world.victim_docs / "in"), path_to_url(world.victim_docs / "out"), "es", source_language="en"
        )
        victim.cancel_translation(poller.id)
        status = victim.get_translation_status(poller.id)
        assert status.status in ("Canceling", "Cancelled", "Succeeded")
        assert not all(attack.done() for attack in attacks)  # served while the attacker's requests were held
        for response in refused:  # refusals in Azure's shape
            assert response.status_code == 429
            assert response.json()["error"]["code"] == "RequestRateTooHigh"
        world.silent.close()  # the held requests now fail fast
        for attack in attacks:
            assert attack.result().status_code < 500
    victim.close()
