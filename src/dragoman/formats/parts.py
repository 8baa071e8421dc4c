"""The parts of an Office package that Transfuse leaves out, translated through Transfuse too.

Transfuse reads one part of a package: a Word document's `word/document.xml`, a presentation's
slides numbered from `slide1.xml` on (stopping at the first gap a deleted slide leaves), an
OpenDocument's `content.xml`. A reader also sees:

- Word: headers and footers (`word/header*.xml`, `word/footer*.xml`), footnotes, endnotes and
  comments;
- PowerPoint: speaker notes (`ppt/notesSlides/*.xml`), and slides past a gap in the numbering;
- OpenDocument: page headers and footers (with the master pages, in `styles.xml`);
- Word and PowerPoint: the titles of charts and of their axes, and other text written on a chart
  (`word/charts/chart*.xml`, `ppt/charts/chart*.xml`: DrawingML text bodies in `c:rich`).

Each such part is the same markup as the part Transfuse reads (WordprocessingML paragraphs and
runs; DrawingML text bodies; OpenDocument paragraphs), so it goes through Transfuse in a stand-in package: a copy of the
document in which the part takes the place of the one Transfuse reads (a Word part at a time; all
of a presentation's left-out parts at once, as slides 1, 2, ...). Its blocks are translated with
the document's, and the translated part is put back under its own name. Inline formatting, fields
and runs are handled exactly as in the body. Charts go through Transfuse as slides of a stand-in
presentation that holds nothing else (its reader needs no more): each chart's root element renamed a
slide's, and back. A chart's series names and categories are not touched: they are copies of the
cells of the workbook embedded with it (`c:strCache`), as are titles that name no text of their
own; numbers and references are never text.

Shapes: `extract_parts(data, fmt, ...) -> list[PartSkeleton]` (their segments in order, each
skeleton knowing how many are its own), `inject_parts(package, parts, translated, ...) -> bytes`.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field

from lxml import etree

from dragoman.abort import AbortCheck, never_abort
from dragoman.errors import DocumentTooComplex
from dragoman.formats import transfuse
from dragoman.formats.limits import DEFAULT_LIMITS, DocumentLimits

__all__ = [
    "MAX_STAND_INS",
    "PartSkeleton",
    "chart_parts",
    "extract_parts",
    "inject_parts",
    "left_out_parts",
    "natural_order",
]

MAX_STAND_INS = 200  # converter runs for one document's left-out parts (a Word part takes one each)
_WORD_PARTS = re.compile(r"^word/(?:header\d*|footer\d*|footnotes|endnotes|comments)\.xml$")
_NOTES = re.compile(r"^ppt/notesSlides/notesSlide\d+\.xml$")
_SLIDE = re.compile(r"^ppt/slides/slide(\d+)\.xml$")
_CHART = re.compile(r"^(?:word|ppt)/charts/chart\d+\.xml$")
_CHART_TEXT = re.compile(rb"<a:t>[^<]*[0-9A-Za-z\x80-\xff]")  # DrawingML text with a letter or digit in it
_MAX_CHART_BYTES = 8 * 1024 * 1024  # a chart part larger than this is left as it is
_PRESENTATION = b"http://schemas.openxmlformats.org/presentationml/2006/main"
_CHART_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?chartSpace\b")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
_SLIDE_ROOT = re.compile(rb'<p:sld xmlns:p="' + re.escape(_PRESENTATION) + rb'"')
_ROOT = re.compile(rb"<(?![?!/])([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")  # the first start tag: the root


@dataclass(slots=True)
class PartSkeleton:
    """One stand-in package taken apart: the real parts it stands for, in the order it holds them
    (as `word/document.xml`, or as `ppt/slides/slide1.xml`, `slide2.xml`, ...), and its segments."""

    names: list[str]
    skeleton: transfuse.TransfuseSkeleton
    segments: list[str] = field(default_factory=list)
    characters: int = 0
    charts: bool = False  # the parts are charts, held as slides of a presentation of their own

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


def chart_parts(names: Sequence[str], transfuse_format: str) -> list[str]:
    """The chart parts of a Word or PowerPoint package (its member `names`), in order."""
    if transfuse_format not in ("docx", "pptx"):
        return []
    return sorted((name for name in names if _CHART.match(name)), key=natural_order)


def extract_parts(
    data: bytes,
    transfuse_format: str,
    label: str,
    *,
    limits: DocumentLimits = DEFAULT_LIMITS,
    should_abort: AbortCheck = never_abort,
) -> list[PartSkeleton]:
    """The left-out parts of package `data` taken apart through Transfuse (none for other formats),
    charts with text last. The package has been screened (its size and inflation) already. Raises
    as transfuse.extract."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        names = package.namelist()
        wanted = left_out_parts(names, transfuse_format)
        groups = [wanted] if transfuse_format == "pptx" and wanted else [[name] for name in wanted]
        charts = [
            name
            for name in chart_parts(names, transfuse_format)
            if package.getinfo(name).file_size <= _MAX_CHART_BYTES and _has_chart_text(package.read(name))
        ]
        if len(groups) + bool(charts) > MAX_STAND_INS:
            raise DocumentTooComplex(
                f"the {label} document has {len(groups)} headers, footers and notes parts; at most "
                f"{MAX_STAND_INS} are translated"
            )
        contents = {name: package.read(name) for name in [*wanted, *charts]}
    stand_ins = [(group, False, transfuse_format) for group in groups]
    if charts:
        stand_ins.append((charts, True, "pptx"))
    done: list[PartSkeleton] = []
    try:
        for group, are_charts, converter_format in stand_ins:
            if are_charts:
                stand_in = _charts_stand_in([contents[name] for name in group])
            else:
                stand_in = _stand_in(data, transfuse_format, [contents[name] for name in group])
            skeleton, segments, characters = transfuse.extract(
                stand_in, converter_format, f".{converter_format}", label, limits=limits, should_abort=should_abort
            )
            done.append(PartSkeleton(group, skeleton, segments, characters, are_charts))
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
            for slot, name in zip(_slots(part), part.names, strict=True):
                content = stand_in.read(slot)
                if part.charts:
                    content = _as_chart(content, _chart_prefix(package, name))
                replaced[name] = _rename_root(content, b"sld", b"notes") if _NOTES.match(name) else content
    return _replace_members(package, replaced)


