"""The store's hot statements, built once at import: what the runner executes for every task
(claim, progress, record, finish, the job's counters, the abort poll) and the job read behind every
status poll.

Building a SQLAlchemy statement and computing its cache key costs more than SQLite takes to run it,
so these are built here once, with bound parameters, and SQLAlchemy compiles each of them once.
Parameters are named `b_*` because an UPDATE reserves its columns' own names.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, bindparam, func, or_, select, update

from dragoman.domain.states import JobStatus, TaskStatus
from dragoman.store.schema import jobs, tasks

__all__ = [
    "ABORT_REQUESTED",
    "ANY_PENDING",
    "ANY_PENDING_OF_JOB",
    "CLAIM",
    "CLAIM_NEXT",
    "CLAIM_NEXT_OF_JOB",
    "FINISH",
    "RELEASE",
    "HELD",
    "JOB_BY_ID",
    "JOB_COLUMNS",
    "LOCK_JOB_OF_TASK",
    "MOVE_COUNTERS",
    "MOVE_COUNTERS_CLAIMED",
    "NEXT_PENDING",
    "NEXT_PENDING_OF_JOB",
    "RECORD_OUTPUT",
    "SET_STATUS",
    "TASK_COUNTERS",
    "UPDATE_PROGRESS",
    "counter_changes",
]

# What a Job and its Summary are built from (lists skip the rest, such as the labels' JSON).
JOB_COLUMNS = [
    column for column in jobs.c if column.name not in ("labels", "request_digest", "cancel_requested_at", "claimed_at")
]

# A job, for its view (status reads come many times a second).
JOB_BY_ID = select(*JOB_COLUMNS).where(jobs.c.id == bindparam("b_job"))

# The job counter that holds tasks in each state.
TASK_COUNTERS = {
    TaskStatus.PENDING: "n_pending",
    TaskStatus.RUNNING: "n_running",
    TaskStatus.SUCCEEDED: "n_succeeded",
    TaskStatus.FAILED: "n_failed",
    TaskStatus.CANCELLED: "n_cancelled",
}
_MOVABLE = (*TASK_COUNTERS.values(), "characters_charged")

# Compared one by one, not with IN: an IN list is expanded at every execution, these run per task.
_ACTIVE_JOB_STATES = [JobStatus.QUEUED.value, JobStatus.RUNNING.value]

ANY_PENDING = select(tasks.c.id).where(tasks.c.status == TaskStatus.PENDING.value).limit(1)

# The next pending task, unlocked: the first, in submission order, of the job with the fewest running
# tasks, and among those the one served least recently (a job never served first). Jobs take turns
# at the workers: a one-line job submitted behind a job of thousands of documents gets the next free
# worker instead of waiting for all of them (the 2026 review saw another tenant's one-line job wait
# 75 s), and two large jobs alternate. Active jobs are few (index on status);
# a job's pending tasks come off ix_tasks_job_pending in order. A claim locks its job first and then
# takes the task with a guarded UPDATE, the job-then-tasks order every writer keeps (a cancel locks the
# job, then cancels its pending tasks; locking the task first let the two deadlock on PostgreSQL).
_FAIREST_JOB = (
    select(jobs.c.id)
    .where(or_(*(jobs.c.status == state for state in _ACTIVE_JOB_STATES)), jobs.c.n_pending > 0)
    .order_by(jobs.c.n_running, jobs.c.claimed_at.is_not(None), jobs.c.claimed_at, jobs.c.created_at, jobs.c.id)
    .limit(1)
    .scalar_subquery()
)
# The one job a command's embedded runner serves (`b_job`), while it has pending tasks to hand out:
# that runner never runs another job of the store (a `--no-wait` job, or one whose command was killed).
_ONLY_JOB = (
    select(jobs.c.id)
    .where(
        jobs.c.id == bindparam("b_job"),
        or_(*(jobs.c.status == state for state in _ACTIVE_JOB_STATES)),
        jobs.c.n_pending > 0,
    )
    .scalar_subquery()
)


def _next_pending(job: Any) -> Any:
    return (
        select(tasks)
        .where(tasks.c.job_id == job, tasks.c.status == TaskStatus.PENDING.value)
        .order_by(tasks.c.seq)
        .limit(1)
    )


NEXT_PENDING = _next_pending(_FAIREST_JOB)
NEXT_PENDING_OF_JOB = _next_pending(_ONLY_JOB)
ANY_PENDING_OF_JOB = (
    select(tasks.c.id).where(tasks.c.job_id == bindparam("b_job"), tasks.c.status == TaskStatus.PENDING.value).limit(1)
)

# A claim: a new attempt under a lease.
_CLAIMED = {
    "status": TaskStatus.RUNNING.value,
    "lease_owner": bindparam("b_owner"),
    "lease_expires_at": bindparam("b_expires"),
    "attempts": tasks.c.attempts + 1,
    "started_at": bindparam("b_now"),
    "updated_at": bindparam("b_now"),
}

CLAIM = (
    update(tasks)
    .where(tasks.c.id == bindparam("b_task"), tasks.c.status == TaskStatus.PENDING.value)
    .values(**_CLAIMED)
    .returning(*tasks.c)  # the claimed row, as CLAIM_NEXT's
)


# NEXT_PENDING and CLAIM in one statement, returning the claimed row: where the database's one write
# lock already serialises every writer (SQLite), no job row is locked between the two.
def _claim_next(next_pending: Any) -> Any:
    return (
        update(tasks)
        .where(
            tasks.c.id == next_pending.with_only_columns(tasks.c.id).scalar_subquery(),
            tasks.c.status == TaskStatus.PENDING.value,
        )
        .values(**_CLAIMED)
        .returning(*tasks.c)
    )


CLAIM_NEXT = _claim_next(NEXT_PENDING)
CLAIM_NEXT_OF_JOB = _claim_next(NEXT_PENDING_OF_JOB)

# Guards every change a worker makes to its task: still running, still its own, and still the same
# attempt (the claim's fencing token: a worker that lost its task and claimed it again is two
# attempts, and the older one may change nothing). A null attempt checks the owner alone.
_OWNED = (
    tasks.c.id == bindparam("b_task"),
    tasks.c.status == TaskStatus.RUNNING.value,
    tasks.c.lease_owner == bindparam("b_owner"),
    or_(bindparam("b_attempt", type_=Integer()).is_(None), tasks.c.attempts == bindparam("b_attempt")),
)

# The task, if still held by this claim (owner and attempt), locked until the transaction ends:
# publication happens while this lock is held, so a runner that lost its claim publishes nothing.
HELD = select(tasks.c.id).where(*_OWNED).with_for_update()

# A running task's progress, and its characters once known (extracted; None leaves them as they are).
UPDATE_PROGRESS = (
    update(tasks)
    .where(*_OWNED)
    .values(
        progress=bindparam("b_progress"),
        characters=func.coalesce(bindparam("b_characters", type_=Integer()), tasks.c.characters),
        updated_at=bindparam("b_now"),
    )
)

RECORD_OUTPUT = (
    update(tasks)
    .where(*_OWNED)
    .values(
        characters=bindparam("b_characters"),
        output_sha256=bindparam("b_sha256"),
        warnings=bindparam("b_warnings"),
        updated_at=bindparam("b_now"),
    )
)


def _finish(status: TaskStatus, *, released: bool = False) -> Any:
    values: dict[str, Any] = {
        "status": status.value,
        "updated_at": bindparam("b_now"),
        "lease_owner": None,
        "lease_expires_at": None,
        "error_code": bindparam("b_error_code"),
        "error_message": bindparam("b_error_message"),
    }
    if status is TaskStatus.PENDING:  # run again from scratch: forget the lost attempt
        values.update(started_at=None, characters=None, output_sha256=None, progress=0.0)
    else:
        values["finished_at"] = bindparam("b_now")
    if status is TaskStatus.SUCCEEDED:
        values["progress"] = 1.0
    if released:
        values["releases"] = tasks.c.releases + 1
    return update(tasks).where(*_OWNED).values(**values).returning(tasks.c.characters, tasks.c.job_id)


# A running task's outcome, per outcome; returns the characters to bill on success, and its job.
FINISH: dict[TaskStatus, Any] = {status: _finish(status) for status in TaskStatus if status is not TaskStatus.RUNNING}

# A running task given back to pending by its runner, stopped cleanly at a safe point (a shutdown):
# a claim not lost, which rule 7's count of lost workers leaves out.
RELEASE = _finish(TaskStatus.PENDING, released=True)

# The task's job, locked before its tasks change (a cancel locks in the same order: job, then tasks).
LOCK_JOB_OF_TASK = (
    select(jobs.c.id, jobs.c.cancel_requested)
    .where(jobs.c.id == select(tasks.c.job_id).where(tasks.c.id == bindparam("b_task")).scalar_subquery())
    .with_for_update()
)

# Moves every counter by a bound amount (mostly zero) and returns what the status is derived from.
MOVE_COUNTERS = (
    update(jobs)
    .where(jobs.c.id == bindparam("b_job"))
    .values(updated_at=bindparam("b_now"), **{name: jobs.c[name] + bindparam(f"b_{name}") for name in _MOVABLE})
    .returning(*JOB_COLUMNS)
)

# MOVE_COUNTERS for a claim, which also marks the job served now (its turn at the workers, for
# NEXT_PENDING).
MOVE_COUNTERS_CLAIMED = MOVE_COUNTERS.values(claimed_at=bindparam("b_now"))

# The owner's running tasks whose job has been cancelled (the monitor asks many times a second).
ABORT_REQUESTED = (
    select(tasks.c.id)
    .join(jobs, jobs.c.id == tasks.c.job_id)
    .where(
        tasks.c.lease_owner == bindparam("b_owner"),
        tasks.c.status == TaskStatus.RUNNING.value,
        jobs.c.cancel_requested.is_(True),
    )
)

SET_STATUS = update(jobs).where(jobs.c.id == bindparam("b_job")).values(status=bindparam("b_status"))


def counter_changes(moved: dict[str, int]) -> dict[str, int]:
    """MOVE_COUNTERS' parameters: every counter's change, zero where `moved` names none."""
    unknown = set(moved) - set(_MOVABLE)
    if unknown:
        raise ValueError(f"not a job counter: {sorted(unknown)}")
    return {f"b_{name}": moved.get(name, 0) for name in _MOVABLE}
