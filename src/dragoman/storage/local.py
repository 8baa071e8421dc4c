"""Local folders addressed as `file://` URLs, confined to configured roots.

Every path is resolved (symlinks and `..` included) before it is checked against the roots, so a link
inside a root that points outside it is refused like any other outside path.
"""

from __future__ import annotations

import hashlib
import os
import stat
import uuid
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from urllib.parse import quote, unquote, urlsplit

from dragoman.domain.specs import printable
from dragoman.errors import (
    AccessDenied,
    DocumentError,
    SourceMissing,
    TargetAccessDenied,
    TargetExists,
    UnsupportedFormat,
)
from dragoman.storage.base import Storage

__all__ = ["LocalStorage", "path_to_url"]

_PART_SUFFIX = ".dragoman.part"
_MAX_NAME_BYTES = 255  # NAME_MAX of Linux file systems (ext4, XFS, Btrfs, tmpfs)
_PART_EXTRA_BYTES = 2 + 32 + len(_PART_SUFFIX)  # what a temporary name adds to a target's: ".", ".", a uuid
_NAME_DIGEST_CHARACTERS = 16
_MAX_PATH_BYTES = 4000  # PATH_MAX is 4096
_READ_CHUNK = 1 << 20


def path_to_url(path: Path) -> str:
    """The `file://` URL of `path`, every byte of its name kept (a name that is no UTF-8 too)."""
    return "file://" + quote(os.fsencode(path.absolute()))


