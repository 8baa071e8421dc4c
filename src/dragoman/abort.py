"""The cooperative abort signal shared by the runner and the engines."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

__all__ = ["AbortCheck", "AbortReason", "Aborted", "never_abort"]

AbortCheck = Callable[[], bool]


class AbortReason(StrEnum):
    USER_REQUEST = "user_request"  # the job was cancelled
    SHUTDOWN = "shutdown"  # the worker is stopping; the task is requeued, not cancelled


class Aborted(BaseException):  # noqa: N818 - an interrupt, like CancelledError
    """Raised at a safe point once a task must stop. A BaseException so `except Exception` in an
    engine or a format handler cannot swallow it."""


def never_abort() -> bool:
    return False
