"""Document formats: take a document apart into stream blocks for the engine, and put translated
blocks back into the original's structure. Plain text is handled in-process; the rest by Transfuse."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import PurePosixPath

from dragoman.errors import NoTranslatableText, UndecodableDocument, UnsupportedFormat
from dragoman.formats import plaintext, transfuse
from dragoman.formats.plaintext import PlainTextSkeleton

__all__ = ["FORMATS", "DocumentFormat", "ExtractedDocument", "extract", "format_for", "inject"]


@dataclass(frozen=True, slots=True)
class DocumentFormat:
    name: str
    extensions: tuple[str, ...]
    content_types: tuple[str, ...]
    transfuse: str
    zipped: bool = False


FORMATS: tuple[DocumentFormat, ...] = (
    DocumentFormat("PlainText", (".txt",), ("text/plain",), "text"),
    DocumentFormat("HTML", (".html", ".htm", ".xhtml"), ("text/html",), "html"),
    DocumentFormat(
        "Word",
        (".docx",),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",),
        "docx",
        zipped=True,
    ),
    DocumentFormat(
        "PowerPoint",
        (".pptx",),
        ("application/vnd.openxmlformats-officedocument.presentationml.presentation",),
        "pptx",
        zipped=True,
    ),
    DocumentFormat("OpenDocumentText", (".odt",), ("application/vnd.oasis.opendocument.text",), "odt", zipped=True),
    DocumentFormat(
        "OpenDocumentPresentation",
        (".odp",),
        ("application/vnd.oasis.opendocument.presentation",),
        "odp",
        zipped=True,
    ),
)
_BY_EXTENSION = {extension: fmt for fmt in FORMATS for extension in fmt.extensions}


def format_for(name: str) -> DocumentFormat:
    """The format of a document, from its file name."""
    suffix = PurePosixPath(name).suffix.lower()
    try:
        return _BY_EXTENSION[suffix]
    except KeyError:
        known = ", ".join(sorted(_BY_EXTENSION))
        raise UnsupportedFormat(
            f"{name!r}: unsupported document format {suffix or '(none)'!r}; use one of {known}"
        ) from None


@dataclass(slots=True)
class ExtractedDocument:
    """A document taken apart. `segments` are what the engine translates, in order."""

    format: DocumentFormat
    segments: list[str]
    characters: int
    skeleton: PlainTextSkeleton | transfuse.TransfuseSkeleton = field(repr=False)

    def discard(self) -> None:
        if isinstance(self.skeleton, transfuse.TransfuseSkeleton):
            self.skeleton.discard()


def extract(data: bytes, fmt: DocumentFormat) -> ExtractedDocument:
    """Take a document apart. Raises a DocumentError for empty, binary or malformed documents."""
    _check_readable(data, fmt)
    skeleton: PlainTextSkeleton | transfuse.TransfuseSkeleton
    if fmt.transfuse == "text":
        skeleton, segments, characters = plaintext.take_apart(data.decode("utf-8"))
    else:
        skeleton, segments, characters = transfuse.extract(data, fmt.transfuse, fmt.extensions[0], fmt.name)
    document = ExtractedDocument(fmt, segments, characters, skeleton)
    if characters == 0:
        document.discard()
        raise NoTranslatableText("the document has no text to translate")
    return document


def inject(document: ExtractedDocument, translated: list[str]) -> bytes:
    """Put translated segments back into the document's structure; the work folder is removed."""
    if len(translated) != len(document.segments):
        raise ValueError("one translation is needed per segment")
    try:
        if isinstance(document.skeleton, PlainTextSkeleton):
            return plaintext.rebuild(document.skeleton, translated).encode("utf-8")
        return transfuse.inject(document.skeleton, translated, document.format.name)
    finally:
        document.discard()


def _check_readable(data: bytes, fmt: DocumentFormat) -> None:
    if not data.strip():
        raise NoTranslatableText("the document is empty")
    if fmt.zipped:
        if not zipfile.is_zipfile(BytesIO(data)):
            raise UndecodableDocument(f"the file is not a valid {fmt.name} document (not a ZIP package)")
        return
    if b"\0" in data:
        raise UndecodableDocument("the file holds binary data, not text")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UndecodableDocument(f"the file is not valid UTF-8 text (byte {exc.start})") from None
