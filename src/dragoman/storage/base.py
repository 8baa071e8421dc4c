"""Where documents live. Every store reads sources and publishes targets atomically, never overwriting."""

from __future__ import annotations

import mimetypes
from abc import ABC, abstractmethod

from dragoman.errors import UnsupportedFormat
from dragoman.formats.documents import format_for

__all__ = ["Storage", "media_type"]


def media_type(path: str, given: str | None = None) -> str:
    """The MIME type to record for a document written at `path`: `given`, or the type of the format its
    name says (`.docx`), or the one Python's `mimetypes` knows (`.json`), or application/octet-stream."""
    if given is not None:
        return given
    try:
        return format_for(path).content_types[0]
    except UnsupportedFormat:
        return mimetypes.guess_type(path, strict=False)[0] or "application/octet-stream"


class Storage(ABC):
    @abstractmethod
    def handles(self, url: str) -> bool:
        """Whether `url` is a location of this kind (by scheme and host), whether or not it is allowed."""

    @abstractmethod
    def canonical(self, url: str) -> str:
        """The one spelling of the location `url` names (lifecycle rule 9): two URLs that reach the same
        document give the same string, so rules that compare targets compare these. Raises AccessDenied
        for a location this store may not use."""

    @abstractmethod
    def digest(self, url: str) -> str | None:
        """SHA-256 (hex) of the document at `url`, read in pieces with no size limit (limits are for
        sources, not for reading back an output), or None when nothing is there. A store may answer from
        a digest it recorded when publishing, if it may not read the target. Raises AccessDenied when
        it cannot tell."""

    @abstractmethod
    def list_named(self, url: str) -> list[tuple[str, str]]:
        """(document URL, its name relative to `url`) for every document under the folder `url`, sorted
        by name. Raises SourceMissing, AccessDenied."""

    def list_named_and_unusable(self, url: str) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
        """`list_named`, and (name relative to `url`, error code, why) for every file under the folder
        that is one of its documents but cannot be used, which `list_named` leaves out: a caller fails
        each by its name rather than leave it out unseen. An object store has none (its listing holds
        objects only); a folder's links and special files may be (`LocalStorage`). Raises
        SourceMissing, AccessDenied."""
        return self.list_named(url), []

    @abstractmethod
    def child(self, folder_url: str, name: str) -> str:
        """The URL of the document called `name` (a relative, `/`-separated path) inside `folder_url`."""

    @abstractmethod
    def read(self, url: str) -> bytes:
        """The document's bytes. Raises SourceMissing, AccessDenied or DocumentError (too large)."""

    @abstractmethod
    def list_documents(self, url: str) -> list[str]:
        """URLs of the documents at or under `url` (a folder or one document), sorted."""

    @abstractmethod
    def check_source(self, url: str) -> None:
        """Raise AccessDenied if `url` may not be read, SourceMissing if no document is there."""

    @abstractmethod
    def check_target(self, url: str) -> None:
        """Raise AccessDenied if `url` may not be written, TargetExists if it already holds a document."""

    @abstractmethod
    def publish(self, url: str, data: bytes, content_type: str | None = None) -> None:
        """Make `data` appear at `url` all at once, or not at all. Raises TargetExists if present.
        `content_type`: the MIME type stores that keep one record (`media_type` when None)."""

    @abstractmethod
    def discard_partials(self, url: str) -> None:
        """Remove what an interrupted `publish` of `url` may have left behind."""
