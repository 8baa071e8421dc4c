"""What a caller asks for, and the checks every front door's request must pass before a job exists."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dragoman.errors import Invalid, UnsupportedLanguage

__all__ = ["AUTO_LANGUAGE", "JobSpec", "TaskSpec", "check_job_spec", "location_identity"]

AUTO_LANGUAGE = "auto"

MAX_TASKS_PER_JOB = 100_000


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """One document into one language, with where its translation must be written."""

    source_url: str
    target_url: str
    source_language: str  # AUTO_LANGUAGE: detected from the document when it runs
    target_language: str
    glossary: tuple[tuple[str, str], ...] = ()  # (source term, target term), applied as given


@dataclass(frozen=True, slots=True)
class JobSpec:
    tenant: str
    tasks: Sequence[TaskSpec]
    name: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    origin: str = "cli"
    client_token: str | None = None
    details: Mapping[str, Any] | None = None
    job_id: str | None = None  # chosen by the caller when the targets must name it (Amazon's output prefix)
    request_digest: str | None = None  # what an idempotency token was first used for
    end_output: bool = False  # the front door promises end-of-job output (Amazon's details files)


def location_identity(url: str) -> str:
    """Which document a location (already in its one spelling, `Storage.canonical`) names: the URL
    without its query, which only carries access (a SAS token) and is never shown (DESIGN §1 rule 9)."""
    return url.split("?", 1)[0]


def check_job_spec(spec: JobSpec, supports: Callable[[str, str], bool]) -> None:
    """Raise Invalid unless the job can run: some tasks, no two writing one target, every pair supported.

    `supports(AUTO_LANGUAGE, target)` must say whether any source language can reach `target`."""
    if not spec.tasks:
        raise Invalid("the job has no documents to translate")
    if len(spec.tasks) > MAX_TASKS_PER_JOB:
        raise Invalid(f"a job may hold at most {MAX_TASKS_PER_JOB} document translations")
    seen: dict[str, TaskSpec] = {}
    for task in spec.tasks:
        target = location_identity(task.target_url)
        other = seen.get(target)
        if other is not None:
            raise Invalid(
                f"{location_identity(task.source_url)} and {location_identity(other.source_url)} "
                f"would both be written to {target}"
            )
        seen[target] = task
        if task.source_language == task.target_language:
            raise UnsupportedLanguage(f"source and target language are both {task.source_language!r}")
        if not supports(task.source_language, task.target_language):
            raise UnsupportedLanguage(
                f"no installed engine translates {task.source_language!r} into {task.target_language!r}"
            )
