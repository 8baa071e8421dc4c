"""The parts of an Office package that Transfuse leaves out, translated through Transfuse too.

Transfuse reads one part of a package: a Word document's `word/document.xml`, a presentation's
slides numbered from `slide1.xml` on (stopping at the first gap a deleted slide leaves), an
OpenDocument's `content.xml`. A reader also sees:

- Word: headers and footers (`word/header*.xml`, `word/footer*.xml`), footnotes, endnotes and
  comments;
- PowerPoint: speaker notes (`ppt/notesSlides/*.xml`), and slides past a gap in the numbering;
- OpenDocument: page headers and footers (with the master pages, in `styles.xml`).

Each such part is the same markup as the part Transfuse reads (WordprocessingML paragraphs and
runs; DrawingML text bodies; OpenDocument paragraphs), so it goes through Transfuse in a stand-in package: a copy of the
document in which the part takes the place of the one Transfuse reads (a Word part at a time; all
of a presentation's left-out parts at once, as slides 1, 2, ...). Its blocks are translated with
the document's, and the translated part is put back under its own name. Inline formatting, fields
and runs are handled exactly as in the body.

Shapes: `extract_parts(data, fmt, ...) -> list[PartSkeleton]` (their segments in order, each
skeleton knowing how many are its own), `inject_parts(package, parts, translated, ...) -> bytes`.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field

from dragoman.abort import AbortCheck, never_abort
from dragoman.errors import DocumentTooComplex
from dragoman.formats import transfuse
from dragoman.formats.limits import DEFAULT_LIMITS, DocumentLimits

__all__ = ["MAX_STAND_INS", "PartSkeleton", "extract_parts", "inject_parts", "left_out_parts", "natural_order"]

MAX_STAND_INS = 200  # converter runs for one document's left-out parts (a Word part takes one each)
_WORD_PARTS = re.compile(r"^word/(?:header\d*|footer\d*|footnotes|endnotes|comments)\.xml$")
_NOTES = re.compile(r"^ppt/notesSlides/notesSlide\d+\.xml$")
_SLIDE = re.compile(r"^ppt/slides/slide(\d+)\.xml$")
_ROOT = re.compile(rb"<(?![?!/])([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")  # the first start tag: the root


@dataclass(slots=True)
class PartSkeleton:
    """One stand-in package taken apart: the real parts it stands for, in the order it holds them
    (as `word/document.xml`, or as `ppt/slides/slide1.xml`, `slide2.xml`, ...), and its segments."""

    names: list[str]
    skeleton: transfuse.TransfuseSkeleton
    segments: list[str] = field(default_factory=list)
    characters: int = 0

    def discard(self) -> None:
        self.skeleton.discard()


def left_out_parts(names: Sequence[str], transfuse_format: str) -> list[str]:
    """The parts of a package (its member `names`) that Transfuse does not read, in reading order."""
    if transfuse_format == "docx":
        return sorted((name for name in names if _WORD_PARTS.match(name)), key=natural_order)
    if transfuse_format == "pptx":
        numbers = sorted(int(match.group(1)) for name in names if (match := _SLIDE.match(name)))
        read = 0
        while read + 1 in numbers:  # Transfuse reads slide1, slide2, ... up to the first gap
            read += 1
        past_gap = [f"ppt/slides/slide{number}.xml" for number in numbers if number > read]
        return past_gap + sorted((name for name in names if _NOTES.match(name)), key=natural_order)
    if transfuse_format in ("odt", "odp"):  # page headers and footers live with the master pages
        return [name for name in names if name == "styles.xml"]
    return []


def extract_parts(
    data: bytes,
    transfuse_format: str,
    label: str,
    *,
    limits: DocumentLimits = DEFAULT_LIMITS,
    should_abort: AbortCheck = never_abort,
) -> list[PartSkeleton]:
    """The left-out parts of package `data` taken apart through Transfuse (none for other formats).
    The package has been screened (its size and inflation) already. Raises as transfuse.extract."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        names = package.namelist()
        wanted = left_out_parts(names, transfuse_format)
        if not wanted:
            return []
        groups = [wanted] if transfuse_format == "pptx" else [[name] for name in wanted]
        if len(groups) > MAX_STAND_INS:
            raise DocumentTooComplex(
                f"the {label} document has {len(groups)} headers, footers and notes parts; at most "
                f"{MAX_STAND_INS} are translated"
            )
        contents = {name: package.read(name) for name in wanted}
    done: list[PartSkeleton] = []
    try:
        for group in groups:
            stand_in = _stand_in(data, transfuse_format, [contents[name] for name in group])
            extension = f".{transfuse_format}"
            skeleton, segments, characters = transfuse.extract(
                stand_in, transfuse_format, extension, label, limits=limits, should_abort=should_abort
            )
            done.append(PartSkeleton(group, skeleton, segments, characters))
    except BaseException:
        for part in done:
            part.discard()
        raise
    return done


