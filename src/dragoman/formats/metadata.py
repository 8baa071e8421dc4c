"""Text of an Office package that is not in its body's markup: its title, subject and description
(the package's properties), and images' alternative text. A reader sees them in the file's
properties, in a search result's title, or read aloud by a screen reader.

- Word, PowerPoint and Excel: `docProps/core.xml` `dc:title`, `dc:subject`, `dc:description`;
  alternative text in `descr` attributes of drawing objects (`wp:docPr`, and `*:cNvPr` of pictures
  and shapes) of `word/document.xml` and of each slide;
- OpenDocument (text, presentations, spreadsheets): `meta.xml` `dc:title`, `dc:subject`,
  `dc:description`; `svg:desc` of frames is body markup, left to the converter.

Each text is one plain-text segment. The parts are read with lxml (no entities resolved, no
network, no DTD) and written back with only those texts changed, in the translated package (whose
body the converter rewrote, with the same drawing objects in the same order). Sources: ECMA-376
Part 2 (core properties), Part 1 §20.4.2.5 (docPr) and §19.3.1.12 (cNvPr); OpenDocument 1.3 §4.3.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from dragoman.formats.packages import with_members
from dragoman.formats.parts import natural_order
from dragoman.formats.unlisted_slides import listed_slides
from dragoman.formats.wordruns import KEPT_TEXT

__all__ = ["MetadataText", "extract_metadata", "inject_metadata"]

_DC = "http://purl.org/dc/elements/1.1/"
_PROPERTIES = {
    "docx": "docProps/core.xml",
    "pptx": "docProps/core.xml",
    "xlsx": "docProps/core.xml",
    "odt": "meta.xml",
    "odp": "meta.xml",
    "ods": "meta.xml",
}
_DESCRIBED = {
    "docx": re.compile(r"^word/document\.xml$"),
    "pptx": re.compile(r"^ppt/slides/slide\d+\.xml$"),
}
_FIELDS = ("title", "subject", "description")
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_BODY = "word/document.xml"
_LIST_KINDS = frozenset({f"{{{_W}}}dropDownList", f"{{{_W}}}comboBox"})
# A list's shown value is hidden from the converter by wordruns.py until the package is restored;
# read from either name.
_SHOWN_TEXT = (f"{{{_W}}}t", KEPT_TEXT)
# An image's "alternative text" that is only its file name, as python-pptx and older Office write it:
# nothing for a reader, and nothing to translate.
_FILE_NAME = re.compile(r"^[\w .-]+\.(?:png|jpe?g|gif|bmp|svg|emf|wmf|tiff?|webp|heic)$", re.IGNORECASE)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@dataclass(frozen=True, slots=True)
class MetadataText:
    """One text: the package member holding it, which one it is there (`property` name, or the
    index of the described object), and the text."""

    member: str
    where: str
    text: str


def extract_metadata(data: bytes, transfuse_format: str) -> list[MetadataText]:
    """The package's property and alternative texts that hold any text, in a stable order."""
    found: list[MetadataText] = []
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        names = package.namelist()
        properties = _PROPERTIES.get(transfuse_format)
        if properties in names:
            root = _parse(package.read(properties))
            if root is not None:
                for name in _FIELDS:
                    element = root.find(f".//{{{_DC}}}{name}")
                    if element is not None and (element.text or "").strip():
                        found.append(MetadataText(properties, name, element.text or ""))
        if transfuse_format == "docx" and _BODY in names:  # drop-down lists' items, and what each shows
            root = _parse(package.read(_BODY))
            for number, control in enumerate(_lists(root) if root is not None else []):
                for index, item in enumerate(control.items):
                    text = _item_text(item)
                    if text.strip():
                        found.append(MetadataText(_BODY, f"item {number} {index}", text))
                shown = control.text
                if shown.strip() and shown not in (_item_text(item) for item in control.items):  # a combo box's own
                    found.append(MetadataText(_BODY, f"shown {number}", shown))
        described = _DESCRIBED.get(transfuse_format)
        listed = listed_slides(data) if transfuse_format == "pptx" else None  # an unlisted slide: no reader
        for member in sorted((name for name in names if described and described.match(name)), key=natural_order):
            if listed is not None and member not in listed:
                continue
            root = _parse(package.read(member))
            if root is None:
                continue
            for index, element in enumerate(_described(root)):
                text = element.get("descr") or ""
                if text.strip() and not _FILE_NAME.match(text.strip()):
                    found.append(MetadataText(member, str(index), text))
    return found


