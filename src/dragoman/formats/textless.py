"""Whether a package holds no paragraph at all where Transfuse reads it: a presentation of charts and
pictures only, or without a slide (a template, its layouts only), a Word document with an empty
body. Transfuse refuses such a package ("XPath found zero a:p elements") as if it were broken; it
is a document with nothing to translate.

Shape: `lacks_paragraphs(data, transfuse_format) -> bool`; never raises (a package it cannot read
is not called textless: the converter's own error stands).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from io import BytesIO
from typing import IO

from lxml import etree

__all__ = ["lacks_paragraphs"]

_DRAWING_P = "{http://schemas.openxmlformats.org/drawingml/2006/main}p"
_WORD_P = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}p"
_ODF_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_MAX_SLIDES = 100_000


def lacks_paragraphs(data: bytes, transfuse_format: str) -> bool:
    """True when the parts Transfuse reads for `transfuse_format` (pptx: slides `slide1.xml`,
    `slide2.xml`, ... up to the first gap; docx: `word/document.xml`; odt/odp: `content.xml`) hold
    no paragraph element at all. False when they hold one, for any other format, and when the
    package or a part cannot be read. Parts are streamed, and the look stops at the first paragraph."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            names = set(archive.namelist())
            if transfuse_format == "pptx":
                slides = list(_numbered_slides(names))
                return not any(_holds(archive, name, _DRAWING_P) for name in slides)  # no slide: none
            if transfuse_format == "docx":
                return "word/document.xml" in names and not _holds(archive, "word/document.xml", _WORD_P)
            if transfuse_format in ("odt", "odp"):
                return "content.xml" in names and not any(
                    _holds(archive, "content.xml", f"{{{_ODF_TEXT}}}{tag}") for tag in ("p", "h")
                )
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, etree.LxmlError, RuntimeError):
        return False
    return False


def _numbered_slides(names: set[str]) -> Iterator[str]:
    for number in range(1, _MAX_SLIDES):
        name = f"ppt/slides/slide{number}.xml"
        if name not in names:
            return
        yield name


def _holds(archive: zipfile.ZipFile, name: str, tag: str) -> bool:
    """Whether part `name` has an element `tag` (Clark notation); an empty part has none."""
    if archive.getinfo(name).file_size == 0:
        return False
    with archive.open(name) as part:
        return any(True for _ in _elements(part, tag))


def _elements(part: IO[bytes], tag: str) -> Iterator[object]:
    for _, element in etree.iterparse(
        part, events=("end",), tag=tag, resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False
    ):
        yield element
        return
