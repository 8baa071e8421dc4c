"""Document formats: take a document apart into stream blocks for the engine, and put translated
blocks back into the original's structure.

In-process: plain text (.txt), SubRip (.srt) and WebVTT (.vtt) subtitles, gettext catalogues (.po,
.pot), Markdown (.md), Excel workbooks (.xlsx), OpenDocument spreadsheets (.ods) and XLIFF (.xlf,
.xliff). By Transfuse: HTML (.html, prepared by html.py), Word (.docx), PowerPoint (.pptx),
OpenDocument text (.odt) and presentations (.odp), whose parts Transfuse leaves out (parts.py) and
metadata (metadata.py) are translated besides."""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from dragoman.abort import AbortCheck, never_abort
from dragoman.domain.specs import DocumentWarning
from dragoman.errors import DocumentTooComplex, NoTranslatableText, UndecodableDocument, UnsupportedFormat
from dragoman.formats import (
    breaks,
    coverage,
    drawingruns,
    gettext,
    html,
    htmlcharset,
    htmltemplates,
    markdown,
    opendocument_spreadsheet,
    opendocument_text,
    plaintext,
    screening,
    spreadsheet,
    subtitles,
    transfuse,
    unlisted_slides,
    wellformed,
    wordinline,
    wordruns,
    xliff_document,
)
from dragoman.formats.gettext import CatalogueSkeleton
from dragoman.formats.limits import DEFAULT_LIMITS, DocumentLimits
from dragoman.formats.markdown import MarkdownSkeleton
from dragoman.formats.metadata import MetadataText, extract_metadata, inject_metadata
from dragoman.formats.opendocument_spreadsheet import SpreadsheetSkeleton
from dragoman.formats.parts import PartSkeleton, extract_parts, inject_parts
from dragoman.formats.plaintext import PlainTextSkeleton
from dragoman.formats.protect import keep as protect_keep
from dragoman.formats.protect import protect, unprotect
from dragoman.formats.recognition import declared_encoding, legacy_office, package_kind, text_kind
from dragoman.formats.spreadsheet import WorkbookSkeleton
from dragoman.formats.subtitles import SubtitleSkeleton
from dragoman.formats.xliff_document import XliffSkeleton

__all__ = [
    "FORMATS",
    "PLAIN_TEXT",
    "DocumentFormat",
    "ExtractedDocument",
    "extract",
    "format_for",
    "format_named",
    "format_of",
    "format_of_content_type",
    "inject",
    "only_accompanies_documents",
    "text_encoding",
]

# Text files are UTF-8 unless a byte-order mark says otherwise (Windows "Unicode" text is UTF-16 LE).
# The endian-specific codecs keep the mark as U+FEFF, so a translation is written back with it.
_MARKED_ENCODINGS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE, whose mark it starts with
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


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
    DocumentFormat(
        "Excel",
        (".xlsx",),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",),
        "xlsx",
        zipped=True,
    ),
    DocumentFormat("OpenDocumentText", (".odt",), ("application/vnd.oasis.opendocument.text",), "odt", zipped=True),
    DocumentFormat("SubRip", (".srt",), ("application/x-subrip",), "srt"),
    DocumentFormat("WebVTT", (".vtt",), ("text/vtt",), "vtt"),
    DocumentFormat("Gettext", (".po", ".pot"), ("text/x-gettext-translation",), "po"),
    DocumentFormat("Markdown", (".md", ".markdown"), ("text/markdown",), "md"),
    DocumentFormat(
        "OpenDocumentPresentation",
        (".odp",),
        ("application/vnd.oasis.opendocument.presentation",),
        "odp",
        zipped=True,
    ),
    DocumentFormat(
        "OpenDocumentSpreadsheet",
        (".ods",),
        ("application/vnd.oasis.opendocument.spreadsheet",),
        "ods",
        zipped=True,
    ),
    DocumentFormat("XLIFF", (".xlf", ".xliff"), ("application/xliff+xml", "application/x-xliff+xml"), "xliff"),
)
PLAIN_TEXT = FORMATS[0]
_HTML_START = re.compile(r"\ufeff?\s*<(?:!doctype\s+html|html\b)", re.IGNORECASE)
_LEGACY_EXTENSIONS = {".doc": ("Word", ".docx"), ".xls": ("Excel", ".xlsx"), ".ppt": ("PowerPoint", ".pptx")}
# Formats in which a tab in the source is indentation, not text a reader sees (breaks.py)
_TABS_ARE_LAYOUT = frozenset({"html", "md", "xliff"})
_BY_EXTENSION = {extension: fmt for fmt in FORMATS for extension in fmt.extensions}
_BY_NAME = {fmt.name: fmt for fmt in FORMATS}
_BY_CONTENT_TYPE = {content_type: fmt for fmt in FORMATS for content_type in fmt.content_types}


