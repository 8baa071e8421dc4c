"""Word documents rewritten, without changing what they show, into the shape Transfuse can read.

Transfuse 0.5.8 (Debian's) dies of a segmentation fault on a run (`<w:r>`) that holds two text
elements (`<w:t>`), which python-docx writes for any paragraph with a tab or a line break in it
(`<w:r><w:t>Hello</w:t><w:tab/><w:t>world</w:t></w:r>`) and Word writes too. Such a run is split
into runs of one text element each, every one with a copy of the run's properties (`<w:rPr>`): Word
shows the same thing. Transfuse also ends a block at a bookmark or a comment's range mark inside a paragraph, so the
sentence around it was translated in pieces ("La reunión Inicios en nueve Por la mañana"). Such
marks, which Word does not show, are moved to the edges of their paragraph (a start to its
beginning, an end to its end): the bookmark or the comment's range then covers the whole paragraph,
and the sentence is translated whole.

Only the story parts (body, headers, footers, notes, comments) are touched,
only when one of their runs or marks needs it, and only parts up to `_MAX_PART_BYTES` (larger ones are left
as they are; the screening has already bounded what a package may hold).
"""

from __future__ import annotations

import copy
import re
import zipfile
from io import BytesIO

from lxml import etree

__all__ = ["split_multi_text_runs"]

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_RUN, _TEXT, _PROPERTIES = f"{{{_W}}}r", f"{{{_W}}}t", f"{{{_W}}}rPr"
_PARAGRAPH, _PARAGRAPH_PROPERTIES = f"{{{_W}}}p", f"{{{_W}}}pPr"
_CONTENT = frozenset({_RUN, f"{{{_W}}}hyperlink", f"{{{_W}}}smartTag", f"{{{_W}}}ins"})  # what holds text
_STARTS = frozenset({f"{{{_W}}}bookmarkStart", f"{{{_W}}}commentRangeStart"})
_ENDS = frozenset({f"{{{_W}}}bookmarkEnd", f"{{{_W}}}commentRangeEnd"})
_STORY = re.compile(r"^word/(document|header\d*|footer\d*|footnotes|endnotes|comments)\.xml$")
_MAX_PART_BYTES = 8 * 1024 * 1024  # parsed whole: lxml takes about ten times a part's size
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=False)


def split_multi_text_runs(package: bytes) -> bytes:
    """`package` (a .docx) with every run of several text elements split into runs of one each; the
    same bytes when no run needs it. Parts that are not well-formed XML are left for the converter
    to refuse."""
    with zipfile.ZipFile(BytesIO(package)) as archive:
        members = archive.infolist()
        rewritten: dict[str, bytes] = {}
        for member in members:
            if not _STORY.match(member.filename) or member.file_size > _MAX_PART_BYTES:
                continue
            xml = archive.read(member)
            marked = any(mark in xml for mark in (b"<w:bookmarkStart", b"<w:commentRangeStart"))
            if xml.count(b"<w:t>") + xml.count(b"<w:t ") < 2 and not marked:
                continue
            split = _split(xml)
            if split is not None:
                rewritten[member.filename] = split
        if not rewritten:
            return package
        out = BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy_to:
            for member in members:
                data = rewritten.get(member.filename)
                copy_to.writestr(member.filename, data if data is not None else archive.read(member))
    return out.getvalue()


def _split(xml: bytes) -> bytes | None:
    try:
        root = etree.fromstring(xml, _PARSER)
    except etree.XMLSyntaxError:
        return None
    changed = _marks_to_edges(root)
    for run in list(root.iter(_RUN)):
        texts = [child for child in run if child.tag == _TEXT]
        if len(texts) < 2:
            continue
        changed = True
        properties = run.find(_PROPERTIES)
        content = [child for child in run if child is not properties]
        groups: list[list[etree._Element]] = [[]]
        for child in content:  # each group: whatever comes before a text element, then that element
            groups[-1].append(child)
            if child.tag == _TEXT:
                groups.append([])
        if not groups[-1]:
            groups.pop()
        parent = run.getparent()
        assert parent is not None  # noqa: S101 - a run is never the root
        position = parent.index(run)
        for number, group in enumerate(groups):
            piece = etree.Element(run.tag, attrib=dict(run.attrib), nsmap=run.nsmap)
            if properties is not None:
                piece.append(copy.deepcopy(properties))
            for child in group:
                piece.append(child)
            parent.insert(position + number, piece)
        piece.tail = run.tail
        parent.remove(run)
    if not changed:
        return None
    result: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return result


def _marks_to_edges(root: etree._Element) -> bool:
    """Move every bookmark and comment-range mark that sits between a paragraph's texts to the
    paragraph's edge (starts after its properties, ends last); whether anything moved."""
    moved = False
    for paragraph in root.iter(_PARAGRAPH):
        children = list(paragraph)
        texts = [index for index, child in enumerate(children) if child.tag in _CONTENT and _has_text(child)]
        if not texts:
            continue
        first, last = texts[0], texts[-1]
        starts = [child for index, child in enumerate(children) if child.tag in _STARTS and index > first]
        ends = [child for index, child in enumerate(children) if child.tag in _ENDS and index < last]
        for mark in starts:
            paragraph.remove(mark)
        for mark in reversed(starts):
            properties = paragraph.find(_PARAGRAPH_PROPERTIES)
            paragraph.insert(paragraph.index(properties) + 1 if properties is not None else 0, mark)
        for mark in ends:
            paragraph.remove(mark)
            paragraph.append(mark)
        moved = moved or bool(starts or ends)
    return moved


def _has_text(element: etree._Element) -> bool:
    return any((text.text or "").strip() for text in element.iter(_TEXT))
