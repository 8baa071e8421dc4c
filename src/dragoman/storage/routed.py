"""Several kinds of storage behind one: each URL goes to the store that handles its scheme and host."""

from __future__ import annotations

from collections.abc import Sequence

from dragoman.errors import AccessDenied
from dragoman.storage.base import Storage

__all__ = ["RoutedStorage"]


class RoutedStorage(Storage):
    def __init__(self, stores: Sequence[Storage]) -> None:
        self.stores = tuple(stores)

    def for_url(self, url: str) -> Storage:
        for store in self.stores:
            if store.handles(url):
                return store
        raise AccessDenied(f"{url!r} is not a storage location Dragoman is configured to use")

    def handles(self, url: str) -> bool:
        return any(store.handles(url) for store in self.stores)

    def canonical(self, url: str) -> str:
        return self.for_url(url).canonical(url)

    def digest(self, url: str) -> str | None:
        return self.for_url(url).digest(url)

    def read(self, url: str) -> bytes:
        return self.for_url(url).read(url)

    def list_documents(self, url: str) -> list[str]:
        return self.for_url(url).list_documents(url)

    def list_named(self, url: str) -> list[tuple[str, str]]:
        return self.for_url(url).list_named(url)

    def child(self, folder_url: str, name: str) -> str:
        return self.for_url(folder_url).child(folder_url, name)

    def check_source(self, url: str) -> None:
        self.for_url(url).check_source(url)

    def check_target(self, url: str) -> None:
        self.for_url(url).check_target(url)

    def publish(self, url: str, data: bytes, content_type: str | None = None) -> None:
        self.for_url(url).publish(url, data, content_type)

    def discard_partials(self, url: str) -> None:
        self.for_url(url).discard_partials(url)
