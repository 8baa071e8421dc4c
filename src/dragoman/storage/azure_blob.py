"""Azure Blob Storage addressed by container or blob URLs with SAS tokens (as Azure's own Document
Translation takes them), through the official `azure-storage-blob` client.

Only hosts listed in configuration are contacted: a service that fetches whatever URL a caller sends
would let callers reach any address the server can. Publishing is one Put Blob with
`If-None-Match: *` (the client's overwrite=False): all or nothing, and never over an existing blob.

The permissions Azure's documents ask of a SAS are enough: read and list (`sp=rl`) for a source,
write and list (`sp=wl`) for a target. Nothing is decided from the SAS text (a stored access policy,
say, leaves `sp` out): the storage server is asked, and its 403 is the answer. A target is never
read back with `wl`: its existence is looked up by listing, and the SHA-256 of what Dragoman
published is kept in the blob's own metadata (`dragoman_sha256`, committed with the bytes).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

import requests
from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.core.pipeline.transport import RequestsTransport
from azure.storage.blob import BlobClient, BlobProperties, ContainerClient, ContentSettings

from dragoman.errors import AccessDenied, DocumentError, SourceMissing, TargetAccessDenied, TargetExists
from dragoman.storage.base import Storage, media_type
from dragoman.storage.deadline import call_bounded
from dragoman.storage.failures import unreachable
from dragoman.storage.locations import parse_host_rules, parse_location

__all__ = ["AzureBlobStorage"]

T = TypeVar("T")

DIGEST_METADATA = "dragoman_sha256"  # the SHA-256 (hex) of a published blob's bytes, in its metadata
_NO_BLOB_ETAG = '"dragoman-write-check"'  # an ETag no blob has (Azure's are "0x8D...")
_TARGET_PERMISSIONS = "a target SAS needs write and list permissions (sp=wl)"


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
            raise AccessDenied(
                f"{location.origin} is not an allowed blob storage host (see the azure_blob_hosts setting)"
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
        """SHA-256 (hex) of the blob's bytes, or None when there is no such blob.

        The bytes are read back when the SAS allows reading. A target's SAS need not (Azure asks
        `sp=wl` of it): when the server refuses the read (403), the digest is the one `publish` put in
        the blob's metadata, committed with the bytes, found by listing the blob by name.
        Raises TargetAccessDenied when the blob may be neither read nor listed, or cannot be read and
        carries no recorded digest (Dragoman did not publish it; what it holds cannot be told)."""
        url = self._target_url(url)

        def call(session: requests.Session) -> str | None:
            with _mapped(url, source=False):
                try:
                    return _hashed(url, session)
                except ResourceNotFoundError:
                    return None
                except HttpResponseError as exc:
                    if exc.status_code != 403:
                        raise
                try:
                    listed = self._listed(url, session, metadata=True)
                except HttpResponseError as exc:
                    if exc.status_code != 403:
                        raise
                    raise TargetAccessDenied(
                        f"{_shown(url)} can be neither read nor listed with the SAS given; {_TARGET_PERMISSIONS}"
                    ) from None
                if listed is None:
                    return None
                recorded = (listed.metadata or {}).get(DIGEST_METADATA)
                if recorded is None:
                    raise TargetAccessDenied(
                        f"{_shown(url)} cannot be read with the SAS given and carries no digest recorded by "
                        "Dragoman, so what it holds cannot be told"
                    )
                return str(recorded)

        return self._call(url, "reading back", call)

    def check_source(self, url: str) -> None:
        url = self._blob_url(url)

        def call(session: requests.Session) -> None:
            with _mapped(url, source=True), _blob(url, session) as blob:
                blob.get_blob_properties()

        self._call(url, "checking", call)

    def check_target(self, url: str) -> None:
        """Refuse a target Dragoman may not write, or could not tell is free, or one already there.

        The server is asked, without writing anything: a Put Blob conditional on an ETag no blob has
        is refused with 403 without write permission and fails its condition (412) with it. The blob
        is then looked for by listing its exact name (`l`) or, if listing is refused, by reading its
        properties (`r`). Raises TargetAccessDenied (no write permission, neither list nor read, no
        such container), TargetExists."""
        url = self._target_url(url)

        def call(session: requests.Session) -> None:
            with _mapped(url, source=False):
                _check_writable(url, session)
                if self._exists(url, session):
                    raise TargetExists(f"{_shown(url)} already exists; Dragoman never overwrites a document")

        self._call(url, "checking", call)

    def publish(self, url: str, data: bytes, content_type: str | None = None) -> None:
        """`data` written with `If-None-Match: *` and its SHA-256 in the metadata committed with it
        (`digest` reads it back when the SAS may not read). Raises TargetExists, TargetAccessDenied."""
        url = self._target_url(url)
        content_type = media_type(urlsplit(url).path, content_type)
        metadata = {DIGEST_METADATA: hashlib.sha256(data).hexdigest()}

        def call(session: requests.Session) -> None:
            with _mapped(url, source=False), _blob(url, session) as blob:
                try:
                    blob.upload_blob(
                        data,
                        overwrite=False,
                        metadata=metadata,
                        content_settings=ContentSettings(content_type=content_type),
                    )
                except ResourceExistsError:
                    raise TargetExists(f"{_shown(url)} already exists; Dragoman never overwrites a document") from None

        self._call(url, "writing", call)

    def _target_url(self, url: str) -> str:
        try:
            return self._blob_url(url)
        except AccessDenied as exc:
            raise TargetAccessDenied(exc.message) from None

    def _listed(self, url: str, session: requests.Session, *, metadata: bool = False) -> BlobProperties | None:
        """The blob `url` names as a listing of its container shows it, or None if it has none (the
        SAS needs `l`). Its exact name is the prefix, then matched exactly: `a.txt` is not `a.txt.bak`.
        Raises the client's HttpResponseError."""
        container, name, query = self._split(url)
        listed = container + (f"?{query}" if query else "")
        with _container(listed, session) as client:
            found = client.list_blobs(name_starts_with=name, include=["metadata"] if metadata else None)
            return next((blob for blob in found if blob.name == name), None)

    def _exists(self, url: str, session: requests.Session) -> bool:
        """Whether a blob is at `url`: by listing (`l`), else by its properties (`r`). Raises
        TargetAccessDenied when the SAS allows neither."""
        try:
            return self._listed(url, session) is not None
        except HttpResponseError as exc:
            if exc.status_code != 403:
                raise
        with _blob(url, session) as blob:
            try:
                blob.get_blob_properties()
                return True
            except ResourceNotFoundError:
                return False
            except HttpResponseError as exc:
                if exc.status_code != 403:
                    raise
                raise TargetAccessDenied(
                    f"{_shown(url)} can be neither listed nor read with the SAS given, so whether it already "
                    f"exists cannot be told; {_TARGET_PERMISSIONS}"
                ) from None

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


