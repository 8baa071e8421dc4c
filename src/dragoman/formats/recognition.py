"""What a document is, from its bytes: for a file whose name says nothing (`notes`, `episode`), and to
tell a user clearly when a file is not what its name says (a legacy `.doc` renamed `.docx`, an
`.odt` renamed `.docx`).

- Legacy Microsoft Office files (Word 97-2003 `.doc`, Excel `.xls`, PowerPoint `.ppt`) are OLE2
  compound files: they start with D0 CF 11 E0 A1 B1 1A E1, and their main stream's name (UTF-16)
  says which application wrote them. Source: [MS-CFB] §2.2; [MS-DOC], [MS-XLS], [MS-PPT] stream names.
- An office package is a ZIP file: OpenDocument names its kind in a first, stored `mimetype` member
  (ODF 1.3 Part 2 §3.3); Office Open XML in `[Content_Types].xml`, by its main part's content type
  (ECMA-376 Part 2 §10.1.2), its name matched as Windows matches it (in any case, with slashes or
  backslashes: Apache POI wrote `[content_types].xml`). Only members of at most `_LARGEST_MEMBER`
  bytes are read, so a package that lies about its sizes costs nothing here (the screening checks
  it later).
- A text file: XLIFF by its root element, HTML by its doctype or `<html>`, WebVTT by its `WEBVTT`
  signature, SubRip by its first cue's number and timing line, a gettext catalogue by its header
  entry (`msgid ""`), Markdown by a fenced code block (opened and closed, CommonMark 0.31 §4.5) or by
  two different kinds of its syntax that plain text does not write (YAML front matter, ATX headings
  `# Title` (§4.2), setext underlines (§4.3), links and images `[text](target)` (§6.3), link reference
  definitions (§4.7), GFM table delimiter rows (GFM §4.10)), else plain text when it is text at all
  (UTF-8, or a byte-order mark). One kind alone (a `# comment` line, a `----` rule) stays plain text.

Kinds are named as `DocumentFormat.transfuse` names them ("docx", "xliff", "text"...).

An XML file without a byte-order mark is in the encoding its declaration names (`<?xml version="1.0"
encoding="ISO-8859-1"?>`, XML 1.0 §4.3.3), UTF-8 when it names none: `declared_encoding`.

Shapes: `legacy_office(data) -> str | None` (what to tell the user); `package_kind(data) -> str |
None`; `text_kind(data) -> str | None`; `declared_encoding(data) -> str | None`.
"""

from __future__ import annotations

import codecs
import re
import zipfile
from io import BytesIO

