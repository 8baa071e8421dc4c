"""Excel workbooks (`.xlsx`) taken apart in-process with lxml: the text of every string cell is
translated; numbers, formulas, dates, styles, charts and everything else stay byte for byte.

A workbook keeps its cells' text in the shared strings table (`xl/sharedStrings.xml`, each `<si>`
one string, shared by every cell showing it) and, rarely, in the cells themselves (`<is>` of a cell
of type `inlineStr` in a sheet). Each such string with a letter in it is one segment. A
string of several formatted runs (`<r>`, rich text) is sent whole, each run's text in a word-bound
blank of its own (`[[dragoman-run:N]]...[[/]]`), which Apertium carries along with the words it
holds when it reorders them ("The **red** house" comes back "La casa **roja**"); the string is
rebuilt as runs in the translation's order, each with the formatting of the run its words came
from. Sheet names are left as they are
(formulas refer to them). The parts are read with lxml (no entities, no network, no DTD); the
package has been screened (size, members, inflation) before. Source: ECMA-376 Part 1 §18.4
(shared strings), §18.3.1.53 (inline strings).

The parts are found as Excel finds them: the workbook through the package's relationships, its
shared strings and sheets through the workbook's (ECMA-376 Part 2 §9.3), member names compared as
Windows compares them (`xl/SharedStrings.xml`, `xl\\sharedstrings.xml` and `xl/worksheets/Sheet1.xml`
are all written by real tools); by their usual names (`xl/sharedStrings.xml`,
`xl/worksheets/sheet1.xml`) when a package has no such relationships.

Shapes: `take_apart(data) -> (WorkbookSkeleton, segments, characters)`; `rebuild(skeleton,
translated) -> bytes`.
"""

from __future__ import annotations

import copy
import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field

from lxml import etree

from dragoman.errors import DocumentTooLarge
from dragoman.formats.plaintext import escape, unescape
from dragoman.formats.stream import tokens

__all__ = ["WorkbookSkeleton", "rebuild", "take_apart"]

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_SI, _IS, _R, _T, _RUN_PROPERTIES = (f"{{{_MAIN}}}{name}" for name in ("si", "is", "r", "t", "rPr"))
_SHARED = re.compile(r"^xl/sharedstrings\.xml$")  # the usual names, compared as _normal names them
_SHEET = re.compile(r"^xl/worksheets/[^/]+\.xml$")
_RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_RUN_OPEN = re.compile(r"\[\[dragoman-run:(\d+)\]\]")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
# A part holding text is parsed whole (lxml takes about thirty times its size): at most this large,
# so one workbook costs the process about a gigabyte at most, whatever its cells.
MAX_PARSED_PART_BYTES = 32 * 2**20
_INLINE = re.compile(rb"<(?:[\w.-]+:)?is[\s>]")  # a cell's own text (`<is>`, inline string)
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


@dataclass(slots=True)
class WorkbookSkeleton:
    """The workbook, and for each segment the part and string (its position among the part's
    `<si>` or `<is>` elements) it came from."""

    package: bytes
    slots: list[tuple[str, int]] = field(default_factory=list)


def take_apart(data: bytes) -> tuple[WorkbookSkeleton, list[str], int]:
    """The workbook's strings (as engine segments), the skeleton, and the visible characters.
    Raises ValueError when a part holding strings is not well-formed XML."""
    skeleton = WorkbookSkeleton(data)
    segments: list[str] = []
    characters = 0
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for name, shared in _string_parts(package).items():
            content = package.read(name)
            if not shared and not _INLINE.search(content):
                continue  # a sheet whose cells hold no text of their own: never parsed (it can be huge)
            root = _parse(content, name)
            for index, string in enumerate(_strings(root, shared)):
                texts = _run_texts(string)
                visible = "".join(texts)
                if not any(character.isalpha() for character in visible):  # no word: a number, a dash
                    continue
                skeleton.slots.append((name, index))
                if len(texts) == 1 and not string.findall(_R):
                    segments.append(escape(texts[0]))
                else:
                    segments.append("".join(f"[[dragoman-run:{n}]]{escape(text)}[[/]]" for n, text in enumerate(texts)))
                characters += len(visible.strip())
    return skeleton, segments, characters


def rebuild(skeleton: WorkbookSkeleton, translated: list[str]) -> bytes:
    """The workbook with each string replaced by its translation (segments already unprotected)."""
    if len(translated) != len(skeleton.slots):
        raise ValueError("one translation is needed per string")
    by_part: dict[str, dict[int, str]] = {}
    with zipfile.ZipFile(io.BytesIO(skeleton.package)) as package:
        parts = _string_parts(package)
    for (name, index), segment in zip(skeleton.slots, translated, strict=True):
        by_part.setdefault(name, {})[index] = segment
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(skeleton.package)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            content = source.read(item.filename)
            changes = by_part.get(item.filename)
            if changes:
                root = _parse(content, item.filename)
                for index, string in enumerate(_strings(root, parts[item.filename])):
                    if index in changes:
                        _put(string, changes[index])
                content = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            target.writestr(item, content)
    return out.getvalue()


