"""Checks a document passes before any converter sees it, so that a small file cannot cost far more
than its size:

- a zipped document (docx, pptx, odt, odp) is checked from its central directory (members, declared
  sizes, inflation ratios) and then its XML members are inflated in bounded chunks, which also
  checks their CRCs: a header that lies about a member's size cannot make a reader inflate more;
- text and markup may not hold a word, or a run of spaces, longer than `max_word_characters`
  (Transfuse's cost grows with the square of such a run). Entity references (`&#97;`, `&nbsp;`)
  count as one character of either kind, so they cannot hide a run from the check.

Each check runs in bounded time, linear in the inflated size, and asks `should_abort` between chunks.
"""

from __future__ import annotations

import codecs
import re
import zipfile
import zlib
from collections.abc import Iterator
from io import BytesIO

from dragoman.abort import AbortCheck, Aborted, never_abort
from dragoman.errors import DocumentTooComplex, DocumentTooLarge, UndecodableDocument
from dragoman.formats.limits import DEFAULT_LIMITS, DocumentLimits
from dragoman.formats.recognition import other_kind

__all__ = ["check_package", "check_text"]

_CHUNK_BYTES = 256 * 1024  # inflated per read; also the unit between two abort checks
_CHUNK_CHARACTERS = 256 * 1024  # text scanned per regex call (each holds the GIL for a few ms)
_CENTRAL_HEADER = b"PK\x01\x02"
_OFFICE_COMPRESSION = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
_SIGNATURES = (b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06", b"PK\x06\x06", b"PK\x06\x07")
_PUNCTUATION_ENTITY = re.compile(r"&(?:amp|lt|gt|quot|apos);")  # the usual ones: neither letter nor space
_ENTITY = re.compile(r"&(?:#[0-9]{1,10}|#[xX][0-9a-fA-F]{1,8}|[A-Za-z][A-Za-z0-9]{0,31});")
_ENTITY_LONGEST = 34  # characters of the longest reference _ENTITY matches
# What ends a word for Transfuse: spaces and punctuation (ASCII, general, CJK and full-width). Every
# other character (letters, digits, combining marks, symbols) is counted as part of a word.
_BREAKS = r"\s!-/:-@\[-`{-~\u2000-\u206f\u3000-\u303f\uff00-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"


def check_package(
    data: bytes, label: str, limits: DocumentLimits = DEFAULT_LIMITS, should_abort: AbortCheck = never_abort
) -> None:
    """Check a zipped document before a converter opens it.

    Raises UndecodableDocument if it is not a readable ZIP package (or is encrypted), DocumentTooLarge
    if it has too many members or inflates past `max_inflated_bytes` or `max_inflation_ratio`,
    DocumentTooComplex if its XML holds a run longer than `max_word_characters`, and Aborted.
    """
    if data.count(_CENTRAL_HEADER) > limits.max_archive_members:  # before building a ZipInfo per member
        raise DocumentTooLarge(f"the {label} document holds more than {limits.max_archive_members} files")
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        what = other_kind(data)
        reason = f"it is {what}" if what else "not a ZIP package"
        raise UndecodableDocument(f"the file is not a valid {label} document ({reason})") from None
    with archive:
        members = archive.infolist()
        _check_directory(members, len(data), label, limits)
        _check_layout(data, archive, members, label)
        for member in members:
            if member.filename.lower().endswith(".xml"):
                chunks = _inflate(archive, member, label, should_abort)
                _check_runs(codecs.iterdecode(chunks, "utf-8", "replace"), True, label, limits, should_abort)


def check_text(
    text: str, markup: bool, label: str, limits: DocumentLimits = DEFAULT_LIMITS, should_abort: AbortCheck = never_abort
) -> None:
    """Check a text or markup (HTML) document. Raises DocumentTooComplex if it holds a word or a run
    of spaces longer than `max_word_characters`, and Aborted."""
    chunks = (text[start : start + _CHUNK_CHARACTERS] for start in range(0, len(text), _CHUNK_CHARACTERS))
    _check_runs(chunks, markup, label, limits, should_abort)


def _check_directory(members: list[zipfile.ZipInfo], size: int, label: str, limits: DocumentLimits) -> None:
    if len(members) > limits.max_archive_members:
        raise DocumentTooLarge(f"the {label} document holds more than {limits.max_archive_members} files")
    total = 0
    for member in members:
        if member.flag_bits & 0x1:
            raise UndecodableDocument(f"the {label} document is encrypted")
        if member.compress_type not in _OFFICE_COMPRESSION:
            # Office and OpenDocument files are stored or deflated. Other methods (bzip2, LZMA) are
            # inflated by Python a whole input read at a time, whatever the declared size.
            raise UndecodableDocument(
                f"the {label} document's part {member.filename!r} uses a compression method (number "
                f"{member.compress_type}) that office documents do not use"
            )
        total += member.file_size
        if total > limits.max_inflated_bytes:
            raise DocumentTooLarge(
                f"the {label} document inflates to more than {limits.max_inflated_bytes} bytes "
                f"(setting max_inflated_bytes)"
            )
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > limits.ratio_floor_bytes and ratio > limits.max_inflation_ratio:
            raise DocumentTooLarge(
                f"the {label} document's part {member.filename!r} inflates {ratio:.0f} times "
                f"(at most {limits.max_inflation_ratio:g}, setting max_inflation_ratio)"
            )
    if total > limits.ratio_floor_bytes and total / max(size, 1) > limits.max_inflation_ratio:
        raise DocumentTooLarge(
            f"the {label} document inflates {total / max(size, 1):.0f} times "
            f"(at most {limits.max_inflation_ratio:g}, setting max_inflation_ratio)"
        )


def _check_layout(data: bytes, archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], label: str) -> None:
    """Refuse a package with ZIP records outside the directory Python reads. Two ZIP readers may pick
    different central directories of one file (Python the last end record, libzip, which Transfuse
    uses, the one covering most of the file), so a second, hidden directory could hand the converter
    parts these checks never saw. Every byte before the central directory must belong to a listed
    member (local header, data, data descriptor); bytes that do not may hold no ZIP signature, and
    neither may the archive comment."""
    regions: list[tuple[int, int]] = []
    for member in members:
        start = member.header_offset
        header = data[start : start + 30]
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            raise UndecodableDocument(f"the {label} document's part {member.filename!r} has no local header")
        name_length = int.from_bytes(header[26:28], "little")
        extra_length = int.from_bytes(header[28:30], "little")
        end = start + 30 + name_length + extra_length + member.compress_size
        if member.flag_bits & 0x8:  # a data descriptor follows: optional signature, CRC, two sizes
            end += 4 if data[end : end + 4] == b"PK\x07\x08" else 0
            end += 20 if member.file_size >= 0xFFFFFFFF or member.compress_size >= 0xFFFFFFFF else 12
        regions.append((start, end))
    position = 0
    for start, end in sorted(regions):
        _refuse_hidden_records(data[position:start], label)
        position = max(position, end)
    _refuse_hidden_records(data[position : archive.start_dir], label)
    _refuse_hidden_records(archive.comment, label)


