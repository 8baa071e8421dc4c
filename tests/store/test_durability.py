"""Which commits wait for the database's log to reach the disk (`store.database.DURABLE`).

What a caller is told was accepted (a job, a cancel) and the digest that guards a publication
(lifecycle rule 7: recovery recognises a published document by it) are durable; a claim, a progress
report and a success recorded after its publication are not, because losing them to a power cut
leaves what a crash just before them would leave, which recovery settles (tests/runner/
test_recovery.py: a published output of a dead worker is kept and billed once). Observed in the
database itself: the level each transaction commits with, read on its own connection."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine, event

from dragoman.domain.specs import JobSpec, TaskSpec
from dragoman.store.jobs import JobStore

LEASE = timedelta(seconds=60)
T = TypeVar("T")


class Commits:
    """The durability of every commit made while it listens: True when it waits for the log."""

    def __init__(self) -> None:
        self.seen: list[bool] = []

    def __call__(self, connection: Any) -> None:
        dbapi = connection.connection.dbapi_connection
        cursor = dbapi.cursor()
        try:
            if connection.dialect.name == "sqlite":
                cursor.execute("PRAGMA synchronous")
                self.seen.append(int(cursor.fetchone()[0]) >= 2)  # 2 = FULL, 1 = NORMAL
            else:
                cursor.execute("SHOW synchronous_commit")
                self.seen.append(cursor.fetchone()[0] != "off")
        finally:
            cursor.close()

    def of(self, call: Callable[[], T]) -> tuple[T, list[bool]]:
        """What `call` returns, and the durability of the commits it made."""
        start = len(self.seen)
        result = call()
        return result, self.seen[start:]


@pytest.fixture
def commits() -> Iterator[Commits]:
    listener = Commits()
    event.listen(Engine, "commit", listener)  # every engine, the store's own writer included
    yield listener
    event.remove(Engine, "commit", listener)


def test_what_is_promised_or_guards_a_publication_is_durable_and_what_recovery_redoes_is_not(
    store: JobStore, commits: Commits
) -> None:
    spec = JobSpec("t", [TaskSpec("file:///s", f"file:///t{i}", "en", "es") for i in range(3)])
    view, created = commits.of(lambda: store.create_job(spec))
    assert created and all(created)

    claim, claimed = commits.of(lambda: store.claim_next("w", LEASE))
    assert claim is not None and claimed == [False]

    _, progressed = commits.of(lambda: store.update_progress(claim.task.id, "w", 0.5, attempt=claim.attempt))
    assert progressed == [False]

    recorded, digest = commits.of(
        lambda: store.record_output(claim.task.id, "w", characters=7, output_sha256="0" * 64, attempt=claim.attempt)
    )
    assert recorded and digest == [True]

    published: list[bool] = []
    (reported, following), finished = commits.of(
        lambda: store.publish_and_finish(claim.task.id, "w", claim.attempt, lambda: published.append(True), LEASE)
    )
    assert reported and published and following is not None
    assert finished and not any(finished)  # the success, and the next claim where it is a transaction of its own

    _, cancelled = commits.of(lambda: store.request_cancel(view.job.id))
    assert cancelled and all(cancelled)

    # a durable transaction after deferred ones on the same connection is durable again
    _, again = commits.of(lambda: store.create_job(JobSpec("t", [TaskSpec("file:///s", "file:///u", "en", "es")])))
    assert again and all(again)
