"""Running one task: read, take apart, translate, rebuild, publish. It returns the outcome; it never
decides the job's status."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from dragoman.abort import Aborted, AbortReason
from dragoman.domain.jobs import ErrorInfo, Task, broken_task, recover_task, stopped_task
from dragoman.domain.specs import checks_designated_source, shown_location
from dragoman.domain.states import TaskStatus
from dragoman.engines.base import Engine
from dragoman.errors import ServiceError, StoreError
from dragoman.formats.documents import DocumentFormat, format_named, format_of
from dragoman.formats.limits import DEFAULT_LIMITS, DocumentLimits
from dragoman.runner.context import TaskContext
from dragoman.runner.translate import translate_document
from dragoman.storage.deadline import abortable
from dragoman.storage.scopes import StorageScopes
from dragoman.store.jobs import JobStore

__all__ = ["Finisher", "Outcome", "TaskExecutor"]

# Publishes a task's document (the callable it is given) and records the task succeeded, in one
# transaction; says whether this claim still held the task (False: nothing was published).
Finisher = Callable[[Callable[[], None]], bool]

log = logging.getLogger("dragoman.runner")

_PROGRESS_EVERY_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a task ended, for the store to record: a running task's next state and why."""

    status: TaskStatus
    error: ErrorInfo | None = None
    characters: int = 0  # of a succeeded task: the source characters it translated and is billed for
    released: bool = False  # back to pending because its runner stopped cleanly: a claim not lost (rule 7)


class TaskExecutor:
    def __init__(
        self,
        store: JobStore,
        engine: Engine,
        storage: StorageScopes,
        owner: str,
        limits: DocumentLimits = DEFAULT_LIMITS,
    ) -> None:
        self._store = store
        self._engine = engine
        self._storage = storage
        self._owner = owner
        self._limits = limits  # what one document may cost

    def run(self, ctx: TaskContext, finisher: Finisher | None = None) -> Outcome:
        """Run the task to an outcome, decided in one place; the runner records it.

        With a `finisher`, a translated document is published through it: `finisher(publish)`
        publishes and records the task succeeded in one transaction (`JobStore.publish_and_finish`),
        and says whether it did; the runner then has nothing left to record for a succeeded task
        the finisher recorded. Without one, the document is published while the task is locked and
        the runner records every outcome."""
        task = ctx.task
        outcome = Outcome(TaskStatus.FAILED)
        try:
            characters = self._translate_and_publish(task, ctx, finisher)
            outcome = Outcome(TaskStatus.SUCCEEDED, characters=characters)
        except Aborted:  # partial output was never published
            outcome = Outcome(stopped_task(by_cancel=ctx.reason is not AbortReason.SHUTDOWN))
        except StoreError as exc:  # the state database failed under the task, not its document
            if exc.unreachable:  # an outage stopped it, as a shutdown would: no worker was lost (rule 7)
                status = stopped_task(by_cancel=ctx.reason is AbortReason.USER_REQUEST)
                outcome = Outcome(status, released=status is TaskStatus.PENDING)
            else:  # it refused what the task wrote: as a lost worker, so that a document doing it every time ends
                status = recover_task(
                    published=False, cancel_requested=ctx.reason is AbortReason.USER_REQUEST, attempts=ctx.lost
                )
                outcome = Outcome(status, ErrorInfo(exc.code, exc.message) if status is TaskStatus.FAILED else None)
        except ServiceError as exc:
            outcome = self._stopped_or(ctx, ErrorInfo(exc.code, exc.message))
        except Exception:
            log.exception("task failed unexpectedly", extra={"action": "run_task", "task_id": task.id})
            # the details are in the server's log; callers see no internal names (issue 10 §4)
            outcome = self._stopped_or(
                ctx, ErrorInfo("InternalServerError", f"an internal error stopped this document (task {task.id})")
            )
        if outcome.status is not TaskStatus.SUCCEEDED:
            self._discard_partials(ctx)
        if outcome.status is TaskStatus.PENDING and outcome.error is None and ctx.reason is AbortReason.SHUTDOWN:
            outcome = replace(outcome, released=True)  # stopped at a safe point by its runner's own stop
        return outcome

    def _discard_partials(self, ctx: TaskContext) -> None:
        """Remove what an interrupted publication of the task's target left, only while this claim
        still holds the task (under its lock, as publication is): a run that lost its task must not
        delete the part file of the run that took it over, in the middle of its publication."""
        task = ctx.task
        try:
            with self._store.holding(task.id, self._owner, ctx.attempt) as held:
                if held:
                    self._storage.for_tenant(ctx.tenant).discard_partials(task.target_url)
        except ServiceError as exc:  # the outcome must be recorded all the same; recovery sweeps what is left
            log.warning(
                "could not remove partial output: %s", exc.message, extra={"action": "discard", "task_id": task.id}
            )

    @staticmethod
    def _stopped_or(ctx: TaskContext, error: ErrorInfo) -> Outcome:
        """The outcome of a task whose work broke, as the domain decides it (`broken_task`)."""
        status = broken_task(stopping=ctx.should_abort(), by_cancel=ctx.reason is not AbortReason.SHUTDOWN)
        return Outcome(status, error if status is TaskStatus.FAILED else None)

    def _translate_and_publish(self, task: Task, ctx: TaskContext, finisher: Finisher | None = None) -> int:
        """Returns the characters billed for the published document."""
        storage = self._storage.for_tenant(ctx.tenant)
        with abortable(ctx.should_abort):  # a cancel stops a slow download at once
            storage.check_target(task.target_url)  # occupied since submission: fail now, untranslated
            source = storage.read(task.source_url)
        fmt = document_format(task, source)
        progress = _ProgressReporter(self._store, self._owner, ctx)
        translated = translate_document(
            self._engine,
            source,
            fmt,
            task.source_language,
            task.target_language,
            task.glossary,
            confirm_source=checks_designated_source(ctx.origin),
            should_abort=ctx.should_abort,
            on_progress=progress,
            on_extracted=progress.extracted,
            limits=self._limits,
        )
        ctx.check_abort()  # the last safe point: past it, the task finishes and is billed
        digest = hashlib.sha256(translated.output).hexdigest()
        recorded = self._store.record_output(
            task.id,
            self._owner,
            characters=translated.billed_characters,
            output_sha256=digest,
            attempt=ctx.attempt,
            warnings=translated.warnings,
        )
        if not recorded:
            raise Aborted()  # the lease was taken over; the new owner decides
        # Publication is fenced by the claim (rule 9): it happens while the task is locked for this
        # claim, so a runner that lost it (stopped past its lease, say) publishes nothing.
        published = False

        def publish() -> None:
            nonlocal published
            storage.publish(task.target_url, translated.output, fmt.content_types[0])
            published = True

        try:
            if finisher is not None:
                if not finisher(publish):
                    raise Aborted()
            else:
                with self._store.holding(task.id, self._owner, ctx.attempt) as held:
                    if not held:
                        raise Aborted()
                    publish()
        except StoreError:
            if not published:
                raise
            # Only the end of the locking transaction failed: the document is at its target, whole
            # (its digest was recorded first), so the task succeeded; run again, it would find its
            # own target taken.
            log.warning(
                "the state database failed after a publication", extra={"action": "publish", "task_id": task.id}
            )
        return translated.billed_characters


