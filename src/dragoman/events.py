"""One log line per lifecycle event of a job or a task, for operators (issue 11 §6).

Each line names the event and the ids in its text (`job 1c18… submitted: 12 tasks`), so a plain
log is enough to follow a job; the same facts are in the record's extra fields (`event`, `job_id`,
`task_id`, ...), which a JSON formatter writes as fields. Events: a job submitted, a cancel
requested (accepted or refused), a task started, finished (its status), released by a shutdown
(it runs again after the restart), or recovered after its worker was gone; a job finished (its
final status and counts: `job_finished`), logged by the process whose transaction ended it.

Logged under `dragoman.events` at INFO.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dragoman.domain.jobs import JobView

__all__ = ["job_event", "job_finished", "job_finished_after", "task_event"]

log = logging.getLogger("dragoman.events")

Field = str | int | float | None

_held = threading.local()  # this thread's job.finished lines held by `job_finished_after`


def job_event(event: str, job_id: str, detail: str = "", **fields: Field) -> None:
    """Log `job <id> <event>[: detail]` with `event="job.<event>"`, `job_id` and `fields` as extras."""
    log.info(
        "job %s %s%s", job_id, event, f": {detail}" if detail else "",
        extra={"event": f"job.{event}", "job_id": job_id, **fields},
    )  # fmt: skip


def task_event(event: str, task_id: str, job_id: str, detail: str = "", **fields: Field) -> None:
    """Log `task <id> of job <id> <event>[: detail]` with `event="task.<event>"` and the ids as extras."""
    log.info(
        "task %s of job %s %s%s", task_id, job_id, event, f": {detail}" if detail else "",
        extra={"event": f"task.{event}", "job_id": job_id, "task_id": task_id, **fields},
    )  # fmt: skip


@contextmanager
def job_finished_after() -> Iterator[None]:
    """Hold the `job_finished` lines this thread logs inside the block until it ends: a runner logs
    the end of the task that ended its job first, then the job's end."""
    held: list[JobView] = []
    _held.views = held
    try:
        yield
    finally:
        _held.views = None
        for view in held:
            job_finished(view)


def job_finished(view: JobView) -> None:
    """Log `job <id> finished: <status> · S succeeded, F failed, C cancelled of T · N characters
    billed` (and, for a cancel that lost the race, that it did) when a job reaches its final state,
    with `event="job.finished"` and the fields `status`, `total`, `succeeded`, `failed`,
    `cancelled`, `characters_charged`, `cancel_outcome` (None when no cancel was asked for),
    `tenant` and `origin`."""
    held: list[JobView] | None = getattr(_held, "views", None)
    if held is not None:
        held.append(view)
        return
    summary = view.summary
    outcome = None if view.cancel_outcome is None else view.cancel_outcome.value
    detail = (
        f"{view.status.value} · {summary.succeeded} succeeded, {summary.failed} failed, {summary.cancelled} "
        f"cancelled of {summary.total} · {summary.characters_charged} characters billed"
    )
    if outcome == "lost_race":  # rule 4: said in words, not only as a field
        from dragoman.domain.jobs import LOST_RACE

        detail += f" · the cancel lost the race: {LOST_RACE}"
    job_event(
        "finished",
        view.job.id,
        detail,
        status=view.status.value,
        total=summary.total,
        succeeded=summary.succeeded,
        failed=summary.failed,
        cancelled=summary.cancelled,
        characters_charged=summary.characters_charged,
        cancel_outcome=outcome,
        tenant=view.job.tenant,
        origin=view.job.origin,
    )