def _strings(root: etree._Element, shared: bool) -> list[etree._Element]:
    return list(root.iter(_SI if shared else _IS))


def _string_parts(package: zipfile.ZipFile) -> dict[str, bool]:
    """The members holding strings, in the package's order, each with whether it is the shared
    strings table (else a sheet)."""
    members = {_normal(name): name for name in package.namelist()}
    workbook = next((member for kind, member in _related(package, members, "") if kind == "officeDocument"), None)
    related = {
        member: kind == "sharedStrings"
        for kind, member in (_related(package, members, workbook) if workbook is not None else [])
        if kind in ("sharedStrings", "worksheet")
    }
    if not related:
        related = {
            name: bool(_SHARED.match(_normal(name)))
            for name in members.values()
            if _SHARED.match(_normal(name)) or _SHEET.match(_normal(name))
        }
    return {name: related[name] for name in package.namelist() if name in related}


def _related(package: zipfile.ZipFile, members: dict[str, str], part: str) -> list[tuple[str, str]]:
    """(relationship type's last word, member) of each relationship of `part` ("" for the package)
    to a member of the package."""
    folder, _, base = _normal(part).rpartition("/")
    rels = members.get(posixpath.join(folder, "_rels", f"{base}.rels"))
    if rels is None:
        return []
    found = []
    for relationship in _parse(package.read(rels), rels).iter(_RELATIONSHIP):
        target = relationship.get("Target") or ""
        if relationship.get("TargetMode") == "External" or not target:
            continue
        path = target if target.startswith("/") else posixpath.join(folder, target)
        member = members.get(_normal(posixpath.normpath(path)))
        if member is not None:
            found.append(((relationship.get("Type") or "").rsplit("/", 1)[-1], member))
    return found


def _normal(name: str) -> str:
    """A member name as Windows compares it: `/` for `\\`, no leading `/`, any case."""
    return name.replace("\\", "/").lstrip("/").lower()


def _run_texts(string: etree._Element) -> list[str]:
    """The text of each run of a string (one for a plain string)."""
    runs = string.findall(_R)
    if not runs:
        return ["".join(text.text or "" for text in string.findall(_T))]
    return ["".join(text.text or "" for text in run.findall(_T)) for run in runs]


def _put(string: etree._Element, segment: str) -> None:
    """Write a translated segment into a string: a plain string's text, or a rich string's runs
    rebuilt in the translation's order, each with its source run's formatting."""
    runs = string.findall(_R)
    if not runs:
        _set_text(string, unescape(segment))
        return
    pieces = _pieces(segment, len(runs))
    formats = [run.find(_RUN_PROPERTIES) for run in runs]
    for run in runs:
        string.remove(run)
    for offset, (number, text) in enumerate(pieces):
        run = etree.Element(_R)
        properties = formats[number]
        if properties is not None:
            run.append(copy.deepcopy(properties))
        _set_text(run, text)
        string.insert(offset, run)


def _pieces(segment: str, runs: int) -> list[tuple[int, str]]:
    """(source run, text) in the translation's order, neighbours of one run joined; text outside
    every run's blank goes with the run before it (the first, at the start)."""
    pieces: list[tuple[int, str]] = []
    current = 0
    text: list[str] = []

    def flush() -> None:
        if text:
            value = unescape("".join(text))
            if pieces and pieces[-1][0] == current:
                pieces[-1] = (current, pieces[-1][1] + value)
            else:
                pieces.append((current, value))
            text.clear()

    for start, end, kind in tokens(segment):
        token = segment[start:end]
        if kind == "open":
            flush()
            match = _RUN_OPEN.match(token)
            if match is not None and int(match.group(1)) < runs:
                current = int(match.group(1))
        elif kind == "close":
            flush()
        elif kind == "blank":
            continue
        else:
            text.append(token)
    flush()
    return pieces or [(0, "")]


def _set_text(holder: etree._Element, text: str) -> None:
    """Put `text` into the first `<t>` of `holder` (emptying the others), keeping spaces as written."""
    elements = holder.findall(_T)
    if not elements:
        elements = [etree.SubElement(holder, _T)]
    elements[0].text = text
    if text != text.strip():
        elements[0].set(_XML_SPACE, "preserve")
    for extra in elements[1:]:
        extra.text = ""


def _parse(content: bytes, name: str) -> etree._Element:
    """The part, parsed whole; one too large to parse in bounded memory (lxml takes about thirty
    times a part's size) is refused."""
    if len(content) > MAX_PARSED_PART_BYTES:
        raise DocumentTooLarge(
            f"the workbook's part {name!r} holding text is {len(content) // 2**20} MiB once inflated "
            f"(at most {MAX_PARSED_PART_BYTES // 2**20} MiB: translate a workbook of fewer strings at a time)"
        )
    try:
        return etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"{name} is not well-formed XML ({exc})") from None