def inject_parts(
    package: bytes,
    parts: Sequence[PartSkeleton],
    translated: Sequence[str],
    label: str,
    *,
    limits: DocumentLimits = DEFAULT_LIMITS,
    should_abort: AbortCheck = never_abort,
) -> bytes:
    """`package` (the translated main document) with each left-out part replaced by its translation;
    `translated` holds the parts' segments in order. Raises as transfuse.inject."""
    replaced: dict[str, bytes] = {}
    offset = 0
    for part in parts:
        count = len(part.segments)
        rebuilt = transfuse.inject(
            part.skeleton, list(translated[offset : offset + count]), label, limits=limits, should_abort=should_abort
        )
        offset += count
        with zipfile.ZipFile(io.BytesIO(rebuilt)) as stand_in:
            for slot, name in zip(_slots(part.names, label), part.names, strict=True):
                content = stand_in.read(slot)
                replaced[name] = _rename_root(content, b"sld", b"notes") if _NOTES.match(name) else content
    return _replace_members(package, replaced)


def _slots(names: Sequence[str], label: str) -> list[str]:
    """Where a stand-in package holds each of `names`."""
    if len(names) == 1 and names[0].startswith("word/"):
        return ["word/document.xml"]
    if names == ["styles.xml"]:
        return ["content.xml"]
    return [f"ppt/slides/slide{number}.xml" for number in range(1, len(names) + 1)]


def _stand_in(data: bytes, transfuse_format: str, contents: Sequence[bytes]) -> bytes:
    """A copy of package `data` in which `contents` take the places Transfuse reads (a notes part's
    root renamed a slide's: Transfuse puts translations back only into slides)."""
    if transfuse_format == "docx":
        return _replace_members(data, {"word/document.xml": contents[0]})
    if transfuse_format in ("odt", "odp"):
        return _replace_members(data, {"content.xml": contents[0]})
    slides = {
        f"ppt/slides/slide{number}.xml": _rename_root(content, b"notes", b"sld")
        for number, content in enumerate(contents, start=1)
    }
    return _replace_members(data, slides, drop=_SLIDE)


def _rename_root(xml: bytes, old: bytes, new: bytes) -> bytes:
    """`xml` with its root element's local name `old` (whatever its prefix) renamed `new`; as it is
    when the root is named otherwise."""
    root = _ROOT.search(xml)
    if root is None or root.group(2) != old:
        return xml
    prefix = root.group(1) or b""
    renamed = xml[: root.start(2)] + new + xml[root.end(2) :]
    closing = b"</" + prefix + old + b">"
    end = renamed.rfind(closing)
    if end >= 0:
        renamed = renamed[:end] + b"</" + prefix + new + b">" + renamed[end + len(closing) :]
    return renamed


def _replace_members(data: bytes, replaced: dict[str, bytes], drop: re.Pattern[str] | None = None) -> bytes:
    """Package `data` with members replaced (or added) by `replaced`; members matching `drop` and
    not replaced are left out. Order and compression are kept."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        seen: set[str] = set()
        for item in source.infolist():
            if item.filename in replaced:
                target.writestr(item, replaced[item.filename])
                seen.add(item.filename)
            elif drop is None or not drop.match(item.filename):
                target.writestr(item, source.read(item.filename))
        for name, content in replaced.items():
            if name not in seen:
                target.writestr(name, content)
    return out.getvalue()


def natural_order(name: str) -> tuple[str, int]:
    """A sort key putting `header2.xml` before `header10.xml`."""
    match = re.search(r"(\d+)\.xml$", name)
    return (re.sub(r"\d+\.xml$", "", name), int(match.group(1)) if match else 0)
