"""One log line per lifecycle event of a job or a task, for operators (issue 11 §6).

Each line names the event and the ids in its text (`job 1c18… submitted: 12 tasks`), so a plain
log is enough to follow a job; the same facts are in the record's extra fields (`event`, `job_id`,
`task_id`, ...), which a JSON formatter writes as fields. Events: a job submitted, a cancel
requested (accepted or refused), a task started, finished (its status), released by a shutdown
(it runs again after the restart), or recovered after its worker was gone.

Logged under `dragoman.events` at INFO.
"""

from __future__ import annotations

import logging

__all__ = ["job_event", "task_event"]

log = logging.getLogger("dragoman.events")

Field = str | int | float | None


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
