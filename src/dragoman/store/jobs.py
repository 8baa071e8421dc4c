"""Durable jobs and tasks. Every state change is one transaction; task changes are guarded UPDATEs.

The cancel decision (lifecycle rule 2) and task completions both lock the job (SQLite: the write lock
taken by BEGIN IMMEDIATE; PostgreSQL: SELECT ... FOR UPDATE on the job row), so a cancel is decided
against a consistent set of task states and never interleaves with a completion.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, Select, and_, func, insert, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError, SQLAlchemyError

from dragoman.domain.jobs import (
    FINALIZE_ATTEMPTS,
    ErrorInfo,
    Job,
    JobView,
    Summary,
    Task,
    decide_cancel,
    derive_status,
    releasable,
    stopped_task,
)
from dragoman.domain.specs import DocumentWarning, JobSpec, shown_location
from dragoman.domain.states import JobStatus, TaskStatus, transition
from dragoman.errors import NotFound, ServiceError, StoreError, TargetBeingWritten, TargetExists
from dragoman.store.database import DURABLE, writer
from dragoman.store.schema import glossaries, glossary_digest, jobs, target_key, tasks
from dragoman.store.task_statements import (
    ABORT_REQUESTED,
    ANY_PENDING,
    ANY_PENDING_OF_JOB,
    CLAIM,
    CLAIM_NEXT,
    CLAIM_NEXT_OF_JOB,
    FINISH,
    HELD,
    JOB_BY_ID,
    JOB_COLUMNS,
    LOCK_JOB_OF_TASK,
    MOVE_COUNTERS,
    MOVE_COUNTERS_CLAIMED,
    NEXT_PENDING,
    NEXT_PENDING_OF_JOB,
    RECORD_OUTPUT,
    RELEASE,
    SET_STATUS,
    TASK_COUNTERS,
    UPDATE_PROGRESS,
    counter_changes,
)

__all__ = ["Claim", "Doorbell", "JobQuery", "JobStore", "JobTimeline", "Orphan", "TaskQuery", "utcnow"]

log = logging.getLogger("dragoman.store")

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class JobQuery:
    """Filters and order of a job listing. `after` is the (created_at, id) of the last row already seen."""

    ids: Sequence[str] | None = None
    statuses: Collection[JobStatus] | None = None
    name: str | None = None
    origin: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    ascending: bool = False
    after: tuple[datetime, str] | None = None
    search: str | None = None  # words of the name (case-insensitive), or the start of the id (dashes or not)
    language: str | None = None  # a language one of its tasks translates from or into


@dataclass(frozen=True, slots=True)
class JobTimeline:
    """When a job was created, when its first document started, when a cancel was requested, and
    when its last document finished (None: not yet, or never)."""

    created_at: datetime
    started_at: datetime | None
    cancel_requested_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class TaskQuery:
    """Filters, order and page of a job's tasks. `after` is the (created_at, seq) of the last row seen."""

    ids: Sequence[str] | None = None
    statuses: Collection[TaskStatus] | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    ascending: bool = True
    after: tuple[datetime, int] | None = None
    limit: int | None = None
    offset: int = 0


def utcnow() -> datetime:
    """Naive UTC: what the database columns hold."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class Claim:
    """A task handed to one worker, with what the worker needs to know about its job. `attempt` is
    the claim's fencing token: with the owner, it guards every change the worker makes to the task."""

    task: Task
    cancel_requested: bool
    tenant: str = ""
    attempt: int | None = None
    origin: str = ""  # the front door its job came through (`JobSpec.origin`)
    lost: int | None = None  # claims lost with their worker, this one included if it is (rule 7); None: not counted


@dataclass(frozen=True, slots=True)
class Orphan:
    """A task left `running` by a worker that is gone."""

    task: Task
    owner: str
    cancel_requested: bool
    output_sha256: str | None
    tenant: str = ""
    attempt: int | None = None
    lost: int | None = None  # claims lost with their worker, this one included (rule 7): attempts - releases


_ENDED = "dragoman.jobs_ended"  # a write transaction's connection.info: the jobs it ended

_LIVE_TASK_STATES = (TaskStatus.PENDING.value, TaskStatus.RUNNING.value)


_WARNED_EVERY_SECONDS = 10.0  # an outage fails every call: its driver message is logged this often at most
_last_warning = -_WARNED_EVERY_SECONDS


def _unavailable(exc: SQLAlchemyError) -> StoreError:
    """The error callers see: what failed, in words; the driver's message (it may quote SQL) is
    logged, its first line, once every `_WARNED_EVERY_SECONDS` (an outage fails every call)."""
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= _WARNED_EVERY_SECONDS:
        _last_warning = now
        log.warning("state database error: %s", str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc))
    unreachable = isinstance(exc, OperationalError | InterfaceError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )
    return StoreError("the state database is unavailable or busy; try again", unreachable=unreachable)


@contextmanager
def map_db_errors_except_integrity() -> Iterator[None]:
    """map_db_errors, letting IntegrityError through for the caller to read."""
    try:
        yield
    except (ServiceError, IntegrityError):
        raise
    except SQLAlchemyError as exc:
        raise _unavailable(exc) from exc


@contextmanager
def map_db_errors() -> Iterator[None]:
    """Turn driver errors into StoreError once, here, keeping the cause."""
    try:
        yield
    except ServiceError:
        raise
    except SQLAlchemyError as exc:
        raise _unavailable(exc) from exc


class Doorbell(Protocol):
    """What wakes workers elsewhere (`dragoman.workers.doorbell`): called inside the store's own
    transactions, so that a task and the message that it is to run commit together, or neither."""

    def ring(self, connection: Connection, job_id: str, task_ids: Sequence[str] | None = None) -> None:
        """Say that the job's pending tasks (or only `task_ids`) are to run."""

    def cancel(self, connection: Connection, job_id: str) -> None:
        """Say that nothing of the job is to run any more, and that its running tasks are to stop."""

    def ring_unqueued(self, connection: Connection) -> int:
        """Ring for every runnable pending task nothing rings for; how many."""

    def close_stalled(self, connection: Connection, seconds: float) -> int:
        """Close what dead workers held (silent for `seconds`); how many."""

    def prune(self, connection: Connection, hours: int) -> int:
        """Delete what ended more than `hours` ago; how many."""


