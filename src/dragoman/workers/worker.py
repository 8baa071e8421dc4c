"""`dragoman worker`: a Procrastinate worker that runs Dragoman tasks on many machines.

A message says only "run task X". The worker claims X in Dragoman's tasks table with a lease and a
new attempt (the fencing token, with its owner) and runs it as the in-process runner does
(`runner.execute`); a claim refused (X already ran, runs elsewhere, was cancelled) ends the message
with nothing done. While tasks run, a monitor thread, every 50 ms:

- turns an abort Procrastinate delivered (LISTEN/NOTIFY: a cancel, or this worker's shutdown) and the
  cancel flag of a task's job in the tasks table into a stop at the task's next safe point;
- renews its tasks' leases;

and every `recovery_seconds`: settles tasks whose worker is gone (`runner.recovery`: the lease
reaper; a task whose worker was lost on every attempt fails), closes the messages of dead
Procrastinate workers, and rings for pending tasks no message rings for; hourly, it deletes the
messages that ended over ENDED_MESSAGES_KEPT_HOURS ago.

On SIGTERM or Ctrl-C (Procrastinate's signal handling), running tasks stop at their next safe point
and go back to pending, rung for again in the same commit: another worker takes them.

Shapes: `TaskWorker(service)`, `.run(task_id, context)`; `run_worker(service, concurrency, queues)`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

import procrastinate
from procrastinate.job_context import AbortReason as QueueAbortReason
from procrastinate.job_context import JobContext
from sqlalchemy import make_url

from dragoman.abort import AbortReason
from dragoman.api.aws.details import details_writer
from dragoman.api.aws.wire import AWS_ORIGIN
from dragoman.domain.states import TaskStatus
from dragoman.errors import ServiceError
from dragoman.events import job_finished_after, task_event
from dragoman.heartbeat import BEAT_SECONDS, WORKER
from dragoman.runner.context import TaskContext
from dragoman.runner.execute import Outcome, TaskExecutor
from dragoman.runner.finalize import finalize_jobs
from dragoman.runner.recovery import Recovery, new_owner
from dragoman.runner.reporting import retried
from dragoman.store.runners import RunnerRegistry
from dragoman.workers.doorbell import QUEUE_PREFIX, TASK_NAME

if TYPE_CHECKING:
    from dragoman.service import Dragoman

__all__ = ["TaskWorker", "build_app", "run_worker"]

log = logging.getLogger("dragoman.worker")

STALLED_SECONDS = 30.0  # a Procrastinate worker silent this long is dead (it beats every 10 s)
ENDED_MESSAGES_KEPT_HOURS = 24  # Procrastinate messages that ended are deleted after this long
_PRUNE_EVERY_SECONDS = 3600.0


class TaskWorker:
    """Runs the tasks this process's Procrastinate worker is handed; see the module's docstring."""

    def __init__(self, service: Dragoman, *, abort_poll_seconds: float = 0.05) -> None:
        settings = service.settings
        self.owner = new_owner()
        self._service = service
        self._store = service.store
        self._lease = timedelta(seconds=settings.lease_seconds)
        self._executor = TaskExecutor(service.store, service.engine, service.storage, self.owner, service.limits)
        # jobs whose front door promises end-of-job output (Amazon's details files): written by
        # whichever process ends the job
        self._finalizers = {AWS_ORIGIN: details_writer(service.storage)}
        self._recovery = Recovery(service.store, service.storage, self._finalizers, self.owner, self._is_running)
        self._running: dict[str, tuple[TaskContext, JobContext]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._next_prune = 0.0  # monotonic time of the next deletion of ended queue messages
        self._abort_poll = abort_poll_seconds
        self._recovery_every = settings.recovery_seconds
        self._monitor = threading.Thread(target=self._watch, name="dragoman-worker-monitor", daemon=True)
        self._registry = RunnerRegistry(service.store._engine)
        self._last_complaint = -1e9

    def start(self) -> None:
        self._beat()
        self._monitor.start()

    def stop(self) -> None:
        self._stopping.set()
        self._monitor.join(10)
        try:
            self._registry.forget(self.owner)
        except ServiceError:  # the heartbeat goes stale instead
            log.warning("could not remove this worker's heartbeat", extra={"action": "heartbeat"})

    def _beat(self) -> None:
        """Say in the state database that this worker runs (`dragoman.heartbeat`): a command that
        submits a job without waiting knows its job will run."""
        try:
            self._registry.beat(self.owner, WORKER)
        except ServiceError:
            log.warning("could not write this worker's heartbeat", extra={"action": "heartbeat"})

    def _is_running(self, task_id: str) -> bool:
        with self._lock:
            return task_id in self._running

    # --- a message ----------------------------------------------------------------------------

    def run(self, task_id: str, context: JobContext) -> None:
        """Claim task `task_id` and run it to an outcome, recorded in the tasks table."""
        try:
            claim = self._store.claim_task(task_id, self.owner, self._lease)
        except ServiceError as exc:
            log.warning("could not claim a task: %s", exc.message, extra={"action": "claim", "task_id": task_id})
            raise  # the message fails; the reconciliation rings again for a task still pending
        if claim is None:
            return  # ran already, runs elsewhere, cancelled, or held: nothing to do
        task = claim.task
        ctx = TaskContext(task, tenant=claim.tenant, attempt=claim.attempt, origin=claim.origin, lost=claim.lost)
        if claim.cancel_requested:
            ctx.abort(AbortReason.USER_REQUEST)
        with self._lock:
            self._running[task.id] = (ctx, context)
        task_event("started", task.id, task.job_id, f"attempt {claim.attempt}", attempt=claim.attempt)
        began = time.monotonic()
        with job_finished_after():
            try:
                self._forward_abort(ctx, context)
                outcome = self._executor.run(ctx)
                reported = self._report(ctx, outcome)
            finally:
                with self._lock:
                    self._running.pop(task.id, None)
            if reported:
                self._service.metrics.task_ran(outcome.status, time.monotonic() - began)
                if outcome.status is TaskStatus.SUCCEEDED:
                    self._service.metrics.translated(outcome.characters, "task")
                if outcome.status is TaskStatus.PENDING:
                    task_event(
                        "released", task.id, task.job_id, "stopped before it finished, it runs again", status="pending"
                    )
                else:
                    error = outcome.error
                    detail = outcome.status.value + ("" if error is None else f" ({error.code}: {error.message})")
                    task_event("finished", task.id, task.job_id, detail, status=outcome.status.value)
            else:  # another claim holds the task now (this one lapsed), or the outcome could not be written
                log.warning(
                    "lost task %s before reporting it (attempt %s): its outcome is the new claim's or recovery's",
                    task.id,
                    ctx.attempt,
                    extra={"action": "finish", "task_id": task.id},
                )
        try:
            finalize_jobs(self._store, self._finalizers, task.job_id)
        except ServiceError as exc:
            log.warning(
                "could not finalize a job: %s", exc.message, extra={"action": "finalize", "job_id": task.job_id}
            )

    def _report(self, ctx: TaskContext, outcome: Outcome) -> bool:
        """Record the outcome, retried for up to one lease (`runner.reporting`). False if this claim
        no longer holds the task or it could not be recorded (the lease lapses, recovery settles it)."""
        task = ctx.task

        def write() -> bool:
            return self._store.finish(
                task.id, self.owner, outcome.status, outcome.error, attempt=ctx.attempt, released=outcome.released
            )

        return bool(retried(write, task.id, self._lease.total_seconds()))

    @staticmethod
    def _forward_abort(ctx: TaskContext, context: JobContext) -> None:
        """Turn an abort Procrastinate delivered for the message into a stop of the task."""
        reason = context.abort_reason()
        if reason is QueueAbortReason.SHUTDOWN:
            ctx.abort(AbortReason.SHUTDOWN)
        elif reason is not None:
            ctx.abort(AbortReason.USER_REQUEST)

    # --- the monitor --------------------------------------------------------------------------

    def _watch(self) -> None:
        renew_every = self._lease.total_seconds() / 3
        last_renewal = last_recovery = last_beat = time.monotonic()
        while not self._stopping.wait(self._abort_poll):
            clock = time.monotonic()
            if clock - last_beat >= BEAT_SECONDS:
                self._beat()
                last_beat = clock
            try:
                with self._lock:
                    running = dict(self._running)
                for ctx, context in running.values():
                    self._forward_abort(ctx, context)
                if running:
                    for task_id in self._store.abort_requested(self.owner):
                        if task_id in running:
                            running[task_id][0].abort(AbortReason.USER_REQUEST)
                if running and clock - last_renewal >= renew_every:
                    self._store.renew_leases(self.owner, self._lease, list(running))
                    last_renewal = clock
                if clock - last_recovery >= self._recovery_every:
                    self._recover()
                    last_recovery = clock
            except ServiceError as exc:  # the database is away: said once every 10 s, not at every round
                if clock - self._last_complaint >= 10.0:
                    self._last_complaint = clock
                    log.warning("monitor round failed: %s", exc.message, extra={"action": "monitor"})

    def _recover(self) -> None:
        self._recovery.run()
        self._service.engine.refresh()  # a pair removed while idle: its pipelines end now, not at a request
        if time.monotonic() >= self._next_prune:  # at the first round, then hourly
            self._next_prune = time.monotonic() + _PRUNE_EVERY_SECONDS
            pruned = self._store.prune_doorbell(ENDED_MESSAGES_KEPT_HOURS)
            if pruned:
                log.info(
                    "deleted %d queue messages that ended over %d hours ago",
                    pruned,
                    ENDED_MESSAGES_KEPT_HOURS,
                    extra={"action": "reconcile"},
                )
        closed, rung = self._store.reconcile_doorbell(STALLED_SECONDS)
        if closed or rung:
            log.info(
                "closed %d messages of dead workers, rang for %d waiting tasks",
                closed,
                rung,
                extra={"action": "reconcile"},
            )


def build_app(database_url: str, worker: TaskWorker | None = None) -> procrastinate.App:
    """The Procrastinate app over the state database `database_url` (a SQLAlchemy PostgreSQL URL),
    with Dragoman's one task, run by `worker` (a worker process's; None: an app that only reads)."""
    conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo))

    @app.task(name=TASK_NAME, pass_context=True)
    def run_task(context: JobContext, task_id: str, job_id: str) -> None:
        if worker is None:
            raise RuntimeError("this process runs no Dragoman tasks")
        worker.run(task_id, context)

    return app


def run_worker(service: Dragoman, concurrency: int, queues: Sequence[str] = ()) -> None:
    """Run tasks until SIGTERM or Ctrl-C: `concurrency` at a time, from the queues of the language
    pairs `queues` names (`en-es`), or from every pair. Running tasks stop at their next safe point
    when it ends, and go back to pending."""
    worker = TaskWorker(service)
    app = build_app(service.settings.database, worker)
    worker.start()
    try:
        app.run_worker(
            queues=[QUEUE_PREFIX + pair for pair in queues] or None,
            concurrency=concurrency,
            name=f"dragoman-{worker.owner}",
            shutdown_graceful_timeout=0,  # running tasks are aborted at once: they stop at a safe point
            # new messages are also looked for every second, not only when notified: a listener lost
            # with a PostgreSQL restart (Procrastinate 3.10 does not listen again) costs a second at most
            fetch_job_polling_interval=1.0,
            delete_jobs="successful",
        )
    finally:
        worker.stop()
