"""Recovery (lifecycle rule 7): tasks left `running` by a worker that is gone are settled as the
domain decides (published: succeeded; its job cancelled: cancelled; its worker lost on every
attempt: failed; else pending, to run again), jobs held by a submitter that died are cancelled,
and end-of-job output a crash interrupted is written. Shared by the in-process runner and the
Procrastinate workers: whichever process looks first settles a task, once.

Shape: `Recovery(store, storage, finalizers, owner, is_running).run() -> int` (tasks settled).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime

from dragoman.domain.jobs import recover_task, worker_lost
from dragoman.domain.specs import ErrorInfo
from dragoman.domain.states import TaskStatus
from dragoman.errors import ServiceError
from dragoman.events import job_event, job_finished_after, task_event
from dragoman.holds import holder_gone, holder_of
from dragoman.processes import pid_alive
from dragoman.runner.finalize import Finalizer, finalize_jobs
from dragoman.storage.base import Storage
from dragoman.storage.scopes import StorageScopes
from dragoman.store.jobs import JobStore, Orphan, utcnow

__all__ = ["Recovery", "new_owner", "was_published"]

log = logging.getLogger("dragoman.runner")


def new_owner() -> str:
    """A name for a runner or worker of this process, as claims record it: `host:pid:id`, which
    `Recovery.is_gone` reads (a dead pid of this host is a worker that is gone)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


class Recovery:
    """Settles what dead workers left. `owner` is this process's runner (its own tasks are never
    orphans while `is_running(task_id)` says it works on them)."""

    def __init__(
        self,
        store: JobStore,
        storage: StorageScopes,
        finalizers: Mapping[str, Finalizer],
        owner: str,
        is_running: Callable[[str], bool],
    ) -> None:
        self._store = store
        self._storage = storage
        self._finalizers = finalizers
        self._owner = owner
        self._is_running = is_running

    def run(self) -> int:
        """One round: settle orphans, cancel abandoned holds, finish owed job output. Returns how
        many tasks were settled."""
        settled = 0
        for orphan in self._store.orphans(self.is_gone):
            if orphan.owner == self._owner and self._is_running(orphan.task.id):
                continue  # still being worked on here (its lease renewal failed for a moment)
            if self._settle(orphan):
                settled += 1
        self._cancel_abandoned_holds()
        finalize_jobs(self._store, self._finalizers)  # also catches jobs whose finalizer a crash interrupted
        return settled

    def _settle(self, orphan: Orphan) -> bool:
        storage = self._storage.for_tenant(orphan.tenant)

        # This runner's own task, which it gave up on (its report could not be recorded through a
        # database outage longer than a lease): its worker was not lost, so the claim is not counted.
        own = orphan.owner == self._owner
        lost = None if orphan.lost is None else orphan.lost - own

        def decide() -> tuple[TaskStatus, ErrorInfo | None]:
            status = recover_task(
                published=was_published(storage, orphan), cancel_requested=orphan.cancel_requested, attempts=lost
            )
            # Even a published task may leave its temporary file: the kill can land between the
            # publishing link and the removal of the temporary name. Removed here, with the task still
            # locked for the orphan's claim: once the decision commits, a new claim may be publishing.
            storage.discard_partials(orphan.task.target_url)
            return status, worker_lost(lost or 0) if status is TaskStatus.FAILED else None

        with job_finished_after():  # the task's recovery is logged before the end of its job
            try:
                # Decided with the task locked for the orphan's claim: a publication of that claim
                # cannot land between the look at the target and the decision.
                recovered = self._store.recover(orphan, decide, released=own)
            except ServiceError as exc:
                log.warning(
                    "could not recover a task: %s", exc.message, extra={"action": "recover", "task_id": orphan.task.id}
                )
                return False
            if recovered:
                task_event("recovered", orphan.task.id, orphan.task.job_id, f"its worker {orphan.owner} was gone")
        return recovered

    def _cancel_abandoned_holds(self) -> None:
        """Cancel the jobs held by a submitter that died before deciding whether they go on
        (`dragoman.holds`): nothing of them ran, and no one is left to release them."""
        for job_id, labels in self._store.held_jobs():
            holder = holder_of(labels)
            if not holder_gone(holder):
                continue
            try:
                view = self._store.request_cancel(job_id)
            except ServiceError:  # released or cancelled meanwhile, or the store is busy: next round
                continue
            job_event("cancel_accepted", job_id, f"{view.status.value}: its submitter {holder} ended before it went on")

    def is_gone(self, owner: str, lease_expires_at: datetime | None) -> bool:
        """Whether the worker `owner` (host:pid:id) no longer works on a task whose lease ends at
        `lease_expires_at`: the lease lapsed, or the owner is a process of this host that is dead."""
        if lease_expires_at is None or lease_expires_at < utcnow():
            # A runner renews only the leases of tasks it is working on, so even one of its own
            # with a lapsed lease is a task no one is working on (its outcome could not be recorded).
            return True
        if owner == self._owner:
            return False
        host, _, rest = owner.partition(":")
        pid_text = rest.partition(":")[0]
        if host != socket.gethostname() or not pid_text.isdigit():
            return False
        return not pid_alive(int(pid_text))


def was_published(storage: Storage, orphan: Orphan) -> bool:
    """Whether the orphan's own output is at its target: the bytes there hash to what the task
    recorded before publishing. Read back in full whatever its size (source limits do not apply).
    Raises AccessDenied if the target cannot be read (the decision waits for the next round)."""
    if orphan.output_sha256 is None:
        return False
    return storage.digest(orphan.task.target_url) == orphan.output_sha256
