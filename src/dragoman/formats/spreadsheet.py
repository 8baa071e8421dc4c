"""Excel workbooks (`.xlsx`) taken apart in-process with lxml: the text of every string cell is
translated; numbers, dates, styles, charts and everything else stay byte for byte, formulas too
but for what must follow the translated text (below).

A workbook keeps its cells' text in the shared strings table (`xl/sharedStrings.xml`, each `<si>`
one string, shared by every cell showing it) and, rarely, in the cells themselves (`<is>` of a cell
of type `inlineStr` in a sheet). Each such string with a letter in it is one segment. A
string of several formatted runs (`<r>`, rich text) is sent whole, each run's text in a word-bound
blank of its own (`[[dragoman-run:N]]...[[/]]`), which Apertium carries along with the words it
holds when it reorders them ("The **red** house" comes back "La casa **roja**"); the string is
rebuilt as runs in the translation's order, each with the formatting of the run its words came
from. Data validations' input and error messages and written lists are segments too. Sheet names
are left as they are (formulas refer to them). What ties the strings to the rest of the workbook
follows them (`workbook_tables.py`): tables' column names and the structured references naming
them, formulas' literals equal to a translated string's text; what cannot follow is kept and said
in the skeleton's warnings. The parts are read with lxml (no entities, no network, no DTD); the
package has been screened (size, members, inflation) before. Source: ECMA-376 Part 1 §18.4
(shared strings), §18.3.1.53 (inline strings), §18.5 (tables), §18.17 (formulas).

The parts are found as Excel finds them: the workbook through the package's relationships, its
shared strings and sheets through the workbook's (ECMA-376 Part 2 §9.3), member names compared as
Windows compares them (`xl/SharedStrings.xml`, `xl\\sharedstrings.xml` and `xl/worksheets/Sheet1.xml`
are all written by real tools); by their usual names (`xl/sharedStrings.xml`,
`xl/worksheets/sheet1.xml`) when a package has no such relationships.

Shapes: `take_apart(data) -> (WorkbookSkeleton, segments, characters)`; `rebuild(skeleton,
translated) -> bytes`; `WorkbookSkeleton.warnings: list[DocumentWarning]`.
"""

from __future__ import annotations

import copy
import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field

from lxml import etree

from dragoman.domain.specs import DocumentWarning
from dragoman.errors import DocumentTooLarge
from dragoman.formats.plaintext import escape, unescape
from dragoman.formats.stream import tokens
from dragoman.formats.workbook_tables import (
    LIMITS,
    MESSAGES,
    Key,
    SheetScan,
    Table,
    Validation,
    read_table,
    rename_columns,
    rewrite_sheet,
    rewrite_table,
    rewrite_workbook,
    scan_sheet,
    wanted_cells,
)

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
_VALIDATION, _FORMULA1 = f"{{{_MAIN}}}dataValidation", f"{{{_MAIN}}}formula1"
# parts that may name a table and are not rewritten (ECMA-376 Part 1 §18.10 pivot caches, §21.2 charts...)
_ELSEWHERE = re.compile(
    r"^xl/(?:pivotcache|pivottables|charts|querytables|connections|externallinks|slicercaches|slicers|"
    r"timelinecaches|model|customxml)[^/]*(?:/|\.xml$)"
)


Slot = tuple[str, int, str]  # (part, index, what): see WorkbookSkeleton


@dataclass(slots=True)
class WorkbookSkeleton:
    """The workbook, and for each segment where it goes: `(part, index, "")` the string at `index`
    among the part's `<si>` or `<is>` elements; `(sheet, index, attribute)` a message of the
    sheet's `index`th data validation, `(sheet, index, "list:N")` the Nth item of its list. Then
    what ties the strings to the rest of the workbook (`workbook_tables.py`), and the warnings of
    what is not translated (those found putting it back are added by `rebuild`)."""

    package: bytes
    slots: list[Slot] = field(default_factory=list)
    strings: dict[Key, tuple[str, int]] = field(default_factory=dict)  # each string's text, runs (0: plain)
    tables: list[Table] = field(default_factory=list)
    sheets: dict[str, SheetScan] = field(default_factory=dict)  # the sheets that may be rewritten
    validations: dict[tuple[str, int], Validation] = field(default_factory=dict)
    warnings: list[DocumentWarning] = field(default_factory=list)


