"""DrawingML text (PowerPoint slides and notes, and the charts of any package) rewritten, without
changing what it shows, into the shape Transfuse can read.

Transfuse 0.5.8 (Debian's) dies of a segmentation fault on an empty text element (`<a:t/>`) in a
paragraph of several texts, as Word's (wordruns.py); python-pptx writes one for a run whose text is
"" (its test files dml-line.pptx and shp-autoshape-props.pptx). Such a run shows nothing and is
removed, unless it is its paragraph's only text: a paragraph of one text Transfuse reads, and the
run gives the empty line its height. Only the members Transfuse reads (slides, notes, charts) are
touched, when one holds an empty text element, and only up to `_MAX_PART_BYTES`.

Shapes: `drop_empty_runs(package) -> package` (the same bytes when nothing needs it).
"""

from __future__ import annotations

import re
import zipfile
from io import BytesIO

from lxml import etree

from dragoman.formats.packages import with_members

__all__ = ["drop_empty_runs"]

_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_PARAGRAPH, _RUN, _TEXT = f"{{{_A}}}p", f"{{{_A}}}r", f"{{{_A}}}t"
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