class JobStore:
    """Jobs and tasks in a SQL database (SQLite or PostgreSQL) through SQLAlchemy Core."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock = utcnow,
        on_job_ended: Callable[[JobView], None] | None = None,
        doorbell: Doorbell | None = None,
    ) -> None:
        """`on_job_ended(view)` is called once per job that reaches its final state in a transaction of
        this store, after that transaction commits (an error it raises is logged, never raised).
        `doorbell`: rung in every transaction that makes tasks runnable (a job created or released, a
        task back to pending) and in every accepted cancel (many machines: `dragoman.workers`)."""
        self._engine = engine
        self._writer = writer(engine)  # SQLite: one connection the process's writers take in turn
        self._deferred_writer = self._writer.execution_options(**{DURABLE: False})
        self._doorbell = doorbell
        self._now = clock
        self._on_job_ended = on_job_ended
        self._reader = engine.execution_options(readonly=True)  # BEGIN, not BEGIN IMMEDIATE
        self._row_locks = engine.dialect.name != "sqlite"
        self._marker_lock = threading.Lock()
        self._marker_connection: Any = None

    def change_marker(self) -> int | None:
        """A number that changes whenever any connection commits a change (SQLite's data_version,
        read on a connection of its own), so readers can tell that nothing changed since they last
        looked. None where the database cannot say cheaply (PostgreSQL): assume it changed."""
        if self._engine.url.get_backend_name() != "sqlite":
            return None
        with self._marker_lock:
            if self._marker_connection is None:
                # A connection of its own, outside the pool: held for the store's life, it must not
                # count as a pooled connection checked out and never returned.
                dialect = self._engine.dialect
                args, kwargs = dialect.create_connect_args(self._engine.url)
                self._marker_connection = dialect.loaded_dbapi.connect(*args, **kwargs)
                self._marker_connection.isolation_level = None
            cursor = self._marker_connection.cursor()
            try:
                cursor.execute("PRAGMA data_version")
                return int(cursor.fetchone()[0])
            finally:
                cursor.close()

    def close(self) -> None:
        """Close the database connections (a server's sessions end now, not when collected)."""
        with self._marker_lock:
            if self._marker_connection is not None:
                self._marker_connection.close()
                self._marker_connection = None
        if self._writer is not self._engine:
            self._writer.dispose()
        self._engine.dispose()

    # --- transactions -------------------------------------------------------------------------

    @contextmanager
    def _write(self, *, durable: bool = True) -> Iterator[Connection]:
        """A write transaction. `durable=False` (`database.DURABLE`) only where losing the commit to a
        power cut, and every commit after it, leaves what a crash just before it would leave, which
        recovery settles: a claim (the task is pending again; nothing of it left the process before
        its output is recorded, durably), a progress report, and a success recorded after its
        document was published and its digest recorded (recovery finds the document whole at its
        target and the task succeeds again). Everything a caller is told was accepted (a job, a
        cancel) or that guards a publication (the digest) is durable."""
        ended: list[JobView] = []  # jobs this transaction ended (`_touch_job`), told once it committed
        with map_db_errors(), (self._writer if durable else self._deferred_writer).begin() as connection:
            if not durable and self._row_locks:  # PostgreSQL: this transaction only
                connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            connection.info[_ENDED] = ended
            try:
                yield connection
            finally:
                connection.info.pop(_ENDED, None)
        self._ended(ended)

    def _ended(self, views: Sequence[JobView]) -> None:
        if self._on_job_ended is None:
            return
        for view in views:
            try:
                self._on_job_ended(view)
            except Exception:
                log.exception("on_job_ended failed", extra={"job_id": view.job.id})

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with map_db_errors(), self._reader.connect() as connection, connection.begin():
            yield connection

    def _lock_job(self, connection: Connection, job_id: str) -> None:
        """Lock the job row before changing its tasks (PostgreSQL). SQLite's BEGIN IMMEDIATE already
        holds the database's one write lock, and its FOR UPDATE is a no-op: no statement is spent."""
        if self._row_locks:
            connection.execute(select(jobs.c.id).where(jobs.c.id == job_id).with_for_update())

    def _lock_job_view(self, connection: Connection, job_id: str, tenant: str | None = None) -> JobView:
        """The job row, locked, with its counters (kept exact by every transaction that changes a task)."""
        query = select(jobs).where(jobs.c.id == job_id)
        if tenant is not None:
            query = query.where(jobs.c.tenant == tenant)
        row = connection.execute(query.with_for_update()).first()
        if row is None:
            raise NotFound(f"job {job_id} not found")
        return JobView(_job_from_row(row), _summary_from_row(row))

    # --- jobs ---------------------------------------------------------------------------------

    def create_job(self, spec: JobSpec, *, validated: bool = True, error: ErrorInfo | None = None) -> JobView:
        """Create a job and its tasks in one transaction. With `error`, the job failed validation: it
        is stored (so its caller can read why) with no tasks, and nothing ever runs for it."""
        job_id = spec.job_id or str(uuid.uuid4())
        try:
            view = self._create_job(job_id, spec, validated, error)
        except IntegrityError as exc:  # PostgreSQL: a concurrent job took a target after the check below
            if "uq_tasks_live_target" not in str(exc.orig):
                raise _unavailable(exc) from exc
            raise TargetExists("another job is already writing one of this job's targets") from None
        if view.is_terminal:  # failed validation, or every task failed at once
            self._ended([view])
        return view

    def _create_job(self, job_id: str, spec: JobSpec, validated: bool, error: ErrorInfo | None) -> JobView:
        with map_db_errors_except_integrity(), self._writer.begin() as connection:
            now = self._now()
            job = Job(
                id=job_id,
                tenant=spec.tenant,
                created_at=now,
                updated_at=now,
                validated=validated,
                error=error,
                name=spec.name,
                origin=spec.origin,
                client_token=spec.client_token,
                details=spec.details,
                end_output=spec.end_output,
            )
            task_specs = [] if error is not None else list(spec.tasks)
            # a task created failed (TaskSpec.error) writes nothing: no target key, never live
            keys = [None if item.error is not None else target_key(item.target_url) for item in task_specs]
            self._refuse_live_targets(connection, [key for key in keys if key is not None])
            failed = sum(1 for item in task_specs if item.error is not None)
            counts = Summary(not_yet_started=len(task_specs) - failed, failed=failed)
            connection.execute(
                insert(jobs).values(
                    id=job_id,
                    tenant=spec.tenant,
                    name=spec.name,
                    created_at=now,
                    updated_at=now,
                    validated=validated,
                    cancel_requested=False,
                    labels=dict(spec.labels),
                    error_code=error.code if error else None,
                    error_message=error.message if error else None,
                    status=derive_status(job, counts).value,
                    n_pending=counts.not_yet_started,  # the other counters start at their default, 0
                    n_failed=counts.failed,
                    origin=spec.origin,
                    client_token=spec.client_token,
                    request_digest=spec.request_digest,
                    details=dict(spec.details) if spec.details is not None else None,
                    end_output=spec.end_output,
                )
            )
            digests = self._store_glossaries(connection, job_id, [item.glossary for item in task_specs])
            if task_specs:
                connection.execute(
                    insert(tasks),
                    [
                        {
                            "id": str(uuid.uuid4()),
                            "job_id": job_id,
                            "seq": seq,
                            "source_url": item.source_url,
                            "target_url": item.target_url,
                            "source_language": item.source_language,
                            "target_language": item.target_language,
                            "status": (TaskStatus.PENDING if item.error is None else TaskStatus.FAILED).value,
                            "error_code": None if item.error is None else item.error.code,
                            "error_message": None if item.error is None else item.error.message,
                            "finished_at": None if item.error is None else now,
                            "progress": 0.0,
                            "attempts": 0,
                            "releases": 0,
                            "created_at": now,
                            "updated_at": now,
                            "glossary_digest": digest,
                            "target_key": key,
                            "document_format": item.document_format,
                        }
                        for seq, (item, key, digest) in enumerate(zip(task_specs, keys, digests, strict=True))
                    ],
                )
            if self._doorbell is not None and validated and error is None and counts.not_yet_started:
                self._doorbell.ring(connection, job_id)
            return self._view(connection, job_id)

    def refuse_live_targets(self, target_urls: Sequence[str], tenant: str | None = None) -> None:
        """Rule 9: raise TargetBeingWritten if a live (pending or running) task of any job writes one of
        these targets, naming that job when it is `tenant`'s. `create_job` checks again, atomically
        with the insert; checking first as well lets a caller look at the storage only after it (a
        task publishes before it stops being live)."""
        with self._read() as connection:
            self._refuse_live_targets(connection, [target_key(url) for url in target_urls], tenant)

    @staticmethod
    def _refuse_live_targets(connection: Connection, keys: list[str], tenant: str | None = None) -> None:
        """Rule 9: raise TargetBeingWritten if a live task of any job already writes one of these targets."""
        for start in range(0, len(keys), 500):
            taken = connection.execute(
                select(tasks.c.target_url, tasks.c.job_id, jobs.c.tenant)
                .join(jobs, jobs.c.id == tasks.c.job_id)
                .where(tasks.c.target_key.in_(keys[start : start + 500]), tasks.c.status.in_(_LIVE_TASK_STATES))
                .limit(1)
            ).first()
            if taken is None:
                continue
            where = shown_location(taken.target_url)
            if tenant is not None and taken.tenant == tenant:  # another tenant's job is not named
                raise TargetBeingWritten(
                    f"{where} is already being written by job {taken.job_id}: try again once it has ended, or "
                    "write the translations elsewhere",
                    job_id=taken.job_id,
                )
            raise TargetBeingWritten(
                f"{where} is already being written by another job: try again once that job has ended, or write "
                "the translations elsewhere"
            )

    @staticmethod
    def _store_glossaries(
        connection: Connection, job_id: str, per_task: list[tuple[tuple[str, str], ...]]
    ) -> list[str | None]:
        """Store each distinct glossary of a job once; the digest each task refers to (None: none)."""
        digests: list[str | None] = []
        stored: set[str] = set()
        for glossary in per_task:
            if not glossary:
                digests.append(None)
                continue
            digest = glossary_digest(glossary)
            if digest not in stored:
                stored.add(digest)
                connection.execute(
                    insert(glossaries).values(job_id=job_id, digest=digest, pairs=[list(pair) for pair in glossary])
                )
            digests.append(digest)
        return digests

    def unfinalized(self, origins: Collection[str], job_id: str | None = None) -> list[str]:
        """Jobs of these origins whose tasks are all done and whose end-of-job output is still owed."""
        statement = select(jobs.c.id).where(
            jobs.c.origin.in_(list(origins)),
            jobs.c.end_output.is_(True),
            jobs.c.finalized_at.is_(None),
            jobs.c.output_error_code.is_(None),
            jobs.c.error_code.is_(None),
            jobs.c.n_pending == 0,
            jobs.c.n_running == 0,
        )
        if job_id is not None:
            statement = statement.where(jobs.c.id == job_id)
        with self._read() as connection:
            return [row.id for row in connection.execute(statement) if self._view(connection, row.id).owes_output]

    def mark_finalized(self, job_id: str) -> bool:
        """The job's end-of-job output was written: the job ends (its stored status follows)."""
        with self._write() as connection:
            now = self._now()
            result = connection.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.finalized_at.is_(None), jobs.c.output_error_code.is_(None))
                .values(finalized_at=now)
            )
            if result.rowcount == 1:
                self._touch_job(connection, job_id, now, {})
            return result.rowcount == 1

    def finalize_failed(self, job_id: str, error: ErrorInfo) -> bool:
        """One more failed try at the job's end-of-job output. After FINALIZE_ATTEMPTS tries the job
        fails for it, with `error` recorded. Returns True when this try gave up on the output."""
        with self._write() as connection:
            now = self._now()
            attempts = connection.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.finalized_at.is_(None), jobs.c.output_error_code.is_(None))
                .values(finalize_attempts=jobs.c.finalize_attempts + 1)
                .returning(jobs.c.finalize_attempts)
            ).scalar()
            if attempts is None or attempts < FINALIZE_ATTEMPTS:
                return False
            connection.execute(
                update(jobs)
                .where(jobs.c.id == job_id)
                .values(output_error_code=error.code, output_error_message=error.message)
            )
            self._touch_job(connection, job_id, now, {})
            return True

    def find_by_client_token(self, tenant: str, client_token: str) -> tuple[JobView, str | None] | None:
        """The tenant's job started with this idempotency token, and the digest of what it asked for."""
        with self._read() as connection:
            row = connection.execute(
                select(jobs.c.id, jobs.c.request_digest).where(
                    jobs.c.tenant == tenant, jobs.c.client_token == client_token
                )
            ).first()
            if row is None:
                return None
            return self._view(connection, row.id), row.request_digest

    def job_ids_starting_with(self, prefix: str, *, tenant: str | None = None, limit: int = 10) -> list[str]:
        """Ids (dashed, as stored) of jobs whose id starts with `prefix`, written with its dashes or
        without them (Amazon's 32-character JobId), at most `limit`, sorted. `prefix` must be
        hexadecimal (dashes allowed); anything else matches nothing."""
        dashed = _id_prefix(prefix)
        if dashed is None:
            return []
        with self._read() as connection:
            rows = connection.execute(
                select(jobs.c.id)
                .where(jobs.c.id.like(dashed + "%"), *_tenant_is(tenant))
                .order_by(jobs.c.id)
                .limit(limit)
            ).all()
        return [row.id for row in rows]

    def get(self, job_id: str, *, tenant: str | None = None) -> JobView:
        with self._read() as connection:
            view = self._view(connection, job_id)
        if tenant is not None and view.job.tenant != tenant:
            raise NotFound(f"job {job_id} not found")
        return view

    def list_jobs(
        self,
        *,
        tenant: str | None = None,
        limit: int = 50,
        offset: int = 0,
        query: JobQuery | None = None,
    ) -> list[JobView]:
        """A page of jobs. Paging by `query.after` (a keyset cursor) is stable under concurrent inserts;
        `offset` is for a caller's explicit skip."""
        query = query or JobQuery()
        with self._read() as connection:
            statement = select(*JOB_COLUMNS).where(*_tenant_is(tenant))
            if query.ids is not None:
                statement = statement.where(jobs.c.id.in_(list(query.ids)))
            if query.statuses is not None:
                statement = statement.where(jobs.c.status.in_([status.value for status in query.statuses]))
            if query.name is not None:
                statement = statement.where(jobs.c.name == query.name)
            if query.origin is not None:
                statement = statement.where(jobs.c.origin == query.origin)
            if query.created_from is not None:
                statement = statement.where(jobs.c.created_at >= _naive(query.created_from))
            if query.created_to is not None:
                statement = statement.where(jobs.c.created_at <= _naive(query.created_to))
            if query.search is not None and query.search.strip():
                statement = statement.where(_searched(query.search.strip()))
            if query.language is not None:
                translating = select(tasks.c.id).where(
                    tasks.c.job_id == jobs.c.id,
                    or_(tasks.c.target_language == query.language, tasks.c.source_language == query.language),
                )
                statement = statement.where(translating.exists())
            statement = _keyset(statement, jobs.c.created_at, jobs.c.id, query.ascending, query.after)
            rows = connection.execute(statement.limit(limit).offset(offset)).all()
        return [JobView(_job_from_row(row), _summary_from_row(row)) for row in rows]

    def languages_of(self, job_ids: Sequence[str]) -> dict[str, tuple[list[str], list[str]]]:
        """Job id -> (the source languages, the target languages) of its tasks, each sorted."""
        found: dict[str, tuple[set[str], set[str]]] = {job_id: (set(), set()) for job_id in job_ids}
        with self._read() as connection:
            for start in range(0, len(job_ids), 500):
                rows = connection.execute(
                    select(tasks.c.job_id, tasks.c.source_language, tasks.c.target_language)
                    .where(tasks.c.job_id.in_(list(job_ids[start : start + 500])))
                    .distinct()
                ).all()
                for row in rows:
                    found[row.job_id][0].add(row.source_language)
                    found[row.job_id][1].add(row.target_language)
        return {job_id: (sorted(sources), sorted(targets)) for job_id, (sources, targets) in found.items()}

    def timeline(self, job_id: str, *, tenant: str | None = None) -> JobTimeline:
        """The job's moments (see JobTimeline). Raises NotFound, also for another tenant's job."""
        with self._read() as connection:
            row = connection.execute(
                select(jobs.c.tenant, jobs.c.created_at, jobs.c.cancel_requested_at).where(jobs.c.id == job_id)
            ).first()
            if row is None or (tenant is not None and row.tenant != tenant):
                raise NotFound(f"job {job_id} not found")
            moments = connection.execute(
                select(
                    func.min(tasks.c.started_at).label("started"),
                    func.max(tasks.c.finished_at).label("finished"),
                    func.count().filter(tasks.c.finished_at.is_(None)).label("open"),
                ).where(tasks.c.job_id == job_id)
            ).one()
        return JobTimeline(
            created_at=_utc(row.created_at),
            started_at=None if moments.started is None else _utc(moments.started),
            cancel_requested_at=None if row.cancel_requested_at is None else _utc(row.cancel_requested_at),
            finished_at=None if moments.finished is None or moments.open else _utc(moments.finished),
        )

    def tasks(self, job_id: str, *, tenant: str | None = None, query: TaskQuery | None = None) -> list[Task]:
        """A job's tasks in submission order (or as `query` asks), filtered and paged like jobs."""
        query = query or TaskQuery()
        with self._read() as connection:
            job = self._view(connection, job_id).job
            if tenant is not None and job.tenant != tenant:
                raise NotFound(f"job {job_id} not found")
            statement = select(tasks).where(tasks.c.job_id == job_id)
            if query.ids is not None:
                statement = statement.where(tasks.c.id.in_(list(query.ids)))
            if query.statuses is not None:
                statement = statement.where(tasks.c.status.in_([status.value for status in query.statuses]))
            if query.created_from is not None:
                statement = statement.where(tasks.c.created_at >= _naive(query.created_from))
            if query.created_to is not None:
                statement = statement.where(tasks.c.created_at <= _naive(query.created_to))
            statement = _keyset(statement, tasks.c.created_at, tasks.c.seq, query.ascending, query.after)
            if query.limit is not None:
                statement = statement.limit(query.limit)
            rows = connection.execute(statement.offset(query.offset))
            return [_task_from_row(row) for row in rows]

    def task(self, job_id: str, task_id: str, *, tenant: str | None = None) -> Task:
        with self._read() as connection:
            row = connection.execute(
                select(tasks)
                .join(jobs, jobs.c.id == tasks.c.job_id)
                .where(tasks.c.job_id == job_id, tasks.c.id == task_id, *_tenant_is(tenant))
            ).first()
        if row is None:
            raise NotFound(f"document {task_id} of job {job_id} not found")
        return _task_from_row(row)

    def request_cancel(self, job_id: str, *, tenant: str | None = None) -> JobView:
        """Rules 1-2 in one transaction: refuse, or flag the job and cancel every pending task."""
        now = self._now()
        with self._write() as connection:
            locked = self._lock_job_view(connection, job_id, tenant)
            decide_cancel(locked.job, locked.summary)  # raises CancelRefused
            cancelled = connection.execute(
                update(tasks)
                .where(tasks.c.job_id == job_id, tasks.c.status == TaskStatus.PENDING.value)
                .values(status=TaskStatus.CANCELLED.value, updated_at=now, finished_at=now)
            ).rowcount
            connection.execute(
                update(jobs).where(jobs.c.id == job_id).values(cancel_requested=True, cancel_requested_at=now)
            )
            self._touch_job(connection, job_id, now, {"n_pending": -cancelled, "n_cancelled": cancelled})
            if self._doorbell is not None:  # queued messages dropped, running tasks asked to stop: same commit
                self._doorbell.cancel(connection, job_id)
            return self._view(connection, job_id)

    def release_job(self, job_id: str) -> JobView:
        """Hand a job created held (`create_job(validated=False)`, see `dragoman.holds`) to the runners,
        unless it may no longer be (`domain.releasable`: a cancel was accepted for it meanwhile). Decided
        under the job's lock, as a cancel is, so the two never interleave. Raises NotFound."""
        with self._write() as connection:
            locked = self._lock_job_view(connection, job_id)
            if not releasable(locked.job):
                return locked
            connection.execute(update(jobs).where(jobs.c.id == job_id).values(validated=True))
            view = self._touch_job(connection, job_id, self._now(), {})
            if self._doorbell is not None:
                self._doorbell.ring(connection, job_id)
            return view

    def held_jobs(self) -> list[tuple[str, dict[str, Any]]]:
        """(id, labels) of the jobs still held by their submitter (validating, no cancel accepted)."""
        with self._read() as connection:
            rows = connection.execute(
                select(jobs.c.id, jobs.c.labels).where(
                    jobs.c.status == JobStatus.VALIDATING.value, jobs.c.cancel_requested.is_(False)
                )
            ).all()
        return [(row.id, dict(row.labels or {})) for row in rows]

    # --- the runner's side --------------------------------------------------------------------

    def ping(self) -> None:
        """A read that touches the schema (`/health`): raises StoreError when the database does not answer."""
        with self._read() as connection:
            connection.execute(ANY_PENDING).first()

    def has_pending(self, only_job: str | None = None) -> bool:
        """Whether any task (of `only_job`, if given) waits to be claimed: a read, so idle workers never
        queue for the write lock."""
        with self._read() as connection:
            if only_job is None:
                return connection.execute(ANY_PENDING).first() is not None
            return connection.execute(ANY_PENDING_OF_JOB, {"b_job": only_job}).first() is not None

    def claim_next(self, owner: str, lease: timedelta, *, only_job: str | None = None) -> Claim | None:
        """Hand the next pending task to `owner` (the fairest job's first, or `only_job`'s), or None when
        there is nothing to do. Not durable (`_write`): a claim lost to a power cut leaves the task
        pending. `only_job`: a command's embedded runner, which runs the job it follows and no other."""
        with self._write(durable=False) as connection:
            return self._claim(connection, owner, lease, self._now(), only_job)

    def _claim(
        self, connection: Connection, owner: str, lease: timedelta, now: datetime, only_job: str | None = None
    ) -> Claim | None:
        if not self._row_locks:  # SQLite: the write lock serialises claims; one statement finds and takes
            claimed = self._claim_next_row(connection, owner, lease, now, only_job)
            return None if claimed is None else self._claimed(connection, claimed, now)
        while True:
            if only_job is None:
                candidate = connection.execute(NEXT_PENDING).first()
            else:
                candidate = connection.execute(NEXT_PENDING_OF_JOB, {"b_job": only_job}).first()
            if candidate is None:
                return None
            self._lock_job(connection, candidate.job_id)
            claim = self._take(connection, candidate, owner, lease, now)
            if claim is not None:
                return claim

    @staticmethod
    def _claim_next_row(
        connection: Connection, owner: str, lease: timedelta, now: datetime, only_job: str | None = None
    ) -> Any:
        """SQLite: the next pending task (of `only_job`, if given) taken for `owner` in one statement,
        its claimed row; or None."""
        parameters = {"b_owner": owner, "b_now": now, "b_expires": now + lease}
        if only_job is None:
            return connection.execute(CLAIM_NEXT, parameters).first()
        return connection.execute(CLAIM_NEXT_OF_JOB, {**parameters, "b_job": only_job}).first()

    def claim_task(self, task_id: str, owner: str, lease: timedelta) -> Claim | None:
        """Hand this one task to `owner` (a worker told to run it), or None when it is not to run
        now: it is no longer pending (run, running elsewhere, cancelled) or its job is held."""
        with self._write() as connection:
            now = self._now()
            job_id = connection.execute(select(tasks.c.job_id).where(tasks.c.id == task_id)).scalar()
            if job_id is None:
                return None
            held = self._lock_job_view(connection, job_id)
            if not held.job.validated:
                return None
            candidate = connection.execute(select(tasks).where(tasks.c.id == task_id)).first()
            if candidate is None or candidate.status != TaskStatus.PENDING.value:
                return None
            return self._take(connection, candidate, owner, lease, now)

    def _take(
        self, connection: Connection, candidate: Any, owner: str, lease: timedelta, now: datetime
    ) -> Claim | None:
        """Claim the pending task `candidate` (a tasks row) for `owner`, its job locked: a new attempt
        under a lease. None if it was no longer pending."""
        claimed = connection.execute(
            CLAIM,
            {"b_task": candidate.id, "b_owner": owner, "b_now": now, "b_expires": now + lease},
        ).first()
        return None if claimed is None else self._claimed(connection, claimed, now)

    def _claimed(self, connection: Connection, row: Any, now: datetime) -> Claim:
        """The claim of the task whose claimed row (CLAIM's or CLAIM_NEXT's) is `row`: its job's
        counters moved, the job marked served now."""
        view = self._touch_job(connection, row.job_id, now, {"n_pending": -1, "n_running": 1}, claimed=True)
        return self._claim_of(connection, row, view, now)

    def _claim_of(self, connection: Connection, row: Any, view: JobView, now: datetime) -> Claim:
        """The claim of the task whose claimed row is `row`, its job's counters already moved (`view`)."""
        task = replace(
            _task_from_row(row),
            updated_at=_utc(now),
            glossary=self._glossary(connection, row.job_id, row.glossary_digest),
        )
        lost = row.attempts - (row.releases or 0)
        return Claim(task, view.job.cancel_requested, view.job.tenant, row.attempts, view.job.origin, lost)

    @staticmethod
    def _glossary(connection: Connection, job_id: str, digest: str | None) -> tuple[tuple[str, str], ...]:
        if digest is None:
            return ()
        pairs = connection.execute(
            select(glossaries.c.pairs).where(glossaries.c.job_id == job_id, glossaries.c.digest == digest)
        ).scalar()
        return tuple((str(source), str(target)) for source, target in pairs or ())

    def record_output(
        self,
        task_id: str,
        owner: str,
        *,
        characters: int,
        output_sha256: str,
        attempt: int | None = None,
        warnings: Sequence[DocumentWarning] = (),
    ) -> bool:
        """Note what is about to be published, so recovery can recognise it after a crash, and what
        the document leaves untranslated (`warnings`, kept with the task)."""
        with self._write() as connection:
            result = connection.execute(
                RECORD_OUTPUT,
                {
                    "b_task": task_id,
                    "b_owner": owner,
                    "b_attempt": attempt,
                    "b_characters": characters,
                    "b_sha256": output_sha256,
                    "b_warnings": [{"code": item.code, "message": item.message} for item in warnings] or None,
                    "b_now": self._now(),
                },
            )
            return result.rowcount == 1

    @contextmanager
    def holding(self, task_id: str, owner: str, attempt: int | None) -> Iterator[bool]:
        """A transaction in which the task is locked if this claim (owner and attempt) still holds it;
        yields whether it does. Publication runs inside it (lifecycle rule 9): a takeover of the task
        (recovery, a new claim) waits for the lock, so a runner that lost its claim publishes nothing.
        SQLite: the database's write lock; PostgreSQL: the job's and the task's row locks."""
        with self._write() as connection:
            yield self._held(connection, task_id, owner, attempt)

    def publish_and_finish(
        self,
        task_id: str,
        owner: str,
        attempt: int | None,
        publish: Callable[[], None],
        lease: timedelta | None,
        *,
        only_job: str | None = None,
    ) -> tuple[bool, Claim | None]:
        """`holding` and `finish_and_claim` in one transaction, for a task whose output is recorded
        (`record_output`): if this claim still holds the task, `publish()` runs with the task locked
        (lifecycle rule 9), the task succeeds, and, with a `lease`, the next task is claimed.
        Returns (False, None), publishing nothing, when the claim no longer holds the task.

        An exception from `publish` rolls everything back and is raised: nothing was recorded. A
        failure to commit after `publish` returned (StoreError) leaves the document at its target,
        whole, and the task running with its digest recorded: reporting it succeeded again, or
        recovery, finishes it. Where rows are locked (PostgreSQL) the next task is claimed in a
        transaction of its own, as `finish_and_claim` does. `only_job`: as `claim_next`."""
        claim = None
        # Not durable (`_write`): the document is published and synced and its digest recorded
        # durably, so a success lost to a power cut is found again by recovery.
        with self._write(durable=False) as connection:
            if not self._held(connection, task_id, owner, attempt):
                return False, None
            publish()
            now = self._now()
            if lease is not None and not self._row_locks:
                return True, self._succeed_and_claim(connection, task_id, owner, attempt, lease, now, only_job)
            reported = self._finish(connection, task_id, owner, TaskStatus.SUCCEEDED, None, now, attempt)
        if reported and lease is not None and self._row_locks:
            try:
                claim = self.claim_next(owner, lease, only_job=only_job)
            except ServiceError:  # the task is recorded; the worker claims again when it next looks for work
                claim = None
        return reported, claim

    def _succeed_and_claim(
        self,
        connection: Connection,
        task_id: str,
        owner: str,
        attempt: int | None,
        lease: timedelta,
        now: datetime,
        only_job: str | None = None,
    ) -> Claim | None:
        """SQLite, the task held: it succeeds and the next task is claimed, the job's counters moved
        once when both are of one job (a job cannot end while one of its tasks is being claimed, so
        the status derived from the moved counters is the one two moves would leave)."""
        finished = connection.execute(
            FINISH[TaskStatus.SUCCEEDED], _outcome_parameters(task_id, owner, attempt, now, None)
        ).one()
        moved = _ended_task_moves(TaskStatus.SUCCEEDED, finished)
        claimed = self._claim_next_row(connection, owner, lease, now, only_job)
        if claimed is None or claimed.job_id != finished.job_id:
            self._touch_job(connection, finished.job_id, now, moved)
            return None if claimed is None else self._claimed(connection, claimed, now)
        moved |= {"n_pending": -1, "n_running": 0}  # the finished task's running place goes to the claimed one
        view = self._touch_job(connection, finished.job_id, now, moved, claimed=True)
        return self._claim_of(connection, claimed, view, now)

    def _held(self, connection: Connection, task_id: str, owner: str, attempt: int | None) -> bool:
        """Whether this claim still holds the task, its job and then the task locked (PostgreSQL; the
        order every writer keeps). SQLite's write lock is the one lock, held already."""
        if self._row_locks and connection.execute(LOCK_JOB_OF_TASK, {"b_task": task_id}).first() is None:
            return False
        return connection.execute(HELD, {"b_task": task_id, "b_owner": owner, "b_attempt": attempt}).first() is not None

    def update_progress(
        self, task_id: str, owner: str, progress: float, *, attempt: int | None = None, characters: int | None = None
    ) -> None:
        """A running task's progress (0 to 1) and, once its document was taken apart, its characters:
        what a follower's progress counts in (a task's characters are what it bills once it succeeds,
        recorded again then). Not durable (`_write`)."""
        with self._write(durable=False) as connection:
            connection.execute(
                UPDATE_PROGRESS,
                {
                    "b_task": task_id,
                    "b_owner": owner,
                    "b_attempt": attempt,
                    "b_progress": max(0.0, min(1.0, progress)),
                    "b_characters": characters,
                    "b_now": self._now(),
                },
            )

    def finish(
        self,
        task_id: str,
        owner: str,
        status: TaskStatus,
        error: ErrorInfo | None = None,
        *,
        attempt: int | None = None,
        released: bool = False,
    ) -> bool:
        """Report a running task's outcome. False when this claim (owner, and attempt if given) no
        longer holds the task. `released`: back to pending because its runner stopped cleanly (a
        shutdown), a claim not counted as lost (rule 7)."""
        transition(TaskStatus.RUNNING, status)
        with self._write() as connection:
            return self._finish(connection, task_id, owner, status, error, self._now(), attempt, released=released)

    def finish_and_claim(
        self,
        task_id: str,
        owner: str,
        status: TaskStatus,
        error: ErrorInfo | None,
        lease: timedelta,
        *,
        attempt: int | None = None,
        released: bool = False,
        only_job: str | None = None,
    ) -> tuple[bool, Claim | None]:
        """`finish`, then `claim_next` (of `only_job`, if given), in one transaction: a busy worker
        commits once between tasks.

        Where rows are locked (PostgreSQL) they stay two transactions: the next task may be another
        job's, and two job locks in one transaction deadlock with a worker taking them the other way."""
        transition(TaskStatus.RUNNING, status)
        if self._row_locks:
            reported = self.finish(task_id, owner, status, error, attempt=attempt, released=released)
            return reported, self.claim_next(owner, lease, only_job=only_job)
        with self._write() as connection:
            now = self._now()
            reported = self._finish(connection, task_id, owner, status, error, now, attempt, released=released)
            return reported, self._claim(connection, owner, lease, now, only_job)

    def _finish(
        self,
        connection: Connection,
        task_id: str,
        owner: str,
        status: TaskStatus,
        error: ErrorInfo | None,
        now: datetime,
        attempt: int | None = None,
        *,
        released: bool = False,
    ) -> bool:
        # The job is locked first where rows are locked (PostgreSQL), and read whenever the task goes
        # back to pending; SQLite's write lock is held already, so an outcome needs no statement more.
        if self._row_locks or status is TaskStatus.PENDING:
            locked = connection.execute(LOCK_JOB_OF_TASK, {"b_task": task_id}).first()
            if locked is None:
                raise NotFound(f"task {task_id} not found")
            if status is TaskStatus.PENDING and locked.cancel_requested:  # handed back after its job's cancel
                status, error, released = stopped_task(by_cancel=True), None, False
        finished = connection.execute(
            RELEASE if released and status is TaskStatus.PENDING else FINISH[status],
            _outcome_parameters(task_id, owner, attempt, now, error),
        ).first()
        if finished is None:
            if connection.execute(select(tasks.c.id).where(tasks.c.id == task_id)).first() is None:
                raise NotFound(f"task {task_id} not found")
            return False
        job_id = finished.job_id
        view = self._touch_job(connection, job_id, now, _ended_task_moves(status, finished))
        if status is TaskStatus.PENDING and self._doorbell is not None and not view.job.cancel_requested:
            self._doorbell.ring(connection, job_id, [task_id])  # released by a shutdown, or recovered: again
        return True

    def reconcile_doorbell(self, stalled_seconds: float) -> tuple[int, int]:
        """With a doorbell: close what workers silent for `stalled_seconds` held, and ring for every
        runnable pending task nothing rings for (a message lost with its worker); (closed, rung)."""
        if self._doorbell is None:
            return 0, 0
        with self._write() as connection:
            closed = self._doorbell.close_stalled(connection, stalled_seconds)
            rung = self._doorbell.ring_unqueued(connection)
        return closed, rung

    def prune_doorbell(self, hours: int) -> int:
        """With a doorbell: delete its messages that ended more than `hours` ago; how many (0 without)."""
        if self._doorbell is None:
            return 0
        with self._write() as connection:
            return self._doorbell.prune(connection, hours)

    def abort_requested(self, owner: str) -> set[str]:
        """Ids of `owner`'s running tasks whose job has been cancelled."""
        with self._read() as connection:
            return {row.id for row in connection.execute(ABORT_REQUESTED, {"b_owner": owner})}

    def renew_leases(self, owner: str, lease: timedelta, task_ids: Collection[str] | None = None) -> None:
        """Extend the leases of `owner`'s running tasks: only `task_ids` when given (the tasks a runner
        is still working on; a task it gave up on must lapse so that recovery can take it)."""
        statement = update(tasks).where(tasks.c.lease_owner == owner, tasks.c.status == TaskStatus.RUNNING.value)
        if task_ids is not None:
            if not task_ids:
                return
            statement = statement.where(tasks.c.id.in_(list(task_ids)))
        with self._write() as connection:
            connection.execute(statement.values(lease_expires_at=self._now() + lease))

    def orphans(self, is_gone: Callable[[str, datetime | None], bool]) -> list[Orphan]:
        """Running tasks whose owner `is_gone(owner, lease_expires_at)` says is no longer working."""
        with self._read() as connection:
            rows = connection.execute(
                select(tasks, jobs.c.cancel_requested.label("job_cancel_requested"), jobs.c.tenant.label("tenant"))
                .join(jobs, jobs.c.id == tasks.c.job_id)
                .where(tasks.c.status == TaskStatus.RUNNING.value)
            )
            return [
                Orphan(
                    _task_from_row(row),
                    row.lease_owner,
                    bool(row.job_cancel_requested),
                    row.output_sha256,
                    row.tenant,
                    row.attempts,
                    row.attempts - (row.releases or 0),
                )
                for row in rows
                if is_gone(row.lease_owner or "", row.lease_expires_at)
            ]

    def recover(
        self,
        orphan: Orphan,
        decide: TaskStatus | Callable[[], TaskStatus | tuple[TaskStatus, ErrorInfo | None]],
        *,
        released: bool = False,
    ) -> bool:
        """Apply the domain's recovery decision (a status, or a status and why it failed), unless
        someone else already did. `decide` is called while the task is locked for the orphan's
        claim, so no publication of that claim can land between the look at the target and the
        decision."""
        now = self._now()
        with self._write() as connection:
            if not self._held(connection, orphan.task.id, orphan.owner, orphan.attempt):
                return False
            decided = decide() if callable(decide) else decide
            status, error = decided if isinstance(decided, tuple) else (decided, None)
            transition(TaskStatus.RUNNING, status)
            return self._finish(
                connection, orphan.task.id, orphan.owner, status, error, now, orphan.attempt, released=released
            )

    # --- helpers ------------------------------------------------------------------------------

    def _touch_job(
        self, connection: Connection, job_id: str, now: datetime, moved: dict[str, int], *, claimed: bool = False
    ) -> JobView:
        """Record that tasks of the job changed state: move its counters by `moved` (column -> change)
        and store the status the domain derives from them, in the transaction that changed the tasks.
        Counters move by exactly what the guarded task updates did, so a job of any size costs the
        same to update; the property tests check them against the tasks themselves. `claimed`: a task
        of the job was claimed now (its turn at the workers)."""
        statement = MOVE_COUNTERS_CLAIMED if claimed else MOVE_COUNTERS
        row = connection.execute(statement, {"b_job": job_id, "b_now": now, **counter_changes(moved)}).one()
        view = JobView(_job_from_row(row), _summary_from_row(row))
        if view.status.value != row.status:  # the status moves a few times per job, the counters every time
            connection.execute(SET_STATUS, {"b_job": job_id, "b_status": view.status.value})
            ended = connection.info.get(_ENDED)
            if view.is_terminal and ended is not None:
                ended.append(view)
        return view

    def _view(self, connection: Connection, job_id: str) -> JobView:
        row = connection.execute(JOB_BY_ID, {"b_job": job_id}).first()
        if row is None:
            raise NotFound(f"job {job_id} not found")
        return JobView(_job_from_row(row), _summary_from_row(row))


