"""Several kinds of storage behind one: each URL goes to the store that handles its scheme and host.

A store may be `Deferred`: built on the first URL it handles. Object-storage clients (boto3, the Azure
SDK) take about half a second to import and set up, which a command that only reads local folders
should not pay."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from dragoman.errors import AccessDenied
from dragoman.storage.base import Storage

__all__ = ["Deferred", "RoutedStorage"]


@dataclass(slots=True)
class Deferred:
    """A store built by `build` the first time a URL it `handles` is used."""

    handles: Callable[[str], bool]
    build: Callable[[], Storage]
    _built: Storage | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def store(self) -> Storage:
        with self._lock:
            if self._built is None:
                self._built = self.build()
            return self._built


class RoutedStorage(Storage):
    def __init__(self, stores: Sequence[Storage | Deferred]) -> None:
        self._routes = tuple(stores)

    @property
    def stores(self) -> tuple[Storage, ...]:
        """The stores built so far (a deferred one once a URL it handles was used)."""
        return tuple(route for route in self._routes if isinstance(route, Storage))

    def for_url(self, url: str) -> Storage:
        for route in self._routes:
            if route.handles(url):
                return route if isinstance(route, Storage) else route.store()
        raise AccessDenied(f"{url!r} is not a storage location Dragoman is configured to use")

    def handles(self, url: str) -> bool:
        return any(route.handles(url) for route in self._routes)

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

    def list_named_and_unusable(self, url: str) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
        return self.for_url(url).list_named_and_unusable(url)

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
