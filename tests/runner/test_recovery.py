"""Recovery decisions against real files: a task whose output was published before its worker died is
succeeded (billed once, never translated again); one that was not is run again or cancelled."""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from dragoman.config import Settings
from dragoman.domain.states import TaskStatus
from dragoman.engines.apertium import ApertiumEngine
from dragoman.errors import StoreError
from dragoman.planning import plan_local_job
from dragoman.runner.pool import InProcessRunner
from dragoman.service import Dragoman
from dragoman.storage.scopes import StorageScopes
from dragoman.store.database import open_database
from dragoman.store.jobs import Claim, JobStore
from tests.conftest import wait_for, wait_terminal

DEAD_OWNER = "some-other-host:1:dead"  # another host whose lease has run out


def two_documents(tmp_path: Path) -> tuple[Settings, Path]:
    """docs/a.txt and docs/b.txt, and settings of one worker that may read and write there."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("I like dogs.\n")
    (docs / "b.txt").write_text("The cat is black.\n")
    return Settings(data_dir=tmp_path / "data", roots=[docs], workers=1), docs


def start_orphan(tmp_path: Path, *, cancel: bool) -> tuple[Settings, str, str, Path]:
    settings, docs = two_documents(tmp_path)
    app = Dragoman.from_settings(settings)
    job_id = app.submit(plan_local_job(app.local, [docs / "a.txt"], docs / "out", ["es"], "en")).job.id
    claim = app.store.claim_next(DEAD_OWNER, timedelta(seconds=-1))  # its lease is already over
    assert claim is not None
    if cancel:
        app.cancel(job_id)
    app.close()
    return settings, job_id, claim.task.id, docs


def test_published_output_of_a_dead_worker_is_kept_and_billed_once(tmp_path: Path) -> None:
    settings, job_id, task_id, docs = start_orphan(tmp_path, cancel=False)
    app = Dragoman.from_settings(settings)
    target = docs / "out" / "es" / "a.txt"
    output = b"Me gustan los perros (published by the dead worker).\n"
    assert app.store.record_output(task_id, DEAD_OWNER, characters=12, output_sha256=hashlib.sha256(output).hexdigest())
    app.storage.for_tenant("default").publish(str(target), output)
    # the kill landed after the publishing link but before the temporary name was removed
    leftover = target.parent / f".{target.name}.{uuid.uuid4().hex}.dragoman.part"
    leftover.write_bytes(output)
    app.close()

    with Dragoman.from_settings(settings, with_runner=True) as runner:
        view = wait_terminal(runner, job_id)
    assert view.status.value == "succeeded"
    assert view.summary.characters_charged == 12
    assert target.read_bytes() == output  # not translated again
    assert not leftover.exists()


def test_unpublished_work_of_a_dead_worker_runs_again(tmp_path: Path) -> None:
    settings, job_id, _, docs = start_orphan(tmp_path, cancel=False)
    (docs / "out" / "es").mkdir(parents=True)
    (docs / "out" / "es" / f".a.txt.{uuid.uuid4().hex}.dragoman.part").write_text("Me gust")  # its half-written file
    with Dragoman.from_settings(settings, with_runner=True) as runner:
        view = wait_terminal(runner, job_id)
        tasks = runner.tasks(job_id)
    assert view.status.value == "succeeded"
    assert sorted(p.name for p in (docs / "out" / "es").iterdir()) == ["a.txt"]
    assert (docs / "out" / "es" / "a.txt").read_text() == "Me gustan los perros.\n"
    assert tasks[0].status is TaskStatus.SUCCEEDED


def test_only_claims_lost_with_their_worker_count_towards_worker_lost(tmp_path: Path) -> None:
    # Red team: three `jobs wait` stopped cleanly by Ctrl-C (each gives its claim back at a safe point)
    # and one kill -9 failed the document "WorkerLost ... stopped 4 times". A clean stop is no loss.
    settings, docs = two_documents(tmp_path)
    app = Dragoman.from_settings(settings)
    jobs = {
        name: app.submit(plan_local_job(app.local, [docs / f"{name}.txt"], docs / "out", ["es"], "en")).job.id
        for name in ("a", "b")
    }
    (given_back,) = [task.id for task in app.tasks(jobs["a"])]
    (lost,) = [task.id for task in app.tasks(jobs["b"])]
    for number in range(3):  # three runners, each stopped cleanly while a.txt ran
        owner = f"stopped-cleanly:{number}"
        claim = app.store.claim_task(given_back, owner, timedelta(minutes=1))
        assert claim is not None
        assert app.store.finish(given_back, owner, TaskStatus.PENDING, attempt=claim.attempt, released=True)
    last = app.store.claim_task(given_back, DEAD_OWNER, timedelta(seconds=-1))  # then its worker was lost, once
    assert last is not None and (last.attempt, last.lost) == (4, 1)
    for number in range(3):  # b.txt's worker, lost on each of three claims
        assert app.store.claim_task(lost, f"{DEAD_OWNER}{number}", timedelta(seconds=-1)) is not None
        if number < 2:  # settled as recovery settles a first and second loss: run again
            (orphan,) = [
                o for o in app.store.orphans(lambda owner, _: owner.startswith(DEAD_OWNER)) if o.task.id == lost
            ]
            assert orphan.lost == number + 1 and app.store.recover(orphan, TaskStatus.PENDING)
    app.close()
    with Dragoman.from_settings(settings, with_runner=True) as runner:
        ran_again = wait_terminal(runner, jobs["a"])
        failed = wait_terminal(runner, jobs["b"])
        (lost_task,) = runner.tasks(jobs["b"])
    assert ran_again.status.value == "succeeded", ran_again
    assert failed.status.value == "failed" and lost_task.error is not None
    assert lost_task.error.code == "WorkerLost" and "3 times" in lost_task.error.message


def test_unpublished_work_of_a_cancelled_job_ends_cancelled(tmp_path: Path) -> None:
    settings, job_id, _, docs = start_orphan(tmp_path, cancel=True)
    with Dragoman.from_settings(settings, with_runner=True) as runner:
        view = wait_terminal(runner, job_id)
    assert view.status.value == "cancelled"
    assert view.summary.characters_charged == 0
    assert not (docs / "out").exists() or not any((docs / "out").rglob("*.txt"))


def test_an_output_larger_than_the_source_limit_is_still_recognised_as_published(tmp_path: Path) -> None:
    # Given a dead worker that published an output larger than the limit on source documents
    settings, job_id, task_id, docs = start_orphan(tmp_path, cancel=False)
    settings = settings.model_copy(update={"max_document_bytes": 100})
    app = Dragoman.from_settings(settings)
    target = docs / "out" / "es" / "a.txt"
    output = ("Me gustan los perros. " * 200).encode()
    assert len(output) > settings.max_document_bytes
    assert app.store.record_output(task_id, DEAD_OWNER, characters=12, output_sha256=hashlib.sha256(output).hexdigest())
    app.storage.for_tenant("default").publish(str(target), output)
    app.close()
    # When a runner recovers it / Then its read-back ignores the source limit: succeeded, billed once, kept
    with Dragoman.from_settings(settings, with_runner=True) as runner:
        view = wait_terminal(runner, job_id)
        task = runner.tasks(job_id)[0]
    assert view.status.value == "succeeded" and task.status is TaskStatus.SUCCEEDED and task.error is None
    assert view.summary.characters_charged == 12
    assert target.read_bytes() == output


class FlakyStore(JobStore):
    """A state database whose task reports fail while `broken` is set (a full disk, say)."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.broken = threading.Event()
        self.failed_reports = 0

    def _fail_if_broken(self) -> None:
        if self.broken.is_set():
            self.failed_reports += 1
            raise StoreError("database or disk is full")

    def finish(self, *args: Any, **kwargs: Any) -> bool:
        self._fail_if_broken()
        return super().finish(*args, **kwargs)

    def finish_and_claim(self, *args: Any, **kwargs: Any) -> tuple[bool, Claim | None]:
        self._fail_if_broken()
        return super().finish_and_claim(*args, **kwargs)

    def publish_and_finish(
        self,
        task_id: str,
        owner: str,
        attempt: int | None,
        publish: Callable[[], None],
        lease: timedelta | None,
        **kwargs: Any,
    ) -> tuple[bool, Claim | None]:
        def then_fail() -> None:  # the document is published; recording that it succeeded fails
            publish()
            self._fail_if_broken()

        return super().publish_and_finish(task_id, owner, attempt, then_fail, lease, **kwargs)


