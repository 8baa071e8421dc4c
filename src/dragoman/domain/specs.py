"""What a caller asks for, and the checks every front door's request must pass before a job exists."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from dragoman.errors import Invalid, UnsupportedLanguage

__all__ = [
    "AUTO_LANGUAGE",
    "CLI_ORIGIN",
    "DocumentWarning",
    "ErrorInfo",
    "JobSpec",
    "TaskSpec",
    "check_job_spec",
    "checks_designated_source",
    "location_identity",
    "shown_location",
    "primary_language",
]

AUTO_LANGUAGE = "auto"
CLI_ORIGIN = "cli"  # a job submitted by the command line

MAX_TASKS_PER_JOB = 100_000


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """Why a job failed validation or a task failed: a stable code and a sentence for people."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class DocumentWarning:
    """A part of a translated document that was not translated (an embedded object, a diagram...):
    a stable code and a sentence for people. The document itself succeeded."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """One document into one language, with where its translation must be written."""

    source_url: str
    target_url: str
    source_language: str  # AUTO_LANGUAGE: detected from the document when it runs
    target_language: str  # a locale tag as the caller gave it (`es-MX`); engines read its primary language
    glossary: tuple[tuple[str, str], ...] = ()  # (source term, target term), applied as given
    # The document's format by name (`formats.documents.FORMATS`), when the request says it (Amazon's
    # ContentType); None: the format its file name says.
    document_format: str | None = None
    # Set when this one document cannot be done as asked before anything runs (its name makes no
    # valid target: a key too long, a control character): the task is created failed with it, and
    # the rest of the job goes on. Its target_url is then only the name that was asked for.
    error: ErrorInfo | None = None


def primary_language(tag: str) -> str:
    """The language of a locale tag in Dragoman's spelling (`es-MX` -> `es`; `es` -> `es`), which is
    what engines translate and what rule 5 compares: Spanish text asked for in `es-MX` is already there."""
    return tag.split("-", 1)[0]


@dataclass(frozen=True, slots=True)
class JobSpec:
    tenant: str
    tasks: Sequence[TaskSpec]
    name: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    origin: str = CLI_ORIGIN
    client_token: str | None = None
    details: Mapping[str, Any] | None = None
    job_id: str | None = None  # chosen by the caller when the targets must name it (Amazon's output prefix)
    request_digest: str | None = None  # what an idempotency token was first used for
    end_output: bool = False  # the front door promises end-of-job output (Amazon's details files)
    # A target that already holds a document at submission: the whole request is refused (the CLI:
    # nothing is created), or only that document fails with TargetFileAlreadyExists while the rest
    # is translated (Azure Document Translation's behaviour). Never overwritten either way.
    occupied_target_fails_document: bool = False


def shown_location(url: str) -> str:
    """A location as a message shows it to people: a local file's path, decoded (`/tmp/my file.txt`,
    never `file:///tmp/my%20file.txt`); any other location without its query string, which may carry
    access (a SAS token). Every message that names a document (the command line's, the service's log
    and its errors) shows it so."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return printable(unquote(parts.path, errors="surrogateescape"))
    return location_identity(url)


def printable(text: str) -> str:
    """`text` (a path, a name) as a message may show it: bytes that are no UTF-8 and characters that
    are not printable (a tab, a terminal's escape) written as escapes (`tab\\tname.txt`), so that
    no name can move a terminal's cursor or hide in a log line."""
    return "".join(_shown_character(char) for char in text)


def _shown_character(char: str) -> str:
    """One character of `printable`: a backslash doubled, so that no escape can be read as a name's
    own characters (`a\\tb.txt` is a backslash and a t; `a\tb.txt` a tab)."""
    if char == "\\":
        return "\\\\"
    if "\udc80" <= char <= "\udcff":  # a byte that is no UTF-8, as os.fsdecode keeps it
        return f"\\x{ord(char) - 0xDC00:02x}"
    if char.isprintable():
        return char
    return char.encode("unicode_escape", errors="backslashreplace").decode("ascii")


def location_identity(url: str) -> str:
    """Which document a location (already in its one spelling, `Storage.canonical`) names: the URL
    without its query, which only carries access (a SAS token) and is never shown (lifecycle rule 9)."""
    return url.split("?", 1)[0]


def checks_designated_source(origin: str) -> bool:
    """Whether a document whose designated source language the detector is all but certain is wrong
    fails (SourceLanguageMismatch) instead of being translated as that language and billed.

    On the command line, yes: `--from ca` on English text would bill nonsense. Through the Azure and
    Amazon front doors, no: those protocols translate as told, as the services they copy do."""
    return origin == CLI_ORIGIN


def check_job_spec(spec: JobSpec, supports: Callable[[str, str], bool]) -> None:
    """Raise Invalid unless the job can run: some tasks, no two writing one target, every pair supported.

    `supports(AUTO_LANGUAGE, target)` must say whether a document can reach `target` at all, and
    `supports(language, language)` whether the engine knows that language: a document already in its
    target language is delivered unchanged (lifecycle rule 5), so source == target is a valid request."""
    if not spec.tasks:
        raise Invalid("the job has no documents to translate")
    if len(spec.tasks) > MAX_TASKS_PER_JOB:
        raise Invalid(f"a job may hold at most {MAX_TASKS_PER_JOB} document translations")
    seen: dict[str, TaskSpec] = {}
    for task in spec.tasks:
        if task.error is not None:  # failed already: it writes nothing
            continue
        target = location_identity(task.target_url)
        other = seen.get(target)
        if other is not None:
            raise Invalid(
                f"{shown_location(task.source_url)} and {shown_location(other.source_url)} "
                f"would both be written to {shown_location(task.target_url)}"
            )
        seen[target] = task
        if not supports(task.source_language, task.target_language):
            if task.source_language == AUTO_LANGUAGE:  # the caller named no source language
                raise UnsupportedLanguage(f"no installed engine translates into {task.target_language!r}")
            raise UnsupportedLanguage(
                f"no installed engine translates {task.source_language!r} into {task.target_language!r}"
            )
