"""One real `dragoman serve` per test worker, with two tenants, reached through the official SDK; and,
for the blob storage tests, Azurite with a server of its own (`blobs`, one per module)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from azure.ai.translation.document import DocumentTranslationClient
from azure.core.credentials import AzureKeyCredential
from azure.storage.blob import BlobServiceClient

from dragoman.storage.local import path_to_url
from tests.api.azure.azurite import BlobWorld, connection_string, running_azurite
from tests.conftest import ENGLISH_PARAGRAPHS, write_documents
from tests.processes import environment, serving

ACME_KEY = "acme-secret-key"
GLOBEX_KEY = "globex-secret-key"
LISTING_KEY = "listing-tenant-key"  # a tenant whose jobs only the listing test starts
STABLE_KEY = "stable-tenant-key"
BLOB_KEY = "blob-tenant-key"  # the tenant of the `blobs` server


@dataclass
class AzureServer:
    endpoint: str
    root: Path
    clients: list[DocumentTranslationClient] = field(default_factory=list)

    def client(self, key: str = ACME_KEY) -> DocumentTranslationClient:
        """A client closed when the test ends (the SDK's HTTP session would otherwise leak a socket)."""
        client = DocumentTranslationClient(self.endpoint, AzureKeyCredential(key))
        self.clients.append(client)
        return client

    def close_clients(self) -> None:
        while self.clients:
            self.clients.pop().close()

    def folder(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def url(self, path: Path) -> str:
        return path_to_url(path)


@pytest.fixture(scope="session")
def azure_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AzureServer]:
    root = tmp_path_factory.mktemp("azure")
    # One storage scope for all four (several tenants share none unless the configuration says so).
    tenants = {
        name: {"azure_keys": [key], "roots": [str(root / "docs")]}
        for name, key in (("acme", ACME_KEY), ("globex", GLOBEX_KEY), ("listing", LISTING_KEY), ("stable", STABLE_KEY))
    }
    env = environment(root / "data", [root / "docs"], workers=2, DRAGOMAN_TENANTS=json.dumps(tenants))
    (root / "docs").mkdir()
    with serving(env, root / "server.log") as url:
        yield AzureServer(url, root / "docs")


@pytest.fixture(scope="module")
def blobs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BlobWorld]:
    """Azurite, and a `dragoman serve` whose one tenant (key BLOB_KEY) may use it."""
    root = tmp_path_factory.mktemp("blobs")
    with running_azurite(root / "azurite") as blob_endpoint:
        env = environment(
            root / "data",
            [root],
            DRAGOMAN_TENANTS=json.dumps({"blob": {"azure_keys": [BLOB_KEY]}}),
            DRAGOMAN_AZURE_BLOB_HOSTS=json.dumps([blob_endpoint.split("/")[2]]),
        )
        with (
            serving(env, root / "server.log") as url,
            BlobServiceClient.from_connection_string(connection_string(blob_endpoint)) as service,
        ):
            yield BlobWorld(url, blob_endpoint, service)


@pytest.fixture(autouse=True)
def _close_clients(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "azure_server" in request.fixturenames:
        request.getfixturevalue("azure_server").close_clients()


def documents(server: AzureServer, name: str, count: int = 2) -> Path:
    """A fresh source folder holding `count` each of .txt, .html and .docx."""
    folder = server.folder(name)
    write_documents(folder, count=count)
    return folder


def big_documents(server: AzureServer, name: str, count: int = 40) -> Path:
    folder = server.folder(name)
    for number in range(count):
        text = "\n\n".join(" ".join(ENGLISH_PARAGRAPHS) * 3 for _ in range(12))
        (folder / f"doc{number:02}.txt").write_text(text + f"\n\nDocument {number}.\n")
    return folder
