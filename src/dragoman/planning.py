"""Turning local paths and languages into a JobSpec: the CLI's wire format, translated."""

from __future__ import annotations

import dataclasses
import errno
import os
import tempfile
from collections.abc import Collection, Sequence
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from dragoman.domain.specs import AUTO_LANGUAGE, ErrorInfo, JobSpec, TaskSpec
from dragoman.engines.languages import locale_tag, normalize
from dragoman.errors import Invalid, TargetExists
from dragoman.formats.documents import only_accompanies_documents
from dragoman.storage.base import Storage
from dragoman.storage.local import LocalStorage, path_to_url

__all__ = [
    "OUTPUT_MARKER",
    "mark_output_folder",
    "CLI_TENANT",
    "check_output_folders",
    "existing_targets",
    "language",
    "locale",
    "plan_local_job",
    "without_tasks",
]

CLI_TENANT = "default"  # the tenant the command line acts as


def language(tag: str) -> str:
    """The language a user's tag names, as engines name it (`en-US` -> `en`). Raises Invalid."""
    code = normalize(tag)
    if code is None:
        raise Invalid(f"{tag!r} is not a language code (use codes such as en, es, ca)")
    return code


def locale(tag: str) -> str:
    """A user's target tag in one spelling that keeps its region (`es_mx` -> `es-MX`): what outputs
    are named by and answers echo; engines read its language. Raises Invalid."""
    code = locale_tag(tag)
    if code is None:
        raise Invalid(f"{tag!r} is not a language code (use codes such as en, es, ca)")
    return code


def plan_local_job(
    storage: LocalStorage,
    paths: Sequence[Path],
    out: Path,
    targets: Sequence[str],
    source: str,
    *,
    tenant: str = CLI_TENANT,
    name: str | None = None,
    private: Sequence[Path] = (),
) -> JobSpec:
    """One task per document × target, written to OUT/<target>/<path relative to the argument>, the
    target as a locale tag (`--to es-MX` writes OUT/es-MX/; `ES` and `es` are one target).
    `source` "auto": each document's language is detected when it runs. Documents inside OUT are
    outputs, never inputs, when OUT lies inside a folder given; so are those in a folder below a
    folder given that holds OUTPUT_MARKER (an earlier job's --out, `mark_output_folder`). Nor are the
    files and folders `private` names (the service's own state, `Settings.state_paths`), or files
    that only accompany documents (`only_accompanies_documents`: lock files, `Thumbs.db`), found in
    a folder given; other files of a format Dragoman does not read fail by their names."""
    if not targets:
        raise Invalid("name at least one target language")
    target_codes = list(dict.fromkeys(locale(target) for target in targets))  # `es-MX` stays es-MX
    source_code = AUTO_LANGUAGE if source.strip().lower() == AUTO_LANGUAGE else language(source)
    out_dir = storage.resolve(str(out))
    documents: list[tuple[str, Path]] = []
    refused: list[TaskSpec] = []
    inside_out = 0
    state = [Path(os.path.realpath(path)) for path in private]

    def held(real: Path) -> bool:  # the service's own state: never a document
        return any(real == folder or _below(real, folder) for folder in state)

    for path in paths:
        base = storage.resolve(str(path))
        folder_given = base.is_dir()
        if not folder_given:  # the document itself (named as given: a link by its own name), or SourceMissing
            found = [
                (url, path.name or Path(unquote(urlsplit(url).path)).name) for url in storage.list_documents(str(path))
            ]
        else:
            found, unusable = storage.walk(base)
            refused += [  # a document of the folder that cannot be read by its name: it fails, seen
                TaskSpec(f"file://{quote(os.fsencode(where))}", "", source_code, target, error=ErrorInfo(code, why))
                for where, code, why in unusable
                if not held(Path(os.path.realpath(os.path.dirname(where))) / os.path.basename(where))
                and not only_accompanies_documents(where)
                for target in target_codes
            ]
        marked = _MarkedFolders(base)
        for url, found_name in found:
            real = Path(unquote(urlsplit(url).path))
            if folder_given and (held(real) or only_accompanies_documents(found_name)):
                continue  # Dragoman's own state, or a lock file or `Thumbs.db` beside the documents
            if (
                _below(real, out_dir)
                or (folder_given and _below(base / found_name, out_dir))
                or marked.holds(found_name)
            ):
                inside_out += 1
                continue  # an output of an earlier run: OUT, or an earlier --out, inside a folder translated
            documents.append((url, Path(found_name)))
    if not documents and not refused:
        if inside_out:
            raise Invalid(
                f"every document found ({inside_out}) is inside --out {out}, or an earlier job's --out (marked by "
                f"its {OUTPUT_MARKER} file), where translations go and which is never read: choose an --out "
                "outside the folders translated, or name a folder of translations itself to translate it"
            )
        raise Invalid("no documents found in the given paths")
    tasks = [
        TaskSpec(url, path_to_url(out_dir / target / relative), source_code, target)
        for url, relative in documents
        for target in target_codes
    ]
    return JobSpec(tenant=tenant, tasks=[*tasks, *refused], name=name)


