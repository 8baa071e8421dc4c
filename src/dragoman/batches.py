"""Batch inputs as the HTTP front doors describe them (source folders or files, filters, targets,
glossaries), turned into a JobSpec: documents listed, target names chosen, glossaries read and checked.

Any problem raises a ServiceError whose code says what was wrong (unreadable source, unwritable or
occupied target, bad glossary, unsupported language); the service records it as a job that failed
validation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from dragoman.domain.specs import AUTO_LANGUAGE, ErrorInfo, JobSpec, TaskSpec, printable, shown_location
from dragoman.errors import (
    AccessDenied,
    Invalid,
    SourceMissing,
    TargetAccessDenied,
    TargetExists,
    UnsupportedFormat,
)
from dragoman.formats.documents import DocumentFormat, format_for, format_of_content_type, only_accompanies_documents
from dragoman.formats.glossary import Glossary, parse_glossary
from dragoman.planning import language, locale
from dragoman.storage.base import Storage

__all__ = ["BatchInput", "BatchTarget", "GlossaryRef", "NoDocuments", "canonical_spec", "check_targets", "plan_batch"]


class NoDocuments(Invalid):
    """No documents were found at the source."""

    code = "NoDocumentsFound"


@dataclass(frozen=True, slots=True)
class GlossaryRef:
    url: str
    format: str


@dataclass(frozen=True, slots=True)
class BatchTarget:
    url: str
    language: str
    glossaries: tuple[GlossaryRef, ...] = ()
    language_prefix: bool = False  # name outputs `<dirs>/<lang>.<file>` (Amazon) instead of `<dirs>/<file>`


@dataclass(frozen=True, slots=True)
class BatchInput:
    source_url: str
    targets: tuple[BatchTarget, ...]
    source_language: str | None = None  # None: detected per document
    single_file: bool = False  # the source and target URLs name one document each, not folders
    prefix: str = ""
    suffix: str = ""
    # Every listed document is read as the format of this MIME type, whatever its file name (Amazon
    # picks documents by the job's ContentType: `notes`, `episode.srt` are text/plain documents).
    # None: documents whose file name names a supported format, each read as that format.
    content_type: str | None = None
    # Called with each listed document's name relative to the source folder: False leaves it out; it
    # may raise an Invalid to refuse the whole batch. None: every document is taken.
    screen: Callable[[str], bool] | None = None


def plan_batch(storage: Storage, inputs: Sequence[BatchInput], job: JobSpec) -> JobSpec:
    """`job` (tenant, name, origin, ... and no tasks) with one task per listed document × target.
    Folder targets get the document's name relative to its source folder; only documents in a
    supported format are listed. Whether the targets are free is `check_targets`' to say."""
    tasks: list[TaskSpec] = []
    glossaries: dict[GlossaryRef, Glossary] = {}
    for item in inputs:
        source_language = AUTO_LANGUAGE if item.source_language is None else language(item.source_language)
        named_format = _named_format(item.content_type)
        documents, unusable = _documents(storage, item, named_format)
        format_name = None if named_format is None else named_format.name
        for target in item.targets:
            target_language = locale(target.language)  # as asked: `es-MX` names outputs and is echoed
            glossary = _glossary(storage, target.glossaries, glossaries)
            if item.single_file:
                target_url = _canonical_target(storage, target.url)
                tasks += [
                    TaskSpec(url, target_url, source_language, target_language, glossary, format_name)
                    for url, _ in documents
                ]
                continue
            _canonical_target(storage, target.url)  # the folder itself: unusable, the job fails validation
            for url, relative in documents:
                output_name = _language_prefixed(relative, target_language) if target.language_prefix else relative
                try:
                    target_url = _canonical_target(storage, _target(storage, target.url, output_name))
                except TargetAccessDenied as exc:  # this name makes no valid target: only it fails
                    asked = f"{_redact(target.url).rstrip('/')}/{output_name}"
                    failed = ErrorInfo(exc.code, exc.message)
                    tasks.append(TaskSpec(url, asked, source_language, target_language, glossary, format_name, failed))
                    continue
                tasks.append(TaskSpec(url, target_url, source_language, target_language, glossary, format_name))
            for relative, failed in unusable:  # a document of the folder that cannot be read: fails by its name
                output_name = _language_prefixed(relative, target_language) if target.language_prefix else relative
                source = _named_in(storage, item.source_url, relative)
                asked = _named_in(storage, target.url, output_name)
                tasks.append(TaskSpec(source, asked, source_language, target_language, glossary, format_name, failed))
    return dataclasses.replace(job, tasks=tasks)


def check_targets(storage: Storage, spec: JobSpec) -> None:
    """Raise TargetAccessDenied for a target that may not be written, TargetExists for one that
    already holds a document, unless the job fails such a document on its own
    (`spec.occupied_target_fails_document`: its task then fails when it starts). Run after the
    store's check that no live task writes them: a task publishes before it ends, so a target is
    either still live or already written."""
    for task in spec.tasks:
        if task.error is not None:  # failed already: it writes nothing
            continue
        try:
            _check_target(storage, task.target_url)
        except TargetExists:
            if not spec.occupied_target_fails_document:
                raise


def _language_prefixed(relative: str, language: str) -> str:
    folder, _, file_name = relative.rpartition("/")
    return f"{folder}/{language}.{file_name}" if folder else f"{language}.{file_name}"


