"""DrawingML text (PowerPoint slides and notes, and the charts of any package) rewritten, without
changing what it shows, into the shape Transfuse can read.

Transfuse 0.5.8 (Debian's) dies of a segmentation fault on an empty text element (`<a:t/>`) in a
paragraph of several texts, as Word's (wordruns.py); python-pptx writes one for a run whose text is
"" (its test files dml-line.pptx and shp-autoshape-props.pptx). Such a run shows nothing and is
removed, unless it is its paragraph's only text: a paragraph of one text Transfuse reads, and the
run gives the empty line its height. Only the members Transfuse reads (slides, notes, charts) are
touched, when one holds an empty text element, and only up to `_MAX_PART_BYTES`.

Transfuse also trims the spaces and tabs at the edges of a slide's paragraphs ("\tThe indented
line" came back "La línea sangrada", "Total:\t" lost its tab, one of two leading spaces went), which
Word's converter keeps. `keep_edge_spaces` gives each paragraph of the translated slides back the
spaces and tabs its source had at its start and end, where the translation lost them.

Shapes: `drop_empty_runs(package) -> package` (the same bytes when nothing needs it);
`keep_edge_spaces(source, translated) -> package`.
"""

from __future__ import annotations

import re
import zipfile
from io import BytesIO

from lxml import etree

from dragoman.formats.packages import with_members

__all__ = ["drop_empty_runs", "keep_edge_spaces"]

_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_PARAGRAPH, _RUN, _TEXT = f"{{{_A}}}p", f"{{{_A}}}r", f"{{{_A}}}t"
_SLIDE = re.compile(r"^ppt/slides/slide\d+\.xml$")
_EDGE_SPACE = re.compile(rb"<a:t(?:\s[^>]*)?>[ \t]|[ \t]</a:t>")  # a text beginning or ending in a space or tab
_READ = re.compile(r"^(?:ppt/(?:slides/slide|notesSlides/notesSlide)\d+|(?:ppt|word)/charts/chart\d+)\.xml$")
_EMPTY = re.compile(rb"<a:t\s*/>|<a:t></a:t>")
_MAX_PART_BYTES = 8 * 1024 * 1024  # parsed whole: lxml takes about ten times a part's size
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def drop_empty_runs(package: bytes) -> bytes:
    """`package` with every run of an empty text removed from paragraphs holding other texts; the
    same bytes when there is none. Parts that are not well-formed XML are left for the converter."""
    with zipfile.ZipFile(BytesIO(package)) as archive:
        members = archive.infolist()
        rewritten: dict[str, bytes] = {}
        for member in members:
            if not _READ.match(member.filename) or member.file_size > _MAX_PART_BYTES:
                continue
            xml = archive.read(member)
            if _EMPTY.search(xml) is None:
                continue
            tidied = _tidy(xml)
            if tidied is not None:
                rewritten[member.filename] = tidied
    return with_members(package, rewritten)


def _tidy(xml: bytes) -> bytes | None:
    try:
        root = etree.fromstring(xml, _PARSER)
    except etree.XMLSyntaxError:
        return None
    changed = False
    for paragraph in root.iter(_PARAGRAPH):
        texts = list(paragraph.iter(_TEXT))
        if len(texts) < 2:
            continue
        empty = [text for text in texts if not text.text]
        for text in empty[: len(empty) - 1] if len(empty) == len(texts) else empty:
            run = text.getparent()
            holder = run.getparent() if run is not None else None
            if run is None or holder is None or run.tag != _RUN:
                continue
            holder.remove(run)
            changed = True
    if not changed:
        return None
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))


def keep_edge_spaces(source: bytes, translated: bytes) -> bytes:
    """`translated` (the converter's rebuild of package `source`) with each slide paragraph's leading
    and trailing spaces and tabs as in `source`, where it lost them. A slide whose paragraphs do not
    match one for one is left as it is."""
    if not source:
        return translated
    with zipfile.ZipFile(BytesIO(source)) as original, zipfile.ZipFile(BytesIO(translated)) as rebuilt:
        names = set(rebuilt.namelist())
        rewritten: dict[str, bytes] = {}
        for member in original.infolist():
            if not _SLIDE.match(member.filename) or member.filename not in names or member.file_size > _MAX_PART_BYTES:
                continue
            xml = original.read(member)
            if _EDGE_SPACE.search(xml) is None:
                continue
            mended = _mend_edges(xml, rebuilt.read(member.filename))
            if mended is not None:
                rewritten[member.filename] = mended
    return with_members(translated, rewritten)


def _mend_edges(source: bytes, translated: bytes) -> bytes | None:
    try:
        before, after = etree.fromstring(source, _PARSER), etree.fromstring(translated, _PARSER)
    except etree.XMLSyntaxError:
        return None
    originals, paragraphs = list(before.iter(_PARAGRAPH)), list(after.iter(_PARAGRAPH))
    if len(originals) != len(paragraphs):
        return None
    changed = False
    for original, paragraph in zip(originals, paragraphs, strict=True):
        had = [text.text or "" for text in original.iter(_TEXT)]
        texts = list(paragraph.iter(_TEXT))
        if not had or not texts or not "".join(had).strip():
            continue
        joined = "".join(had)
        lead, trail = joined[: len(joined) - len(joined.lstrip(" \t"))], joined[len(joined.rstrip(" \t")) :]
        first, last = texts[0], texts[-1]
        if lead and not (first.text or "").startswith(lead):
            first.text = lead + (first.text or "").lstrip(" \t")
            changed = True
        if trail and not (last.text or "").endswith(trail):
            last.text = (last.text or "").rstrip(" \t") + trail
            changed = True
    if not changed:
        return None
    return bytes(etree.tostring(after, xml_declaration=True, encoding="UTF-8", standalone=True))