__all__ = ["declared_encoding", "legacy_office", "other_kind", "package_kind", "text_kind"]

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_LEGACY = (  # main stream name -> (application, legacy extension, current extension)
    ("WordDocument", "Word", ".doc", ".docx"),
    ("PowerPoint Document", "PowerPoint", ".ppt", ".pptx"),
    ("Workbook", "Excel", ".xls", ".xlsx"),
    ("Book", "Excel", ".xls", ".xlsx"),
)
_LARGEST_MEMBER = 256 * 1024
_OPENDOCUMENT = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.presentation": "odp",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
}
_OFFICE_MAIN = (  # a main part's content type -> kind
    ("wordprocessingml.document.main+xml", "docx"),
    ("presentationml.presentation.main+xml", "pptx"),
    ("spreadsheetml.sheet.main+xml", "xlsx"),
)
_HEAD_BYTES = 64 * 1024
_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# An XML declaration, in the ASCII bytes every encoding it may name without a byte-order mark shares.
_DECLARATION = re.compile(rb"\A<\?xml\s[^>]*?\bencoding\s*=\s*([\"'])([A-Za-z][A-Za-z0-9._-]{0,39})\1")
_PROLOG = re.compile(r"\A\ufeff?\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*", re.DOTALL)
_XLIFF = re.compile(r"<(?:[\w.-]+:)?xliff\b")
_HTML = re.compile(r"<!DOCTYPE\s+html\b|<html\b", re.IGNORECASE)
_WEBVTT = re.compile(r"\A\ufeff?WEBVTT(?:[ \t]|\r?\n|\Z)")
_SUBRIP = re.compile(r"\A\ufeff?\s*\d+[ \t]*\r?\n\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}[ \t]*-->[ \t]*\d{1,2}:\d{2}:\d{2}")
# Markdown: each pattern is one kind of its syntax, found in the document's first _HEAD_BYTES.
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})([^`\r\n]*)\r?$", re.MULTILINE)  # a code fence line, its info string
_MARKDOWN = (
    re.compile(
        r"\A\ufeff?---[ \t]*\r?\n(?:[A-Za-z_][\w-]*[ \t]*:.*\r?\n|[ \t#-].*\r?\n|[ \t]*\r?\n)*?---[ \t]*\r?$",
        re.MULTILINE,
    ),
    re.compile(r"^ {0,3}#{1,6}[ \t]+\S", re.MULTILINE),  # an ATX heading
    re.compile(r"^ {0,3}[^\s#>|-].*\r?\n {0,3}(?:=+|-{2,})[ \t]*\r?$", re.MULTILINE),  # a setext heading
    re.compile(r"!?\[[^\]\n]{1,200}\]\([^\s()]{1,500}(?:[ \t]+\"[^\"\n]*\")?\)"),  # a link or an image
    re.compile(r"^ {0,3}\[[^\]\n]{1,200}\]:[ \t]*\S+[ \t]*$", re.MULTILINE),  # a link reference definition
    re.compile(
        r"^ {0,3}\|?[ \t]*:?-{3,}:?[ \t]*\|[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*\r?$", re.MULTILINE
    ),
)
_GETTEXT = re.compile(
    r'\A\ufeff?(?:\s*#[^\n]*\n|\s*\n)*\s*msgid\s+""[ \t]*\r?\n(?:[ \t]*"[^\n]*"[ \t]*\r?\n)*\s*msgstr\s'
)


def legacy_office(data: bytes) -> str | None:
    """What to tell a user about a legacy (97-2003) Office file, or None for any other file."""
    if not data.startswith(_OLE2):
        return None
    for stream, application, legacy, current in _LEGACY:
        if stream.encode("utf-16-le") in data:
            return (
                f"the file is a legacy {application} 97-2003 {legacy} file, which Dragoman does not read: "
                f"open it in {application} and save it as {current}"
            )
    return (
        "the file is a legacy Microsoft Office 97-2003 file, which Dragoman does not read: "
        "save it as .docx, .pptx or .xlsx"
    )


# Files people name .docx (or put in a batch) that are no document Dragoman reads, by their first bytes
_OTHER_KINDS: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF document, which Dragoman does not translate"),
    (b"{\\rtf", "a Rich Text Format (.rtf) document, which Dragoman does not read: save it as .docx"),
    (b"\x89PNG\r\n\x1a\n", "a PNG picture"),
    (b"\xff\xd8\xff", "a JPEG picture"),
    (b"GIF8", "a GIF picture"),
)


def other_kind(data: bytes) -> str | None:
    """What a file is when it is a kind of file Dragoman reads no text from (a PDF, an RTF
    document, a picture), said for a user; None otherwise."""
    head = data[:16].lstrip(b"\xef\xbb\xbf")
    return next((kind for magic, kind in _OTHER_KINDS if head.startswith(magic)), None)


def package_kind(data: bytes) -> str | None:
    """The kind of office package a ZIP file is ("docx", "pptx", "xlsx", "odt", "odp", "ods"), or
    None (not a ZIP file, another kind of package, or one that cannot be told cheaply)."""
    if not data.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(BytesIO(data)) as package:
            # names compared as Windows does: `[content_types].xml` (Apache POI), `\` separators
            members = {member.filename.replace("\\", "/").lstrip("/").lower(): member for member in package.infolist()}
            mimetype = members.get("mimetype")
            if mimetype is not None and mimetype.file_size <= _LARGEST_MEMBER:
                return _OPENDOCUMENT.get(package.read(mimetype).decode("ascii", "replace").strip())
            types = members.get("[content_types].xml")
            if types is not None and types.file_size <= _LARGEST_MEMBER:
                declared = package.read(types).decode("utf-8", "replace")
                return next((kind for main, kind in _OFFICE_MAIN if main in declared), None)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
        return None
    return None


def declared_encoding(data: bytes) -> str | None:
    """The codec an XML document's declaration names, when the document has no byte-order mark
    (a mark says the encoding itself); None when there is a mark, no declaration, no encoding in
    it, or one Python does not know (the XML parser then says what is wrong)."""
    declaration = _DECLARATION.match(data)
    if declaration is None:
        return None
    try:
        return codecs.lookup(declaration.group(2).decode("ascii")).name
    except LookupError:
        return None


def text_kind(data: bytes) -> str | None:
    """The kind of a text document ("xliff", "html", "vtt", "srt", "po", "md" or "text"), or None
    when the bytes are not text."""
    marked = next((encoding for mark, encoding in _MARKS if data.startswith(mark)), None)
    encoding = marked or declared_encoding(data) or "utf-8"
    head = data[:_HEAD_BYTES]
    if encoding == "utf-8" and b"\0" in data:
        return None
    try:
        text = codecs.getincrementaldecoder(encoding)().decode(head, final=len(data) <= _HEAD_BYTES)
    except UnicodeDecodeError:
        return None
    markup = text[_PROLOG.match(text).end() :]  # type: ignore[union-attr]  # the pattern matches anything
    if markup.startswith("<") and _XLIFF.match(markup):
        return "xliff"
    if markup.startswith("<") and _HTML.search(markup[:4096]):
        return "html"
    if text.lstrip("\ufeff \t\r\n").startswith("<?xml"):
        return None  # XML of some other kind: its markup is not text to translate
    if _WEBVTT.match(text):
        return "vtt"
    if _SUBRIP.match(text):
        return "srt"
    if _GETTEXT.match(text):
        return "po"
    if _is_markdown(text):
        return "md"
    return "text"


def _is_markdown(text: str) -> bool:
    """Whether a text is clearly Markdown: a fenced code block, or two kinds of Markdown's own syntax."""
    opened: str | None = None
    for fence in _FENCE.finditer(text):  # an opening fence, then a closing one (no info string, as long)
        marker, info = fence.group(1), fence.group(2).strip()
        if opened is None:
            opened = marker
        elif marker[0] == opened[0] and len(marker) >= len(opened) and not info:
            return True
    return sum(1 for kind in _MARKDOWN if kind.search(text)) >= 2