def _outcome_parameters(
    task_id: str, owner: str, attempt: int | None, now: datetime, error: ErrorInfo | None
) -> dict[str, Any]:
    """FINISH's and RELEASE's parameters: the task, the claim that must still hold it, and why it ended."""
    return {
        "b_task": task_id,
        "b_owner": owner,
        "b_attempt": attempt,
        "b_now": now,
        "b_error_code": error.code if error else None,
        "b_error_message": error.message if error else None,
    }


def _ended_task_moves(status: TaskStatus, finished: Any) -> dict[str, int]:
    """How a job's counters move when its running task (the `finished` row) ends in `status`."""
    moved = {"n_running": -1, TASK_COUNTERS[status]: 1}
    if status is TaskStatus.SUCCEEDED:
        moved["characters_charged"] = finished.characters or 0
    return moved


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC)


def _summary_from_row(row: Any) -> Summary:
    counts = {status: getattr(row, column) for status, column in TASK_COUNTERS.items()}
    return Summary.from_counts(counts, row.characters_charged)


def _naive(value: datetime) -> datetime:
    """Stored times are naive UTC."""
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _tenant_is(tenant: str | None) -> list[Any]:
    return [] if tenant is None else [jobs.c.tenant == tenant]


def _searched(words: str) -> Any:
    """A job whose name holds `words` (case-insensitive; `%` and `_` are letters here), or whose id
    starts with them, written with its dashes or without (Amazon's JobId)."""
    escaped = words.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    named = func.lower(jobs.c.name).like(f"%{escaped}%", escape="\\")
    dashed = _id_prefix(words)
    return named if dashed is None else or_(named, jobs.c.id.like(dashed + "%"))


