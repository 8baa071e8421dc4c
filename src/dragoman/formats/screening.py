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
        raise UndecodableDocument(f"the file is not a valid {label} document (not a ZIP package)") from None
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

    Each pattern can only start where its run starts (the look-behind), so one pass is linear in the
    text however the runs are arranged. A chunk is scanned with the tail of the one before it, long
    enough to hold a whole run of the limit's length even if it is all entity references.
    """
    longest = limits.max_word_characters
    word = re.compile(rf"(?<![^{_BREAKS}])[^{_BREAKS}]{{{longest + 1}}}")
    space = re.compile(rf"(?<!\s)\s{{{longest + 1}}}")
    carry_length = (longest + 1) * (_ENTITY_LONGEST if markup else 1)
    carry = ""
    for chunk in chunks:
        if should_abort():
            raise Aborted()
        text = carry + chunk
        words = spaces = text
        if markup and "&" in text:
            plain = _PUNCTUATION_ENTITY.sub(".", text)
            words, spaces = _ENTITY.sub("a", plain), _ENTITY.sub(" ", plain)
        if word.search(words):
            raise DocumentTooComplex(
                f"the {label} document has a word of more than {longest} characters "
                f"(setting max_word_characters); converting it would take far too long"
            )
        if space.search(spaces):
            raise DocumentTooComplex(
                f"the {label} document has a run of more than {longest} spaces "
                f"(setting max_word_characters); converting it would take far too long"
            )
        carry = text[-carry_length:]
