"""The XML parts a converter reads, checked well-formed before it runs: a document whose part is cut
short or broken is the document's fault, said so and where, never a converter crash blamed on the
service (Transfuse 0.5.8 segfaults on a truncated `word/document.xml`) nor a slide silently written
back broken.

Each part is read as a stream (lxml's iterparse, elements cleared as they end: memory stays small
whatever the part's size), with no entities resolved, no network and no DTD loaded.

A part that declares a DOCTYPE is refused too: no office application writes one (the Open Packaging
Conventions forbid DTDs), Word refuses to open one, and its entities would stand in for text.

Shape: `check_parts(data, transfuse_format, label)`; raises UndecodableDocument naming the part, or
DocumentTooComplex for a part nested deeper than libxml2 reads (256 levels: past them the converter
stops reading, silently, and the text after would be lost).
"""

from __future__ import annotations

import io
import re
import zipfile

from lxml import etree

from dragoman.errors import DocumentTooComplex, UndecodableDocument

__all__ = ["check_parts"]

_HEAD_BYTES = 4096  # where a DOCTYPE would be: after the XML declaration and comments, before the root
_DOCTYPE = re.compile(rb"(?:\xef\xbb\xbf)?(?:\s|<\?(?:[^?]|\?(?!>))*\?>|<!--(?:[^-]|-(?!->))*-->)*<!DOCTYPE")
# Office Open XML forbids a DTD outright; OpenDocument applications simply never write one
_WHY_NO_DOCTYPE = {
    "docx": " (the Open Packaging Conventions forbid DTDs, ECMA-376 Part 2 'XML usage')",
    "pptx": " (the Open Packaging Conventions forbid DTDs, ECMA-376 Part 2 'XML usage')",
}
_MAX_DEPTH = 256  # libxml2's limit without its "huge" option, which no reader here sets

_PARTS = {
    "docx": re.compile(r"^word/(document|header\d*|footer\d*|footnotes|endnotes|comments)\.xml$"),
    "pptx": re.compile(r"^ppt/(presentation\.xml|slides/slide\d+\.xml|notesSlides/notesSlide\d+\.xml)$"),
    "odt": re.compile(r"^(content|styles)\.xml$"),
    "odp": re.compile(r"^(content|styles)\.xml$"),
}


def check_parts(data: bytes, transfuse_format: str, label: str) -> None:
    """Raise UndecodableDocument if a part the converter reads is not well-formed XML. A package
    that cannot be opened is left for the checks that say so."""
    pattern = _PARTS.get(transfuse_format)
    if pattern is None:
        return
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return
    with package:
        for name in package.namelist():
            if not pattern.match(name):
                continue
            with package.open(name) as part:
                if _DOCTYPE.match(part.read(_HEAD_BYTES)):
                    raise UndecodableDocument(
                        f"the {label} document's part {name!r} declares a DOCTYPE, which office documents never "
                        f"hold{_WHY_NO_DOCTYPE.get(transfuse_format, '')}: it was not written by an office "
                        "application; open and save it again in one"
                    )
            with package.open(name) as part:
                try:
                    for _event, element in etree.iterparse(
                        part, events=("end",), resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
                    ):
                        element.clear()
                except etree.XMLSyntaxError as exc:
                    if "Excessive depth" in str(exc):  # well-formed, deeper than any XML reader here goes
                        raise DocumentTooComplex(
                            f"the {label} document nests elements more than {_MAX_DEPTH} levels deep in its part "
                            f"{name!r}: the converter reads no deeper, and the rest of it would be lost"
                        ) from None
                    line = f" (line {exc.lineno})" if exc.lineno else ""
                    raise UndecodableDocument(
                        f"the {label} document is damaged: its part {name!r} is not well-formed XML{line}; "
                        "open and save it again in its application"
                    ) from None