def format_named(name: str) -> DocumentFormat:
    """The format called `name` (`DocumentFormat.name`, as tasks store it). Raises UnsupportedFormat."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UnsupportedFormat(f"unknown document format {name!r}") from None


def format_of_content_type(content_type: str) -> DocumentFormat | None:
    """The format a MIME type names (`text/plain`, parameters such as `; charset=utf-8` ignored), or None."""
    return _BY_CONTENT_TYPE.get(content_type.split(";", 1)[0].strip().lower())


def format_of(name: str, data: bytes) -> DocumentFormat:
    """The format of a document from its file name, or, for a name with no extension (`notes`), from
    its content (`recognition`). Raises UnsupportedFormat, saying what the file is when it can."""
    if PurePosixPath(name).suffix:
        return format_for(name)
    legacy = legacy_office(data)
    if legacy is not None:
        raise UnsupportedFormat(f"{name!r}: {legacy}")
    kind = package_kind(data) or (None if data.startswith(b"PK\x03\x04") else text_kind(data))
    fmt = next((fmt for fmt in FORMATS if fmt.transfuse == kind), None)
    if fmt is None:
        known = ", ".join(sorted(_BY_EXTENSION))
        raise UnsupportedFormat(
            f"{name!r} has no extension, and its content is not a document format Dragoman recognises; "
            f"name it with one of {known}"
        )
    return fmt


# Files the operating system or an office suite leaves beside documents: never documents themselves.
_COMPANION_NAMES = frozenset({"thumbs.db", "ehthumbs.db", "ehthumbs_vista.db", "desktop.ini", "icon\r"})


def only_accompanies_documents(name: str) -> bool:
    """Whether a file called `name` (its last part) only accompanies documents in a folder, by its
    name: a dotfile (`.DS_Store`), an office suite's lock file (`~$report.docx`, LibreOffice's
    `.~lock.report.odt#`), Windows' `Thumbs.db` or `desktop.ini`. A folder's listing leaves these
    out, unread, wherever it is asked for."""
    base = PurePosixPath(name).name
    return base.startswith((".", "~$")) or base.lower() in _COMPANION_NAMES


def format_for(name: str) -> DocumentFormat:
    """The format of a document, from its file name."""
    suffix = PurePosixPath(name).suffix.lower()
    try:
        return _BY_EXTENSION[suffix]
    except KeyError:
        known = ", ".join(sorted(_BY_EXTENSION))
        if suffix in _LEGACY_EXTENSIONS:
            application, current = _LEGACY_EXTENSIONS[suffix]
            raise UnsupportedFormat(
                f"{name!r} is a legacy {application} 97-2003 {suffix} file, which Dragoman does not read: open it "
                f"in {application} and save it as {current}"
            ) from None
        raise UnsupportedFormat(
            f"{name!r}: unsupported document format {suffix or '(none)'!r}; use one of {known}"
        ) from None


@dataclass(frozen=True, slots=True)
class BodyAsIs:
    """The body of a package in which the converter found no paragraph (a deck of pictures and
    charts whose speaker notes or chart titles hold the text): kept as it is, its other parts
    translated."""

    data: bytes

    def discard(self) -> None:
        """Nothing to remove: no converter ran."""


Skeleton = (
    BodyAsIs
    | PlainTextSkeleton
    | SubtitleSkeleton
    | CatalogueSkeleton
    | MarkdownSkeleton
    | WorkbookSkeleton
    | XliffSkeleton
    | SpreadsheetSkeleton
    | transfuse.TransfuseSkeleton
)


@dataclass(slots=True)
class ExtractedDocument:
    """A document taken apart. `segments` are what the engine translates, in order: the document's
    texts, each cut at its tabs and line breaks (`join` puts their translations back together)."""

    format: DocumentFormat
    segments: list[str]
    characters: int
    skeleton: Skeleton = field(repr=False)
    encoding: str = "utf-8"  # how a plain-text translation is written: as the original was
    limits: DocumentLimits = field(default=DEFAULT_LIMITS, repr=False)  # what putting it back may cost
    # a package's parts Transfuse leaves out (headers, notes...): their segments follow the body's
    parts: list[PartSkeleton] = field(default_factory=list, repr=False)
    # a package's title, subject, description and images' alternative texts: the last segments
    metadata: list[MetadataText] = field(default_factory=list, repr=False)
    # an HTML page as prepared for the converter: its attribute texts are the very last segments
    page: html.PreparedPage | None = field(default=None, repr=False)
    # what the document holds that no handler translates (coverage.py), said on its task
    warnings: list[DocumentWarning] = field(default_factory=list)
    # the document's own segments from the translations of `segments`, which are cut at its tabs and
    # line breaks (breaks.py)
    join: Callable[[list[str]], list[str]] = field(default=list, repr=False)

    def discard(self) -> None:
        if isinstance(self.skeleton, transfuse.TransfuseSkeleton):
            self.skeleton.discard()
        for part in self.parts:
            part.discard()


def extract(
    data: bytes,
    fmt: DocumentFormat,
    *,
    limits: DocumentLimits = DEFAULT_LIMITS,
    should_abort: AbortCheck = never_abort,
) -> ExtractedDocument:
    """Take a document apart, within `limits`. Raises a DocumentError for empty, binary, malformed
    or hostile documents (DocumentTooLarge, DocumentTooComplex, ConversionLimitExceeded),
    ConverterCrashed if the converter dies, and dragoman.abort.Aborted once `should_abort` says so
    (a running converter is killed within about 10 ms)."""
    _check_content(data, fmt)
    original = data  # a package as its author wrote it, before it is prepared for the converter
    text = _readable_text(data, fmt, limits, should_abort)  # None for packaged formats
    skeleton: Skeleton
    page: html.PreparedPage | None = None
    characters_twice = 0
    textless_body: NoTranslatableText | None = None
    encoding = _encoding(data, fmt) if text is not None else "utf-8"
    kept_as_text: list[DocumentWarning] = []
    if text is not None and fmt.transfuse == "text":
        skeleton, segments, characters = plaintext.take_apart(text)
        if _HTML_START.match(text):
            kept_as_text.append(
                DocumentWarning(
                    "LooksLikeHtml",
                    "the text file begins as an HTML page does (<!DOCTYPE html> or <html>): it was translated as "
                    "text, tags included; name it .html to translate it as a page",
                )
            )
    elif text is not None and fmt.transfuse in ("srt", "vtt"):
        try:
            skeleton, segments, characters = subtitles.take_apart(text)
        except ValueError as exc:
            raise UndecodableDocument(f"the file is not a valid {fmt.name} document: {exc}") from None
    elif fmt.transfuse == "xlsx":
        try:
            skeleton, segments, characters = spreadsheet.take_apart(data)
        except ValueError as exc:
            raise UndecodableDocument(f"the {fmt.name} document could not be read: {exc}") from None
    elif text is not None and fmt.transfuse == "md":
        skeleton, segments, characters = markdown.take_apart(text, should_abort)
    elif text is not None and fmt.transfuse == "po":
        try:
            skeleton, segments, characters = gettext.take_apart(text)
        except ValueError as exc:
            raise UndecodableDocument(f"the {fmt.name} document could not be read: {exc}") from None
    elif fmt.transfuse == "ods":
        try:
            skeleton, segments, characters = opendocument_spreadsheet.take_apart(data)
        except ValueError as exc:
            raise UndecodableDocument(f"the {fmt.name} document could not be read: {exc}") from None
    elif text is not None and fmt.transfuse == "xliff":
        try:
            skeleton, segments, characters = xliff_document.take_apart(data)
        except ValueError as exc:
            raise UndecodableDocument(f"the {fmt.name} document could not be read: {exc}") from None
    else:
        if text is not None and encoding != "utf-8":  # Transfuse reads UTF-8, and declares it in HTML output
            data, encoding = text.removeprefix("\ufeff").encode("utf-8"), "utf-8"
        if fmt.transfuse == "html":  # what is not to be translated, and attribute texts (html.py)
            if html.nesting_depth(data) > html.MAX_DEPTH:
                raise DocumentTooComplex(
                    f"the {fmt.name} document nests elements more than {html.MAX_DEPTH} levels deep: the "
                    "converter reads no deeper, and the rest of the page would be lost"
                )
            page = html.prepare(data)
            data = page.data
        if fmt.zipped:  # a damaged part is the document's fault, said before the converter crashes on it
            wellformed.check_parts(data, fmt.transfuse, fmt.name)
        if fmt.transfuse == "docx":  # runs of several texts, hyperlinks crash Transfuse 0.5.8 (wordruns.py); fields,
            # content controls and tracked changes cut its sentences (wordinline.py)
            data = wordinline.prepare(wordruns.split_multi_text_runs(data))
            characters_twice = wordruns.fallback_characters(data)  # text boxes written twice, billed once
        if fmt.transfuse in ("odt", "odp"):  # deleted text hidden, marks out of sentences (opendocument_text.py)
            data = opendocument_text.prepare(data)
        if fmt.transfuse == "pptx":  # slides the presentation does not list are shown by no reader
            data = unlisted_slides.hide(data)
        if fmt.transfuse in ("docx", "pptx"):  # empty DrawingML texts crash it too (drawingruns.py)
            data = drawingruns.drop_empty_runs(data)
        try:
            skeleton, segments, characters = transfuse.extract(
                data, fmt.transfuse, fmt.extensions[0], fmt.name, limits=limits, should_abort=should_abort
            )
        except NoTranslatableText as exc:  # nothing in the body; its notes, headers or charts may hold text
            if not fmt.zipped:
                raise
            skeleton, segments, characters, textless_body = BodyAsIs(data), [], 0, exc
        characters = max(0, characters - characters_twice)
    parts: list[PartSkeleton] = []
    metadata: list[MetadataText] = []
    if isinstance(skeleton, transfuse.TransfuseSkeleton | BodyAsIs) and fmt.zipped:  # headers, notes...
        try:
            parts = extract_parts(data, fmt.transfuse, fmt.name, limits=limits, should_abort=should_abort)
        except BaseException:
            skeleton.discard()
            raise
        segments = segments + [segment for part in parts for segment in part.segments]
        characters += sum(part.characters for part in parts)
    if fmt.zipped:  # the package's title, subject, description, its images' alternative texts
        metadata = extract_metadata(original, fmt.transfuse)  # as numbered once the package is put back
        segments = segments + [plaintext.escape(item.text.strip()) for item in metadata]
        characters += sum(len(item.text.strip()) for item in metadata)
    if page is not None:  # the hidden elements' placeholders are not billed; the attribute texts are
        segments = segments + [plaintext.escape(text.strip()) for text in page.texts]
        characters += sum(len(text.strip()) for text in page.texts) - len(html.PLACEHOLDER) * len(page.kept)
    segments = [protect(segment) for segment in segments]  # what is not prose is hidden from the engine
    if isinstance(skeleton, transfuse.TransfuseSkeleton):
        break_blanks = transfuse.break_blanks(skeleton)
    else:  # a <br> a message or a cue holds, hidden whole (gettext.py, subtitles.py)
        break_blanks = frozenset(blank for segment in segments for blank in breaks.KEPT_LINE_BREAK.findall(segment))
    blocks = (blank for segment in segments if "{%" in segment for blank in breaks.KEPT_TEMPLATE_BLOCK.findall(segment))
    break_blanks |= frozenset(blocks)  # a template's {% else %}: words must not cross it
    if page is not None:  # in a page, its template code stands in the text as sentinels (htmltemplates.py)
        break_blanks |= frozenset(
            protect_keep(plaintext.escape(htmltemplates.sentinel(page.nonce, number)))
            for number, construct in enumerate(page.templates)
            if breaks.TEMPLATE_BLOCK_TAG.match(construct)
        )
    segment_breaks = breaks.Breaks(tabs=fmt.transfuse not in _TABS_ARE_LAYOUT, blanks=break_blanks)
    pieces, join = breaks.cut(segments, segment_breaks)  # a tab or a line break ends a sentence
    document = ExtractedDocument(fmt, pieces, characters, skeleton, encoding, limits, parts, metadata, page)
    document.join = join
    if fmt.zipped:
        document.warnings = coverage.untranslated(data, fmt.transfuse)
    _take_warnings(document)  # what the format's own handler keeps as written (formula texts, tables...)
    document.warnings += kept_as_text
    if page is not None:  # <pre> and SVG text the page shows untranslated (html.py)
        document.warnings += page.warnings
    if characters == 0:
        document.discard()
        raise textless_body or NoTranslatableText("the document has no text to translate")
    return document


def inject(
    document: ExtractedDocument,
    translated: list[str],
    *,
    should_abort: AbortCheck = never_abort,
    target_language: str | None = None,
) -> bytes:
    """Put translated segments back into the document's structure, within the limits it was taken
    apart with; the work folder is removed. With `target_language` (a BCP 47 tag), an HTML
    document's `<html lang>` (and `xml:lang`) says it. Raises as `extract` does."""
    if len(translated) != len(document.segments):
        raise ValueError("one translation is needed per segment")
    translated = [unprotect(segment) for segment in document.join(translated)]
    try:
        if isinstance(document.skeleton, PlainTextSkeleton):
            return plaintext.rebuild(document.skeleton, translated).encode(document.encoding)
        if isinstance(document.skeleton, SubtitleSkeleton):
            return subtitles.rebuild(document.skeleton, translated).encode(document.encoding)
        if isinstance(document.skeleton, MarkdownSkeleton):
            return markdown.rebuild(document.skeleton, translated).encode(document.encoding)
        if isinstance(document.skeleton, WorkbookSkeleton | SpreadsheetSkeleton):  # cells, then properties
            cells = translated[: len(translated) - len(document.metadata)]
            if isinstance(document.skeleton, WorkbookSkeleton):
                data = spreadsheet.rebuild(document.skeleton, cells)
            else:
                data = opendocument_spreadsheet.rebuild(document.skeleton, cells)
            _take_warnings(document)  # a translation too long for where it goes is kept out, and said
            properties = [plaintext.unescape(segment) for segment in translated[len(cells) :]]
            return inject_metadata(data, document.metadata, properties) if document.metadata else data
        if isinstance(document.skeleton, CatalogueSkeleton):
            return gettext.rebuild(document.skeleton, translated, target_language).encode(document.encoding)
        if isinstance(document.skeleton, XliffSkeleton):
            data = xliff_document.rebuild(document.skeleton, translated, target_language)
            _take_warnings(document)  # a file meant for another language, said
            return data
        page_texts = len(document.page.texts) if document.page is not None else 0
        described = len(translated) - len(document.metadata) - page_texts
        body = described - sum(len(part.segments) for part in document.parts)
        if isinstance(document.skeleton, BodyAsIs):
            data = document.skeleton.data
        else:
            data = transfuse.inject(
                document.skeleton, translated[:body], document.format.name, limits=document.limits,
                should_abort=should_abort,
            )  # fmt: skip
            if document.format.transfuse == "pptx":  # the spaces and tabs at its paragraphs' edges
                data = drawingruns.keep_edge_spaces(document.skeleton.source, data)
        if document.parts:
            data = inject_parts(
                data, document.parts, translated[body:described], document.format.name, limits=document.limits,
                should_abort=should_abort,
            )  # fmt: skip
        if document.format.transfuse == "docx":  # what wordinline set aside, around the translated words,
            data = wordruns.restore(wordinline.restore(data))  # and the hyperlinks wordruns hid
        if document.format.transfuse in ("odt", "odp"):
            data = opendocument_text.restore(data)
        if document.format.transfuse == "pptx":
            data = unlisted_slides.restore(data)
        if document.metadata:
            texts = [plaintext.unescape(segment) for segment in translated[described : len(translated) - page_texts]]
            data = inject_metadata(data, document.metadata, texts)
        if document.page is not None:
            texts = [plaintext.unescape(segment) for segment in translated[len(translated) - page_texts :]]
            data = html.finish(data, document.page, texts, target_language)
        return data
    finally:
        document.discard()


