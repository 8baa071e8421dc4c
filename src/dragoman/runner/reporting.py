"""Recording a task's outcome when the state database fails for a moment (a full disk, a lost
connection): the write is tried again, waiting longer each time (50 ms, doubling, at most 2 s),
for up to one lease; past that the lease lapses and recovery settles the task.

Shape: `retried(write, task_id, seconds) -> T | None` (None: it could not be written).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from dragoman.errors import ServiceError

__all__ = ["retried"]

log = logging.getLogger("dragoman.runner")
T = TypeVar("T")


def retried(write: Callable[[], T], task_id: str, seconds: float) -> T | None:
    """`write()`'s result, tried again on a ServiceError for up to `seconds`; None if it never succeeded."""
    delay = 0.05
    deadline = time.monotonic() + seconds
    while True:
        try:
            return write()
        except ServiceError:
            if time.monotonic() + delay > deadline:  # no traceback: the store's own warning said why
                log.error("could not report a task", extra={"action": "finish", "task_id": task_id})
                return None
            log.warning("reporting a task failed; retrying", extra={"action": "finish", "task_id": task_id})
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
