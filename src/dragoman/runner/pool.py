"""The in-process runner: a pool of worker threads, a monitor for cancels and leases, and recovery.

Workers claim tasks under a lease that the monitor renews. A cancel reaches a running task through
`abort_job` at once when it was accepted in this process, or through the monitor's poll of the store
when another process accepted it. At start (and every so often) tasks whose owner died are recovered
as the domain decides (lifecycle rule 7).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import timedelta

from dragoman.abort import AbortReason
from dragoman.domain.states import TaskStatus
from dragoman.engines.base import Engine
from dragoman.errors import ServiceError
from dragoman.events import job_finished_after, task_event
from dragoman.formats.limits import DEFAULT_LIMITS, DocumentLimits
from dragoman.heartbeat import BEAT_SECONDS, SERVE
from dragoman.metrics import Metrics
from dragoman.runner.context import TaskContext
from dragoman.runner.execute import Finisher, Outcome, TaskExecutor
from dragoman.runner.finalize import Finalizer, finalize_jobs
from dragoman.runner.recovery import Recovery, new_owner
from dragoman.runner.reporting import retried
from dragoman.storage.scopes import StorageScopes
from dragoman.store.jobs import Claim, JobStore
from dragoman.store.runners import RunnerRegistry

__all__ = ["InProcessRunner"]

log = logging.getLogger("dragoman.runner")


COMPLAINT_SECONDS = 10.0  # a state database that does not answer is logged at most this often per loop


class InProcessRunner:
    def __init__(
        self,
        store: JobStore,
        engine: Engine,
        storage: StorageScopes,
        *,
        workers: int,
        lease: timedelta = timedelta(seconds=30),
        idle_poll_seconds: float = 0.25,
        abort_poll_seconds: float = 0.05,
        recovery_every_seconds: float = 5.0,
        finalizers: Mapping[str, Finalizer] | None = None,
        limits: DocumentLimits = DEFAULT_LIMITS,
        registry: RunnerRegistry | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        """`registry`: where this runner writes its heartbeat while it runs (`dragoman.heartbeat`), so
        that others can tell a service runs on this store; None (a command's embedded runner): none.
        `metrics`: where it records how long each task took and the characters it translated."""
        self.owner = new_owner()
        self._store = store
        self._storage = storage
        self._engine = engine
        self._executor = TaskExecutor(store, engine, storage, self.owner, limits)
        self._workers = workers
        self._lease = lease
        self._idle_poll = idle_poll_seconds
        self._abort_poll = abort_poll_seconds
        self._recovery_every = recovery_every_seconds
        self.finalizers: dict[str, Finalizer] = dict(finalizers or {})
        self._running: dict[str, TaskContext] = {}
        self._lock = threading.Lock()
        self._wake = threading.Condition()
        # How many times `wake` was called: a worker that looked for work before a wake does not sleep through it.
        self._wakes = 0
        self._progressed = threading.Condition()  # notified whenever a task's outcome is recorded
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._claim_complaint = -COMPLAINT_SECONDS  # when a failed claim was last logged (time.monotonic)
        self._registry = registry
        self._metrics = metrics or Metrics()
        self._recovery = Recovery(store, storage, self.finalizers, self.owner, self._is_running)
        self._only_job: str | None = None  # `serve_only`

    # --- life cycle ---------------------------------------------------------------------------

    def serve_only(self, job_id: str) -> None:
        """Claim the tasks of this job and of no other (before `start`): a command's embedded runner
        runs the job it follows, never another of the store (a `--no-wait` job waits for a service
        or its own `jobs wait`; a killed command's job must not have a later command's kills counted
        as lost workers against it). Recovery rounds still settle any job's orphans."""
        self._only_job = job_id

    def start(self) -> None:
        self._beat()
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
        if self._registry is not None:
            try:
                self._registry.forget(self.owner)
            except ServiceError:  # the heartbeat goes stale instead
                log.warning("could not remove this runner's heartbeat", extra={"action": "heartbeat"})

    def _beat(self) -> None:
        """Write this runner's heartbeat (if it keeps one); a failure is logged, the next beat retries."""
        if self._registry is None:
            return
        try:
            self._registry.beat(self.owner, SERVE)
        except ServiceError:
            log.warning("could not write this runner's heartbeat", extra={"action": "heartbeat"})

    def wake(self) -> None:
        """New work may be waiting."""
        with self._wake:
            self._wakes += 1
            self._wake.notify_all()

    def abort_job(self, job_id: str) -> None:
        """A cancel accepted in this process: stop this job's running tasks now."""
        with self._lock:
            for ctx in self._running.values():
                if ctx.task.job_id == job_id:
                    ctx.abort(AbortReason.USER_REQUEST)

    def wait_for_progress(self, timeout: float) -> None:
        """Return when this runner next records a task's outcome, or after `timeout` seconds: a
        follower (the command line) sees a job end as it ends, without polling faster."""
        with self._progressed:
            self._progressed.wait(timeout)

    @property
    def busy(self) -> int:
        with self._lock:
            return len(self._running)

    # --- recovery -----------------------------------------------------------------------------

    def recover(self) -> int:
        """Settle tasks left running by workers that are gone (or by this runner, for a task it gave
        up on), as `runner.recovery` does. Returns how many were settled."""
        settled = self._recovery.run()
        if settled:
            self.wake()
        return settled

    def _is_running(self, task_id: str) -> bool:
        with self._lock:
            return task_id in self._running

    # --- threads ------------------------------------------------------------------------------

    def _work(self) -> None:
        claim: Claim | None = None
        idle = True  # an idle worker looks before it queues for the write lock to claim
        while claim is not None or not self._stopping.is_set():
            if claim is None:
                with self._wake:
                    wakes = self._wakes
                try:
                    if not idle or self._store.has_pending(self._only_job):
                        claim = self._store.claim_next(self.owner, self._lease, only_job=self._only_job)
                except ServiceError as exc:  # the database is away: tried again every second, said every 10 s
                    now = time.monotonic()
                    if now - self._claim_complaint >= COMPLAINT_SECONDS:
                        self._claim_complaint = now
                        log.warning("could not claim a task: %s", exc.message, extra={"action": "claim"})
                    self._stopping.wait(1.0)
                    continue
                idle = claim is None
                if claim is None:
                    with self._wake:
                        self._wake.wait_for(lambda: self._wakes != wakes, self._idle_poll)  # noqa: B023  # read at once
                    continue
            claim = self._run(claim)

    def _run(self, claim: Claim) -> Claim | None:
        """Run a claimed task and record its outcome; returns the next task, claimed in the same
        transaction unless the runner is stopping."""
        task = claim.task
        ctx = TaskContext(task, tenant=claim.tenant, attempt=claim.attempt, origin=claim.origin, lost=claim.lost)
        if claim.cancel_requested:
            ctx.abort(AbortReason.USER_REQUEST)
        with self._lock:
            self._running[task.id] = ctx
        task_event("started", task.id, task.job_id, f"attempt {claim.attempt}", attempt=claim.attempt)
        with job_finished_after():  # the end of the task that ended its job is logged first
            try:
                if self._stopping.is_set():
                    ctx.abort(AbortReason.SHUTDOWN)
                began = time.monotonic()
                finished: list[tuple[bool, Claim | None]] = []
                outcome = self._executor.run(ctx, self._finisher(ctx, finished))
                reported: bool | None
                if finished and outcome.status is TaskStatus.SUCCEEDED:  # recorded with its publication
                    reported, following = finished[0]
                else:
                    reported, following = self._report(ctx, outcome)
                if reported:  # observed while the task still counts as busy: an idle runner has said all
                    self._metrics.task_ran(outcome.status, time.monotonic() - began)
                    if outcome.status is TaskStatus.SUCCEEDED:
                        self._metrics.translated(outcome.characters, "task")
            finally:
                with self._lock:
                    self._running.pop(task.id, None)
            if reported is None:  # could not be recorded: the lease lapses and recovery settles the task
                return None
            if reported and outcome.status is TaskStatus.PENDING:  # a shutdown, or the state database failed
                task_event(
                    "released", task.id, task.job_id, "stopped before it finished, it runs again", status="pending"
                )
            elif reported:
                error = outcome.error
                detail = outcome.status.value + ("" if error is None else f" ({error.code}: {error.message})")
                task_event("finished", task.id, task.job_id, detail, status=outcome.status.value)
        if not reported:
            log.warning(
                "task %s of job %s was taken over by another runner before this one could report it (this one was"
                " stopped or out of touch longer than its lease); the other runner's outcome is the one recorded",
                task.id,
                task.job_id,
                extra={"action": "finish", "task_id": task.id, "job_id": task.job_id},
            )
        try:
            finalize_jobs(self._store, self.finalizers, task.job_id)
        except ServiceError as exc:
            log.warning(
                "could not finalize a job: %s", exc.message, extra={"action": "finalize", "job_id": task.job_id}
            )
        if reported:  # told once the job is finalized too: a follower reads the job's end, not the moment before
            with self._progressed:
                self._progressed.notify_all()
        return following

    def _finisher(self, ctx: TaskContext, finished: list[tuple[bool, Claim | None]]) -> Finisher:
        """Publish the task's document and record it succeeded in one transaction, claiming the next
        task in it unless the runner is stopping; what the store answered goes into `finished`."""

        def finish(publish: Callable[[], None]) -> bool:
            lease = None if self._stopping.is_set() else self._lease
            answer = self._store.publish_and_finish(
                ctx.task.id, self.owner, ctx.attempt, publish, lease, only_job=self._only_job
            )
            finished.append(answer)
            return answer[0]

        return finish

    def _report(self, ctx: TaskContext, outcome: Outcome) -> tuple[bool | None, Claim | None]:
        """Record the outcome (and claim the next task unless stopping), retried for up to one lease
        (`runner.reporting`). (None, None) if it could not be recorded."""
        task = ctx.task

        def write() -> tuple[bool, Claim | None]:
            if self._stopping.is_set():
                reported = self._store.finish(
                    task.id, self.owner, outcome.status, outcome.error, attempt=ctx.attempt, released=outcome.released
                )
                return reported, None
            return self._store.finish_and_claim(
                task.id,
                self.owner,
                outcome.status,
                outcome.error,
                self._lease,
                attempt=ctx.attempt,
                released=outcome.released,
                only_job=self._only_job,
            )

        return retried(write, task.id, self._lease.total_seconds()) or (None, None)

    def _monitor(self) -> None:
        renew_every = self._lease.total_seconds() / 3
        last_renewal = last_recovery = last_beat = time.monotonic()
        last_complaint = -COMPLAINT_SECONDS
        while not self._stopping.wait(self._abort_poll):
            clock = time.monotonic()
            if clock - last_beat >= BEAT_SECONDS:
                self._beat()
                last_beat = clock
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
                    with self._lock:
                        working = list(self._running)
                    self._store.renew_leases(self.owner, self._lease, working)
                    last_renewal = clock
                if clock - last_recovery >= self._recovery_every:
                    self.recover()
                    self._engine.refresh()  # a pair removed while idle: its pipelines end now, not at a request
                    last_recovery = clock
            except ServiceError as exc:  # the database is away: said once every 10 s, not at every round
                if clock - last_complaint >= COMPLAINT_SECONDS:
                    last_complaint = clock
                    log.warning("monitor round failed: %s", exc.message, extra={"action": "monitor"})
                self._stopping.wait(1.0)  # each failing round also logs the driver's error: not 20 times a second
