"""OpenDocument spreadsheets (`.ods`) taken apart in-process with lxml (Transfuse 0.5.8 reads no
spreadsheets, and as an .odt it would translate numbers and formulas' cached results too).

Translated, each paragraph (`<text:p>`, `<text:h>`) that holds a letter:
- of a cell whose value is text (`office:value-type="string"`) and that is not a formula's result
  (no `table:formula`): a formula, a number, a date, a percentage, a currency amount or a boolean
  is left as it is, its cached display text included;
- of a comment (`<office:annotation>`) and of a drawing or text box (`<draw:...>`) on a sheet;
- of the page headers and footers of the master pages (`styles.xml`).
A paragraph's formatting (`<text:span>`) and links (`<text:a>`) travel with their words
(`inline_markup`); fields (sheet name, page number, date) and spacing elements (`<text:s/>`,
`<text:tab/>`) are kept as they are. Sheet names are left as they are (formulas refer to them), and
so is everything else: styles, named ranges, charts' own parts, settings. A translated cell loses
its `office:string-value` (optional: its value is then its paragraphs' text; LibreOffice shows the
attribute rather than the paragraphs when it is there). Formulas' string literals are kept as
written, said in `SpreadsheetSkeleton.warnings` (those equal to a translated cell's text apart: a
lookup of it finds nothing once recalculated). The parts are read with lxml (no entities, no
network, no DTD, no huge trees); the package has been screened (size, members, inflation) before.
Source: OpenDocument 1.3 Part 3 §9.1.4 (table cells), §19.385 (office:string-value) and
office:value-type, §14.1 (master pages), §14.7 (headers and footers).

Shapes: `take_apart(data) -> (SpreadsheetSkeleton, segments, characters)`; `rebuild(skeleton,
translated) -> bytes`; `SpreadsheetSkeleton.warnings: list[DocumentWarning]`.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

from lxml import etree

from dragoman.domain.specs import DocumentWarning
from dragoman.formats.formulas import literals
from dragoman.formats.inline_markup import InlineText, Kind, fill, to_stream

__all__ = ["SpreadsheetSkeleton", "rebuild", "take_apart"]

_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
_DRAW = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
_CALCEXT = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"
_PARAGRAPHS = (f"{{{_TEXT}}}p", f"{{{_TEXT}}}h")
_CELLS = (f"{{{_TABLE}}}table-cell", f"{{{_TABLE}}}covered-table-cell")
_CARRIED = frozenset({f"{{{_TEXT}}}span", f"{{{_TEXT}}}a"})
_FORMULA, _STRING_VALUE = f"{{{_TABLE}}}formula", f"{{{_OFFICE}}}string-value"
_PARTS = ("content.xml", "styles.xml")
_PARSER_OPTIONS = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False}


@dataclass(slots=True)
class SpreadsheetSkeleton:
    """The package, its parsed parts, and per segment the paragraph it goes into."""

    package: bytes
    parts: dict[str, etree._ElementTree] = field(default_factory=dict)
    slots: list[tuple[etree._Element, InlineText]] = field(default_factory=list)
    warnings: list[DocumentWarning] = field(default_factory=list)  # what is not translated


def take_apart(data: bytes) -> tuple[SpreadsheetSkeleton, list[str], int]:
    """The spreadsheet's texts (as engine segments), the skeleton, and the visible characters.
    Raises ValueError when it has no `content.xml`, or a part is not well-formed XML."""
    skeleton = SpreadsheetSkeleton(data)
    segments: list[str] = []
    characters = 0
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        names = set(package.namelist())
        if "content.xml" not in names:
            raise ValueError("it has no content.xml")
        for name in _PARTS:
            if name not in names:
                continue
            tree = _parse(package.read(name), name)
            skeleton.parts[name] = tree
            for paragraph in _paragraphs(tree.getroot(), name):
                inline = to_stream(paragraph, _kind)
                if not any(character.isalpha() for character in _words(paragraph)):
                    continue
                skeleton.slots.append((paragraph, inline))
                segments.append(inline.segment)
                characters += inline.characters
    skeleton.warnings = _formula_warnings(skeleton)
    return skeleton, segments, characters


def rebuild(skeleton: SpreadsheetSkeleton, translated: list[str]) -> bytes:
    """The spreadsheet with each paragraph replaced by its translation (segments unprotected)."""
    if len(translated) != len(skeleton.slots):
        raise ValueError("one translation is needed per paragraph")
    for (paragraph, inline), segment in zip(skeleton.slots, translated, strict=True):
        fill(paragraph, inline, segment)
        cell = _cell_of(paragraph)
        if cell is not None and _STRING_VALUE in cell.attrib:  # LibreOffice shows it: the value is now the text
            del cell.attrib[_STRING_VALUE]
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(skeleton.package)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():  # `mimetype` first and stored, as it was
            tree = skeleton.parts.get(item.filename)
            if tree is None:
                target.writestr(item, source.read(item.filename))
                continue
            written = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
            target.writestr(item, written if isinstance(written, bytes) else written.encode())
    return out.getvalue()


def _formula_warnings(skeleton: SpreadsheetSkeleton) -> list[DocumentWarning]:
    """Formulas' string literals (`of:=IF([.B2]>1;"The price is high";...)`), kept as written:
    one equal to a translated cell's text no longer finds it once recalculated."""
    content = skeleton.parts.get("content.xml")
    if content is None:
        return []
    translated = {_words(paragraph) for paragraph, _inline in skeleton.slots}
    folded = {text.casefold() for text in translated}
    own: dict[str, None] = {}
    compared: dict[str, None] = {}
    for cell in content.getroot().iter(*_CELLS):
        for value in literals(cell.get(_FORMULA) or ""):
            if any(character.isalpha() for character in value):
                (compared if value.casefold() in folded else own)[value] = None
    warnings = []
    if compared:
        warnings.append(
            DocumentWarning(
                "FormulaNotUpdated",
                f"formulas compare cells with text that is translated ({_examples(compared)}) and are kept as "
                "written: they may find nothing once recalculated",
            )
        )
    if own:
        warnings.append(
            DocumentWarning(
                "FormulaTextNotTranslated",
                f"{len(own)} {'texts' if len(own) > 1 else 'text'} written in formulas "
                f"{'are' if len(own) > 1 else 'is'} not translated ({_examples(own)}): a formula's result "
                "shows them as written",
            )
        )
    return warnings