def _id_prefix(prefix: str) -> str | None:
    """The start of a job id as stored (dashed) that `prefix` writes with or without its dashes, or
    None when `prefix` cannot start an id (empty, too long, not hexadecimal)."""
    bare = prefix.replace("-", "").lower()
    if not bare or len(bare) > 32 or any(char not in "0123456789abcdef" for char in bare):
        return None
    return "-".join(part for part in (bare[:8], bare[8:12], bare[12:16], bare[16:20], bare[20:]) if part)


def _keyset(statement: Select[Any], time: Any, tiebreak: Any, ascending: bool, after: tuple[Any, Any] | None) -> Any:
    """Order by (time, tiebreak) and continue strictly after the cursor: rows inserted while a caller
    pages are never listed twice and never push an already-listed row onto a later page."""
    if after is not None:
        moment, key = _naive(after[0]), after[1]
        if ascending:
            statement = statement.where(or_(time > moment, and_(time == moment, tiebreak > key)))
        else:
            statement = statement.where(or_(time < moment, and_(time == moment, tiebreak < key)))
    if ascending:
        return statement.order_by(time.asc(), tiebreak.asc())
    return statement.order_by(time.desc(), tiebreak.desc())


def _job_from_row(row: Any) -> Job:
    error = ErrorInfo(row.error_code, row.error_message or "") if row.error_code else None
    return Job(
        id=row.id,
        tenant=row.tenant,
        name=row.name,
        created_at=_utc(row.created_at),
        updated_at=_utc(row.updated_at),
        validated=bool(row.validated),
        cancel_requested=bool(row.cancel_requested),
        error=error,
        origin=row.origin,
        client_token=row.client_token,
        details=row.details,
        end_output=bool(row.end_output),
        finalized=row.finalized_at is not None,
        output_error=ErrorInfo(row.output_error_code, row.output_error_message or "")
        if row.output_error_code
        else None,
    )


def _task_from_row(row: Any) -> Task:
    error = ErrorInfo(row.error_code, row.error_message or "") if row.error_code else None
    return Task(
        id=row.id,
        job_id=row.job_id,
        seq=row.seq,
        source_url=row.source_url,
        target_url=row.target_url,
        source_language=row.source_language,
        target_language=row.target_language,
        status=TaskStatus(row.status),
        created_at=_utc(row.created_at),
        updated_at=_utc(row.updated_at),
        characters=row.characters,
        progress=row.progress,
        error=error,
        document_format=row.document_format,
        warnings=tuple(
            DocumentWarning(str(item.get("code", "")), str(item.get("message", "")))
            for item in (row.warnings or ())
            if isinstance(item, dict)
        ),
    )
