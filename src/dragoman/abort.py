"""The cooperative abort signal shared by the runner and the engines."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum

__all__ = ["AbortCheck", "AbortReason", "Aborted", "announce_abort", "never_abort", "woken_by_aborts"]

AbortCheck = Callable[[], bool]


class AbortReason(StrEnum):
    USER_REQUEST = "user_request"  # the job was cancelled
    SHUTDOWN = "shutdown"  # the worker is stopping; the task is requeued, not cancelled


class Aborted(BaseException):  # noqa: N818 - an interrupt, like CancelledError
    """Raised at a safe point once a task must stop. A BaseException so `except Exception` in an
    engine or a format handler cannot swallow it."""


def never_abort() -> bool:
    return False


_waiting_lock = threading.Lock()
_waiting: set[threading.Event] = set()


def announce_abort() -> None:
    """Tell every caller waiting under `woken_by_aborts` that an abort was asked for in this process
    (`TaskContext.abort` does): each asks its own AbortCheck again now, instead of polling it."""
    with _waiting_lock:
        for event in _waiting:
            event.set()


@contextmanager
def woken_by_aborts(event: threading.Event) -> Iterator[None]:
    """While inside, `event` is also set whenever an abort is announced: a caller that waits on it
    for its work (a pipeline's results) learns of an abort at once. It must still ask its AbortCheck
    now and then: a check that is not announced (a deadline) is noticed only when asked."""
    with _waiting_lock:
        _waiting.add(event)
    try:
        yield
    finally:
        with _waiting_lock:
            _waiting.discard(event)
