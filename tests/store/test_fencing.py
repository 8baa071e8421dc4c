"""lifecycle rule 9 in the store, on SQLite and PostgreSQL: no two live tasks share a target, whatever
job or tenant they belong to; a claim is fenced by owner and attempt, publication happens under the
task's lock, and recovery decides under the same lock. Glossaries are stored once per job."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from dragoman.domain.specs import JobSpec, TaskSpec
from dragoman.domain.states import TaskStatus
from dragoman.errors import TargetExists
from dragoman.store.database import open_database
from dragoman.store.jobs import JobStore, Orphan
from dragoman.store.schema import glossaries, tasks


def one(target: str, tenant: str = "t") -> JobSpec:
    return JobSpec(tenant, [TaskSpec("file:///s.txt", target, "en", "es")])


def test_a_target_being_written_cannot_be_taken_by_another_job_or_tenant(store: JobStore) -> None:
    # Given a live task writing /out/x.txt
    first = store.create_job(one("file:///out/x.txt", "acme")).job.id
    # Then no other job, of any tenant, may write it while that task lives
    for tenant in ("acme", "globex"):
        with pytest.raises(TargetExists, match="already being written"):
            store.create_job(one("file:///out/x.txt", tenant))
    # When the task ends (failed: nothing written), the target is free again
    claim = store.claim_next("w", timedelta(seconds=60))
    assert claim is not None and claim.task.job_id == first
    assert store.finish(claim.task.id, "w", TaskStatus.FAILED, attempt=claim.attempt)
    store.create_job(one("file:///out/x.txt", "globex"))


def test_two_jobs_racing_for_one_target_one_wins(database_url: str) -> None:
    engines = [open_database(database_url) for _ in range(2)]
    stores = [JobStore(engine) for engine in engines]
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def submit(number: int) -> None:
        barrier.wait()
        try:
            stores[number % 2].create_job(one("file:///out/raced.txt", f"tenant{number}"))
            outcomes.append("created")
        except TargetExists:
            outcomes.append("refused")

    threads = [threading.Thread(target=submit, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for engine in engines:
        engine.dispose()
    assert sorted(outcomes) == ["created"] + ["refused"] * 7


def test_an_older_attempt_changes_nothing_once_the_task_was_claimed_again(store: JobStore) -> None:
    # Given a task claimed (attempt 1), lost (its lease lapsed and recovery put it back), claimed again
    store.create_job(one("file:///out/a.txt"))
    old = store.claim_next("runner-a", timedelta(seconds=-1))
    assert old is not None and old.attempt == 1
    orphan = Orphan(old.task, "runner-a", False, None, "t", old.attempt)
    assert store.recover(orphan, TaskStatus.PENDING)
    new = store.claim_next("runner-a", timedelta(seconds=60))  # the same runner process, a new attempt
    assert new is not None and new.attempt == 2
    # Then the old attempt can neither record, publish, nor report
    assert not store.record_output(old.task.id, "runner-a", characters=1, output_sha256="0" * 64, attempt=1)
    with store.holding(old.task.id, "runner-a", 1) as held:
        assert not held
    assert not store.finish(old.task.id, "runner-a", TaskStatus.SUCCEEDED, attempt=1)

    def must_not_publish() -> None:
        raise AssertionError("an attempt that lost its claim published")

    assert store.publish_and_finish(old.task.id, "runner-a", 1, must_not_publish, timedelta(seconds=60)) == (
        False,
        None,
    )
    # while the new one can
    with store.holding(new.task.id, "runner-a", 2) as held:
        assert held
    assert store.finish(new.task.id, "runner-a", TaskStatus.SUCCEEDED, attempt=2)


def test_publishing_and_finishing_are_one_transaction_that_a_failed_publication_undoes(store: JobStore) -> None:
    # Given a job of three documents, the first one's output recorded
    job_id = store.create_job(
        JobSpec("t", [TaskSpec("file:///s.txt", f"file:///out/{name}.txt", "en", "es") for name in "abc"])
    ).job.id
    first = store.claim_next("w", timedelta(seconds=60))
    assert first is not None
    assert store.record_output(first.task.id, "w", characters=5, output_sha256="a" * 64, attempt=first.attempt)

    # When its publication fails (the target was taken meanwhile, say)
    def taken() -> None:
        raise TargetExists("out/a.txt already exists")

    with pytest.raises(TargetExists):
        store.publish_and_finish(first.task.id, "w", first.attempt, taken, timedelta(seconds=60))
    # Then nothing was recorded: the task still runs, nothing billed, nothing more claimed
    view = store.get(job_id)
    assert (view.summary.in_progress, view.summary.succeeded, view.summary.not_yet_started) == (1, 0, 2)
    assert view.summary.characters_charged == 0
    # When it publishes, under the task's lock
    seen: list[bool] = []
    reported, following = store.publish_and_finish(
        first.task.id, "w", first.attempt, lambda: seen.append(True), timedelta(seconds=60)
    )
    # Then the task succeeded, billed, and the next task was claimed in the same transaction
    assert seen == [True] and reported and following is not None
    assert following.task.job_id == job_id and following.task.id != first.task.id
    view = store.get(job_id)
    assert (view.summary.in_progress, view.summary.succeeded, view.summary.not_yet_started) == (1, 1, 1)
    assert view.summary.characters_charged == 5
    # And without a lease (a runner stopping) nothing more is claimed
    assert store.record_output(following.task.id, "w", characters=2, output_sha256="b" * 64, attempt=following.attempt)
    assert store.publish_and_finish(following.task.id, "w", following.attempt, lambda: None, None) == (True, None)
    assert store.get(job_id).summary.not_yet_started == 1


def test_publishing_the_last_task_of_a_job_ends_it_and_claims_another_jobs_task(store: JobStore) -> None:
    first = store.create_job(one("file:///out/1.txt")).job.id
    second = store.create_job(one("file:///out/2.txt")).job.id
    claim = store.claim_next("w", timedelta(seconds=60))
    assert claim is not None and claim.task.job_id == first
    assert store.record_output(claim.task.id, "w", characters=4, output_sha256="c" * 64, attempt=claim.attempt)
    reported, following = store.publish_and_finish(
        claim.task.id, "w", claim.attempt, lambda: None, timedelta(seconds=60)
    )
    assert reported and following is not None and following.task.job_id == second
    ended, started = store.get(first), store.get(second)
    assert ended.status.value == "succeeded" and ended.summary.characters_charged == 4
    assert started.status.value == "running" and started.summary.in_progress == 1


def test_recovery_waits_for_a_publication_under_way_and_sees_it(database_url: str) -> None:
    engines = [open_database(database_url) for _ in range(2)]
    runner, recoverer = JobStore(engines[0]), JobStore(engines[1])
    runner.create_job(one("file:///out/b.txt"))
    claim = runner.claim_next("runner-a", timedelta(seconds=-1))  # its lease has already lapsed
    assert claim is not None
    assert runner.record_output(claim.task.id, "runner-a", characters=5, output_sha256="f" * 64, attempt=claim.attempt)
    published = threading.Event()
    inside = threading.Event()
    seen_by_decision: list[bool] = []

    def publish() -> None:
        with runner.holding(claim.task.id, "runner-a", claim.attempt) as held:
            assert held
            inside.set()
            time.sleep(0.5)  # a slow upload, while recovery wants the task
            published.set()

    # When recovery looks at the task while its owner is publishing
    thread = threading.Thread(target=publish)
    thread.start()
    inside.wait(10)
    orphan = next(o for o in recoverer.orphans(lambda owner, expires: True) if o.task.id == claim.task.id)

    def decide() -> TaskStatus:
        seen_by_decision.append(published.is_set())
        return TaskStatus.SUCCEEDED if published.is_set() else TaskStatus.PENDING

    assert recoverer.recover(orphan, decide)
    thread.join()
    # Then its decision came after the publication, not between the look and the write
    assert seen_by_decision == [True]
    assert recoverer.get(claim.task.job_id).summary.succeeded == 1
    for engine in engines:
        engine.dispose()


def test_a_glossary_is_stored_once_per_job_and_reaches_every_task(store: JobStore) -> None:
    glossary = tuple((f"term{n}", f"término{n}") for n in range(2000))
    spec = JobSpec(
        "t", [TaskSpec(f"file:///s{n}.txt", f"file:///out/{n}.txt", "en", "es", glossary) for n in range(300)]
    )
    job_id = store.create_job(spec).job.id
    with store._engine.connect() as connection:  # noqa: SLF001 - counting rows is the point
        assert connection.execute(select(func.count()).select_from(glossaries)).scalar() == 1
        assert (
            connection.execute(
                select(func.count())
                .select_from(tasks)
                .where(tasks.c.job_id == job_id, tasks.c.glossary_digest.is_not(None))
            ).scalar()
            == 300
        )
    claim = store.claim_next("w", timedelta(seconds=60))
    assert claim is not None and claim.task.glossary == glossary


def test_claims_share_the_workers_between_jobs(store: JobStore) -> None:
    # Given a job of 50 documents, one of whose tasks is running, and a one-document job behind it
    big = store.create_job(
        JobSpec("acme", [TaskSpec(f"file:///s{n}.txt", f"file:///big/{n}.txt", "en", "es") for n in range(50)])
    ).job.id
    first = store.claim_next("w1", timedelta(seconds=60))
    assert first is not None and first.task.job_id == big
    small = store.create_job(one("file:///small/x.txt", "globex")).job.id
    # When the next worker claims / Then it takes the small job's task, not the big job's second
    second = store.claim_next("w2", timedelta(seconds=60))
    assert second is not None and second.task.job_id == small
    # and with both jobs equally busy, the older job's tasks come in submission order
    third = store.claim_next("w3", timedelta(seconds=60))
    assert third is not None and third.task.job_id == big and third.task.seq == 1


def test_a_runner_that_serves_one_job_claims_its_tasks_and_no_other_jobs(store: JobStore) -> None:
    # Red team 2026-12-01: a `dragoman translate` ran a --no-wait job's documents (and a killed
    # command's), and its own kills then failed them as lost workers
    lease = timedelta(seconds=60)
    other = store.create_job(
        JobSpec("acme", [TaskSpec(f"file:///o{n}.txt", f"file:///other/{n}.txt", "en", "es") for n in range(3)])
    ).job.id
    mine = store.create_job(
        JobSpec("acme", [TaskSpec(f"file:///m{n}.txt", f"file:///mine/{n}.txt", "en", "es") for n in range(2)])
    ).job.id
    assert store.has_pending(other) and store.has_pending(mine)
    first = store.claim_next("w", lease, only_job=mine)
    assert first is not None and first.task.job_id == mine and first.task.seq == 0  # not the older job's
    # the next claim, in the transaction that records a success or another outcome, keeps to the job
    done, second = store.publish_and_finish(first.task.id, "w", first.attempt, lambda: None, lease, only_job=mine)
    assert done and second is not None and second.task.job_id == mine
    reported, third = store.finish_and_claim(
        second.task.id, "w", TaskStatus.FAILED, None, lease, attempt=second.attempt, only_job=mine
    )
    assert reported and third is None  # the job has nothing left: the other job's tasks stay pending
    assert not store.has_pending(mine) and store.get(other).summary.not_yet_started == 3
    held = store.create_job(one("file:///held/x.txt"), validated=False).job.id  # created held: not claimable
    assert store.has_pending(held) and store.claim_next("w", lease, only_job=held) is None
    anyone = store.claim_next("w", lease)  # a runner that serves every job takes the other job's
    assert anyone is not None and anyone.task.job_id == other


def test_two_access_tokens_for_one_blob_are_one_target_and_never_shown(store: JobStore) -> None:
    blob = "https://acct.blob.core.windows.net/out/x.txt"
    store.create_job(one(f"{blob}?sv=1&sig=first-secret"))
    with pytest.raises(TargetExists) as refused:
        store.create_job(one(f"{blob}?sv=1&sig=second-secret", "globex"))
    assert "secret" not in refused.value.message and blob in refused.value.message
