"""A store's writers on SQLite take one connection in turn (`store.database.writer`), and still meet
other connections to the same file at SQLite's own lock."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from dragoman.domain.specs import JobSpec, TaskSpec
from dragoman.domain.states import TaskStatus
from dragoman.errors import ServiceError
from dragoman.store.database import open_database, writer
from dragoman.store.jobs import JobStore

LEASE = timedelta(seconds=60)


def test_a_sqlite_file_is_written_through_one_connection_and_other_databases_through_their_own(
    tmp_path: Path,
) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'state.db'}")
    one = writer(engine)
    assert one is not engine
    with one.connect():
        assert one.pool.checkedout() == 1  # type: ignore[attr-defined]
        assert one.pool.size() == 1 and one.pool.overflow() <= 0  # type: ignore[attr-defined]  # no second
    one.dispose()
    engine.dispose()
    memory = open_database("sqlite://")
    assert writer(memory) is memory  # a read-only command's empty store: nothing to share


def test_many_threads_and_a_second_store_write_at_once_and_every_counter_adds_up(tmp_path: Path) -> None:
    """Sixteen workers of one store run tasks while a second store on the same file (another
    process's) creates jobs and one worker publishes slowly while holding its task: every write
    lands, none fails as busy, and the counters equal the tasks."""
    url = f"sqlite:///{tmp_path / 'state.db'}"
    store, other = JobStore(open_database(url)), JobStore(open_database(url))
    size = 120
    job_id = store.create_job(
        JobSpec("t", [TaskSpec("file:///s", f"file:///t{i}", "en", "es") for i in range(size)])
    ).job.id
    failures: list[str] = []
    other_jobs: list[str] = []

    def worker(number: int) -> None:
        owner = f"w{number}"
        try:
            claim = store.claim_next(owner, LEASE)
            while claim is not None:
                task = claim.task
                assert store.record_output(task.id, owner, characters=7, output_sha256="0" * 64, attempt=claim.attempt)
                with store.holding(task.id, owner, claim.attempt) as held:
                    assert held
                    if number == 0:
                        threading.Event().wait(0.05)  # a slow publication, the write lock held meanwhile
                reported, claim = store.finish_and_claim(
                    task.id, owner, TaskStatus.SUCCEEDED, None, LEASE, attempt=claim.attempt
                )
                assert reported
        except (AssertionError, ServiceError) as exc:
            failures.append(f"{owner}: {exc!r}")

    def creator() -> None:
        try:
            for number in range(10):
                spec = JobSpec("u", [TaskSpec("file:///s", f"file:///u{number}", "en", "es")])
                other_jobs.append(other.create_job(spec).job.id)
        except ServiceError as exc:
            failures.append(f"creator: {exc!r}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)] + [threading.Thread(target=creator)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures
    view = store.get(job_id)
    tasks = store.tasks(job_id)
    assert [task.status for task in tasks] == [TaskStatus.SUCCEEDED] * size
    assert view.summary.succeeded == size and view.summary.characters_charged == 7 * size
    assert view.status.value == "succeeded"
    assert len(other_jobs) == 10  # the other store's jobs, some claimed by the workers meanwhile
    store.close()
    other.close()
