"""What a running task can ask: must I stop, and why."""

from __future__ import annotations

import threading

from dragoman.abort import Aborted, AbortReason, announce_abort
from dragoman.domain.jobs import Task

__all__ = ["TaskContext"]


class TaskContext:
    """A running task: the task, its job's tenant and origin (the front door it came through), and
    the claim's attempt (its fencing token)."""

    def __init__(
        self, task: Task, *, tenant: str = "", attempt: int | None = None, origin: str = "", lost: int | None = None
    ) -> None:
        """`lost`: the task's claims lost with their worker, this one included if it is (`Claim.lost`);
        not given: every claim so far (`attempt`)."""
        self.task = task
        self.tenant = tenant
        self.attempt = attempt
        self.lost = lost if lost is not None else attempt
        self.origin = origin
        self._event = threading.Event()
        self._reason: AbortReason | None = None
        self._lock = threading.Lock()

    def abort(self, reason: AbortReason) -> None:
        """Ask the task to stop at its next safe point. A user's cancel outranks a shutdown."""
        with self._lock:
            if self._reason is None or reason is AbortReason.USER_REQUEST:
                self._reason = reason
            self._event.set()
        announce_abort()  # a caller waiting for its engine's results asks at once

    @property
    def reason(self) -> AbortReason | None:
        return self._reason

    def should_abort(self) -> bool:
        return self._event.is_set()

    def check_abort(self) -> None:
        if self._event.is_set():
            raise Aborted()

    def __repr__(self) -> str:
        return f"TaskContext({self.task!r}, reason={self._reason})"
