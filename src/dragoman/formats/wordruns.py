"""Word documents rewritten, without changing what they show, into the shape Transfuse can read.

Transfuse 0.5.8 (Debian's) dies of a segmentation fault on a run (`<w:r>`) that holds two text
elements (`<w:t>`), which python-docx writes for any paragraph with a tab or a line break in it
(`<w:r><w:t>Hello</w:t><w:tab/><w:t>world</w:t></w:r>`) and Word writes too. Such a run is split
into runs of one text element each, every one with a copy of the run's properties (`<w:rPr>`): Word
shows the same thing. Only the story parts (body, headers, footers, notes, comments) are touched,
only when one of their runs needs it, and only parts up to `_MAX_PART_BYTES` (larger ones are left
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
            if xml.count(b"<w:t>") + xml.count(b"<w:t ") < 2:
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
    changed = False
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