def flaky_service(tmp_path: Path, lease: float) -> tuple[Dragoman, FlakyStore, Path]:
    docs = tmp_path / "docs"
    (docs / "in").mkdir(parents=True)
    (docs / "in" / "a.txt").write_text("I like dogs.\n")
    settings = Settings(data_dir=tmp_path / "data", roots=[docs], workers=1)
    store = FlakyStore(open_database(settings.database))
    engine = ApertiumEngine(settings.apertium_modes_dir)
    storage = StorageScopes.from_settings(settings)
    runner = InProcessRunner(
        store, engine, storage, workers=1, lease=timedelta(seconds=lease), recovery_every_seconds=0.1
    )
    return Dragoman(store, engine, storage, runner, settings), store, docs


def test_a_report_that_fails_for_a_moment_is_retried(tmp_path: Path) -> None:
    service, store, docs = flaky_service(tmp_path, lease=30)
    store.broken.set()
    with service:
        job_id = service.submit(plan_local_job(service.local, [docs / "in"], docs / "out", ["es"], "en")).job.id
        wait_for(lambda: store.failed_reports >= 2)  # the outcome could not be written, twice
        store.broken.clear()  # the disk has room again
        view = wait_terminal(service, job_id)
    assert view.status.value == "succeeded" and view.summary.characters_charged == len("I like dogs.")


def test_a_task_whose_report_was_given_up_is_recovered_and_a_cancel_of_its_job_ends(tmp_path: Path) -> None:
    # Given a runner that cannot record a finished task's outcome for longer than the task's lease
    service, store, docs = flaky_service(tmp_path, lease=1.0)
    store.broken.set()
    with service:
        job_id = service.submit(plan_local_job(service.local, [docs / "in"], docs / "out", ["es"], "en")).job.id
        wait_for(lambda: (docs / "out" / "es" / "a.txt").exists())  # published, but not recorded as done
        assert service.cancel(job_id).status.value == "cancelling"
        # the runner gives up reporting after a lease's worth of retries, and stops renewing the lease.
        # Reports stay broken: only recovery (which does not report) can settle the task.
        # Then its own recovery settles the task no one works on: published, so succeeded (billed once),
        # and the accepted cancel ends, having lost the race (rule 4)
        view = wait_terminal(service, job_id, timeout=30)
        assert store.failed_reports >= 2
    assert view.status.value == "succeeded" and view.summary.characters_charged == len("I like dogs.")
    assert (docs / "out" / "es" / "a.txt").read_text() == "Me gustan los perros.\n"
