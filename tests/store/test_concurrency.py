"""Rule 2 under real concurrency: cancels race task claims and completions on one database."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest

from dragoman.domain.specs import JobSpec, TaskSpec
from dragoman.domain.states import TaskStatus
from dragoman.errors import CancelRefused
from dragoman.store.database import open_database
from dragoman.store.jobs import JobStore


@pytest.mark.parametrize("seed", range(8))
def test_cancel_races_workers_and_counters_always_add_up(database_url: str, seed: int) -> None:
    rng = random.Random(seed)
    engine = open_database(database_url)
    store = JobStore(engine)
    size = 30
    job_id = store.create_job(
        JobSpec("t", [TaskSpec("file:///s", f"file:///t{i}", "en", "es") for i in range(size)])
    ).job.id
    cancel_done = threading.Event()
    claimed_after_cancel: list[str] = []
    succeeded_characters: dict[str, int] = {}
    snapshots_bad: list[str] = []
    lock = threading.Lock()

    def worker(number: int) -> None:
        owner = f"w{number}"
        while True:
            was_cancelled = cancel_done.is_set()
            claim = store.claim_next(owner, timedelta(seconds=60))
            if claim is None:
                return
            if was_cancelled:
                claimed_after_cancel.append(claim.task.id)
            characters = 10 + number
            if store.record_output(claim.task.id, owner, characters=characters, output_sha256="0" * 64):
                assert store.finish(claim.task.id, owner, TaskStatus.SUCCEEDED)
                with lock:
                    succeeded_characters[claim.task.id] = characters

    def reader() -> None:
        while not cancel_done.is_set() or store.get(job_id).summary.unfinished:
            summary = store.get(job_id).summary
            if summary.total != size:
                snapshots_bad.append(repr(summary))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(3)] + [threading.Thread(target=reader)]
    for thread in threads:
        thread.start()
    threading.Event().wait(rng.uniform(0.0, 0.15))
    try:
        view = store.request_cancel(job_id)
        accepted = True
    except CancelRefused:
        accepted = False
    cancel_done.set()
    for thread in threads:
        thread.join(60)

    final = store.get(job_id)
    tasks = store.tasks(job_id)
    assert not snapshots_bad
    assert not claimed_after_cancel, "a task started after the cancel was accepted"
    assert final.summary.total == size and final.summary.unfinished == 0
    assert final.summary.characters_charged == sum(succeeded_characters.values())
    assert {t.id for t in tasks if t.status is TaskStatus.SUCCEEDED} == set(succeeded_characters)
    if accepted:
        assert view.summary.not_yet_started == 0
        expected = "cancelled" if final.summary.cancelled else "succeeded"
        assert final.status.value == expected
    else:
        assert final.status.value == "succeeded"
    engine.dispose()
