"""The application service: one object every front door (CLI, HTTP) calls. It checks requests with
the domain's rules, records them in the store and wakes the runner; it holds no rules of its own."""

from __future__ import annotations

import dataclasses
import importlib
import re
import threading
import time
from collections.abc import Sequence
from datetime import timedelta
from types import TracebackType
from typing import TYPE_CHECKING

from sqlalchemy import Engine as Database
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from dragoman.admission import TenantGate
from dragoman.batches import BatchInput, canonical_spec, check_targets, plan_batch
from dragoman.config import Settings, setting_name
from dragoman.domain.jobs import ErrorInfo, JobView, Task
from dragoman.domain.specs import JobSpec, check_job_spec
from dragoman.engines.apertium import ApertiumEngine
from dragoman.engines.base import Engine, LanguagePair
from dragoman.errors import CancelRefused, ConfigError, DocumentError, Invalid, TargetExists
from dragoman.events import job_event, job_finished
from dragoman.formats.documents import DocumentFormat
from dragoman.formats.glossary import Glossary
from dragoman.formats.limits import DocumentLimits
from dragoman.heartbeat import SERVE, WORKER, is_fresh
from dragoman.holds import HOLDER_LABEL, this_holder
from dragoman.metrics import Metrics
from dragoman.planning import CLI_TENANT
from dragoman.runner.finalize import finalize_jobs
from dragoman.runner.pool import InProcessRunner
from dragoman.runner.recovery import Recovery, new_owner
from dragoman.runner.translate import Translated, translate_document
from dragoman.storage.local import LocalStorage
from dragoman.storage.scopes import StorageScopes
from dragoman.store.database import open_database
from dragoman.store.jobs import JobQuery, JobStore, TaskQuery, utcnow
from dragoman.store.runners import RunnerRegistry
from dragoman.store.stats import StoreStats

if TYPE_CHECKING:
    from dragoman.connector.service import Connector

__all__ = ["Dragoman"]


def _open_database(settings: Settings) -> Database:
    """The state database, migrated; ConfigError naming the setting when it cannot be opened."""
    setting = setting_name("database_url") if settings.database_url else setting_name("data_dir")
    if not settings.database_url:
        folder = settings.data_dir
        blocking = next((part for part in (folder, *folder.parents) if part.exists() and not part.is_dir()), None)
        if blocking is not None:
            where = "is a file" if blocking == folder else f"is under {blocking}, which is a file"
            raise ConfigError(
                f"{setting} ({folder}) {where}: it must name a folder, where Dragoman keeps its state (a folder "
                "that does not exist yet is made)"
            )
    try:
        # a connection per task the runner runs at once, and some for the monitor, followers and requests
        return open_database(settings.database, connections=settings.workers + 10)
    except NoSuchModuleError:  # a URL of a kind SQLAlchemy has no dialect for: bogus://, mysql+nothing://
        kind = settings.database.split(":", 1)[0]
        raise ConfigError(
            f"{setting} names a kind of database Dragoman cannot use ({kind!r}): the state database is SQLite "
            "(the default; or sqlite:////path/to/state.db) or PostgreSQL (postgresql://user@host/db)"
        ) from None
    except (ArgumentError, ValueError) as exc:
        raise ConfigError(f"{setting} is not a database URL this service can use: {_redacted(str(exc))}") from None
    except ImportError as exc:  # a dialect whose driver is not installed (psycopg2, MySQLdb, ...)
        raise ConfigError(
            f"{setting} names a database driver that is not installed ({exc.name or exc}): the state database is"
            " SQLite (the default) or PostgreSQL through psycopg 3, as postgresql://user@host/db or"
            " postgresql+psycopg://user@host/db (install the dragoman[postgresql] extra)"
        ) from None
    except (SQLAlchemyError, OSError) as exc:
        reason = getattr(exc, "orig", None) or exc
        raise ConfigError(
            f"the state database cannot be opened ({setting} = {_redacted(settings.database)}): "
            f"{_redacted(str(reason).strip().splitlines()[0] if str(reason).strip() else type(reason).__name__)}"
        ) from None


