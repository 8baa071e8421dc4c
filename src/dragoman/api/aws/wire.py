"""Dragoman's jobs in Amazon Translate's JSON: ids, statuses, job properties, timestamps."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from dragoman.api.aws.errors import AwsError, amazon_words
from dragoman.domain.jobs import JobView
from dragoman.domain.states import TERMINAL_JOB_STATES, JobStatus

__all__ = [
    "AWS_ORIGIN",
    "JOB_STATUS",
    "aws_job_id",
    "epoch",
    "job_message",
    "job_properties",
    "job_status",
    "job_statuses_named",
    "parse_job_id",
]

AWS_ORIGIN = "aws"  # the origin of jobs started here; they promise per-language details files

JOB_STATUS: dict[JobStatus, str] = {
    JobStatus.VALIDATING: "SUBMITTED",
    JobStatus.QUEUED: "SUBMITTED",
    JobStatus.INVALID: "FAILED",
    JobStatus.RUNNING: "IN_PROGRESS",
    JobStatus.CANCELLING: "STOP_REQUESTED",
    JobStatus.SUCCEEDED: "COMPLETED",
    JobStatus.PARTIALLY_FAILED: "COMPLETED_WITH_ERROR",
    JobStatus.FAILED: "FAILED",
    JobStatus.CANCELLED: "STOPPED",
}
_JOB_ID = re.compile(r"^[\w\s.:/=+\-%@]{1,32}$")


def aws_job_id(job_id: str) -> str:
    """Amazon job ids are at most 32 characters: a Dragoman job id without its dashes."""
    return job_id.replace("-", "")


def parse_job_id(value: object, member: str = "JobId") -> str:
    """The Dragoman job id behind an Amazon job id; a malformed one is an InvalidParameterValue."""
    if not isinstance(value, str) or not _JOB_ID.match(value):
        raise AwsError(
            400,
            "InvalidParameterValueException",
            f"1 validation error detected: Value at '{member}' failed to satisfy constraint: "
            "Member must have length less than or equal to 32 and match [\\p{L}\\p{Z}\\p{N}_.:/=+\\-%@]*",
        )
    try:
        return str(uuid.UUID(hex=value))
    except ValueError:
        return value  # well-formed but not one of ours: the lookup answers ResourceNotFound


def epoch(moment: datetime) -> float:
    return round(moment.timestamp(), 3)


def job_statuses_named(name: str) -> set[JobStatus]:
    statuses = {status for status, wire in JOB_STATUS.items() if wire == name}
    if not statuses:
        raise AwsError(
            400,
            "InvalidParameterValueException",
            f"Value '{name}' at 'filter.jobStatus' failed to satisfy constraint: Member must satisfy enum value "
            f"set: [{', '.join(sorted(set(JOB_STATUS.values())))}]",
        )
    return statuses


def job_status(view: JobView) -> str:
    """The job's JobStatus. The details files are part of a job's result (a client that sees it ended
    reads them next): the domain keeps a job that still owes them running (`derive_status`)."""
    return JOB_STATUS[view.status]


def job_properties(view: JobView) -> dict[str, Any]:
    """TextTranslationJobProperties. Members not known for a job (one started through another front
    door has no S3 configuration) are omitted, never null."""
    details = dict(view.job.details or {})
    summary = view.summary
    properties: dict[str, Any] = {
        "JobId": aws_job_id(view.job.id),
        "JobStatus": job_status(view),
        "SubmittedTime": epoch(view.job.created_at),
        "JobDetails": {
            "TranslatedDocumentsCount": summary.succeeded,
            "DocumentsWithErrorsCount": summary.failed,
            "InputDocumentsCount": summary.total,
        },
    }
    if view.job.name:
        properties["JobName"] = view.job.name
    for member in (
        "SourceLanguageCode",
        "TargetLanguageCodes",
        "InputDataConfig",
        "OutputDataConfig",
        "DataAccessRoleArn",
        "TerminologyNames",
        "ParallelDataNames",
        "Settings",
    ):
        if member in details:
            properties[member] = details[member]
    ended = view.status in TERMINAL_JOB_STATES
    if ended:
        properties["EndTime"] = epoch(view.job.updated_at)
    message = job_message(view)
    if message is not None:
        properties["Message"] = message
    return properties


def _translations(count: int) -> str:
    return f"{count} document translation" + ("" if count == 1 else "s")


def job_message(view: JobView) -> str | None:
    """TextTranslationJobProperties.Message: why a job failed as a whole, or how an ended job ended
    (Amazon's developer guide shows it on FAILED jobs with the reason, and on COMPLETED ones). A job
    whose every document failed, or that was stopped, says so with its counts; each document's own
    error is in the details files."""
    summary = view.summary
    details = (  # only jobs started here have details files; others are seen through another door
        " Each document's outcome is in details/<language>.auxiliary-translation-details.json."
        if view.job.end_output
        else ""
    )
    if view.job.failure is not None:
        return amazon_words(view.job.failure.message)
    match view.status:
        case JobStatus.SUCCEEDED:
            return "Your job has completed successfully."
        case JobStatus.FAILED:
            return f"None of the job's {_translations(summary.total)} succeeded.{details}"
        case JobStatus.PARTIALLY_FAILED:
            return f"{summary.failed} of the job's {_translations(summary.total)} failed.{details}"
        case JobStatus.CANCELLED:
            finished = "had finished and is kept" if summary.succeeded == 1 else "had finished and are kept"
            stopped = "was stopped and is not charged" if summary.cancelled == 1 else "were stopped and are not charged"
            return (
                f"The job was stopped: {_translations(summary.succeeded)} {finished}; "
                f"{summary.cancelled} {stopped}.{details}"
            )
    return None
