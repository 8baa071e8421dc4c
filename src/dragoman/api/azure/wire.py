"""Dragoman's jobs and tasks in Azure's JSON, and Azure's query vocabulary in Dragoman's terms."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from dragoman.api.azure.errors import inner_to_top_code
from dragoman.domain.jobs import ErrorInfo, JobView, Task
from dragoman.domain.states import JobStatus, TaskStatus

__all__ = [
    "JOB_STATUS",
    "TASK_STATUS",
    "document_status",
    "job_statuses_named",
    "task_statuses_named",
    "timestamp",
    "translation_status",
    "without_query",
]

JOB_STATUS: dict[JobStatus, str] = {
    JobStatus.VALIDATING: "NotStarted",
    JobStatus.QUEUED: "NotStarted",
    JobStatus.INVALID: "ValidationFailed",
    JobStatus.RUNNING: "Running",
    JobStatus.CANCELLING: "Cancelling",
    JobStatus.SUCCEEDED: "Succeeded",
    JobStatus.PARTIALLY_FAILED: "Succeeded",  # Azure reports it through summary.failed > 0
    JobStatus.FAILED: "Failed",
    JobStatus.CANCELLED: "Cancelled",
}
TASK_STATUS: dict[TaskStatus, str] = {
    TaskStatus.PENDING: "NotStarted",
    TaskStatus.RUNNING: "Running",
    TaskStatus.SUCCEEDED: "Succeeded",
    TaskStatus.FAILED: "Failed",
    TaskStatus.CANCELLED: "Cancelled",
}
_SPELLINGS = {"canceled": "cancelled", "canceling": "cancelling"}  # the SDK's spelling, if passed through


def timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with milliseconds, as Azure writes it: 2026-03-10T08:15:02.412Z."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def without_query(url: str) -> str:
    """A URL as shown back to callers: no query string, since it may hold a SAS token."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _error(error: ErrorInfo, target: str) -> dict[str, Any]:
    return {
        "code": inner_to_top_code(error),
        "message": error.message,
        "target": target,
        "innerError": {"code": error.code, "message": error.message},
    }


def translation_status(view: JobView) -> dict[str, Any]:
    summary = view.summary
    body: dict[str, Any] = {
        "id": view.job.id,
        "createdDateTimeUtc": timestamp(view.job.created_at),
        "lastActionDateTimeUtc": timestamp(view.job.updated_at),
        "status": JOB_STATUS[view.status],
        "summary": {
            "total": summary.total,
            "failed": summary.failed,
            "success": summary.succeeded,
            "inProgress": summary.in_progress,
            "notYetStarted": summary.not_yet_started,
            "cancelled": summary.cancelled,
            "totalCharacterCharged": summary.characters_charged,
        },
    }
    if view.job.failure is not None:
        body["error"] = _error(view.job.failure, "Operation")
    return body


def document_status(task: Task) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sourcePath": without_query(task.source_url),
        "createdDateTimeUtc": timestamp(task.created_at),
        "lastActionDateTimeUtc": timestamp(task.updated_at),
        "status": TASK_STATUS[task.status],
        "to": task.target_language,
        "progress": 1.0 if task.status is TaskStatus.SUCCEEDED else round(task.progress, 4),
        "id": task.id,
        "characterCharged": task.billed_characters,
    }
    if task.status is TaskStatus.SUCCEEDED:
        body["path"] = without_query(task.target_url)
    if task.error is not None:
        body["error"] = _error(task.error, "Document")
    if task.warnings:  # Dragoman's own field: what the translated document left untranslated
        body["warnings"] = [{"code": warning.code, "message": warning.message} for warning in task.warnings]
    return body


def job_statuses_named(names: list[str]) -> set[JobStatus] | None:
    """Internal states behind Azure status names (case-insensitive); None if a name is unknown."""
    wanted = {_SPELLINGS.get(name.lower(), name.lower()) for name in names}
    known = {wire.lower() for wire in JOB_STATUS.values()}
    if not wanted <= known:
        return None
    return {status for status, wire in JOB_STATUS.items() if wire.lower() in wanted}


def task_statuses_named(names: list[str]) -> set[TaskStatus] | None:
    wanted = {_SPELLINGS.get(name.lower(), name.lower()) for name in names}
    known = {wire.lower() for wire in TASK_STATUS.values()} | {"cancelling", "validationfailed"}
    if not wanted <= known:
        return None
    return {status for status, wire in TASK_STATUS.items() if wire.lower() in wanted}