def _examples(texts: dict[str, None]) -> str:
    return ", ".join(f'"{text}"' for text in list(texts)[:3]) + (" and more" if len(texts) > 3 else "")


def _paragraphs(root: etree._Element, name: str) -> list[etree._Element]:
    """The outermost paragraphs of a part that are translated (see the module's docstring)."""
    found = []
    for paragraph in root.iter(*_PARAGRAPHS):
        if any(ancestor.tag in _PARAGRAPHS for ancestor in paragraph.iterancestors()):
            continue  # inside a paragraph's frame: kept with it
        if _translated(paragraph, name):
            found.append(paragraph)
    return found


def _translated(paragraph: etree._Element, name: str) -> bool:
    if name == "styles.xml":
        return any(ancestor.tag == f"{{{_STYLE}}}master-page" for ancestor in paragraph.iterancestors())
    in_body = False
    for ancestor in paragraph.iterancestors():
        if ancestor.tag == f"{{{_OFFICE}}}annotation" or etree.QName(ancestor).namespace == _DRAW:
            return True
        if ancestor.tag in _CELLS:
            kind = ancestor.get(f"{{{_OFFICE}}}value-type") or ancestor.get(f"{{{_CALCEXT}}}value-type")
            return kind in (None, "string") and ancestor.get(f"{{{_TABLE}}}formula") is None
        in_body = in_body or ancestor.tag == f"{{{_OFFICE}}}body"
    return in_body


def _cell_of(paragraph: etree._Element) -> etree._Element | None:
    """The cell whose text the paragraph is (not a comment's or a drawing's in it), if any."""
    for ancestor in paragraph.iterancestors():
        if ancestor.tag == f"{{{_OFFICE}}}annotation" or etree.QName(ancestor).namespace == _DRAW:
            return None
        if ancestor.tag in _CELLS:
            return ancestor
    return None


def _kind(element: etree._Element) -> Kind:
    return "carry" if element.tag in _CARRIED else "keep"


def _words(paragraph: etree._Element) -> str:
    """The paragraph's text a reader translates: what kept elements hold left out."""
    parts = [paragraph.text or ""]
    for child in paragraph:
        if child.tag in _CARRIED:
            parts.append(_words(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _parse(content: bytes, name: str) -> etree._ElementTree:
    parser = etree.XMLParser(**_PARSER_OPTIONS)  # type: ignore[arg-type]
    try:
        return etree.fromstring(content, parser).getroottree()
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"{name} is not well-formed XML ({exc.msg or 'unreadable'})") from None
