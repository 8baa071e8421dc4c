"""A running task whose state database fails under it (a PostgreSQL restart, a connection cut) is not
a document that failed: it runs again, as a task whose worker was lost does; a failure after its
document was published leaves it succeeded. Found by tests/workers/test_outages.py, where a
restart of the database failed the documents that were running."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest

from dragoman.config import Settings
from dragoman.domain.states import TaskStatus
from dragoman.errors import StoreError
from dragoman.planning import plan_local_job
from dragoman.runner.context import TaskContext
from dragoman.runner.execute import TaskExecutor
from dragoman.service import Dragoman
from dragoman.store.jobs import JobStore
from tests.workers.fake_engine import UpperEngine

OWNER = "test-host:1:runner"


class FailingStore(JobStore):
    """A store whose `record_output`, or the end of its publication transaction, fails."""

    fail_at = ""

    def record_output(self, *args: object, **kwargs: object) -> bool:  # type: ignore[override]
        if self.fail_at == "record_output":  # it refused what was written
            raise StoreError("the state database is unavailable or busy; try again")
        if self.fail_at == "record_output, unreachable":  # it did not answer: down, restarting
            raise StoreError("the state database is unavailable or busy; try again", unreachable=True)
        return super().record_output(*args, **kwargs)  # type: ignore[arg-type]

    @contextmanager
    def holding(self, task_id: str, owner: str, attempt: int | None) -> Iterator[bool]:
        with super().holding(task_id, owner, attempt) as held:
            yield held
        if self.fail_at == "after publishing":
            raise StoreError("the state database is unavailable or busy; try again")


def run_once(tmp_path: Path, fail_at: str, attempts: int) -> tuple[TaskStatus, str | None, Path]:
    status, error, out, _ = run_outcome(tmp_path, fail_at, attempts)
    return status, error, out


def run_outcome(tmp_path: Path, fail_at: str, attempts: int) -> tuple[TaskStatus, str | None, Path, bool]:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("I like dogs.\n")
    settings = Settings(data_dir=tmp_path / "data", roots=[docs], engine="tests.workers.fake_engine:make")
    with Dragoman.from_settings(settings) as service:
        store = FailingStore(service.store._engine)
        service.submit(plan_local_job(service.local, [docs], docs / "out", ["es"], "en"))
        claim = None
        for _ in range(attempts):  # earlier attempts of the task were lost
            if claim is not None:
                store.finish(claim.task.id, OWNER, TaskStatus.PENDING, attempt=claim.attempt)
            claim = store.claim_next(OWNER, timedelta(seconds=30))
        assert claim is not None
        store.fail_at = fail_at
        ctx = TaskContext(claim.task, tenant=claim.tenant, attempt=claim.attempt, origin=claim.origin)
        outcome = TaskExecutor(store, UpperEngine(), service.storage, OWNER).run(ctx)
        return outcome.status, None if outcome.error is None else outcome.error.code, docs / "out", outcome.released


@pytest.mark.parametrize("attempts", [1, 2])
def test_a_task_whose_store_fails_before_it_publishes_runs_again(tmp_path: Path, attempts: int) -> None:
    status, error, out = run_once(tmp_path, "record_output", attempts)
    assert (status, error) == (TaskStatus.PENDING, None)
    assert not out.exists() or not [path for path in out.rglob("*") if path.is_file()]


def test_a_task_whose_store_fails_on_its_last_attempt_fails_saying_why(tmp_path: Path) -> None:
    status, error, _ = run_once(tmp_path, "record_output", 3)
    assert (status, error) == (TaskStatus.FAILED, "StoreError")


def test_a_task_whose_store_fails_once_its_document_is_published_succeeded(tmp_path: Path) -> None:
    status, error, out = run_once(tmp_path, "after publishing", 1)
    assert (status, error) == (TaskStatus.SUCCEEDED, None)
    assert [path.name for path in out.rglob("*") if path.is_file()] == ["a.txt"]


@pytest.mark.parametrize("attempts", [1, 3, 5])
def test_a_database_outage_under_a_task_runs_it_again_and_loses_no_worker(tmp_path: Path, attempts: int) -> None:
    # Red team 17: three PostgreSQL outages while one document ran failed it as WorkerLost, though the
    # service never stopped. An outage is no fault of the document, and its runner was not lost.
    status, error, _, released = run_outcome(tmp_path, "record_output, unreachable", attempts)
    assert (status, error, released) == (TaskStatus.PENDING, None, True)