def _below(path: Path, folder: Path) -> bool:
    """Whether `path` lies below `folder` (`folder in path.parents`), both absolute and normalised, as
    text: checked for every document found, where making each of its parents costs more than its
    listing."""
    inside, below = str(folder), str(path)
    prefix = inside if inside.endswith(os.sep) else inside + os.sep
    return below != inside and below.startswith(prefix)


OUTPUT_MARKER = ".dragoman-translations"
_MARKER_TEXT = (
    "Dragoman wrote translations into this folder (dragoman translate --out). Documents below it are\n"
    "never read as sources when a folder holding it is translated; name this folder itself to do so.\n"
)


def mark_output_folder(out: Path) -> None:
    """Leave OUTPUT_MARKER in OUT once a job writes there, so that translating a folder that holds
    OUT later (with another --out) does not take the translations for documents. Best effort: a
    folder that cannot take it is left as it is."""
    marker = out / OUTPUT_MARKER
    try:
        if not marker.exists():
            out.mkdir(parents=True, exist_ok=True)
            marker.write_text(_MARKER_TEXT)
    except OSError:
        return


class _MarkedFolders:
    """Which folders below `base` hold OUTPUT_MARKER, looked up once each."""

    def __init__(self, base: Path) -> None:
        self._base = base
        self._marked: dict[str, bool] = {}

    def holds(self, name: str) -> bool:
        """Whether the document `name` (relative to base, `/`-separated) lies in a marked folder below base."""
        folder = ""
        for part in name.split("/")[:-1]:
            folder = f"{folder}/{part}" if folder else part
            if folder not in self._marked:
                self._marked[folder] = (self._base / folder / OUTPUT_MARKER).is_file()
            if self._marked[folder]:
                return True
        return False


def check_output_folders(storage: LocalStorage, out: Path, spec: JobSpec) -> None:
    """Raise Invalid unless OUT and every folder the translations go in is a folder or can be made:
    refused up front, not document by document when each is written. Where permissions say yes,
    the nearest existing folder is tried for real (a folder made and removed in it), as only that
    tells a read-only or special file system (`/proc`, `/sys`, an immutable folder) as root."""
    out_dir = storage.resolve(str(out))
    if out_dir.exists() and not out_dir.is_dir():
        raise Invalid(f"--out {out} is a file; it must be a folder (translations go in OUT/<lang>/)")
    folders = {Path(unquote(urlsplit(task.target_url).path)).parent for task in spec.tasks if task.error is None}
    tried: set[Path] = set()
    for folder in sorted(folders | {out_dir}):
        existing = folder
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            raise Invalid(f"{folder} cannot be made for the translations: {existing} is a file, not a folder")
        why = None if os.access(existing, os.W_OK | os.X_OK) else "permission denied"
        if why is None and existing not in tried:
            tried.add(existing)
            why = _cannot_write_in(existing)
        if why is not None and existing != folder:
            raise Invalid(f"{folder} cannot be made for the translations: {existing} is not writable ({why})")
        if why is not None:
            raise Invalid(f"{folder} is not writable ({why}): the translations cannot be written there")


def _cannot_write_in(folder: Path) -> str | None:
    """Why nothing can be made in `folder` (the system's reason), or None when a folder can be: one is
    made there and removed at once."""
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".dragoman-probe-", dir=folder))
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.EINVAL, errno.EOPNOTSUPP):
            # what `/proc` answers ("No such file or directory" of the folder just being made)
            return "a special file system, which takes no new folders"
        return exc.strerror or str(exc)
    return None


def existing_targets(storage: Storage, spec: JobSpec) -> list[TaskSpec]:
    """The tasks whose target already holds a document (Dragoman never overwrites one)."""
    existing = []
    for task in spec.tasks:
        if task.error is not None:  # failed already: it writes nothing
            continue
        try:
            storage.check_target(task.target_url)
        except TargetExists:
            existing.append(task)
    return existing


def without_tasks(spec: JobSpec, left_out: Collection[TaskSpec]) -> JobSpec:
    """`spec` without the tasks `left_out` (those `--skip-existing` skips)."""
    dropped = set(left_out)
    return dataclasses.replace(spec, tasks=[task for task in spec.tasks if task not in dropped])
