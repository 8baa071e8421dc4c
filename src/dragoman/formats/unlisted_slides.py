"""Slides a presentation does not list, hidden from the converter: not translated, not billed.

A presentation shows the slides its `p:sldIdLst` names (through `ppt/_rels/presentation.xml.rels`),
in that order; a slide part left in the package without being listed (a slide deleted by a tool
that forgot its part) is shown by no reader. Transfuse reads `slide1.xml`, `slide2.xml`, ... by
their numbers, so such a part was translated and billed. Before the converter runs, each unlisted
slide (with its relationships and the speaker notes it alone points to) is renamed out of the way
(`ppt/slides/dragoman-unlisted-slide2.xml`); the slides after it are then read past the gap, as the
parts Transfuse leaves out are (parts.py). `restore` gives the names back: the package holds what it
held. Sources: ECMA-376 Part 1 §19.2.1.34 (sldIdLst), Part 2 (relationships).

Shapes: `hide(package) -> package`, `restore(package) -> package`; the same bytes when there is
nothing to do. `listed_slides(package) -> set of member names | None`.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile

from lxml import etree

from dragoman.formats.packages import with_members

__all__ = ["hide", "listed_slides", "restore"]

_PRESENTATION, _PRESENTATION_RELS = "ppt/presentation.xml", "ppt/_rels/presentation.xml.rels"
_SLIDE = re.compile(r"^ppt/slides/slide\d+\.xml$")
_MARK = "dragoman-unlisted-"
_P = "http://schemas.openxmlformats.org/presentationml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_NOTES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/notesSlide"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
_MAX_PART_BYTES = 4 * 1024 * 1024  # a presentation's list and relationships are small


def hide(package: bytes) -> bytes:
    """`package` (a .pptx) with its unlisted slides, their relationships and their own notes renamed
    out of the converter's way; the same bytes when every slide is listed or the list cannot be read."""
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        names = set(archive.namelist())
        listed = _listed_slides(archive, names)
        if listed is None:
            return package
        unlisted = sorted(name for name in names if _SLIDE.match(name) and name not in listed)
        renamed: dict[str, str] = {}
        for slide in unlisted:
            for name in (slide, _rels_of(slide), *_own_notes(archive, names, slide, listed)):
                if name in names:
                    folder, base = posixpath.split(name)
                    renamed[name] = posixpath.join(folder, _MARK + base)
    return with_members(package, {}, renamed)


def listed_slides(package: bytes) -> set[str] | None:
    """The slide parts of `package` (a .pptx) that its presentation lists, or None when its list
    cannot be read."""
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return _listed_slides(archive, set(archive.namelist()))


def restore(package: bytes) -> bytes:
    """`package` with the names `hide` changed given back."""
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        renamed = {name: name.replace(_MARK, "", 1) for name in archive.namelist() if _MARK in name}
    return with_members(package, {}, renamed)


def _listed_slides(archive: zipfile.ZipFile, names: set[str]) -> set[str] | None:
    """The slide parts the presentation lists, or None when its list cannot be read."""
    presentation, relationships = (_parse(archive, name, names) for name in (_PRESENTATION, _PRESENTATION_RELS))
    if presentation is None or relationships is None:
        return None
    targets = _targets(relationships, "ppt")
    return {targets[rid] for item in presentation.iter(f"{{{_P}}}sldId") if (rid := item.get(f"{{{_R}}}id")) in targets}


def _own_notes(archive: zipfile.ZipFile, names: set[str], slide: str, listed: set[str]) -> list[str]:
    """The speaker notes `slide` points to, with their relationships, unless a listed slide points
    to them too."""
    relationships = _parse(archive, _rels_of(slide), names)
    if relationships is None:
        return []
    notes = [target for target in _targets(relationships, posixpath.dirname(slide), _NOTES).values() if target in names]
    for other in listed:
        other_relationships = _parse(archive, _rels_of(other), names)
        if other_relationships is not None:
            shared = set(_targets(other_relationships, posixpath.dirname(other), _NOTES).values())
            notes = [note for note in notes if note not in shared]
    return [name for note in notes for name in (note, _rels_of(note))]


def _targets(relationships: etree._Element, base: str, kind: str | None = None) -> dict[str, str]:
    """Relationship id -> the package member it points to (internal targets only)."""
    found = {}
    for relationship in relationships.iter(_RELATIONSHIP):
        target, rid = relationship.get("Target") or "", relationship.get("Id") or ""
        if relationship.get("TargetMode") == "External" or (kind is not None and relationship.get("Type") != kind):
            continue
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
        found[rid] = path
    return found


def _rels_of(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def _parse(archive: zipfile.ZipFile, name: str, names: set[str]) -> etree._Element | None:
    if name not in names or archive.getinfo(name).file_size > _MAX_PART_BYTES:
        return None
    try:
        return etree.fromstring(archive.read(name), _PARSER)
    except etree.XMLSyntaxError:
        return None