def _take_warnings(document: ExtractedDocument) -> None:
    """Add to `document.warnings` those of its skeleton it does not have yet."""
    if isinstance(document.skeleton, WorkbookSkeleton | SpreadsheetSkeleton | XliffSkeleton | MarkdownSkeleton):
        document.warnings += [item for item in document.skeleton.warnings if item not in document.warnings]


def _check_content(data: bytes, fmt: DocumentFormat) -> None:
    """Raise UnsupportedFormat, saying what the file is, when a package is another kind than `fmt`:
    a legacy Office file, or another office package (an .odt named .docx)."""
    if not fmt.zipped:
        return
    legacy = legacy_office(data)
    if legacy is not None:
        raise UnsupportedFormat(legacy)
    kind = package_kind(data)
    actual = next((other for other in FORMATS if other.transfuse == kind), None)
    if actual is not None and actual != fmt:
        raise UnsupportedFormat(
            f"the file is {_a(actual.name)} document ({actual.extensions[0]}), not {_a(fmt.name)} document "
            f"({fmt.extensions[0]}): give it its own extension"
        )


def _a(name: str) -> str:
    return f"an {name}" if name[0] in "AEIOU" or name in ("HTML", "XLIFF") else f"a {name}"


def _encoding(data: bytes, fmt: DocumentFormat) -> str:
    """How a text document is decoded: a byte-order mark's encoding, else what an XLIFF file's XML
    declaration or a legacy HTML page's own charset says (htmlcharset.py), else UTF-8."""
    return (
        (fmt.transfuse == "xliff" and declared_encoding(data))
        or (fmt.transfuse == "html" and htmlcharset.page_encoding(data))
        or text_encoding(data)
    )


def text_encoding(data: bytes) -> str:
    """The encoding of a text document: the one its byte-order mark names, else UTF-8."""
    return next((encoding for mark, encoding in _MARKED_ENCODINGS if data.startswith(mark)), "utf-8")


def _readable_text(data: bytes, fmt: DocumentFormat, limits: DocumentLimits, should_abort: AbortCheck) -> str | None:
    """The text of a text document (None for packaged formats, once checked), or a DocumentError
    saying what is wrong."""
    if not data.strip():
        raise NoTranslatableText("the document is empty")
    if fmt.zipped:
        screening.check_package(data, fmt.name, limits, should_abort)
        return None
    encoding = _encoding(data, fmt)
    if encoding == "utf-8" and b"\0" in data:
        raise UndecodableDocument("the file holds binary data, not text")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise UndecodableDocument(
            f"the file is not valid {encoding.upper().removesuffix('-LE').removesuffix('-BE')} text "
            f"(byte {exc.start}); save it as UTF-8, or as UTF-16 with a byte-order mark"
        ) from None
    if not text.strip("\ufeff \t\r\n"):
        raise NoTranslatableText("the document is empty")
    screening.check_text(text, fmt.transfuse in ("html", "xliff"), fmt.name, limits, should_abort)
    return text