def _refuse_hidden_records(unlisted: bytes, label: str) -> None:
    if any(signature in unlisted for signature in _SIGNATURES):
        raise UndecodableDocument(f"the {label} document holds ZIP records outside its directory")


def _inflate(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, label: str, should_abort: AbortCheck
) -> Iterator[bytes]:
    """A member's bytes in chunks. zipfile stops at the declared size and checks the CRC at the end,
    so a member can yield no more than its (already checked) declared size."""
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(_CHUNK_BYTES):
                if should_abort():
                    raise Aborted()
                yield chunk
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        raise UndecodableDocument(f"the {label} document's part {member.filename!r} cannot be read: {exc}") from None


def _check_runs(
    chunks: Iterator[str], markup: bool, label: str, limits: DocumentLimits, should_abort: AbortCheck
) -> None:
    """Raise DocumentTooComplex at the first word or run of spaces longer than the limit.

    Markup is checked twice: as written (attribute values such as `alt` are translated too), and as
    Transfuse joins it, with inline tags taken out (`<i>a</i><i>b</i>` is the word `ab` to it, and a
    40,000-letter word spelt that way cost as much as one spelt plainly) and every other tag a break.
    """
    checks = [_Runs(label, limits, markup)]
    joined = _Runs(label, limits, markup, spaces=False) if markup else None  # tags as breaks pile up spaces
    pending = ""  # a tag cut at the end of a chunk, completed by the next one
    for chunk in chunks:
        if should_abort():
            raise Aborted()
        for check in checks:
            check.feed(chunk)
        if joined is not None:
            text = pending + chunk
            cut = text.rfind("<")
            if cut >= 0 and text.find(">", cut) < 0 and len(text) - cut <= _LONGEST_TAG:
                text, pending = text[:cut], text[cut:]
            else:
                pending = ""
            joined.feed(_TAG.sub(_join_inline, text))