def take_apart(data: bytes) -> tuple[WorkbookSkeleton, list[str], int]:
    """The workbook's strings and data validations' texts (as engine segments), the skeleton, and
    the visible characters. Raises ValueError when a part holding strings is not well-formed XML,
    DocumentTooLarge when one is too large to parse."""
    skeleton = WorkbookSkeleton(data)
    found: list[tuple[Key, list[str], bool]] = []
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        parts = _string_parts(package)
        for name, shared in parts.items():
            content = package.read(name)
            if not shared and not _INLINE.search(content):
                continue  # a sheet whose cells hold no text of their own: never parsed (it can be huge)
            root = _parse(content, name)
            for index, string in enumerate(_strings(root, shared)):
                texts = _run_texts(string)
                if any(character.isalpha() for character in "".join(texts)):  # else no word: a number, a dash
                    found.append(((name, index), texts, len(texts) > 1 or bool(string.findall(_R))))
        skeleton.strings = {key: ("".join(texts), len(texts) if rich else 0) for key, texts, rich in found}
        kept = _tie(package, parts, skeleton)
    segments: list[str] = []
    characters = 0
    for key, texts, rich in found:
        if key in kept:
            continue
        skeleton.slots.append((*key, ""))
        if not rich:
            segments.append(escape(texts[0]))
        else:
            segments.append("".join(f"[[dragoman-run:{n}]]{escape(text)}[[/]]" for n, text in enumerate(texts)))
        characters += len("".join(texts).strip())
    for (sheet, index), validation in skeleton.validations.items():
        for attribute, text in validation.messages.items():
            if any(character.isalpha() for character in text):
                skeleton.slots.append((sheet, index, attribute))
                segments.append(escape(text.strip()))
                characters += len(text.strip())
        for number, item in enumerate(validation.items or ()):
            if any(character.isalpha() for character in item):
                skeleton.slots.append((sheet, index, f"list:{number}"))
                segments.append(escape(item.strip()))
                characters += len(item.strip())
    return skeleton, segments, characters


def rebuild(skeleton: WorkbookSkeleton, translated: list[str]) -> bytes:
    """The workbook with each string and data validation text replaced by its translation
    (segments already unprotected), its tables' columns and formulas following the strings
    (`workbook_tables.py`). A validation text too long for Excel is kept, said in
    `skeleton.warnings`."""
    if len(translated) != len(skeleton.slots):
        raise ValueError("one translation is needed per string")
    by_part: dict[str, dict[int, str]] = {}
    texts: dict[Key, str] = {}
    validations: dict[tuple[str, int], dict[str, str]] = {}
    for (name, index, what), segment in zip(skeleton.slots, translated, strict=True):
        if what:
            validations.setdefault((name, index), {})[what] = unescape(segment)
            continue
        by_part.setdefault(name, {})[index] = segment
        runs = skeleton.strings[(name, index)][1]
        texts[(name, index)] = "".join(text for _, text in _pieces(segment, runs)) if runs else unescape(segment)
    literal = _literals(skeleton, texts)
    renaming = rename_columns(skeleton.tables, texts)
    recalculate = any(scan.formulas for scan in skeleton.sheets.values()) and any(
        texts[key] != skeleton.strings[key][0] for key in texts
    )
    tables = {table.part: table for table in skeleton.tables}
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(skeleton.package)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        parts = _string_parts(source)
        workbook = _workbook(source)
        for item in source.infolist():
            content = source.read(item.filename)
            name = item.filename
            changes = by_part.get(name)
            scan = skeleton.sheets.get(name)
            rewritten = scan is not None and (
                bool(renaming.cells.get(name))
                or (scan.matched and literal.changes)
                or (scan.brackets and bool(renaming.columns))
                or any(sheet == name for sheet, _ in validations)
            )
            if not (changes or rewritten or name in tables or (name == workbook and (renaming.columns or recalculate))):
                target.writestr(item, content)
                continue
            root = _parse(content, name)
            if changes:
                for index, string in enumerate(_strings(root, parts[name])):
                    if index in changes:
                        _put(string, changes[index])
            if scan is not None and rewritten:
                rewrite_sheet(root, name, literal, renaming, skeleton.tables)
                _put_validations(root, name, validations, skeleton)
            if name in tables:
                rewrite_table(root, name, renaming, literal, tables[name].name)
            if name == workbook:
                rewrite_workbook(root, renaming, literal, recalculate)
            content = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            target.writestr(item, content)
    return out.getvalue()


