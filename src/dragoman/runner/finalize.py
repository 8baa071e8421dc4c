"""End-of-job output a front door promises (Amazon's per-language details files), written once a
job is finished. It is recorded as done only after it was written, so a crash in between means it
is written at the next recovery round instead of never."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from dragoman.domain.jobs import ErrorInfo, JobView, Task
from dragoman.errors import ServiceError
from dragoman.store.jobs import JobStore

__all__ = ["Finalizer", "finalize_jobs"]

log = logging.getLogger("dragoman.runner")

Finalizer = Callable[[JobView, list[Task]], None]


def finalize_jobs(store: JobStore, finalizers: Mapping[str, Finalizer], job_id: str | None = None) -> int:
    """Run the origin's finalizer for every finished, unfinalized job (or just `job_id`)."""
    if not finalizers:
        return 0
    done = 0
    for pending in store.unfinalized(list(finalizers), job_id):
        view = store.get(pending)
        try:
            finalizers[view.job.origin](view, store.tasks(pending))
        except ServiceError as exc:
            log.warning("could not finalize a job: %s", exc, extra={"action": "finalize", "job_id": pending})
            # Tried again at the next recovery round, FINALIZE_ATTEMPTS times in all; then the job
            # fails for it, visibly (domain.derive_status).
            if store.finalize_failed(
                pending,
                ErrorInfo("OutputWriteFailed", f"the job's end-of-job output could not be written: {exc.message}"),
            ):
                log.error("gave up on a job's end-of-job output", extra={"action": "finalize", "job_id": pending})
            continue
        if store.mark_finalized(pending):
            done += 1
    return done
