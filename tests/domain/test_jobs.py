"""docs/lifecycle.md: derived status, cancel rules 1-2 and 4, billing (5), counters (6), recovery (7)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dragoman.domain.jobs import (
    FINALIZE_ATTEMPTS,
    CancelOutcome,
    ErrorInfo,
    Job,
    JobView,
    Summary,
    Task,
    billed_characters,
    broken_task,
    charged_characters,
    decide_cancel,
    delivered_unchanged,
    derive_status,
    recover_task,
    stopped_task,
    worker_lost,
)
from dragoman.domain.specs import JobSpec, TaskSpec, check_job_spec, checks_designated_source
from dragoman.domain.states import (
    ALLOWED_TASK_TRANSITIONS,
    CANCELLABLE_JOB_STATES,
    TERMINAL_TASK_STATES,
    JobStatus,
    TaskStatus,
    transition,
)
from dragoman.errors import CancelRefused, Invalid, InvalidTransition, UnsupportedLanguage

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def job(**changes: object) -> Job:
    return Job(id="j1", tenant="t", created_at=NOW, updated_at=NOW).evolve(**changes)


def task(status: TaskStatus, characters: int | None = 10) -> Task:
    return Task("t", "j1", 0, "file:///a", "file:///b", "en", "es", status, NOW, NOW, characters=characters)


@pytest.mark.parametrize(
    ("summary", "flags", "expected"),
    [
        (Summary(not_yet_started=2), {}, JobStatus.QUEUED),
        (Summary(not_yet_started=1, in_progress=1), {}, JobStatus.RUNNING),
        (Summary(not_yet_started=1, succeeded=1), {}, JobStatus.RUNNING),
        (Summary(in_progress=1, cancelled=1), {"cancel_requested": True}, JobStatus.CANCELLING),
        (Summary(succeeded=2), {}, JobStatus.SUCCEEDED),
        (Summary(succeeded=1, failed=1), {}, JobStatus.PARTIALLY_FAILED),
        (Summary(failed=2), {}, JobStatus.FAILED),
        (Summary(succeeded=1, cancelled=1), {"cancel_requested": True}, JobStatus.CANCELLED),
        (Summary(succeeded=2), {"cancel_requested": True}, JobStatus.SUCCEEDED),  # rule 4: lost the race
        (Summary(), {"validated": False}, JobStatus.VALIDATING),
        (Summary(), {"validated": False, "cancel_requested": True}, JobStatus.CANCELLED),
        (Summary(), {"error": ErrorInfo("X", "bad")}, JobStatus.INVALID),
    ],
)
def test_status_is_derived_from_tasks_and_flags(
    summary: Summary, flags: dict[str, object], expected: JobStatus
) -> None:
    # Given a job's flags and its counters / When its status is derived / Then it follows the docs/lifecycle.md table
    assert derive_status(job(**flags), summary) is expected


@pytest.mark.parametrize("status", list(JobStatus))
def test_cancel_is_accepted_only_while_validating_queued_or_running(status: JobStatus) -> None:
    examples = {
        JobStatus.VALIDATING: (job(validated=False), Summary()),
        JobStatus.INVALID: (job(error=ErrorInfo("X", "bad")), Summary()),
        JobStatus.QUEUED: (job(), Summary(not_yet_started=3)),
        JobStatus.RUNNING: (job(), Summary(not_yet_started=1, in_progress=1)),
        JobStatus.CANCELLING: (job(cancel_requested=True), Summary(in_progress=1, cancelled=1)),
        JobStatus.SUCCEEDED: (job(), Summary(succeeded=1)),
        JobStatus.PARTIALLY_FAILED: (job(), Summary(succeeded=1, failed=1)),
        JobStatus.FAILED: (job(), Summary(failed=1)),
        JobStatus.CANCELLED: (job(cancel_requested=True), Summary(cancelled=1)),
    }
    the_job, summary = examples[status]
    assert derive_status(the_job, summary) is status
    if status in CANCELLABLE_JOB_STATES:
        cancelled_job, after = decide_cancel(the_job, summary)
        assert cancelled_job.cancel_requested
        assert after.not_yet_started == 0
        assert after.total == summary.total
    else:
        with pytest.raises(CancelRefused):
            decide_cancel(the_job, summary)


def test_cancel_with_running_tasks_leaves_the_job_cancelling() -> None:
    # Given two pending and one running task / When cancelled / Then pending are cancelled, the job is cancelling
    cancelled_job, after = decide_cancel(job(), Summary(not_yet_started=2, in_progress=1))
    assert after == Summary(in_progress=1, cancelled=2)
    assert derive_status(cancelled_job, after) is JobStatus.CANCELLING


def test_cancel_with_nothing_running_ends_the_job_at_once() -> None:
    cancelled_job, after = decide_cancel(job(), Summary(not_yet_started=2, succeeded=1))
    assert derive_status(cancelled_job, after) is JobStatus.CANCELLED


def test_cancel_outcome_reports_a_lost_race() -> None:
    view = JobView(job(cancel_requested=True), Summary(succeeded=3))
    assert view.status is JobStatus.SUCCEEDED
    assert view.cancel_outcome is CancelOutcome.LOST_RACE
    assert JobView(job(cancel_requested=True), Summary(succeeded=1, cancelled=1)).cancel_outcome is (
        CancelOutcome.TOOK_EFFECT
    )
    assert JobView(job(cancel_requested=True), Summary(in_progress=1)).cancel_outcome is CancelOutcome.IN_PROGRESS
    assert JobView(job(), Summary(succeeded=1)).cancel_outcome is None


def test_only_succeeded_tasks_are_billed() -> None:
    tasks = [task(status, 100) for status in TaskStatus]
    assert billed_characters(tasks) == 100
    assert Summary.of(tasks).characters_charged == 100
    assert Summary.of(tasks).total == len(tasks)


def test_a_document_already_in_its_target_language_is_delivered_unchanged_and_not_billed() -> None:
    # rule 5, as Amazon does not charge a request whose source language is the target
    assert delivered_unchanged("en", "en") and not delivered_unchanged("es", "en")
    assert charged_characters(120, unchanged=True) == 0
    assert charged_characters(120, unchanged=False) == 120
    # what such a task records as its characters is what the job bills: nothing
    tasks = [task(TaskStatus.SUCCEEDED, charged_characters(120, unchanged=True)), task(TaskStatus.SUCCEEDED, 30)]
    assert billed_characters(tasks) == 30 and Summary.of(tasks).characters_charged == 30


def test_a_job_may_name_its_target_language_as_source_when_the_engine_knows_it() -> None:
    known = {"en", "es"}

    def supports(source: str, target: str) -> bool:  # an engine with one pair, en -> es
        return target in known if source in ("auto", target) else (source, target) == ("en", "es")

    same = JobSpec("t", [TaskSpec("file:///a.txt", "file:///out/a.txt", "en", "en")])
    check_job_spec(same, supports)
    unknown = JobSpec("t", [TaskSpec("file:///a.txt", "file:///out/a.txt", "ja", "ja")])
    with pytest.raises(UnsupportedLanguage, match="'ja' into 'ja'"):
        check_job_spec(unknown, supports)


def test_only_the_command_line_fails_a_document_whose_named_language_is_wrong() -> None:
    assert checks_designated_source("cli")
    assert not checks_designated_source("azure") and not checks_designated_source("aws")


@pytest.mark.parametrize(
    ("published", "cancel_requested", "expected"),
    [
        (True, False, TaskStatus.SUCCEEDED),
        (True, True, TaskStatus.SUCCEEDED),
        (False, True, TaskStatus.CANCELLED),
        (False, False, TaskStatus.PENDING),
    ],
)
def test_recovery_of_a_task_whose_worker_died(published: bool, cancel_requested: bool, expected: TaskStatus) -> None:
    assert recover_task(published=published, cancel_requested=cancel_requested) is expected


def test_a_task_whose_worker_was_lost_on_every_attempt_fails_unless_it_was_published_or_cancelled() -> None:
    assert recover_task(published=False, cancel_requested=False, attempts=2) is TaskStatus.PENDING
    assert recover_task(published=False, cancel_requested=False, attempts=3) is TaskStatus.FAILED
    assert recover_task(published=False, cancel_requested=False, attempts=5, max_attempts=6) is TaskStatus.PENDING
    assert recover_task(published=True, cancel_requested=False, attempts=3) is TaskStatus.SUCCEEDED  # billed once
    assert recover_task(published=False, cancel_requested=True, attempts=3) is TaskStatus.CANCELLED  # free
    assert worker_lost(3).code == "WorkerLost" and "3 times" in worker_lost(3).message


def test_a_task_stopped_by_a_cancel_is_cancelled_and_by_a_shutdown_runs_again() -> None:
    assert stopped_task(by_cancel=True) is TaskStatus.CANCELLED
    assert stopped_task(by_cancel=False) is TaskStatus.PENDING


def test_work_that_broke_while_the_task_was_stopping_was_stopped_otherwise_it_failed() -> None:
    assert broken_task(stopping=True, by_cancel=True) is TaskStatus.CANCELLED
    assert broken_task(stopping=True, by_cancel=False) is TaskStatus.PENDING
    assert broken_task(stopping=False, by_cancel=True) is TaskStatus.FAILED


def test_transition_table_covers_every_status_and_terminal_states_are_final() -> None:
    assert set(ALLOWED_TASK_TRANSITIONS) == set(TaskStatus)
    for status in TERMINAL_TASK_STATES:
        for target in TaskStatus:
            with pytest.raises(InvalidTransition):
                transition(status, target)
    assert transition(TaskStatus.PENDING, TaskStatus.RUNNING) is TaskStatus.RUNNING
    with pytest.raises(InvalidTransition):
        transition(TaskStatus.PENDING, TaskStatus.SUCCEEDED)


def test_a_job_owes_its_end_of_job_output_from_its_end_until_it_is_written() -> None:
    done = Summary(succeeded=1)
    assert not JobView(job(end_output=True), Summary(in_progress=1)).owes_output  # not ended: nothing owed yet
    assert JobView(job(end_output=True), done).owes_output
    assert JobView(job(end_output=True, cancel_requested=True), Summary(cancelled=1)).owes_output
    assert not JobView(job(end_output=True, finalized=True), done).owes_output
    assert not JobView(job(), done).owes_output  # its front door promises no such output
    refused = job(end_output=True, validated=False, error=ErrorInfo("Bad", "no"))  # never ran: promises nothing
    assert not JobView(refused, Summary()).owes_output


def test_a_job_that_owes_its_output_has_not_ended_on_any_front_door_and_a_cancel_of_it_loses_the_race() -> None:
    # Given a job whose documents are all done but whose end-of-job output is not written
    owing = job(end_output=True)
    done = Summary(succeeded=2, characters_charged=20)
    # Then it is running, and a cancel is accepted (one truth: no door says it ended)
    assert JobView(owing, done).status is JobStatus.RUNNING and not JobView(owing, done).is_terminal
    cancelled_job, after = decide_cancel(owing, done)
    assert after == done  # nothing was pending: nothing to cancel, nothing unbilled
    assert JobView(cancelled_job, after).status is JobStatus.CANCELLING
    # When the output is written / Then it ended as its documents did: the cancel lost the race (rule 4)
    ended = JobView(cancelled_job.evolve(finalized=True), after)
    assert ended.status is JobStatus.SUCCEEDED and ended.cancel_outcome is CancelOutcome.LOST_RACE
    assert ended.summary.characters_charged == 20


def test_a_job_whose_output_cannot_be_written_fails_visibly_and_keeps_its_billed_documents() -> None:
    given_up = job(end_output=True, output_error=ErrorInfo("OutputWriteFailed", "the bucket is gone"))
    view = JobView(given_up, Summary(succeeded=2, characters_charged=20))
    assert view.status is JobStatus.FAILED and view.is_terminal and not view.owes_output
    assert view.summary.characters_charged == 20  # rule 5: completed work stays billed
    with pytest.raises(CancelRefused):
        decide_cancel(given_up, view.summary)
    assert FINALIZE_ATTEMPTS > 1


def test_a_job_may_not_write_one_blob_twice_under_two_access_tokens_and_no_token_is_shown() -> None:
    blob = "https://acct.blob.core.windows.net/out/x.txt"
    spec = JobSpec(
        "t",
        [
            TaskSpec("https://acct.blob.core.windows.net/in/a.txt?sig=s1", f"{blob}?sig=secret1", "en", "es"),
            TaskSpec("https://acct.blob.core.windows.net/in/b.txt?sig=s2", f"{blob}?sig=secret2", "en", "es"),
        ],
    )
    with pytest.raises(Invalid, match="would both be written") as refused:
        check_job_spec(spec, lambda source, target: True)
    assert "sig=" not in refused.value.message
