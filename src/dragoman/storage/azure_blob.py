"""Azure Blob Storage addressed by container or blob URLs with SAS tokens (as Azure's own Document
Translation takes them), through the official `azure-storage-blob` client.

Only hosts listed in configuration are contacted: a service that fetches whatever URL a caller sends
would let callers reach any address the server can. Publishing is one Put Blob with
`If-None-Match: *` (the client's overwrite=False): all or nothing, and never over an existing blob.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
)
from azure.storage.blob import BlobClient, ContainerClient, ContentSettings

from dragoman.errors import AccessDenied, DocumentError, SourceMissing, TargetAccessDenied, TargetExists
from dragoman.formats.documents import format_for
from dragoman.storage.base import Storage

__all__ = ["AzureBlobStorage"]

_IP_STYLE_HOSTS = ("127.0.0.1", "localhost", "[::1]")  # Azurite: the account name is the path's first part


class AzureBlobStorage(Storage):
    def __init__(self, allowed_hosts: Iterable[str], *, max_document_bytes: int = 50 * 1024 * 1024) -> None:
        self.allowed_hosts = tuple(host.lower() for host in allowed_hosts)
        self.max_document_bytes = max_document_bytes

    def handles(self, url: str) -> bool:
        return urlsplit(url).scheme in ("http", "https")

    # --- URLs ---------------------------------------------------------------------------------

    def _split(self, url: str) -> tuple[str, str, str]:
        """(container URL without query, blob path inside the container, SAS query)."""
        parts = urlsplit(url)
        host = parts.netloc.lower()
        if not any(fnmatch.fnmatchcase(host, pattern) for pattern in self.allowed_hosts):
            allowed = ", ".join(self.allowed_hosts) or "none"
            raise AccessDenied(
                f"{parts.scheme}://{parts.netloc} is not an allowed blob storage host (allowed: {allowed}; "
                "see the azure_blob_hosts setting)"
            )
        segments = parts.path.lstrip("/").split("/")
        account_parts = 1 if host.split(":")[0] in _IP_STYLE_HOSTS or host.split(":")[0][0].isdigit() else 0
        if len(segments) <= account_parts or not segments[account_parts]:
            raise AccessDenied(f"{parts.scheme}://{parts.netloc}{parts.path} names no blob container")
        container_path = "/".join(segments[: account_parts + 1])
        blob = unquote("/".join(segments[account_parts + 1 :]))
        container = urlunsplit((parts.scheme, parts.netloc, "/" + container_path, "", ""))
        return container, blob, parts.query

    @staticmethod
    def _join(container: str, blob: str, query: str) -> str:
        return f"{container}/{quote(blob)}" + (f"?{query}" if query else "")

    def child(self, folder_url: str, name: str) -> str:
        container, folder, query = self._split(folder_url)
        if name.startswith("/") or ".." in name.split("/"):
            raise AccessDenied(f"{name!r} is not a relative document name")
        prefix = folder.rstrip("/") + "/" if folder else ""
        return self._join(container, prefix + name, query)

    # --- operations ---------------------------------------------------------------------------

    def list_named(self, url: str) -> list[tuple[str, str]]:
        container, folder, query = self._split(url)
        prefix = folder.rstrip("/") + "/" if folder else ""
        client = _container(container + (f"?{query}" if query else ""))
        with _mapped(url, source=True), client:
            names = [blob.name for blob in client.list_blobs(name_starts_with=prefix or None)]
        return sorted((self._join(container, name, query), name[len(prefix) :]) for name in names)

    def list_documents(self, url: str) -> list[str]:
        return [document for document, _ in self.list_named(url)]

    def read(self, url: str) -> bytes:
        self._split(url)
        with _mapped(url, source=True), _blob(url) as blob:
            size = blob.get_blob_properties().size
            if size > self.max_document_bytes:
                raise DocumentError(f"{_shown(url)} is larger than the {self.max_document_bytes} byte limit")
            data: bytes = blob.download_blob().readall()
            return data

    def check_source(self, url: str) -> None:
        self._split(url)
        with _mapped(url, source=True), _blob(url) as blob:
            blob.get_blob_properties()

    def check_target(self, url: str) -> None:
        try:
            self._split(url)
        except AccessDenied as exc:
            raise TargetAccessDenied(exc.message) from None
        with _mapped(url, source=False), _blob(url) as blob:
            if blob.exists():
                raise TargetExists(f"{_shown(url)} already exists; Dragoman never overwrites a document")

    def publish(self, url: str, data: bytes) -> None:
        self._split(url)
        content_type = format_for(urlsplit(url).path).content_types[0]
        with _mapped(url, source=False), _blob(url) as blob:
            try:
                blob.upload_blob(data, overwrite=False, content_settings=ContentSettings(content_type=content_type))
            except ResourceExistsError:
                raise TargetExists(f"{_shown(url)} already exists; Dragoman never overwrites a document") from None

    def discard_partials(self, url: str) -> None:
        """Nothing to do: an interrupted upload leaves only uncommitted blocks, which Azure discards."""


def _blob(url: str) -> BlobClient:
    return BlobClient.from_blob_url(url, connection_timeout=10, read_timeout=60)


def _container(url: str) -> ContainerClient:
    return ContainerClient.from_container_url(url, connection_timeout=10, read_timeout=60)


def _shown(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


@contextmanager
def _mapped(url: str, *, source: bool) -> Iterator[None]:
    """Azure's errors as ours; messages never include the SAS token."""
    denied = AccessDenied if source else TargetAccessDenied
    try:
        yield
    except ResourceNotFoundError:
        if source:
            raise SourceMissing(f"{_shown(url)} does not exist") from None
        raise TargetAccessDenied(f"the target container of {_shown(url)} does not exist") from None
    except ClientAuthenticationError:
        raise denied(f"{_shown(url)} cannot be accessed with the credentials given (check the SAS token)") from None
    except HttpResponseError as exc:
        if exc.status_code in (401, 403):
            raise denied(f"{_shown(url)} cannot be accessed with the credentials given (check the SAS token)") from None
        raise denied(f"{_shown(url)} cannot be accessed: HTTP {exc.status_code}") from None
    except AzureError as exc:
        raise denied(f"{_shown(url)} cannot be reached: {type(exc).__name__}") from None