_TAG = re.compile(r"<(/?)([A-Za-z][\w:.-]*)[^<>]*>")
_LONGEST_TAG = 64 * 1024  # a longer unclosed '<...' is not a tag to wait for
# Tags whose text Transfuse joins to its neighbours': its own inline list for HTML; runs, their
# formatting, hyperlinks, spans and bookmarks in office XML. Any other tag ends a word.
# Transfuse's own list of HTML elements whose text joins its neighbours' (it ends a block at any other).
HTML_INLINE_TAGS = frozenset(
    (
        "a",
        "abbr",
        "acronym",
        "b",
        "bdi",
        "bdo",
        "big",
        "cite",
        "code",
        "del",
        "dfn",
        "em",
        "font",
        "i",
        "ins",
        "kbd",
        "mark",
        "meter",
        "output",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strike",
        "strong",
        "sub",
        "sup",
        "time",
        "tt",
        "u",
        "var",
    )
)
_INLINE_TAGS = HTML_INLINE_TAGS | frozenset(
    (
        "w:r",
        "w:t",
        "w:rpr",
        "w:hyperlink",
        "w:prooferr",
        "w:bookmarkstart",
        "w:bookmarkend",
        "w:smarttag",
        "w:fldsimple",
        "w:ins",
        "w:del",
        "w:b",
        "w:i",
        "w:u",
        "w:strike",
        "w:color",
        "w:sz",
        "w:szcs",
        "w:rfonts",
        "w:lang",
        "w:highlight",
        "w:vertalign",
        "w:noproof",
        "w:bcs",
        "w:ics",
        "w:caps",
        "w:smallcaps",
        "w:spacing",
        "w:kern",
        "w:shd",
        "w:rstyle",
        "w:vanish",
        "a:r",
        "a:t",
        "a:rpr",
        "a:fld",
        "a:latin",
        "a:ea",
        "a:cs",
        "a:solidfill",
        "a:srgbclr",
        "a:schemeclr",
        "a:hlinkclick",
        "a:effectlst",
        "a:ln",
        "text:span",
        "text:a",
        "text:bookmark",
        "text:bookmark-start",
        "text:bookmark-end",
        "text:soft-page-break",
    )
)


def _join_inline(match: re.Match[str]) -> str:
    return "" if match.group(2).lower() in _INLINE_TAGS else " "


class _Runs:
    """One stream of text checked for over-long runs, chunk by chunk.

    Each pattern can only start where its run starts (the look-behind), so one pass is linear in the
    text however the runs are arranged. A chunk is scanned with the tail of the one before it, long
    enough to hold a whole run of the limit's length even if it is all entity references."""

    def __init__(self, label: str, limits: DocumentLimits, markup: bool, *, spaces: bool = True) -> None:
        longest = limits.max_word_characters
        self.label, self.longest, self.markup, self.spaces = label, longest, markup, spaces
        self.word = re.compile(rf"(?<![^{_BREAKS}])[^{_BREAKS}]{{{longest + 1}}}")
        self.space = re.compile(rf"(?<!\s)\s{{{longest + 1}}}")
        self.carry_length = (longest + 1) * (_ENTITY_LONGEST if markup else 1)
        self.carry = ""

    def feed(self, chunk: str) -> None:
        text = self.carry + chunk
        words = spaces = text
        if self.markup and "&" in text:
            plain = _PUNCTUATION_ENTITY.sub(".", text)
            words, spaces = _ENTITY.sub("a", plain), _ENTITY.sub(" ", plain)
        if self.word.search(words):
            raise DocumentTooComplex(
                f"the {self.label} document has a word of more than {self.longest} characters "
                f"(setting max_word_characters); converting it would take far too long"
            )
        if self.spaces and self.space.search(spaces):
            raise DocumentTooComplex(
                f"the {self.label} document has a run of more than {self.longest} spaces "
                f"(setting max_word_characters); converting it would take far too long"
            )
        self.carry = text[-self.carry_length :]
