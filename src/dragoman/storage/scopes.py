"""Each tenant's storage: the local roots, blob hosts and S3 buckets and credentials it may use, as
`Settings.storage_scope` says. A request for anything outside the caller's scope is refused with
AccessDenied, the same refusal as a location that does not exist for anyone."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from dragoman.config import Settings, StorageScope
from dragoman.errors import ConfigError
from dragoman.storage.base import Storage
from dragoman.storage.local import LocalStorage
from dragoman.storage.routed import Deferred, RoutedStorage

__all__ = ["StorageScopes"]


class StorageScopes:
    """Tenant name -> that tenant's RoutedStorage, built once per tenant on first use."""

    def __init__(self, build: Callable[[str], RoutedStorage]) -> None:
        self._build = build
        self._built: dict[str, RoutedStorage] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> StorageScopes:
        def build(tenant: str) -> RoutedStorage:
            return storage_for_scope(
                settings.storage_scope(tenant),
                settings.max_document_bytes,
                settings.storage_call_seconds,
                state=settings.state_paths,
            )

        return cls(build)

    @classmethod
    def shared(cls, storage: RoutedStorage) -> StorageScopes:
        """Every tenant in one scope (tests and embedded use with a single tenant)."""
        return cls(lambda _tenant: storage)

    def for_tenant(self, tenant: str) -> RoutedStorage:
        with self._lock:
            storage = self._built.get(tenant)
            if storage is None:
                storage = self._built[tenant] = self._build(tenant)
            return storage

    def local(self, tenant: str) -> LocalStorage:
        """The tenant's local-folder store (the CLI plans jobs against it directly)."""
        for store in self.for_tenant(tenant).stores:
            if isinstance(store, LocalStorage):
                return store
        raise ConfigError("no local storage is configured")


def storage_for_scope(
    scope: StorageScope, max_document_bytes: int, call_seconds: float = 60.0, state: Sequence[Path] = ()
) -> RoutedStorage:
    """The stores one scope allows: local roots, blob hosts and S3 (a scope with no buckets reaches none).
    `call_seconds` bounds each call to a blob host (hosts a tenant may choose). The blob and S3 stores
    are built (their SDKs imported) on their first URL."""

    def blobs() -> Storage:
        from dragoman.storage.azure_blob import AzureBlobStorage

        return AzureBlobStorage(
            scope.azure_blob_hosts, max_document_bytes=max_document_bytes, call_seconds=call_seconds
        )

    def s3() -> Storage:
        from dragoman.storage.s3 import S3Storage

        return S3Storage(
            endpoint_url=scope.s3_endpoint_url,
            region=scope.s3_region,
            access_key_id=scope.s3_access_key_id,
            secret_access_key=scope.s3_secret_access_key,
            max_document_bytes=max_document_bytes,
            buckets=scope.s3_buckets,
        )

    return RoutedStorage(
        [
            LocalStorage(scope.roots, max_document_bytes=max_document_bytes, state=state),
            Deferred(lambda url: url[:8].lower().startswith(("http://", "https://")), blobs),
            Deferred(lambda url: urlsplit(url).scheme == "s3", s3),
        ]
    )