class LocalStorage(Storage):
    def __init__(
        self, roots: Iterable[Path], *, max_document_bytes: int = 50 * 1024 * 1024, state: Iterable[Path] = ()
    ) -> None:
        """`state`: the service's own files (its database, its configuration file) and folders whose
        files are its own (the data directory: its subfolders, such as the connector's work folders,
        are documents' places), never read or written as documents even inside a root."""
        self.roots = tuple(Path(os.path.realpath(root)) for root in roots)
        self._state = frozenset(os.path.realpath(path) for path in state)
        # what a resolved path must equal or start with, as text: compared per task and per document
        # of a submission, where pathlib's relative_to costs more than the lstat calls of realpath
        self._root_prefixes = tuple((str(root), str(root).rstrip("/") + "/") for root in self.roots)
        self.max_document_bytes = max_document_bytes

    def resolve(self, url: str) -> Path:
        """The real path behind `url`, or AccessDenied when it lies outside every root."""
        parts = urlsplit(url)
        if parts.scheme not in ("", "file") or parts.netloc not in ("", "localhost"):
            raise AccessDenied(f"{url!r} is not a local file location")
        raw = unquote(parts.path) if parts.scheme else url
        if "\0" in raw or not raw:
            raise AccessDenied(f"{url!r} is not a valid path")
        encoded = os.fsencode(raw) if raw.isprintable() else b""
        if (
            not encoded
            or len(encoded) > _MAX_PATH_BYTES
            or any(len(part) > _MAX_NAME_BYTES for part in encoded.split(b"/"))
        ):
            raise AccessDenied(
                f"'{printable(raw[:200])}' is not a valid path (printable characters, at most {_MAX_NAME_BYTES} "
                f"bytes a name and {_MAX_PATH_BYTES} in all)"
            )
        try:
            real = os.path.realpath(os.path.expanduser(raw))  # absolute, normalised, every link followed
        except FileNotFoundError:  # relative, and the current folder was removed (getcwd fails)
            raise AccessDenied(
                f"{raw} is a relative path, and the current folder no longer exists: give the full path"
            ) from None
        if self._is_state(real):  # the service's secrets and database, even where a root holds them
            raise AccessDenied(f"{printable(raw)} is a file of the service's own state, never a document")
        if not self._inside_roots(real):
            # the roots themselves are not named: callers of a shared service may not learn its layout
            raise AccessDenied(
                f"{raw} is outside the allowed storage roots (to allow a folder, add it to the roots setting, "
                "DRAGOMAN_ROOTS)"
            )
        return Path(real)

    def canonical(self, url: str) -> str:
        return path_to_url(self.resolve(url))

    def digest(self, url: str) -> str | None:
        path = self.resolve(url)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise AccessDenied(f"{path} cannot be read: {exc.strerror}") from None
        sha = hashlib.sha256()
        with os.fdopen(fd, "rb") as handle:
            while chunk := handle.read(_READ_CHUNK):
                sha.update(chunk)
        return sha.hexdigest()

    def read(self, url: str) -> bytes:
        path = self.resolve(url)
        try:  # not blocking: a file swapped for a named pipe since it was listed must not hang its reader
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except FileNotFoundError:
            raise SourceMissing(f"{_given(url)} does not exist") from None
        except (IsADirectoryError, PermissionError, OSError) as exc:
            raise AccessDenied(f"{_given(url)} cannot be read: {exc.strerror}") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise UnsupportedFormat(f"{_given(url)} is not a regular file (a pipe, socket or device)")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(self.max_document_bytes + 1)
        if len(data) > self.max_document_bytes:
            raise DocumentError(f"{_given(url)} is larger than the {self.max_document_bytes} byte limit")
        return data

    def handles(self, url: str) -> bool:
        scheme = urlsplit(url).scheme
        return scheme in ("", "file")

    def list_named(self, url: str) -> list[tuple[str, str]]:
        return self.list_named_and_unusable(url)[0]

    def list_named_and_unusable(self, url: str) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
        """`walk` of the folder `url`, its refused files named relative to it. Neither a missing
        folder's message nor a link to nothing tells where a link points (a shared service's callers
        may not learn its layout)."""
        base = self.resolve(url)
        if not base.is_dir():
            raise SourceMissing(f"{_given(url)} is not a folder that exists")
        found, refused = self.walk(base)
        prefix = str(base).rstrip("/") + "/"
        return found, [
            (where.removeprefix(prefix), code, "a link to nothing" if code == SourceMissing.code else why)
            for where, code, why in refused
        ]

    def child(self, folder_url: str, name: str) -> str:
        relative = PurePosixPath(name)
        if relative.is_absolute() or ".." in relative.parts:
            raise AccessDenied(f"{name!r} is not a relative document name")
        return path_to_url(self.resolve(folder_url) / relative)

    def list_documents(self, url: str) -> list[str]:
        path = self.resolve(url)
        if path.is_file():
            return [path_to_url(path)]
        if path.exists() and not path.is_dir():
            raise SourceMissing(
                f"{_given(url)} is not a regular file (a pipe, socket or device): name a document or a folder"
            )
        if not path.is_dir():
            raise SourceMissing(f"{_given(url)} does not exist")  # by its own name, not where a link leads
        return sorted(document for document, _name in self.walk(path)[0])

    def walk(self, path: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
        """(documents, refused) under the folder `path` (already resolved), sorted by name. Each
        document is (the URL of the file it is, its name in the folder as found there, `/`-separated):
        a link is named as the link, wherever in the roots its file lies, and two links to one file
        are two documents. Hidden files and folders (a name starting with `.`) are not documents;
        `refused` holds (path as found, error code, why) for files that are documents of the folder
        but cannot be used: a name that is not printable text, or too long (`resolve`'s limits,
        InvalidDocumentName), a link out of the roots (InvalidDocumentAccessLevel), a link to nothing
        (SourceMissing), a pipe, socket or device (UnsupportedFormat). Callers say so instead of
        leaving them out unseen; a path as found may hold any character: a message shows it through
        `domain.specs.printable`, a URL names it by its bytes."""
        found: list[tuple[str, str]] = []
        refused: list[tuple[str, str, str]] = []
        outside = "a link that leads outside the allowed storage roots"  # the same for a file or a folder, there or not
        for folder, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in dirs:  # a linked folder is not followed (loops); one leading out of the roots fails by name
                where = os.path.join(folder, name)
                if os.path.islink(where) and not self._inside_roots(os.path.realpath(where)):
                    refused.append((where, AccessDenied.code, outside))
            for name in sorted(files):
                if name.startswith("."):
                    continue
                where = os.path.join(folder, name)
                if self._is_state(os.path.realpath(where)):
                    continue  # the service's own files: never documents, not even failed ones
                try:
                    real = self.resolve(where)
                except AccessDenied as exc:
                    if os.path.islink(where):  # a document of the folder, that may not be read: fails by its own name
                        # (its target is not named: callers of a shared service may not learn its layout)
                        refused.append((where, AccessDenied.code, outside))
                    else:
                        refused.append((where, "InvalidDocumentName", exc.message))
                    continue
                if not real.exists():  # a link to nothing (or gone meanwhile): fails by its own name, not the folder
                    why = f"a link to nothing: {printable(str(real))} does not exist"
                    refused.append((where, SourceMissing.code, why))
                    continue
                if not real.is_file():  # a named pipe, socket or device: reading it could wait for ever
                    refused.append((where, UnsupportedFormat.code, "not a regular file (a pipe, socket or device)"))
                    continue
                found.append((path_to_url(real), os.path.relpath(where, path).replace(os.sep, "/")))
        return sorted(found, key=lambda document: document[1]), refused

    def _is_state(self, real: str) -> bool:
        return bool(self._state) and (real in self._state or os.path.dirname(real) in self._state)

    def _inside_roots(self, real: str) -> bool:
        """Whether the real (resolved) path `real` is a root or lies under one."""
        return any(real == root or real.startswith(prefix) for root, prefix in self._root_prefixes)

    def check_source(self, url: str) -> None:
        """Raise unless `url` names a regular file in the roots: SourceMissing, or UnsupportedFormat for a
        pipe, socket or device. Messages name the document as given, never where a link leads (a
        shared service's callers may not learn its layout)."""
        path = self.resolve(url)
        if path.is_file():
            return
        if path.exists():
            raise UnsupportedFormat(f"{_given(url)} is not a regular file (a pipe, socket or device)")
        raise SourceMissing(f"{_given(url)} is not a document that exists")

    def check_target(self, url: str) -> None:
        path = self.resolve(url)
        if path.exists():
            raise TargetExists(f"{path} already exists; Dragoman never overwrites a document")

    def publish(self, url: str, data: bytes, content_type: str | None = None) -> None:
        """Written to a hidden part file, synced, then linked into place (atomic, never replacing a
        file). A file keeps no content type: `content_type` is not recorded."""
        path = self.resolve(url)
        try:
            if not path.parent.is_dir():  # resolved with the target above while it stands; made now:
                path.parent.mkdir(parents=True, exist_ok=True)
                self.resolve(str(path.parent))  # the folders just made must still be inside a root
            part = path.parent / f"{_part_stem(path.name)}{uuid.uuid4().hex}{_PART_SUFFIX}"
            fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        except OSError as exc:  # a folder that may not be written, a read-only or full file system
            raise TargetAccessDenied(f"{path.parent} cannot be written: {exc.strerror}") from None
        linked = False
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(part, path)  # atomic, and refuses to replace an existing file
            except FileExistsError:
                raise TargetExists(f"{path} already exists; Dragoman never overwrites a document") from None
            linked = True
            _fsync_dir(path.parent)
        except OSError as exc:  # a full disk, a quota, an I/O error: nothing is published
            if linked:  # in place but not known to last: taken back, as the task will not succeed
                path.unlink(missing_ok=True)
            raise TargetAccessDenied(f"{path} cannot be written: {exc.strerror}") from None
        finally:
            part.unlink(missing_ok=True)

    def discard_partials(self, url: str) -> None:
        path = self.resolve(url)
        if path.parent.is_dir():
            # exactly a uuid after the stem: the target `a` must not take the part files of `a.b`
            for part in path.parent.glob(f"{_glob_escape(_part_stem(path.name))}{'[0-9a-f]' * 32}{_PART_SUFFIX}"):
                part.unlink(missing_ok=True)


def _given(url: str) -> str:
    """The document's location as the caller gave it (a link by its own name), fit for a message."""
    parts = urlsplit(url)
    return printable(unquote(parts.path) if parts.scheme else url)


def _part_stem(name: str) -> str:
    """How the temporary names of a target called `name` begin: `.NAME.`, hidden; for a name too long
    to carry a temporary name's additions within _MAX_NAME_BYTES, as many of its first bytes as fit
    (whole characters) and a digest of the whole name, `.START~DIGEST.`, which still tells targets
    apart."""
    encoded = os.fsencode(name)
    if len(encoded) + _PART_EXTRA_BYTES <= _MAX_NAME_BYTES:
        return f".{name}."
    digest = hashlib.sha256(encoded).hexdigest()[:_NAME_DIGEST_CHARACTERS]
    room = _MAX_NAME_BYTES - _PART_EXTRA_BYTES - 1 - _NAME_DIGEST_CHARACTERS
    start = encoded[:room].decode("utf-8", errors="ignore")  # a character cut in two is left out
    return f".{start}~{digest}."


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