def _engine(settings: Settings, metrics: Metrics) -> Engine:
    """The engine the settings name: Apertium, or `module:callable` (given the settings) for another."""
    if settings.engine == "apertium":
        return ApertiumEngine(
            settings.apertium_modes_dir,
            stall_seconds=settings.stall_seconds,
            memory_bytes=settings.converter_memory_bytes,
            on_pipeline_end=lambda why: metrics.pipeline_ended(ApertiumEngine.name, why),
        )
    module_name, _, attribute = settings.engine.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
        engine = factory(settings)
    except (ImportError, AttributeError, TypeError, ValueError) as exc:
        raise ConfigError(f"{setting_name('engine')} = {settings.engine!r} is not an engine: {exc}") from None
    if not isinstance(engine, Engine):
        raise ConfigError(f"{setting_name('engine')} = {settings.engine!r} did not make an Engine")
    return engine


def _redacted(text: str) -> str:
    """`text` with any password in a database URL replaced by ***."""
    return re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1***@", text)


class Dragoman:
    def __init__(
        self,
        store: JobStore,
        engine: Engine,
        storage: StorageScopes,
        runner: InProcessRunner | None = None,
        settings: Settings | None = None,
        metrics: Metrics | None = None,
    ):
        """`metrics`: what `/metrics` shows (default: the store's numbers, and this object's own)."""
        self.store = store
        self.engine = engine
        self.storage = storage  # each tenant's storage scope
        self.runner = runner
        self.settings = settings or Settings()
        self.metrics = metrics or Metrics(StoreStats(store._engine))
        self._storage_gate = TenantGate(self.settings.storage_requests_per_tenant)
        self._sync_gate = TenantGate(self.settings.sync_requests_per_tenant)
        self._connector: Connector | None = None
        self._connector_lock = threading.Lock()

    @property
    def connector(self) -> Connector:
        """The content connector (issue 12) over this service's state database, with its vendors by
        name: `local`, this service's own batch jobs, working in `<data dir>/connector/<tenant>/`, and
        those DRAGOMAN_CONNECTOR_VENDORS configures (`connector.vendors.registry`); its source systems
        are those DRAGOMAN_CONNECTOR_SOURCES configures (`connector.sources.registry`).
        Built on first use: nothing of it is loaded until a connector request comes."""
        with self._connector_lock:
            if self._connector is None:
                from dragoman.connector.service import Connector
                from dragoman.connector.sources.registry import build as build_sources
                from dragoman.connector.store import ConnectorStore
                from dragoman.connector.vendors.registry import build

                vendors = build(self, self.settings.connector_vendors)
                sources = build_sources(self.settings.connector_sources)
                self._connector = Connector(
                    ConnectorStore(self.store._engine),
                    vendors,
                    sources,
                    lease_seconds=self.settings.connector_lease_seconds,
                )
            return self._connector

    @property
    def limits(self) -> DocumentLimits:
        """What one document may cost once opened (the settings' hostile-document limits)."""
        return DocumentLimits.from_settings(self.settings)

    @property
    def local(self) -> LocalStorage:
        """The local-folder store of the command line's tenant (the CLI plans jobs against it directly)."""
        return self.storage.local(CLI_TENANT)

    @classmethod
    def from_settings(cls, settings: Settings, *, with_runner: bool = False, serving: bool = False) -> Dragoman:
        """The service as `settings` describe it. Raises ConfigError naming the setting at fault when
        the state database cannot be opened (a malformed or unreachable DRAGOMAN_DATABASE_URL, a
        DRAGOMAN_DATA_DIR that is a file). `serving` (`dragoman serve`): its runner writes the
        heartbeat that says a service runs on this store (`serving_here`)."""
        database = _open_database(settings)
        metrics = Metrics(StoreStats(database))

        def job_ended(view: JobView) -> None:
            metrics.job_ended(view)
            job_finished(view)

        doorbell = None
        if settings.queue == "procrastinate":  # many machines: every task is also a message for the workers
            from dragoman.workers import schema
            from dragoman.workers.doorbell import ProcrastinateDoorbell

            schema.ensure(database)
            doorbell = ProcrastinateDoorbell()
        store = JobStore(database, on_job_ended=job_ended, doorbell=doorbell)
        engine = _engine(settings, metrics)
        storage = StorageScopes.from_settings(settings)
        runner = None
        if with_runner:
            runner = InProcessRunner(
                store,
                engine,
                storage,
                workers=settings.workers,
                lease=timedelta(seconds=settings.lease_seconds),
                recovery_every_seconds=settings.recovery_seconds,
                limits=DocumentLimits.from_settings(settings),
                registry=RunnerRegistry(store._engine) if serving else None,
                metrics=metrics,
            )
        return cls(store, engine, storage, runner, settings, metrics)

    # --- requests -----------------------------------------------------------------------------

    def submit(self, spec: JobSpec, *, held: bool = False) -> JobView:
        """Check everything that can be checked up front; on any problem raise and create nothing.
        Locations are checked in the tenant's storage scope and stored in their one spelling.
        `held`: the job is created validating, claimed by no runner until `release` (or cancelled
        with `cancel`): the caller decides whether it goes on once it exists (`dragoman.holds`)."""
        storage = self.storage.for_tenant(spec.tenant)
        with self._storage_gate.enter(spec.tenant):
            spec = canonical_spec(storage, spec)
            check_job_spec(spec, self.engine.supports)
            live = [task for task in spec.tasks if task.error is None]  # the rest failed already
            self.store.refuse_live_targets([task.target_url for task in live], spec.tenant)
            for task in live:
                storage.check_source(task.source_url)
            check_targets(storage, spec)
        if held:
            spec = dataclasses.replace(spec, labels={**spec.labels, HOLDER_LABEL: this_holder()})
        return self._created(self.store.create_job(spec, validated=not held))

    def release(self, job_id: str) -> JobView:
        """Hand a job submitted `held` to the runners, unless a cancel was accepted for it first (then
        it stays cancelled, nothing of it ran). Raises NotFound."""
        view = self.store.release_job(job_id)
        if self.runner is not None:
            self.runner.wake()
        return view

    def submit_batch(self, inputs: Sequence[BatchInput], job: JobSpec) -> JobView:
        """A front door's batch: always a job. `job` carries the job's own facts (tenant, origin,
        name, ...) and no tasks; the tasks come from listing the inputs. If the inputs are unusable
        (unreadable source, occupied target, bad glossary, unsupported language) the job is recorded
        as failed validation, with why."""
        storage = self.storage.for_tenant(job.tenant)
        with self._storage_gate.enter(job.tenant):
            try:
                spec = plan_batch(storage, inputs, job)
                check_job_spec(spec, self.engine.supports)
                # live tasks first, then the storage: a task publishes before it stops being live,
                # so each target is seen either still being written or already written
                live = [task.target_url for task in spec.tasks if task.error is None]
                self.store.refuse_live_targets(live, job.tenant)
                check_targets(storage, spec)
            except (Invalid, DocumentError) as exc:
                return self._created(self.store.create_job(job, error=ErrorInfo(exc.code, exc.message)))
        try:
            view = self.store.create_job(spec)
        except TargetExists as exc:  # another live task, of any job, already writes one of the targets
            return self._created(self.store.create_job(job, error=ErrorInfo(exc.code, exc.message)))
        return self._created(view)

    def _created(self, view: JobView) -> JobView:
        """Log a new job and wake the runner for it."""
        failure = view.job.failure
        if failure is not None:
            detail = f"failed validation ({failure.code}: {failure.message})"
        else:
            detail = f"{view.summary.total} task{'' if view.summary.total == 1 else 's'}" + (
                f", {view.summary.failed} failed at once" if view.summary.failed else ""
            )
        job_event("submitted", view.job.id, detail, tenant=view.job.tenant, origin=view.job.origin)
        if self.runner is not None and failure is None and view.job.validated:
            self.runner.wake()
        return view

    def translate_now(
        self,
        data: bytes,
        document_format: DocumentFormat,
        target: str,
        *,
        tenant: str,
        source: str | None = None,
        glossary: Glossary = (),
    ) -> Translated:
        """Translate one document synchronously, outside any job (nothing is stored), within the
        configured document limits. A tenant may have `sync_requests_per_tenant` of these in progress;
        past that, Busy (retry later): they run on the server's shared threads, which other tenants'
        cancels and status reads need too."""
        limits = DocumentLimits.from_settings(self.settings)
        with self._sync_gate.enter(tenant):
            translated = translate_document(self.engine, data, document_format, source, target, glossary, limits=limits)
        self.metrics.translated(translated.billed_characters, "sync")
        return translated

    def find_by_client_token(self, tenant: str, client_token: str) -> tuple[JobView, str | None] | None:
        return self.store.find_by_client_token(tenant, client_token)

    def cancel(self, job_id: str, *, tenant: str | None = None) -> JobView:
        """Rules 1-4: record a cancel, abort the job's running tasks here. Raises NotFound, CancelRefused."""
        try:
            view = self.store.request_cancel(job_id, tenant=tenant)
        except CancelRefused as exc:
            job_event("cancel_refused", job_id, exc.message)
            raise
        outcome = view.cancel_outcome
        job_event("cancel_accepted", job_id, f"{view.status.value}" + (f", {outcome.value}" if outcome else ""))
        if self.runner is not None:
            self.runner.abort_job(job_id)
            if view.is_terminal or view.owes_output:  # nothing was running: the job ended in the cancel
                finalize_jobs(self.store, self.runner.finalizers, job_id)
        return view

    def run_only(self, job_id: str) -> None:
        """The embedded runner (before `start`) runs this job's tasks and no other job's: a command
        runs the job it follows (`InProcessRunner.serve_only`). Nothing without a runner."""
        if self.runner is not None:
            self.runner.serve_only(job_id)

    def settle_orphans(self) -> int:
        """One recovery round (lifecycle rule 7) from a process that runs no tasks: what workers that
        are gone left running is settled as any runner settles it (a cancelled job's orphans are
        cancelled, a published one succeeded), and the jobs held by a submitter that died are
        cancelled. With a runner, its own round. Returns how many tasks were settled.

        `dragoman jobs cancel` calls it, so that a job whose command was killed (`kill -9`) is
        cancelled at once rather than left cancelling until a runner next looks at the store."""
        if self.runner is not None:
            return self.runner.recover()
        return Recovery(self.store, self.storage, {}, new_owner(), lambda _task_id: False).run()

    def wait_for_progress(self, timeout: float) -> None:
        """Return when the embedded runner records a task's outcome, or after `timeout` seconds; with no
        embedded runner (another process runs the job), after `timeout`: progress is then polled."""
        if self.runner is not None:
            self.runner.wait_for_progress(timeout)
        else:
            time.sleep(timeout)

    @property
    def running_here(self) -> int:
        """Tasks the embedded runner is running now (0 without one)."""
        return 0 if self.runner is None else self.runner.busy

    def get(self, job_id: str, *, tenant: str | None = None) -> JobView:
        return self.store.get(job_id, tenant=tenant)

    def job_ids_starting_with(self, prefix: str, *, tenant: str | None = None, limit: int = 10) -> list[str]:
        """Jobs whose id, with or without its dashes, starts with `prefix` (see JobStore)."""
        return self.store.job_ids_starting_with(prefix, tenant=tenant, limit=limit)

    def list_jobs(
        self, *, tenant: str | None = None, limit: int = 50, offset: int = 0, query: JobQuery | None = None
    ) -> list[JobView]:
        return self.store.list_jobs(tenant=tenant, limit=limit, offset=offset, query=query)

    def tasks(self, job_id: str, *, tenant: str | None = None, query: TaskQuery | None = None) -> list[Task]:
        return self.store.tasks(job_id, tenant=tenant, query=query)

    def task(self, job_id: str, task_id: str, *, tenant: str | None = None) -> Task:
        return self.store.task(job_id, task_id, tenant=tenant)

    def languages(self) -> list[LanguagePair]:
        return self.engine.languages()

    def serving_here(self) -> bool:
        """Whether a `dragoman serve` with its runner, or a `dragoman worker`, runs on this store now:
        its heartbeat is fresh (`dragoman.heartbeat`). Raises StoreError."""
        registry, now = RunnerRegistry(self.store._engine), utcnow()
        return is_fresh(registry.latest_beat(SERVE), now) or is_fresh(registry.latest_beat(WORKER), now)

    # --- life cycle ---------------------------------------------------------------------------

    def start(self) -> None:
        if self.runner is not None:
            self.runner.start()

    def close(self) -> None:
        if self.runner is not None:
            self.runner.stop()
        self.engine.close()
        self.store.close()

    def __enter__(self) -> Dragoman:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