class _Literals:
    """A formula's string literal to its new text: that of the translated string it equals (as
    written, else in any case, as Excel compares), or None."""

    def __init__(self, changes: dict[str, str]) -> None:
        self.changes = changes
        self._folded: dict[str, str] = {}
        for old, new in changes.items():
            self._folded.setdefault(old.casefold(), new)

    def __call__(self, value: str) -> str | None:
        if not any(character.isalpha() for character in value):
            return None
        new = self.changes.get(value)
        return new if new is not None else self._folded.get(value.casefold())


def _literals(skeleton: WorkbookSkeleton, texts: dict[Key, str]) -> _Literals:
    changes: dict[str, str] = {}
    for key, new in texts.items():
        old = skeleton.strings[key][0]
        if new != old:
            changes.setdefault(old, new)
    return _Literals(changes)


def _tie(package: zipfile.ZipFile, parts: dict[str, bool], skeleton: WorkbookSkeleton) -> set[Key]:
    """Read what ties the workbook's strings to the rest of it into `skeleton` (tables, the
    sheets' formulas and data validations) and its warnings; the strings kept as they are (the
    header cells of tables whose names cannot follow them)."""
    members = {_normal(name): name for name in package.namelist()}
    shared = next((name for name, is_shared in parts.items() if is_shared), None)
    sheets = [name for name, is_shared in parts.items() if not is_shared]
    for sheet in sheets:
        for kind, member in _related(package, members, sheet):
            if kind == "table":
                table = read_table(_parse(package.read(member), member), member, sheet)
                if table is not None:
                    skeleton.tables.append(table)
    known = {text for text, _ in skeleton.strings.values()}
    folded = {text.casefold() for text in known}
    names = {table.name.casefold() for table in skeleton.tables}
    named_in_text: set[str] = set()
    unmatched: dict[str, int] = {}

    def named(value: str) -> None:
        lowered = value.casefold()
        if "[" in lowered:
            named_in_text.update(name for name in names if f"{name}[" in lowered)

    large: list[str] = []
    for sheet in sheets:
        content = package.read(sheet)
        wanted = {cell for table in skeleton.tables if table.sheet == sheet for cell in wanted_cells(table)}
        scan = scan_sheet(
            content, sheet, shared, wanted, lambda value: value in known or value.casefold() in folded,
            unmatched, named,
        )  # fmt: skip
        if len(content) > MAX_PARSED_PART_BYTES:
            large.append(sheet)
            if scan.matched:
                skeleton.warnings.append(
                    DocumentWarning(
                        "FormulaNotUpdated",
                        f"formulas of {sheet} compare cells with text that is translated, but the sheet is too "
                        "large to rewrite: they may find nothing once recalculated",
                    )
                )
            if scan.validations:
                skeleton.warnings.append(
                    DocumentWarning(
                        "ValidationNotTranslated",
                        f"the data validation messages of {sheet} are not translated: the sheet is too large "
                        "to rewrite",
                    )
                )
            scan.matched, scan.validations = False, []
        skeleton.sheets[sheet] = scan
        skeleton.validations.update(((sheet, validation.index), validation) for validation in scan.validations)
    _warn_literals(skeleton, unmatched)
    return _keep_headers(package, skeleton, large, named_in_text)


def _keep_headers(
    package: zipfile.ZipFile, skeleton: WorkbookSkeleton, large: list[str], named_in_text: set[str]
) -> set[Key]:
    """Find each table's header strings; the strings of the headers kept as they are (see
    `workbook_tables.py`), with a warning naming their tables."""
    elsewhere = _named_elsewhere(package, skeleton.tables)
    kept: set[Key] = set()
    for table in skeleton.tables:
        cells = skeleton.sheets[table.sheet].cells
        first = table.area[1]
        table.headers = [
            cells.get((table.header_row, first + offset)) if table.header_row is not None else None
            for offset in range(len(table.columns))
        ]
        table.labels = [
            cells.get((table.totals_row, first + offset)) if table.totals_row is not None and labelled else None
            for offset, labelled in enumerate(table.labelled)
        ]
        for offset, key in enumerate(table.headers):
            if key is None or key not in skeleton.strings:
                table.headers[offset] = None  # not a string translated: the column's name stays
            elif skeleton.strings[key][0] != table.columns[offset]:  # not its name already (an escaped line break...)
                kept.add(key)
                table.headers[offset] = None
        if table.kept or table.header_row is None:
            pass
        elif table.sheet in large:
            table.kept = "its sheet is too large to rewrite"
        elif any(skeleton.sheets[sheet].brackets for sheet in large):
            table.kept = "a sheet too large to rewrite has formulas that may name its columns"
        elif table.name.casefold() in elsewhere:
            table.kept = "another part of the workbook names it (a pivot table, a chart, a connection, a slicer...)"
        elif table.name.casefold() in named_in_text:
            table.kept = "a formula writes its name in a string"
        if table.kept and table.header_row is not None:
            kept.update(key for key in table.headers if key is not None)
    held = [table for table in skeleton.tables if table.kept and any(table.headers)]
    if held:
        reasons = "; ".join(f"{table.name}: {table.kept}" for table in held[:3])
        skeleton.warnings.append(
            DocumentWarning(
                "TableHeaderNotTranslated",
                f"the header cells of {len(held)} {'table is' if len(held) == 1 else 'tables are'} not translated, so "
                f"that the tables' column names still match them ({reasons})",
            )
        )
    return kept


