"""Task and job states, and the only task state changes the lifecycle allows (docs/lifecycle.md)."""

from __future__ import annotations

from enum import StrEnum

from dragoman.errors import InvalidTransition

__all__ = [
    "ALLOWED_TASK_TRANSITIONS",
    "CANCELLABLE_JOB_STATES",
    "RAN_JOB_STATES",
    "TERMINAL_JOB_STATES",
    "TERMINAL_TASK_STATES",
    "JobStatus",
    "TaskStatus",
    "transition",
]


class TaskStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class JobStatus(StrEnum):
    VALIDATING = "validating"
    INVALID = "invalid"
    QUEUED = "queued"
    RUNNING = "running"
    CANCELLING = "cancelling"
    SUCCEEDED = "succeeded"
    PARTIALLY_FAILED = "partially_failed"
    FAILED = "failed"
    CANCELLED = "cancelled"


TERMINAL_TASK_STATES = frozenset({TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.CANCELLED})

TERMINAL_JOB_STATES = frozenset(
    {JobStatus.INVALID, JobStatus.SUCCEEDED, JobStatus.PARTIALLY_FAILED, JobStatus.FAILED, JobStatus.CANCELLED}
)

# The end states of a job that ran: a front door's end-of-job output (Amazon's details files) is
# written for these. A job refused at validation never ran and promises none.
RAN_JOB_STATES = TERMINAL_JOB_STATES - {JobStatus.INVALID}

CANCELLABLE_JOB_STATES = frozenset({JobStatus.VALIDATING, JobStatus.QUEUED, JobStatus.RUNNING})

# RUNNING -> PENDING is recovery: a task whose worker died unpublished is run again (rule 7).
ALLOWED_TASK_TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.PENDING: frozenset({TaskStatus.RUNNING, TaskStatus.CANCELLED}),
    TaskStatus.RUNNING: frozenset({TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.CANCELLED, TaskStatus.PENDING}),
    TaskStatus.SUCCEEDED: frozenset(),
    TaskStatus.FAILED: frozenset(),
    TaskStatus.CANCELLED: frozenset(),
}


def transition(current: TaskStatus, new: TaskStatus) -> TaskStatus:
    """Return `new` if the lifecycle allows current -> new, else raise InvalidTransition."""
    if new not in ALLOWED_TASK_TRANSITIONS[current]:
        raise InvalidTransition(f"task cannot go from {current} to {new}")
    return new
