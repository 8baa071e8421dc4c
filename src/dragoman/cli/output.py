"""What the command line prints for jobs and tasks: `--json` documents (stable field names, which
scripts read) and locations as people read them (decoded paths, never a query string)."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dragoman.domain.jobs import JobView, Task
    from dragoman.domain.specs import TaskSpec

__all__ = ["job_json", "location", "print_json", "skipped_json", "task_json"]


def location(url: str) -> str:
    """A document's location for people: a local file's path, decoded (`my file.txt`, not
    `my%20file.txt`); any other location without its query string, which may carry a SAS token
    (`domain.specs.shown_location`, which every message naming a document uses)."""
    from dragoman.domain.specs import shown_location

    return shown_location(url)


def job_json(view: JobView) -> dict[str, Any]:
    """A job as `--json` prints it."""
    summary = view.summary
    failure = view.job.failure
    return {
        "id": view.job.id,
        "name": view.job.name,
        "status": view.status.value,
        "created_at": view.job.created_at.isoformat(),
        "updated_at": view.job.updated_at.isoformat(),
        "cancel_requested": view.job.cancel_requested,
        "cancel_outcome": None if view.cancel_outcome is None else view.cancel_outcome.value,
        "error": None if failure is None else {"code": failure.code, "message": failure.message},
        "summary": {
            "total": summary.total,
            "not_yet_started": summary.not_yet_started,
            "in_progress": summary.in_progress,
            "succeeded": summary.succeeded,
            "failed": summary.failed,
            "cancelled": summary.cancelled,
            "characters_charged": summary.characters_charged,
        },
    }


def task_json(task: Task) -> dict[str, Any]:
    """A task (one document into one language) as `--json` prints it."""
    return {
        "id": task.id,
        "source": location(task.source_url),
        "target": location(task.target_url),
        "source_language": task.source_language,
        "target_language": task.target_language,
        "status": task.status.value,
        "characters_charged": task.billed_characters,
        "error": None if task.error is None else {"code": task.error.code, "message": task.error.message},
        "warnings": [{"code": warning.code, "message": warning.message} for warning in task.warnings],
    }


def skipped_json(task: TaskSpec) -> dict[str, Any]:
    """A document translation left out because its target already exists (`--skip-existing`)."""
    return {
        "source": location(task.source_url),
        "target": location(task.target_url),
        "target_language": task.target_language,
    }


def print_json(document: object) -> None:
    """One JSON document on stdout, never wrapped or truncated (not through rich's console)."""
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()
