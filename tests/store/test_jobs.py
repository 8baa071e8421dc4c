"""Single store operations whose guards the property tests do not reach."""

from __future__ import annotations

from datetime import timedelta

from dragoman.domain.jobs import ErrorInfo
from dragoman.domain.specs import DocumentWarning, JobSpec, TaskSpec
from dragoman.domain.states import TaskStatus
from dragoman.store.jobs import JobStore


def test_only_the_owner_of_a_running_task_moves_its_progress_and_it_stays_within_0_and_1(store: JobStore) -> None:
    job_id = store.create_job(JobSpec("t", [TaskSpec("file:///s", "file:///t", "en", "es")])).job.id
    claim = store.claim_next("owner", timedelta(seconds=60))
    assert claim is not None

    store.update_progress(claim.task.id, "someone-else", 0.5)
    assert store.task(job_id, claim.task.id).progress == 0.0
    store.update_progress(claim.task.id, "owner", 0.4)
    assert store.task(job_id, claim.task.id).progress == 0.4
    store.update_progress(claim.task.id, "owner", 7.0)
    assert store.task(job_id, claim.task.id).progress == 1.0

    assert store.finish(claim.task.id, "owner", TaskStatus.FAILED)
    store.update_progress(claim.task.id, "owner", 0.2)  # no longer running: nothing moves
    assert store.task(job_id, claim.task.id).progress == 1.0


def test_a_finished_job_awaits_its_end_of_job_output_until_it_is_marked_written(store: JobStore) -> None:
    # Given a finished job of an origin with end-of-job output, and one refused at validation
    ran = store.create_job(
        JobSpec("t", [TaskSpec("file:///s", "file:///t", "en", "es")], origin="aws", end_output=True)
    ).job.id
    refused = store.create_job(
        JobSpec("t", [], origin="aws", end_output=True), validated=False, error=ErrorInfo("Bad", "no")
    ).job.id
    claim = store.claim_next("owner", timedelta(seconds=60))
    assert claim is not None
    assert store.unfinalized(["aws"]) == []  # still running: nothing to write yet
    assert store.finish(claim.task.id, "owner", TaskStatus.SUCCEEDED)
    # Then only the job that ran awaits it, and only until it is marked written, once
    assert store.unfinalized(["aws"]) == [ran] and store.unfinalized(["cli"]) == []
    assert not store.get(ran).job.finalized and not store.get(refused).job.finalized
    assert store.mark_finalized(ran) and not store.mark_finalized(ran)
    assert store.get(ran).job.finalized and store.unfinalized(["aws"]) == []


def test_what_a_document_left_untranslated_is_kept_with_its_task(store: JobStore) -> None:
    job = store.create_job(JobSpec("t", [TaskSpec("file:///deck.pptx", "file:///out/deck.pptx", "en", "es")])).job
    claim = store.claim_next("w", timedelta(seconds=60))
    assert claim is not None and claim.task.warnings == ()
    warnings = (DocumentWarning("ChartDataNotTranslated", "the categories of 1 chart are not translated"),)
    assert store.record_output(claim.task.id, "w", characters=9, output_sha256="0" * 64, warnings=warnings)
    assert store.finish(claim.task.id, "w", TaskStatus.SUCCEEDED)
    [task] = store.tasks(job.id)
    assert task.warnings == warnings and task.billed_characters == 9


def test_a_task_handed_back_after_its_jobs_cancel_is_cancelled_not_pending(store: JobStore) -> None:
    # Red team 18: a Ctrl-C during a database outage: the cancel was recorded once the database was back,
    # then the runner's report of the task it had handed back (pending, to run again) landed after it.
    # The task stayed pending in a cancelled job, which nothing would ever run or end: "cancelling" for good.
    spec = JobSpec(
        "t", [TaskSpec("file:///s1", "file:///t1", "en", "es"), TaskSpec("file:///s2", "file:///t2", "en", "es")]
    )
    job_id = store.create_job(spec).job.id
    claim = store.claim_next("owner", timedelta(seconds=60))
    assert claim is not None
    store.request_cancel(job_id)
    assert store.finish(claim.task.id, "owner", TaskStatus.PENDING, attempt=claim.attempt, released=True)
    view = store.get(job_id)
    assert view.status.value == "cancelled", view
    assert [task.status for task in store.tasks(job_id)] == [TaskStatus.CANCELLED, TaskStatus.CANCELLED]
