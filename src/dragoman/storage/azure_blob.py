"""Azure Blob Storage addressed by container or blob URLs with SAS tokens (as Azure's own Document
Translation takes them), through the official `azure-storage-blob` client.

Only hosts listed in configuration are contacted: a service that fetches whatever URL a caller sends
would let callers reach any address the server can. Publishing is one Put Blob with
`If-None-Match: *` (the client's overwrite=False): all or nothing, and never over an existing blob.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

import requests
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
)
from azure.core.pipeline.transport import RequestsTransport
from azure.storage.blob import BlobClient, ContainerClient, ContentSettings

from dragoman.errors import AccessDenied, DocumentError, SourceMissing, TargetAccessDenied, TargetExists
from dragoman.formats.documents import format_for
from dragoman.storage.base import Storage
from dragoman.storage.deadline import call_bounded
from dragoman.storage.locations import parse_host_rules, parse_location

__all__ = ["AzureBlobStorage"]

T = TypeVar("T")


class AzureBlobStorage(Storage):
    """Blob containers and blobs under the allowed hosts (`HostRule`s, see `storage.locations`).

    Azurite and other IP-addressed endpoints put the account name first in the path
    (`http://127.0.0.1:10000/account/container/blob`); named hosts carry it in the host name."""

    def __init__(
        self,
        allowed_hosts: Iterable[str],
        *,
        max_document_bytes: int = 50 * 1024 * 1024,
        call_seconds: float = 60.0,
    ) -> None:
        """`call_seconds`: the most one call (a listing, a download, an upload) may take in all."""
        self.rules = parse_host_rules(tuple(allowed_hosts))
        self.max_document_bytes = max_document_bytes
        self.call_seconds = call_seconds

    def _call(self, url: str, what: str, call: Callable[[requests.Session], T]) -> T:
        """One remote call: bounded by `call_seconds` in all, and stopped by a cancel of its task."""
        return call_bounded(call, self.call_seconds, f"{what} {_shown(url)}")

    def handles(self, url: str) -> bool:
        return url[:8].lower().startswith(("http://", "https://"))

    # --- URLs ---------------------------------------------------------------------------------

    def _split(self, url: str) -> tuple[str, str, str]:
        """(container URL without query, blob path inside the container, SAS query), all rebuilt from
        the one parse of `url`. Raises AccessDenied for a host outside the allowed ones."""
        location = parse_location(url)
        if not any(rule.allows(location) for rule in self.rules):
            allowed = ", ".join(map(str, self.rules)) or "none"
            raise AccessDenied(
                f"{location.origin} is not an allowed blob storage host (allowed: {allowed}; "
                "see the azure_blob_hosts setting)"
            )
        segments = location.path.lstrip("/").split("/")
        account_parts = 1 if location.is_ip or location.host == "localhost" else 0
        if len(segments) <= account_parts or not segments[account_parts]:
            raise AccessDenied(f"{location.url(with_query=False)} names no blob container")
        container_path = "/".join(segments[: account_parts + 1])
        blob = "/".join(segments[account_parts + 1 :])
        return location.origin + quote("/" + container_path), blob, location.query

    def canonical(self, url: str) -> str:
        container, blob, query = self._split(url)
        return self._join(container, blob, query)

    def _blob_url(self, url: str) -> str:
        """The one spelling of a URL that must name a blob (not a container or a folder in one)."""
        container, blob, query = self._split(url)
        if not blob or blob.endswith("/"):
            raise AccessDenied(f"{_shown(url)} names a container or folder, not a blob (storageType File needs a blob)")
        return self._join(container, blob, query)

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
        listed = container + (f"?{query}" if query else "")

        def call(session: requests.Session) -> list[str]:
            with _mapped(url, source=True), _container(listed, session) as client:
                return [blob.name for blob in client.list_blobs(name_starts_with=prefix or None)]

        names = self._call(url, "listing", call)
        return sorted((self._join(container, name, query), name[len(prefix) :]) for name in names)

    def list_documents(self, url: str) -> list[str]:
        return [document for document, _ in self.list_named(url)]

    def read(self, url: str) -> bytes:
        url = self._blob_url(url)

        def call(session: requests.Session) -> bytes:
            with _mapped(url, source=True), _blob(url, session) as blob:
                size = blob.get_blob_properties().size
                if size > self.max_document_bytes:
                    raise DocumentError(f"{_shown(url)} is larger than the {self.max_document_bytes} byte limit")
                data: bytes = blob.download_blob().readall()
                return data

        return self._call(url, "reading", call)

    def digest(self, url: str) -> str | None:
        url = self._blob_url(url)

        def call(session: requests.Session) -> str | None:
            sha = hashlib.sha256()
            with _mapped(url, source=True), _blob(url, session) as blob:
                try:
                    for chunk in blob.download_blob().chunks():
                        sha.update(chunk)
                except ResourceNotFoundError:
                    return None
            return sha.hexdigest()

        return self._call(url, "reading back", call)

    def check_source(self, url: str) -> None:
        url = self._blob_url(url)

        def call(session: requests.Session) -> None:
            with _mapped(url, source=True), _blob(url, session) as blob:
                blob.get_blob_properties()

        self._call(url, "checking", call)

    def check_target(self, url: str) -> None:
        try:
            url = self._blob_url(url)
        except AccessDenied as exc:
            raise TargetAccessDenied(exc.message) from None

        def call(session: requests.Session) -> None:
            with _mapped(url, source=False), _blob(url, session) as blob:
                if blob.exists():
                    raise TargetExists(f"{_shown(url)} already exists; Dragoman never overwrites a document")

        self._call(url, "checking", call)

    def publish(self, url: str, data: bytes) -> None:
        try:
            url = self._blob_url(url)
        except AccessDenied as exc:
            raise TargetAccessDenied(exc.message) from None
        content_type = format_for(urlsplit(url).path).content_types[0]

        def call(session: requests.Session) -> None:
            with _mapped(url, source=False), _blob(url, session) as blob:
                try:
                    blob.upload_blob(data, overwrite=False, content_settings=ContentSettings(content_type=content_type))
                except ResourceExistsError:
                    raise TargetExists(f"{_shown(url)} already exists; Dragoman never overwrites a document") from None

        self._call(url, "writing", call)

    def discard_partials(self, url: str) -> None:
        """Nothing to do: an interrupted upload leaves only uncommitted blocks, which Azure discards."""


# Remote calls are short and never follow a redirect (a redirect could point anywhere): each wait is
# bounded (3 s to connect, 15 s for each read) and the whole call by `call_seconds` (storage.deadline).
_CONNECT_SECONDS, _READ_SECONDS = 3, 15
_CLIENT_OPTIONS: dict[str, Any] = {
    "permit_redirects": False,
    "retry_total": 1,
    "initial_backoff": 1,
    "increment_base": 1,
}


def _transport(session: requests.Session) -> RequestsTransport:
    return RequestsTransport(
        session=session, session_owner=False, connection_timeout=_CONNECT_SECONDS, read_timeout=_READ_SECONDS
    )


def _blob(url: str, session: requests.Session) -> BlobClient:
    return BlobClient.from_blob_url(url, transport=_transport(session), **_CLIENT_OPTIONS)


def _container(url: str, session: requests.Session) -> ContainerClient:
    return ContainerClient.from_container_url(url, transport=_transport(session), **_CLIENT_OPTIONS)


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
