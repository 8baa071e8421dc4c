"""The in-process runner: a pool of worker threads, a monitor for cancels and leases, and recovery.

Workers claim tasks under a lease that the monitor renews. A cancel reaches a running task through
`abort_job` at once when it was accepted in this process, or through the monitor's poll of the store
when another process accepted it. At start (and every so often) tasks whose owner died are recovered
as the domain decides (DESIGN §1 rule 7).
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta

from dragoman.abort import AbortReason
from dragoman.domain.jobs import recover_task
from dragoman.engines.base import Engine
from dragoman.errors import ServiceError
from dragoman.runner.context import TaskContext
from dragoman.runner.execute import TaskExecutor
from dragoman.runner.finalize import Finalizer, finalize_jobs
from dragoman.storage.base import Storage
from dragoman.store.jobs import Claim, JobStore, Orphan, utcnow

__all__ = ["InProcessRunner"]

log = logging.getLogger("dragoman.runner")


class InProcessRunner:
    def __init__(
        self,
        store: JobStore,
        engine: Engine,
        storage: Storage,
        *,
        workers: int,
        lease: timedelta = timedelta(seconds=30),
        idle_poll_seconds: float = 0.25,
        abort_poll_seconds: float = 0.05,
        recovery_every_seconds: float = 5.0,
        finalizers: Mapping[str, Finalizer] | None = None,
    ) -> None:
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self._store = store
        self._storage = storage
        self._executor = TaskExecutor(store, engine, storage, self.owner)
        self._workers = workers
        self._lease = lease
        self._idle_poll = idle_poll_seconds
        self._abort_poll = abort_poll_seconds
        self._recovery_every = recovery_every_seconds
        self.finalizers: dict[str, Finalizer] = dict(finalizers or {})
        self._running: dict[str, TaskContext] = {}
        self._lock = threading.Lock()
        self._wake = threading.Condition()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    # --- life cycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self.recover()
        for number in range(self._workers):
            thread = threading.Thread(target=self._work, name=f"dragoman-worker-{number}", daemon=True)
            thread.start()
            self._threads.append(thread)
        monitor = threading.Thread(target=self._monitor, name="dragoman-monitor", daemon=True)
        monitor.start()
        self._threads.append(monitor)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop at the next safe point; unfinished tasks go back to pending for the next start."""
        self._stopping.set()
        with self._lock:
            for ctx in self._running.values():
                ctx.abort(AbortReason.SHUTDOWN)
        self.wake()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def wake(self) -> None:
        """New work may be waiting."""
        with self._wake:
            self._wake.notify_all()

    def abort_job(self, job_id: str) -> None:
        """A cancel accepted in this process: stop this job's running tasks now."""
        with self._lock:
            for ctx in self._running.values():
                if ctx.task.job_id == job_id:
                    ctx.abort(AbortReason.USER_REQUEST)

    @property
    def busy(self) -> int:
        with self._lock:
            return len(self._running)

    # --- recovery -----------------------------------------------------------------------------

    def recover(self) -> int:
        """Settle tasks left running by workers that are gone. Returns how many were settled."""
        settled = 0
        for orphan in self._store.orphans(self._is_gone):
            published = self._was_published(orphan)
            status = recover_task(published=published, cancel_requested=orphan.cancel_requested)
            # Even a published task may leave its temporary file: the kill can land between the
            # publishing link and the removal of the temporary name.
            self._storage.discard_partials(orphan.task.target_url)
            if self._store.recover(orphan, status):
                settled += 1
                log.info(
                    "recovered task as %s",
                    status,
                    extra={"action": "recover", "task_id": orphan.task.id, "job_id": orphan.task.job_id},
                )
        if settled:
            self.wake()
        finalize_jobs(self._store, self.finalizers)  # also catches jobs whose finalizer a crash interrupted
        return settled

    def _is_gone(self, owner: str, lease_expires_at: datetime | None) -> bool:
        if owner == self.owner:
            return False
        if lease_expires_at is None or lease_expires_at < utcnow():
            return True
        host, _, rest = owner.partition(":")
        pid_text = rest.partition(":")[0]
        if host != socket.gethostname() or not pid_text.isdigit():
            return False
        return not _pid_alive(int(pid_text))

    def _was_published(self, orphan: Orphan) -> bool:
        if orphan.output_sha256 is None:
            return False
        try:
            data = self._storage.read(orphan.task.target_url)
        except ServiceError:
            return False
        return hashlib.sha256(data).hexdigest() == orphan.output_sha256

    # --- threads ------------------------------------------------------------------------------

    def _work(self) -> None:
        claim: Claim | None = None
        idle = True  # an idle worker looks before it queues for the write lock to claim
        while claim is not None or not self._stopping.is_set():
            if claim is None:
                try:
                    if not idle or self._store.has_pending():
                        claim = self._store.claim_next(self.owner, self._lease)
                except ServiceError:
                    log.exception("could not claim a task", extra={"action": "claim"})
                    self._stopping.wait(1.0)
                    continue
                idle = claim is None
                if claim is None:
                    with self._wake:
                        self._wake.wait(self._idle_poll)
                    continue
            claim = self._run(claim)

    def _run(self, claim: Claim) -> Claim | None:
        """Run a claimed task and record its outcome; returns the next task, claimed in the same
        transaction unless the runner is stopping."""
        task = claim.task
        ctx = TaskContext(task)
        if claim.cancel_requested:
            ctx.abort(AbortReason.USER_REQUEST)
        with self._lock:
            self._running[task.id] = ctx
        try:
            if self._stopping.is_set():
                ctx.abort(AbortReason.SHUTDOWN)
            outcome = self._executor.run(ctx)
            if self._stopping.is_set():
                reported, following = self._store.finish(task.id, self.owner, outcome.status, outcome.error), None
            else:
                reported, following = self._store.finish_and_claim(
                    task.id, self.owner, outcome.status, outcome.error, self._lease
                )
        except ServiceError:
            log.exception("could not report a task", extra={"action": "finish", "task_id": task.id})
            return None
        finally:
            with self._lock:
                self._running.pop(task.id, None)
        if not reported:
            log.warning("lost the task before reporting it", extra={"action": "finish", "task_id": task.id})
        try:
            finalize_jobs(self._store, self.finalizers, task.job_id)
        except ServiceError:
            log.exception("could not finalize a job", extra={"action": "finalize", "job_id": task.job_id})
        return following

    def _monitor(self) -> None:
        renew_every = self._lease.total_seconds() / 3
        last_renewal = last_recovery = time.monotonic()
        while not self._stopping.wait(self._abort_poll):
            clock = time.monotonic()
            try:
                with self._lock:
                    active = bool(self._running)
                if active:
                    for task_id in self._store.abort_requested(self.owner):
                        with self._lock:
                            ctx = self._running.get(task_id)
                        if ctx is not None:
                            ctx.abort(AbortReason.USER_REQUEST)
                if active and clock - last_renewal >= renew_every:
                    self._store.renew_leases(self.owner, self._lease)
                    last_renewal = clock
                if clock - last_recovery >= self._recovery_every:
                    self.recover()
                    last_recovery = clock
            except ServiceError:
                log.exception("monitor round failed", extra={"action": "monitor"})


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
