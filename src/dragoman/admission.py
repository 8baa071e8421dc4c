"""How many requests that reach remote storage one tenant may have in progress at once.

Listing a container or checking a target can wait on a remote host for seconds. The HTTP server runs
such requests on a shared pool of threads, so without a bound one tenant pointing at a host that
never answers could hold every thread while another tenant's cancel waits (found by the 2026
hardening). A tenant over its bound is refused at once with Busy (HTTP 429, retry later) instead of
queueing on a thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from dragoman.errors import Busy

__all__ = ["TenantGate"]


class TenantGate:
    """At most `limit` concurrent holders per tenant; the next one gets Busy without waiting."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("a tenant gate needs a limit of at least 1")
        self.limit = limit
        self._in_progress: dict[str, int] = {}
        self._lock = threading.Lock()

    @contextmanager
    def enter(self, tenant: str) -> Iterator[None]:
        """Hold one of the tenant's places for the duration of the block. Raises Busy if none is free."""
        with self._lock:
            held = self._in_progress.get(tenant, 0)
            if held >= self.limit:
                raise Busy(
                    f"this caller already has {held} requests reaching storage in progress "
                    f"(at most {self.limit} at once); retry when one has finished"
                )
            self._in_progress[tenant] = held + 1
        try:
            yield
        finally:
            with self._lock:
                left = self._in_progress[tenant] - 1
                if left:
                    self._in_progress[tenant] = left
                else:
                    del self._in_progress[tenant]
