"""What the state database holds, counted for `/metrics` at scrape time (`dragoman.metrics`).

Shapes: `counts()` is every job and task by status, the characters billed and the queue depth, from
one aggregate query over the jobs' counters (kept exact by every transaction that changes a task:
`store/jobs.py`), never a scan of the tasks; `cancel_requested_at(job_id)` is when a job's cancel
was recorded; `running_by_node()` is how many tasks each runner process (`host:pid`, from the
task's lease owner) is running, read from the running tasks only. Read from the database, the
numbers are the same whichever `dragoman serve` of a shared PostgreSQL is asked, and survive
restarts. Errors: StoreError when the database is unavailable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select

from dragoman.domain.states import JobStatus, TaskStatus
from dragoman.store.jobs import map_db_errors
from dragoman.store.schema import jobs, tasks
from dragoman.store.task_statements import TASK_COUNTERS

__all__ = ["QUEUED_JOB_STATES", "StoreCounts", "StoreStats", "node_of"]

# The jobs whose pending tasks wait for a worker (a job still validating is held: none of it runs yet).
QUEUED_JOB_STATES = frozenset({JobStatus.QUEUED, JobStatus.RUNNING})

_BY_STATUS = select(
    jobs.c.status,
    func.count().label("jobs"),
    *(func.coalesce(func.sum(jobs.c[column]), 0).label(column) for column in TASK_COUNTERS.values()),
    func.coalesce(func.sum(jobs.c.characters_charged), 0).label("characters_charged"),
).group_by(jobs.c.status)


_RUNNING_BY_OWNER = (
    select(tasks.c.lease_owner, func.count().label("running"))
    .where(tasks.c.status == TaskStatus.RUNNING.value)
    .group_by(tasks.c.lease_owner)
)


def node_of(owner: str | None) -> str:
    """The runner process a lease owner (`host:pid:claimer`) names: `host:pid`."""
    return ":".join((owner or "unknown").split(":")[:2])


@dataclass(frozen=True, slots=True)
class StoreCounts:
    """Every status has its count, zero included. `queue_depth`: pending tasks of queued or running jobs."""

    jobs: Mapping[JobStatus, int]
    tasks: Mapping[TaskStatus, int]
    characters_billed: int
    queue_depth: int


class StoreStats:
    def __init__(self, engine: Engine) -> None:
        self._reader = engine.execution_options(readonly=True)

    def counts(self) -> StoreCounts:
        with map_db_errors(), self._reader.connect() as connection, connection.begin():
            rows = connection.execute(_BY_STATUS).all()
        by_job = dict.fromkeys(JobStatus, 0)
        by_task = dict.fromkeys(TaskStatus, 0)
        billed = queued = 0
        for row in rows:
            status = JobStatus(row.status)
            by_job[status] += int(row.jobs)
            for task_status, column in TASK_COUNTERS.items():
                by_task[task_status] += int(getattr(row, column))
            billed += int(row.characters_charged)
            if status in QUEUED_JOB_STATES:
                queued += int(row.n_pending)
        return StoreCounts(by_job, by_task, billed, queued)

    def running_by_node(self) -> dict[str, int]:
        """Running tasks by the runner process (`host:pid`) whose claim holds them; nodes running
        nothing are left out."""
        with map_db_errors(), self._reader.connect() as connection, connection.begin():
            rows = connection.execute(_RUNNING_BY_OWNER).all()
        counted: dict[str, int] = {}
        for row in rows:
            node = node_of(row.lease_owner)
            counted[node] = counted.get(node, 0) + int(row.running)
        return counted

    def cancel_requested_at(self, job_id: str) -> datetime | None:
        """When a cancel of the job was recorded (UTC), or None: none was, or there is no such job."""
        with map_db_errors(), self._reader.connect() as connection, connection.begin():
            moment = connection.execute(select(jobs.c.cancel_requested_at).where(jobs.c.id == job_id)).scalar()
        return None if moment is None else moment.replace(tzinfo=UTC)
