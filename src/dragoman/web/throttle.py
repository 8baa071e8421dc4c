"""Sign-in attempts, counted per client address: after `LIMIT` wrong keys within `WINDOW_SECONDS`
an address is refused (429) until the window has passed, so keys cannot be guessed at speed. Kept in
this process (each `dragoman serve` counts its own); a right key does not clear the count.

Shape: `SignInThrottle().allowed(address) -> bool`, `.failed(address)`.
"""

from __future__ import annotations

import threading
import time
from collections import deque

__all__ = ["LIMIT", "WINDOW_SECONDS", "SignInThrottle"]

LIMIT = 10
WINDOW_SECONDS = 60.0
_MAX_ADDRESSES = 10_000  # the oldest are forgotten past this many


class SignInThrottle:
    def __init__(self, limit: int = LIMIT, window_seconds: float = WINDOW_SECONDS) -> None:
        self._limit = limit
        self._window = window_seconds
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allowed(self, address: str) -> bool:
        """Whether `address` may try a key now."""
        with self._lock:
            recent = self._recent(address)
            return recent is None or len(recent) < self._limit

    def failed(self, address: str) -> None:
        """`address` gave a wrong key."""
        with self._lock:
            recent = self._recent(address)
            if recent is None:
                if len(self._failures) >= _MAX_ADDRESSES:
                    self._failures.pop(next(iter(self._failures)))
                recent = self._failures[address] = deque()
            recent.append(time.monotonic())

    def _recent(self, address: str) -> deque[float] | None:
        recent = self._failures.get(address)
        if recent is None:
            return None
        cutoff = time.monotonic() - self._window
        while recent and recent[0] < cutoff:
            recent.popleft()
        return recent