def _hashed(url: str, session: requests.Session) -> str:
    """SHA-256 (hex) of the blob's bytes, read in pieces. Raises the client's errors."""
    sha = hashlib.sha256()
    with _blob(url, session) as blob:
        for chunk in blob.download_blob().chunks():
            sha.update(chunk)
    return sha.hexdigest()


def _check_writable(url: str, session: requests.Session) -> None:
    """Ask the server whether the SAS may write `url`, writing nothing: a Put Blob of no bytes with
    `If-Match` on an ETag no blob has. Authorization comes before conditions, so 403 means no write
    permission and 412 (its condition failed) means write is allowed. Raises TargetAccessDenied, or
    the client's errors (no such container: 404)."""
    with _blob(url, session) as blob:
        try:
            blob.upload_blob(b"", overwrite=True, etag=_NO_BLOB_ETAG, match_condition=MatchConditions.IfNotModified)
        except ResourceModifiedError:
            return  # 412: allowed to write, and nothing was written
        except HttpResponseError as exc:
            if exc.status_code != 403:
                raise
            raise TargetAccessDenied(
                f"{_shown(url)} cannot be written with the SAS given; {_TARGET_PERMISSIONS}"
            ) from None
    # The server wrote although the condition could not hold: it would not honour If-None-Match either
    raise TargetAccessDenied(f"{_shown(url)}: the storage server ignores write conditions, so it could overwrite")


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
        raise denied(f"{_shown(url)} cannot be used: {unreachable(exc)}") from None
