"""Whole responses of read endpoints, kept while the database has not changed.

Status polls repeat: every SDK poller asks for the same job every second, and dashboards page the
same lists. A response is a function of the database state, the caller's tenant and the request URL,
so it is reused for as long as the store's change marker stays the same; any commit anywhere (a task
finishing in a worker, a cancel) changes the marker and every entry goes stale at once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from dragoman.store.jobs import JobStore

__all__ = ["ReadCache"]


class ReadCache:
    def __init__(self, store: JobStore, *, capacity: int = 2048) -> None:
        self._store = store
        self._capacity = capacity
        self._entries: OrderedDict[tuple[str, str], tuple[int, int, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def marker(self) -> int | None:
        return self._store.change_marker()

    def get(self, tenant: str, url: str, marker: int | None) -> tuple[int, bytes] | None:
        """(HTTP status, body) cached for this tenant and URL at this marker, if any."""
        if marker is None:
            return None
        with self._lock:
            entry = self._entries.get((tenant, url))
            if entry is None or entry[0] != marker:
                return None
            self._entries.move_to_end((tenant, url))
            return entry[1], entry[2]

    def put(self, tenant: str, url: str, marker: int | None, status: int, body: bytes) -> None:
        """Keep a response computed at `marker` (read before the response was computed, so a change
        made meanwhile makes the entry stale rather than wrong)."""
        if marker is None:
            return
        with self._lock:
            self._entries[(tenant, url)] = (marker, status, body)
            self._entries.move_to_end((tenant, url))
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)
