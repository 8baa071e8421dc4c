"""Azurite (the official Azure Blob Storage emulator) for end-to-end tests: started on a free port,
with containers made on demand and SAS URLs carrying exactly the permissions a test asks for."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from azure.storage.blob import BlobServiceClient, ContainerSasPermissions, generate_container_sas

from tests.processes import free_port

AZURITE = Path(__file__).parents[3] / ".tools" / "node_modules" / ".bin" / "azurite-blob"
ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@dataclass
class BlobWorld:
    endpoint: str  # Dragoman
    blob_endpoint: str  # Azurite: http://127.0.0.1:PORT/devstoreaccount1
    service: BlobServiceClient

    @property
    def host(self) -> str:
        """Azurite's `host:port`, as the azure_blob_hosts setting lists it."""
        return self.blob_endpoint.split("/")[2]

    def container(self, name: str, permission: str) -> str:
        """A new container and a SAS URL to it with the given permissions."""
        self.service.create_container(name)
        return self.sas(name, permission)

    def sas(self, name: str, permission: str, blob: str = "") -> str:
        """A URL to the container `name` (or to `blob` in it) with a container SAS granting exactly
        `permission` (letters of `racwdl...`; the SDK writes `sp` in the service's order)."""
        token = generate_container_sas(
            ACCOUNT,
            name,
            account_key=ACCOUNT_KEY,
            permission=ContainerSasPermissions.from_string(permission),
            expiry=datetime.now(UTC) + timedelta(hours=1),
        )
        return f"{self.blob_endpoint}/{name}{'/' + blob if blob else ''}?{token}"

    def upload(self, container: str, folder: Path) -> None:
        client = self.service.get_container_client(container)
        for path in sorted(folder.iterdir()):
            client.upload_blob(f"docs/{path.name}", path.read_bytes())

    def download(self, container: str, name: str) -> bytes:
        data: bytes = self.service.get_container_client(container).download_blob(name).readall()
        return data

    def names(self, container: str) -> list[str]:
        return sorted(self.service.get_container_client(container).list_blob_names())


def wait_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("Azurite exited early")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError("Azurite did not start")


@contextmanager
def running_azurite(root: Path) -> Iterator[str]:
    """Azurite keeping its blobs under `root`; yields its blob endpoint (with the account name)."""
    assert AZURITE.exists(), "Azurite is missing: run `make setup` (it installs it with npm into .tools/)"
    blob_port = free_port()
    azurite = subprocess.Popen(
        [str(AZURITE), "--blobHost", "127.0.0.1", "--blobPort", str(blob_port), "--location", str(root),
         "--skipApiVersionCheck", "--silent"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_port(blob_port, azurite)
        yield f"http://127.0.0.1:{blob_port}/{ACCOUNT}"
    finally:
        azurite.send_signal(signal.SIGINT)  # Azurite shuts down on Ctrl-C; SIGTERM can leave it waiting
        try:
            azurite.wait(10)
        except subprocess.TimeoutExpired:
            azurite.kill()
            azurite.wait()
        shutil.rmtree(root, ignore_errors=True)


def connection_string(blob_endpoint: str) -> str:
    return ";".join([f"AccountName={ACCOUNT}", f"AccountKey={ACCOUNT_KEY}", f"BlobEndpoint={blob_endpoint}"])
