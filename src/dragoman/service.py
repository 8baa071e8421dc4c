"""The application service: one object every front door (CLI, HTTP) calls. It checks requests with
the domain's rules, records them in the store and wakes the runner; it holds no rules of its own."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from types import TracebackType

from dragoman.admission import TenantGate
from dragoman.batches import BatchInput, canonical_spec, check_targets, plan_batch
from dragoman.config import Settings
from dragoman.domain.jobs import ErrorInfo, JobView, Task
from dragoman.domain.specs import JobSpec, check_job_spec
from dragoman.engines.apertium import ApertiumEngine
from dragoman.engines.base import Engine, LanguagePair
from dragoman.errors import DocumentError, Invalid, TargetExists
from dragoman.formats.documents import DocumentFormat
from dragoman.formats.glossary import Glossary
from dragoman.formats.limits import DocumentLimits
from dragoman.planning import CLI_TENANT
from dragoman.runner.finalize import finalize_jobs
from dragoman.runner.pool import InProcessRunner
from dragoman.runner.translate import Translated, translate_document
from dragoman.storage.local import LocalStorage
from dragoman.storage.scopes import StorageScopes
from dragoman.store.database import open_database
from dragoman.store.jobs import JobQuery, JobStore, TaskQuery

__all__ = ["Dragoman"]


class Dragoman:
    def __init__(
        self,
        store: JobStore,
        engine: Engine,
        storage: StorageScopes,
        runner: InProcessRunner | None = None,
        settings: Settings | None = None,
    ):
        self.store = store
        self.engine = engine
        self.storage = storage  # each tenant's storage scope
        self.runner = runner
        self.settings = settings or Settings()
        self._storage_gate = TenantGate(self.settings.storage_requests_per_tenant)
        self._sync_gate = TenantGate(self.settings.sync_requests_per_tenant)

    @property
    def local(self) -> LocalStorage:
        """The local-folder store of the command line's tenant (the CLI plans jobs against it directly)."""
        return self.storage.local(CLI_TENANT)

    @classmethod
    def from_settings(cls, settings: Settings, *, with_runner: bool = False) -> Dragoman:
        store = JobStore(open_database(settings.database))
        engine = ApertiumEngine(
            settings.apertium_modes_dir,
            stall_seconds=settings.stall_seconds,
            memory_bytes=settings.converter_memory_bytes,
        )
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
            )
        return cls(store, engine, storage, runner, settings)

    # --- requests -----------------------------------------------------------------------------

    def submit(self, spec: JobSpec) -> JobView:
        """Check everything that can be checked up front; on any problem raise and create nothing.
        Locations are checked in the tenant's storage scope and stored in their one spelling."""
        storage = self.storage.for_tenant(spec.tenant)
        with self._storage_gate.enter(spec.tenant):
            spec = canonical_spec(storage, spec)
            check_job_spec(spec, self.engine.supports)
            self.store.refuse_live_targets([task.target_url for task in spec.tasks])
            for task in spec.tasks:
                storage.check_source(task.source_url)
            check_targets(storage, spec)
        view = self.store.create_job(spec)
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
                self.store.refuse_live_targets([task.target_url for task in spec.tasks if task.error is None])
                check_targets(storage, spec)
            except (Invalid, DocumentError) as exc:
                return self.store.create_job(job, error=ErrorInfo(exc.code, exc.message))
        try:
            view = self.store.create_job(spec)
        except TargetExists as exc:  # another live task, of any job, already writes one of the targets
            return self.store.create_job(job, error=ErrorInfo(exc.code, exc.message))
        if self.runner is not None:
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
            return translate_document(self.engine, data, document_format, source, target, glossary, limits=limits)

    def find_by_client_token(self, tenant: str, client_token: str) -> tuple[JobView, str | None] | None:
        return self.store.find_by_client_token(tenant, client_token)

    def cancel(self, job_id: str, *, tenant: str | None = None) -> JobView:
        view = self.store.request_cancel(job_id, tenant=tenant)
        if self.runner is not None:
            self.runner.abort_job(job_id)
            if view.is_terminal or view.owes_output:  # nothing was running: the job ended in the cancel
                finalize_jobs(self.store, self.runner.finalizers, job_id)
        return view

    def get(self, job_id: str, *, tenant: str | None = None) -> JobView:
        return self.store.get(job_id, tenant=tenant)

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