def inject_metadata(data: bytes, texts: Sequence[MetadataText], translations: Sequence[str]) -> bytes:
    """Package `data` with each text replaced by its translation (in `texts`' order)."""
    by_member: dict[str, list[tuple[MetadataText, str]]] = {}
    for text, translation in zip(texts, translations, strict=True):
        by_member.setdefault(text.member, []).append((text, translation))
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        replaced = {member: _rewrite(source.read(member), changes) for member, changes in by_member.items()}
    return with_members(data, replaced)


def _rewrite(content: bytes, changes: list[tuple[MetadataText, str]]) -> bytes:
    root = _parse(content)
    if root is None:
        return content
    described = list(_described(root))
    lists = list(_lists(root))
    for text, translation in changes:
        if text.where.startswith(("item ", "shown ")):
            _rewrite_list(lists, text, translation)
        elif text.where in _FIELDS:
            element = root.find(f".//{{{_DC}}}{text.where}")
            if element is not None:
                element.text = translation
        elif int(text.where) < len(described):
            described[int(text.where)].set("descr", translation)
    declaration = content.lstrip().startswith(b"<?xml")
    return bytes(etree.tostring(root, xml_declaration=declaration, encoding="UTF-8", standalone=True))


@dataclass(frozen=True, slots=True)
class _ListControl:
    """A drop-down list or combo box content control: its items, and the text elements of what it
    shows."""

    items: list[etree._Element]
    shown: list[etree._Element]

    @property
    def text(self) -> str:
        return "".join(element.text or "" for element in self.shown)

    def show(self, text: str) -> None:
        for number, element in enumerate(self.shown):
            element.text = text if number == 0 else ""


def _lists(root: etree._Element) -> list[_ListControl]:
    """Each drop-down list or combo box content control of a Word part, in document order."""
    found = []
    for control in root.iter(f"{{{_W}}}sdt"):
        properties, content = control.find(f"{{{_W}}}sdtPr"), control.find(f"{{{_W}}}sdtContent")
        if properties is None or content is None:
            continue
        kind = next((element for element in properties if element.tag in _LIST_KINDS), None)
        if kind is not None:
            found.append(_ListControl(kind.findall(f"{{{_W}}}listItem"), list(content.iter(*_SHOWN_TEXT))))
    return found


def _item_text(item: etree._Element) -> str:
    """What a list item shows: its display text, else its value (ECMA-376 Part 1 §17.5.2.21)."""
    return item.get(f"{{{_W}}}displayText") or item.get(f"{{{_W}}}value") or ""


def _rewrite_list(lists: list[_ListControl], text: MetadataText, translation: str) -> None:
    """Set an item's display text to its translation (its value, which a program reads, stays), and
    what the control shows when it showed that item; or a combo box's own text."""
    kind, number, *index = text.where.split()
    if int(number) >= len(lists):
        return
    control = lists[int(number)]
    if kind == "shown":
        control.show(translation)
    elif int(index[0]) < len(control.items):
        item = control.items[int(index[0])]
        if control.text == _item_text(item):
            control.show(translation)
        item.set(f"{{{_W}}}displayText", translation)


def _described(root: etree._Element) -> list[etree._Element]:
    """Drawing objects that may carry alternative text, in document order."""
    return [
        element
        for element in root.iter()
        if isinstance(element.tag, str) and etree.QName(element).localname in ("docPr", "cNvPr")
    ]


def _parse(content: bytes) -> etree._Element | None:
    try:
        return etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError:
        return None
