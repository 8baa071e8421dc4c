"""Document formats, handled by Transfuse: extract a document into stream blocks, put translated
blocks back into the original's structure. Structure and inline formatting survive because
Transfuse carries tags through the engine as blanks and keeps the skeleton in its own state folder.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path, PurePosixPath

from dragoman.errors import NoTranslatableText, UndecodableDocument, UnsupportedFormat
from dragoman.formats.stream import visible_text

__all__ = ["FORMATS", "DocumentFormat", "ExtractedDocument", "extract", "format_for", "inject"]

_BLOCK_PREFIX = "\n[tf-block:"
_TRANSFUSE_TAIL = ".[]"  # Transfuse ends every block with a full stop of its own, removed on injection


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
    header: str
    segments: list[str]
    characters: int
    workdir: Path = field(repr=False)

    def discard(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)


def extract(data: bytes, fmt: DocumentFormat) -> ExtractedDocument:
    """Take a document apart. Raises a DocumentError for empty, binary or malformed documents."""
    _check_readable(data, fmt)
    workdir = Path(tempfile.mkdtemp(prefix="dragoman-doc-"))
    try:
        source = workdir / f"source{fmt.extensions[0]}"
        source.write_bytes(data)
        result = subprocess.run(
            ["tf-extract", "-f", fmt.transfuse, "-d", str(workdir / "state"), str(source)],
            capture_output=True,
            check=False,
        )
        if result.returncode != 0:
            detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
            reason = detail[-1] if detail else f"exit code {result.returncode}"
            raise UndecodableDocument(f"the {fmt.name} document could not be read: {reason}")
        chunks = result.stdout.decode("utf-8", "replace").split("\0")
        header, blocks = chunks[0], [chunk for chunk in chunks[1:] if chunk]
        segments = [block for block in blocks if block.startswith(_BLOCK_PREFIX)]
        characters = sum(_characters(block) for block in segments)
        if characters == 0:
            raise NoTranslatableText("the document has no text to translate")
        return ExtractedDocument(fmt, header, segments, characters, workdir)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise


def inject(document: ExtractedDocument, translated: list[str]) -> bytes:
    """Put translated segments back into the document's structure; the work folder is removed."""
    if len(translated) != len(document.segments):
        raise ValueError("one translation is needed per segment")
    stream = "\0".join([document.header, *translated]) + "\0"
    try:
        result = subprocess.run(["tf-inject"], input=stream.encode("utf-8"), capture_output=True, check=False)
        if result.returncode != 0:
            reason = result.stderr.decode("utf-8", "replace").strip()[-300:]
            raise UndecodableDocument(f"the translated {document.format.name} document could not be rebuilt: {reason}")
        return result.stdout
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


def _characters(block: str) -> int:
    """Billable characters of one block: what a reader sees, without Transfuse's own full stop."""
    text = visible_text(block).strip()
    if block.rstrip().endswith(_TRANSFUSE_TAIL) and text.endswith("."):
        return len(text) - 1
    return len(text)
