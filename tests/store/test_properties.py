"""The same random interleavings against the real store, on SQLite and on PostgreSQL."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import Engine, delete

from dragoman.domain.jobs import JobView, Task
from dragoman.domain.specs import JobSpec, TaskSpec
from dragoman.domain.states import TaskStatus
from dragoman.store.database import open_database
from dragoman.store.jobs import JobStore
from dragoman.store.schema import jobs, tasks
from tests.lifecycle_machine import LifecycleMachine
from tests.postgres import PostgresServer


class StoreBackend:
    def __init__(self, engine: Engine, size: int) -> None:
        self.store = JobStore(engine)
        spec = JobSpec("t", [TaskSpec("file:///s", f"file:///t{i}", "en", "es") for i in range(size)])
        self.job_id = self.store.create_job(spec).job.id
        self.owners: dict[str, str] = {}
        self._turn = 0

    def claim(self) -> str | None:
        self._turn += 1
        owner = f"worker-{self._turn % 3}"
        claim = self.store.claim_next(owner, timedelta(seconds=60))
        if claim is None:
            return None
        self.owners[claim.task.id] = owner
        return claim.task.id

    def finish(self, task_id: str, status: TaskStatus, characters: int) -> None:
        owner = self.owners.pop(task_id)
        if status is TaskStatus.SUCCEEDED:
            assert self.store.record_output(task_id, owner, characters=characters, output_sha256="0" * 64)
        assert self.store.finish(task_id, owner, status)

    def finish_and_claim(self, task_id: str, status: TaskStatus, characters: int) -> str | None:
        owner = self.owners.pop(task_id)
        if status is TaskStatus.SUCCEEDED:
            assert self.store.record_output(task_id, owner, characters=characters, output_sha256="0" * 64)
        if status is TaskStatus.SUCCEEDED and self._turn % 2:  # as the in-process runner does, with its publication
            reported, claim = self.store.publish_and_finish(task_id, owner, None, lambda: None, timedelta(seconds=60))
        else:
            reported, claim = self.store.finish_and_claim(task_id, owner, status, None, timedelta(seconds=60))
        assert reported
        if claim is None:
            return None
        self.owners[claim.task.id] = owner
        return claim.task.id

    def cancel(self) -> None:
        self.store.request_cancel(self.job_id)

    def view(self) -> JobView:
        return self.store.get(self.job_id)

    def tasks(self) -> list[Task]:
        return self.store.tasks(self.job_id)


class StoreLifecycle(LifecycleMachine):
    """Each example on a new SQLite file."""

    size = 5

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="dragoman-props-"))
        self.engine = open_database(f"sqlite:///{self.folder / 'props.db'}")
        self.backend = StoreBackend(self.engine, self.size)
        super().__init__()

    def teardown(self) -> None:
        self.engine.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)


class PostgresLifecycle(LifecycleMachine):
    """Each example on the emptied tables of one PostgreSQL database (a database per example would
    spend most of the test creating and migrating them)."""

    size = 5
    engine: Engine | None = None

    def __init__(self) -> None:
        assert self.engine is not None, "the postgres_engine fixture sets the engine"
        with self.engine.begin() as connection:
            connection.execute(delete(tasks))
            connection.execute(delete(jobs))
        self.backend = StoreBackend(self.engine, self.size)
        super().__init__()


PROPERTY_SETTINGS = settings(max_examples=60, stateful_step_count=30, deadline=None)

TestStoreLifecycle = StoreLifecycle.TestCase
TestStoreLifecycle.settings = PROPERTY_SETTINGS


class TestPostgresLifecycle(PostgresLifecycle.TestCase):  # type: ignore[name-defined]
    settings = PROPERTY_SETTINGS

    @pytest.fixture(autouse=True)
    def postgres_engine(self, postgres: PostgresServer) -> Iterator[None]:
        PostgresLifecycle.engine = open_database(postgres.new_database())
        yield
        PostgresLifecycle.engine.dispose()
        PostgresLifecycle.engine = None