def _named_elsewhere(package: zipfile.ZipFile, tables: list[Table]) -> set[str]:
    """The tables (casefolded names) some part that is not rewritten names: pivot caches, charts,
    connections, query tables, slicers, external links, the data model."""
    if not tables:
        return set()
    names = {table.name.casefold() for table in tables}
    found: set[str] = set()
    for item in package.infolist():
        if not _ELSEWHERE.match(_normal(item.filename)):
            continue
        if item.file_size > MAX_PARSED_PART_BYTES:
            return names  # not read: any table may be named there
        content = package.read(item.filename).decode("utf-8", "replace").casefold()
        found.update(name for name in names if re.search(rf"(?<![\w.]){re.escape(name)}(?:\[|\"|<)", content))
    return found


def _warn_literals(skeleton: WorkbookSkeleton, unmatched: dict[str, int]) -> None:
    if not unmatched:
        return
    examples = ", ".join(f'"{text}"' for text in sorted(unmatched, key=lambda text: -unmatched[text])[:3])
    many = len(unmatched) > 1
    skeleton.warnings.append(
        DocumentWarning(
            "FormulaTextNotTranslated",
            f"{len(unmatched)}{'+' if len(unmatched) >= 1000 else ''} {'texts' if many else 'text'} written in "
            f"formulas {'are' if many else 'is'} not translated ({examples}): a formula's result shows "
            "them as written",
        )
    )


def _put_validations(
    root: etree._Element, sheet: str, translated: dict[tuple[str, int], dict[str, str]], skeleton: WorkbookSkeleton
) -> None:
    """Write a sheet's data validations' translated messages and list items, each within Excel's
    limits (else kept as it was, with a warning)."""
    for index, element in enumerate(root.iter(_VALIDATION)):
        texts = translated.get((sheet, index))
        validation = skeleton.validations.get((sheet, index))
        if not texts or validation is None:
            continue
        too_long = []
        for attribute in MESSAGES:
            if attribute in texts:
                new = _spaced(validation.messages[attribute], texts[attribute])
                if len(new) <= LIMITS[attribute]:
                    element.set(attribute, new)
                else:
                    too_long.append(attribute)
        items = list(validation.items or ())
        for number, item in enumerate(items):
            items[number] = _spaced(item, texts.get(f"list:{number}", item))
        first = element.find(_FORMULA1)
        if validation.items is not None and items != validation.items and first is not None:
            listed = ",".join(items)
            if len(listed) <= LIMITS["list"] and not any("," in item for item in items):
                first.text = '"' + listed.replace('"', '""') + '"'
            else:
                too_long.append("list")
        if too_long:
            skeleton.warnings.append(
                DocumentWarning(
                    "ValidationTextKept",
                    f"a data validation's {', '.join(too_long)} in {sheet} {'is' if len(too_long) == 1 else 'are'} "
                    "kept as written: translated, it would be longer than Excel allows (or a list item would "
                    "hold a comma)",
                )
            )


def _spaced(original: str, text: str) -> str:
    """`text` with the spaces `original` had around it."""
    stripped = original.strip()
    if not stripped:
        return original
    start = original.index(stripped)
    return original[:start] + text + original[start + len(stripped) :]


def _workbook(package: zipfile.ZipFile) -> str | None:
    members = {_normal(name): name for name in package.namelist()}
    return next((member for kind, member in _related(package, members, "") if kind == "officeDocument"), None)


def _strings(root: etree._Element, shared: bool) -> list[etree._Element]:
    return list(root.iter(_SI if shared else _IS))


def _string_parts(package: zipfile.ZipFile) -> dict[str, bool]:
    """The members holding strings, in the package's order, each with whether it is the shared
    strings table (else a sheet)."""
    members = {_normal(name): name for name in package.namelist()}
    workbook = _workbook(package)
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