class _ProgressReporter:
    """What a running task tells its followers, at most every _PROGRESS_EVERY_SECONDS: the share of
    its segments translated and, once its document is taken apart, its characters (a follower counts
    progress in characters). A document that is taken apart and translated within that time records
    nothing until it finishes, so small documents cost no extra write."""

    def __init__(self, store: JobStore, owner: str, ctx: TaskContext) -> None:
        self._store, self._owner, self._ctx = store, owner, ctx
        self._last = time.monotonic()
        self._characters: int | None = None  # known, not yet recorded

    def extracted(self, characters: int) -> None:
        """The document was taken apart: record its characters now if that took a while, else with
        the next progress report."""
        self._characters = characters
        if time.monotonic() - self._last >= _PROGRESS_EVERY_SECONDS:
            self._record(0.0)

    def __call__(self, done: int, total: int) -> None:
        if time.monotonic() - self._last >= _PROGRESS_EVERY_SECONDS and done < total:
            self._record(done / total)

    def _record(self, progress: float) -> None:
        self._last = time.monotonic()
        ctx = self._ctx
        self._store.update_progress(
            ctx.task.id, self._owner, progress, attempt=ctx.attempt, characters=self._characters
        )
        self._characters = None


def document_format(task: Task, data: bytes) -> DocumentFormat:
    """The format the request named for the task's document, or else the one its file name says
    (its content, for a name with no extension). Raises UnsupportedFormat."""
    if task.document_format is not None:
        return format_named(task.document_format)
    return format_of(shown_location(task.source_url), data)  # the name a message shows: decoded
