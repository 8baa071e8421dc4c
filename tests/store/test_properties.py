"""The same random interleavings against the real SQLite store."""

from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import settings

from dragoman.domain.jobs import JobView, Task
from dragoman.domain.specs import JobSpec, TaskSpec
from dragoman.domain.states import TaskStatus
from dragoman.store.database import open_database
from dragoman.store.jobs import JobStore
from tests.lifecycle_machine import LifecycleMachine


class StoreBackend:
    def __init__(self, size: int) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="dragoman-props-"))
        self.engine = open_database(f"sqlite:///{self.folder / 'props.db'}")
        self.store = JobStore(self.engine)
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
    size = 5

    def __init__(self) -> None:
        self.backend = StoreBackend(self.size)
        super().__init__()

    def teardown(self) -> None:
        self.backend.engine.dispose()
        shutil.rmtree(self.backend.folder, ignore_errors=True)


TestStoreLifecycle = StoreLifecycle.TestCase
TestStoreLifecycle.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