def _slots(part: PartSkeleton) -> list[str]:
    """Where a stand-in package holds each of the part's `names`."""
    names = part.names
    if len(names) == 1 and names[0].startswith("word/") and not part.charts:
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


def _has_chart_text(chart: bytes) -> bool:
    """Whether a chart part is well-formed XML (read without entities, network or DTD) holding
    DrawingML text with a letter or digit: one the converter is given."""
    if not _CHART_TEXT.search(chart):
        return False
    try:
        etree.fromstring(chart, _PARSER)
    except etree.XMLSyntaxError:
        return False
    return True


def _charts_stand_in(charts: Sequence[bytes]) -> bytes:
    """A package holding only `charts`, as slides `ppt/slides/slide1.xml`, `slide2.xml`, ... (each
    root renamed `p:sld`, declaration normalised): all that Transfuse reads of a presentation."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for number, chart in enumerate(charts, start=1):
            target.writestr(f"ppt/slides/slide{number}.xml", _as_slide(chart))
    return out.getvalue()


def _as_slide(chart: bytes) -> bytes:
    """A chart part with its root element (`c:chartSpace`) renamed `p:sld`, after a declaration
    ending in a newline (Transfuse cuts each slide's declaration at "?>" and a newline)."""
    root = _CHART_ROOT.search(chart)
    if root is None:
        return chart
    prefix = root.group(1) or b""
    body = chart[root.start() :]
    body = b'<p:sld xmlns:p="' + _PRESENTATION + b'"' + body[root.end() - root.start() :]
    closing = b"</" + prefix + b"chartSpace>"
    end = body.rfind(closing)
    if end >= 0:
        body = body[:end] + b"</p:sld>" + body[end + len(closing) :]
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + body


def _chart_prefix(package: bytes, name: str) -> bytes:
    """The prefix (`c:`, or none) of the root element of chart part `name` of `package`."""
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        root = _CHART_ROOT.search(archive.read(name))
    return (root.group(1) or b"") if root is not None else b"c:"


def _as_chart(slide: bytes, prefix: bytes) -> bytes:
    """A translated stand-in slide made a chart part again: its root named `chartSpace` (with
    `prefix`) once more."""
    start = _SLIDE_ROOT.search(slide)
    if start is None:
        return slide
    renamed = slide[: start.start()] + b"<" + prefix + b"chartSpace" + slide[start.end() :]
    end = renamed.rfind(b"</p:sld>")
    if end >= 0:
        renamed = renamed[:end] + b"</" + prefix + b"chartSpace>" + renamed[end + len(b"</p:sld>") :]
    return renamed


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