def _named_format(content_type: str | None) -> DocumentFormat | None:
    if content_type is None:
        return None
    fmt = format_of_content_type(content_type)
    if fmt is None:
        raise UnsupportedFormat(f"documents of type {content_type!r} cannot be translated")
    return fmt


def _documents(
    storage: Storage, item: BatchInput, named_format: DocumentFormat | None
) -> tuple[list[tuple[str, str]], list[tuple[str, ErrorInfo]]]:
    """The item's documents, (URL, name relative to its folder), and those of its folder that cannot
    be used (`Storage.list_named_and_unusable`), (name, why): their tasks fail, seen, instead of being
    left out. Both are taken by the item's filters."""
    if item.single_file:
        storage.check_source(item.source_url)
        return [(storage.canonical(item.source_url), "")], []
    try:
        listed, refused = storage.list_named_and_unusable(item.source_url)
    except SourceMissing as exc:
        raise AccessDenied(f"the source location cannot be listed: {exc.message}") from None

    def taken(relative: str) -> bool:
        if not relative.startswith(item.prefix) or not relative.endswith(item.suffix):
            return False
        if item.screen is not None and not item.screen(relative):
            return False
        return named_format is not None or _named_by_file(relative)  # else not a document this batch can translate

    documents = [(url, relative) for url, relative in listed if taken(relative)]
    if not documents:
        raise NoDocuments(f"no documents in a supported format were found at {_redact(item.source_url)}")
    _check_readable(storage, [url for url, _ in documents[:_READ_PROBES]])
    unusable = [
        (relative, ErrorInfo(code, f"{printable(relative)}: {why}"))
        for relative, code, why in refused
        if taken(relative)
    ]
    return documents, unusable


_READ_PROBES = 3


def _check_readable(storage: Storage, urls: list[str]) -> None:
    """A listing may be allowed where reading is not (an Azure SAS with `l` but no `r`): fail
    validation then, as the service does, rather than each document on its own. One readable document
    of the first few is enough: one that cannot be read (an odd name) fails alone, when it runs."""
    first: AccessDenied | None = None
    for url in urls:
        try:
            storage.check_source(url)
            return
        except AccessDenied as exc:
            first = first or exc
        except SourceMissing:
            return  # deleted since it was listed: that document fails when it runs
    if first is not None:
        raise first


def _named_by_file(relative: str) -> bool:
    """Whether a listed file is a document this batch translates, by its name: one of the formats'
    extensions, or no extension at all (its content says what it is when it runs, as the command line
    reads such files; one that is no document fails its own task). Files that only accompany
    documents are left out by name, before anything is read: dotfiles (`.DS_Store`), Office's lock
    files (`~$report.docx`), and any other extension (`Thumbs.db`, `desktop.ini`, `scan.pdf`)."""
    name = PurePosixPath(relative).name
    if not name or only_accompanies_documents(name):
        return False
    if not PurePosixPath(name).suffix:
        return True
    try:
        format_for(relative)
    except UnsupportedFormat:
        return False
    return True


def _named_in(storage: Storage, folder_url: str, relative: str) -> str:
    """The URL of `relative` in the folder, or, where the folder gives none, how a message shows it."""
    try:
        return storage.child(folder_url, relative)
    except AccessDenied:
        return f"{_redact(folder_url).rstrip('/')}/{printable(relative)}"


def _target(storage: Storage, folder_url: str, relative: str) -> str:
    try:
        return storage.child(folder_url, relative)
    except AccessDenied as exc:
        raise TargetAccessDenied(exc.message) from None


def canonical_spec(storage: Storage, spec: JobSpec) -> JobSpec:
    """`spec` with every source and target in its one spelling (lifecycle rule 9), so that rules that
    compare locations compare documents, not spellings. Raises AccessDenied / TargetAccessDenied."""
    tasks = [
        task
        if task.error is not None  # failed already: its locations are only what was asked for
        else dataclasses.replace(
            task, source_url=storage.canonical(task.source_url), target_url=_canonical_target(storage, task.target_url)
        )
        for task in spec.tasks
    ]
    return dataclasses.replace(spec, tasks=tasks)


def _canonical_target(storage: Storage, url: str) -> str:
    try:
        return storage.canonical(url)
    except TargetAccessDenied:
        raise
    except AccessDenied as exc:
        raise TargetAccessDenied(exc.message) from None


def _check_target(storage: Storage, url: str) -> None:
    try:
        storage.check_target(url)
    except TargetAccessDenied:
        raise
    except AccessDenied as exc:
        raise TargetAccessDenied(exc.message) from None


def _glossary(storage: Storage, refs: Sequence[GlossaryRef], cache: dict[GlossaryRef, Glossary]) -> Glossary:
    pairs: list[tuple[str, str]] = []
    for ref in refs:
        if ref not in cache:
            name = _redact(ref.url)
            try:
                data = storage.read(ref.url)
            except (AccessDenied, SourceMissing) as exc:
                raise AccessDenied(f"the glossary {name} cannot be read: {exc.message}") from None
            cache[ref] = parse_glossary(data, ref.format, name)
        pairs.extend(cache[ref])
    return tuple(pairs)


def _redact(url: str) -> str:
    """A location fit for an error message: no query string (it may hold a SAS token), and a local
    file's path decoded (`domain.specs.shown_location`)."""
    return shown_location(url)
