"""Jobs, tasks, the derived job status, summaries, billing and the cancel decision.

Pure rules only: nothing here touches a database, a file or a clock. The job's status is derived
from the job's flags and its tasks' states (the store keeps a copy of it, rewritten from this rule in
every transaction that changes a task, only so that lists can filter on it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from dragoman.domain.specs import DocumentWarning, ErrorInfo, primary_language
from dragoman.domain.states import (
    CANCELLABLE_JOB_STATES,
    RAN_JOB_STATES,
    TERMINAL_JOB_STATES,
    JobStatus,
    TaskStatus,
)
from dragoman.errors import CancelRefused

__all__ = [
    "FINALIZE_ATTEMPTS",
    "LOST_RACE",
    "CancelOutcome",
    "ErrorInfo",
    "Job",
    "JobView",
    "Summary",
    "Task",
    "billed_characters",
    "broken_task",
    "charged_characters",
    "decide_cancel",
    "delivered_unchanged",
    "derive_status",
    "recover_task",
    "releasable",
]


@dataclass(frozen=True, slots=True)
class Task:
    """One source document translated into one target language."""

    id: str
    job_id: str
    seq: int
    source_url: str
    target_url: str
    source_language: str
    target_language: str
    status: TaskStatus
    created_at: datetime
    updated_at: datetime
    characters: int | None = None
    progress: float = 0.0
    error: ErrorInfo | None = None
    glossary: tuple[tuple[str, str], ...] = ()
    document_format: str | None = None  # as TaskSpec.document_format
    warnings: tuple[DocumentWarning, ...] = ()  # what its output left untranslated, recorded with it

    def evolve(self, **changes: Any) -> Task:
        return dataclasses.replace(self, **changes)

    @property
    def billed_characters(self) -> int:
        """Rule 5: only succeeded work is billed."""
        if self.status is TaskStatus.SUCCEEDED:
            return self.characters or 0
        return 0

    def __repr__(self) -> str:
        return f"Task({self.id[:8]} {self.source_language}->{self.target_language} {self.status})"


@dataclass(frozen=True, slots=True)
class Job:
    """A batch of tasks. `cancel_requested` is a flag, not a status (the status is derived)."""

    id: str
    tenant: str
    created_at: datetime
    updated_at: datetime
    validated: bool = True
    cancel_requested: bool = False
    error: ErrorInfo | None = None
    name: str | None = None
    origin: str = "cli"
    client_token: str | None = None
    details: Mapping[str, Any] | None = None
    end_output: bool = False  # its front door promises end-of-job output (Amazon's details files)
    finalized: bool = False  # that output was written
    output_error: ErrorInfo | None = None  # that output could not be written after FINALIZE_ATTEMPTS tries

    def evolve(self, **changes: Any) -> Job:
        return dataclasses.replace(self, **changes)

    @property
    def failure(self) -> ErrorInfo | None:
        """Why the job as a whole failed, for every front door to show: it failed validation, or its
        end-of-job output could not be written."""
        return self.error or self.output_error

    def __repr__(self) -> str:
        return f"Job({self.id[:8]} tenant={self.tenant!r} cancel_requested={self.cancel_requested})"


@dataclass(frozen=True, slots=True)
class Summary:
    """Task counters of one job. They add up by construction: total is their sum (rule 6)."""

    not_yet_started: int = 0
    in_progress: int = 0
    succeeded: int = 0
    failed: int = 0
    cancelled: int = 0
    characters_charged: int = 0

    @property
    def total(self) -> int:
        return self.not_yet_started + self.in_progress + self.succeeded + self.failed + self.cancelled

    @property
    def unfinished(self) -> int:
        return self.not_yet_started + self.in_progress

    @classmethod
    def of(cls, tasks: Iterable[Task]) -> Summary:
        counts = {status: 0 for status in TaskStatus}
        charged = 0
        for task in tasks:
            counts[task.status] += 1
            charged += task.billed_characters
        return cls.from_counts(counts, charged)

    @classmethod
    def from_counts(cls, counts: dict[TaskStatus, int], characters_charged: int) -> Summary:
        return cls(
            not_yet_started=counts.get(TaskStatus.PENDING, 0),
            in_progress=counts.get(TaskStatus.RUNNING, 0),
            succeeded=counts.get(TaskStatus.SUCCEEDED, 0),
            failed=counts.get(TaskStatus.FAILED, 0),
            cancelled=counts.get(TaskStatus.CANCELLED, 0),
            characters_charged=characters_charged,
        )


def billed_characters(tasks: Iterable[Task]) -> int:
    """Rule 5: the sum of source characters over succeeded tasks only."""
    return sum(task.billed_characters for task in tasks)


def delivered_unchanged(source_language: str, target_language: str) -> bool:
    """Rule 5: a document already in its target language, designated so or detected, is delivered
    as it is (its bytes unchanged, no glossary applied), not translated. Locales of one language
    (`es`, `es-MX`) count as that language: the engine has nothing to translate."""
    return primary_language(source_language) == primary_language(target_language)


def charged_characters(characters: int, *, unchanged: bool) -> int:
    """Rule 5: what one finished document bills, in characters: its source characters (what a reader
    sees of it), or none when it was delivered unchanged, as Amazon does not charge requests whose
    source language is the target. This is what a task records as its characters."""
    return 0 if unchanged else characters


# How many times a job's end-of-job output is tried before the job is failed for it (one try per
# recovery round of a runner, so about a minute with the default 5 s rounds).
FINALIZE_ATTEMPTS = 12


def derive_status(job: Job, summary: Summary) -> JobStatus:
    """The job's status from its flags and its tasks' counters (docs/lifecycle.md).

    A job whose front door promises end-of-job output has not ended until that output is written:
    until then it is `running` (or `cancelling` once a cancel was accepted), on every front door, and
    a cancel is accepted (it stops nothing, so it loses the race, rule 4, unless tasks were cancelled
    before). If the output cannot be written after FINALIZE_ATTEMPTS tries the job is `failed`; its
    succeeded documents stay kept and billed (rule 5)."""
    status = _status_of_tasks(job, summary)
    if job.end_output and status in RAN_JOB_STATES and not job.finalized:
        if job.output_error is not None:
            return JobStatus.FAILED
        return JobStatus.CANCELLING if job.cancel_requested else JobStatus.RUNNING
    return status


def _status_of_tasks(job: Job, summary: Summary) -> JobStatus:
    if job.error is not None:
        return JobStatus.INVALID
    if not job.validated:
        return JobStatus.CANCELLED if job.cancel_requested else JobStatus.VALIDATING
    if summary.unfinished:
        if job.cancel_requested:
            return JobStatus.CANCELLING
        if summary.in_progress or summary.total > summary.not_yet_started:
            return JobStatus.RUNNING
        return JobStatus.QUEUED
    if summary.cancelled:
        return JobStatus.CANCELLED
    if summary.total and summary.failed == summary.total:
        return JobStatus.FAILED
    if summary.failed:
        return JobStatus.PARTIALLY_FAILED
    if job.cancel_requested and summary.total == 0:
        return JobStatus.CANCELLED
    return JobStatus.SUCCEEDED


class CancelOutcome(StrEnum):
    """What a cancel achieved, as far as is known now."""

    IN_PROGRESS = "in_progress"  # accepted; running tasks are still stopping
    TOOK_EFFECT = "took_effect"  # at least one task (or the whole unvalidated job) was cancelled
    LOST_RACE = "lost_race"  # every task had finished before the cancel could stop any (rule 4)


# What a cancel that lost the race means, as every place that tells a person says it (rule 4)
LOST_RACE = "every document had finished before the cancel could stop one"


@dataclass(frozen=True, slots=True)
class JobView:
    """A consistent snapshot of a job: the job, its counters and the status derived from them."""

    job: Job
    summary: Summary

    @property
    def status(self) -> JobStatus:
        return derive_status(self.job, self.summary)

    @property
    def cancel_outcome(self) -> CancelOutcome | None:
        if not self.job.cancel_requested:
            return None
        status = self.status
        if status is JobStatus.CANCELLING:
            return CancelOutcome.IN_PROGRESS
        if status is JobStatus.CANCELLED:
            return CancelOutcome.TOOK_EFFECT
        return CancelOutcome.LOST_RACE

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_JOB_STATES

    @property
    def owes_output(self) -> bool:
        """Its tasks ran to their end, but the end-of-job output its front door promises (Amazon's
        details files) is not written yet, and has not been given up on: the job has not ended."""
        job = self.job
        return (
            job.end_output
            and not job.finalized
            and job.output_error is None
            and _status_of_tasks(job, self.summary) in RAN_JOB_STATES
        )


def decide_cancel(job: Job, summary: Summary) -> tuple[Job, Summary]:
    """Rules 1 and 2: refuse a cancel on a job that is not cancellable; otherwise return the job and
    counters as they are once every pending task is cancelled, in the same transaction as the flag."""
    status = derive_status(job, summary)
    if status not in CANCELLABLE_JOB_STATES:
        raise CancelRefused(f"job {job.id} is {status} and can no longer be cancelled")
    cancelled_job = job.evolve(cancel_requested=True)
    after = dataclasses.replace(summary, not_yet_started=0, cancelled=summary.cancelled + summary.not_yet_started)
    return cancelled_job, after


def releasable(job: Job) -> bool:
    """Whether a job its submitter created held (`validated` false: validating, nothing claims its
    tasks) may now be handed to the runners. Only while it is still held, did not fail validation,
    and no cancel was accepted for it: a cancel and a release are decided under the same job lock, so
    a cancel recorded first always wins and nothing of the job ever runs."""
    return not job.validated and job.error is None and not job.cancel_requested


def stopped_task(*, by_cancel: bool) -> TaskStatus:
    """Rule 3: the fate of a running task stopped at a safe point, its partial output discarded.

    A cancel stopped it: cancelled, never billed. The service shutting down (or a state database
    that stopped answering) stopped it: back to pending, to run again after the restart (nothing was
    published, so nothing is billed twice), unless its job's cancel was accepted meanwhile, which
    `by_cancel` then says: a task left pending in a cancelled job would never run nor end.
    """
    return TaskStatus.CANCELLED if by_cancel else TaskStatus.PENDING


def broken_task(*, stopping: bool, by_cancel: bool) -> TaskStatus:
    """Rule 3: the fate of a running task whose work broke (a converter died, a download was cut).
    While it was being stopped, it broke because it was stopping (a terminal's Ctrl-C reaches its
    converter too) and nothing was published: stopped, as `stopped_task` says. Otherwise it failed."""
    return stopped_task(by_cancel=by_cancel) if stopping else TaskStatus.FAILED


MAX_ATTEMPTS = 3  # claims of one task whose worker died each time before it ends failed


def recover_task(
    *, published: bool, cancel_requested: bool, attempts: int | None = None, max_attempts: int = MAX_ATTEMPTS
) -> TaskStatus:
    """Rule 7: the fate of a task found `running` with no live worker.

    Its output reached the target before the crash: it finished, so it is succeeded (and billed once).
    Otherwise nothing was published: it is cancelled if its job was cancelled; failed if its worker
    was lost on each of its `attempts` (at least `max_attempts`: a document that kills whatever runs
    it is not run again forever, `WORKER_LOST`); else run again.
    """
    if published:
        return TaskStatus.SUCCEEDED
    if cancel_requested:
        return TaskStatus.CANCELLED
    if attempts is not None and attempts >= max_attempts:
        return TaskStatus.FAILED
    return TaskStatus.PENDING


def worker_lost(attempts: int) -> ErrorInfo:
    """Why a task recovery failed (`recover_task`): its worker was lost on every attempt."""
    return ErrorInfo(
        "WorkerLost",
        f"the worker running this document stopped {attempts} times before it finished (a crash, or killed "
        "for its memory); it is not tried again",
    )
