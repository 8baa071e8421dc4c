"""The application service: one object every front door (CLI, HTTP) calls. It checks requests with
the domain's rules, records them in the store and wakes the runner; it holds no rules of its own."""

from __future__ import annotations

from datetime import timedelta
from types import TracebackType

from dragoman.config import Settings
from dragoman.domain.jobs import JobView, Task
from dragoman.domain.specs import JobSpec, check_job_spec
from dragoman.engines.apertium import ApertiumEngine
from dragoman.engines.base import Engine, LanguagePair
from dragoman.runner.pool import InProcessRunner
from dragoman.storage.base import Storage
from dragoman.storage.local import LocalStorage
from dragoman.store.database import open_database
from dragoman.store.jobs import JobStore

__all__ = ["Dragoman"]


class Dragoman:
    def __init__(self, store: JobStore, engine: Engine, storage: Storage, runner: InProcessRunner | None = None):
        self.store = store
        self.engine = engine
        self.storage = storage
        self.runner = runner

    @classmethod
    def from_settings(cls, settings: Settings, *, with_runner: bool = False) -> Dragoman:
        store = JobStore(open_database(settings.database))
        engine = ApertiumEngine(settings.apertium_modes_dir, stall_seconds=settings.stall_seconds)
        storage = LocalStorage(settings.roots, max_document_bytes=settings.max_document_bytes)
        runner = None
        if with_runner:
            runner = InProcessRunner(
                store, engine, storage, workers=settings.workers, lease=timedelta(seconds=settings.lease_seconds)
            )
        return cls(store, engine, storage, runner)

    # --- requests -----------------------------------------------------------------------------

    def submit(self, spec: JobSpec) -> JobView:
        """Check everything that can be checked up front; on any problem raise and create nothing."""
        check_job_spec(spec, self.engine.supports)
        for task in spec.tasks:
            self.storage.check_source(task.source_url)
            self.storage.check_target(task.target_url)
        view = self.store.create_job(spec)
        if self.runner is not None:
            self.runner.wake()
        return view

    def cancel(self, job_id: str, *, tenant: str | None = None) -> JobView:
        view = self.store.request_cancel(job_id, tenant=tenant)
        if self.runner is not None:
            self.runner.abort_job(job_id)
        return view

    def get(self, job_id: str, *, tenant: str | None = None) -> JobView:
        return self.store.get(job_id, tenant=tenant)

    def list_jobs(self, *, tenant: str | None = None, limit: int = 50, offset: int = 0) -> list[JobView]:
        return self.store.list_jobs(tenant=tenant, limit=limit, offset=offset)

    def tasks(self, job_id: str, *, tenant: str | None = None) -> list[Task]:
        return self.store.tasks(job_id, tenant=tenant)

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

    def __enter__(self) -> Dragoman:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
