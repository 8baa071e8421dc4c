"""What ties a workbook's cells to the rest of it, read and rewritten so that translating the cells
leaves a workbook Excel opens without repairing it (the strings themselves: `spreadsheet.py`).

- Tables (`xl/tables/tableN.xml`, found through each sheet's relationships): a column's name
  (`<tableColumn name=>`) must be the text of its header cell, and unique within the table
  (compared in any case). When a header cell's string is translated the column takes the
  translation as its name; two columns translated alike are told apart as Excel does ("Nombre",
  "Nombre2"), the header cell then showing that name (written as the cell's own string). Every
  structured reference naming a renamed column follows it: in the cells' formulas of every sheet,
  conditional formats and data validations, the tables' calculated and totals-row formulas, and the
  workbook's defined names (`formulas.py`). A totals row's label (`totalsRowLabel`) follows its
  cell too. A table whose names cannot all be followed keeps its header cells as they are (their
  strings are not translated), said in a warning: a query or XML-map table, a table some other part
  names (a pivot cache, a chart, a connection, a slicer...), a formula writing its name in a string
  (`INDIRECT("Sales[Qty]")`), a column whose name was not its header cell's text already, or a
  sheet too large to rewrite.
- Formulas' string literals: a literal equal to the text of a translated string
  (`VLOOKUP("The red apple", ...)`, `COUNTIF(E2:E5, "Yes")`) becomes its translation, so that it
  still matches the cells it is compared with; the formula's cached result (`<v>`) is dropped and
  the workbook recalculated when opened (`fullCalcOnLoad`). Other literals with a word in them
  (`IF(B3>1, "The price is high", ...)`) are kept as written, and said in a warning.
- Data validations: their input and error messages (`promptTitle`, `prompt`, `errorTitle`,
  `error`) and the items of a list written in the validation (`"Yes,No"`) are translated as
  segments; one whose translation is longer than Excel allows (32 characters for a title, 255 for
  a message or a list) or a list item translated with a comma keeps its text, said in a warning.

A sheet is read for all this as a stream of rows (bounded memory whatever its size); one that must
be rewritten is parsed whole, so only if at most `MAX_PARSED_PART_BYTES`. Sources: ECMA-376 Part 1
§18.5 (tables), §18.17 (formulas, structured references), §18.3.1.32 (data validation), §18.2.2
(calcPr); Excel's limits on data validation messages.

Shapes: `read_table(root, part, sheet) -> Table | None`; `scan_sheet(...) -> SheetScan`;
`rename_columns(tables, texts) -> Renaming`; `rewrite_sheet(root, ...)`, `rewrite_table(root, ...)`,
`rewrite_workbook(root, ...)`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from lxml import etree

from dragoman.formats.formulas import literals, rewrite

__all__ = [
    "LIMITS",
    "MESSAGES",
    "Key",
    "Renaming",
    "SheetScan",
    "Table",
    "Validation",
    "read_table",
    "rename_columns",
    "rewrite_sheet",
    "rewrite_table",
    "rewrite_workbook",
    "scan_sheet",
    "wanted_cells",
]

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_ROW, _C, _F, _V, _IS, _T = (f"{{{_MAIN}}}{name}" for name in ("row", "c", "f", "v", "is", "t"))
_VALIDATION, _RULE, _FORMULA = (f"{{{_MAIN}}}{name}" for name in ("dataValidation", "cfRule", "formula"))
_FORMULA1, _FORMULA2 = f"{{{_MAIN}}}formula1", f"{{{_MAIN}}}formula2"
_COLUMN, _FILTER = f"{{{_MAIN}}}tableColumn", f"{{{_MAIN}}}filter"
_COLUMN_FORMULAS = (f"{{{_MAIN}}}calculatedColumnFormula", f"{{{_MAIN}}}totalsRowFormula")
_EXTENSIONS = f"{{{_MAIN}}}extLst"
_NAME, _CALC = f"{{{_MAIN}}}definedName", f"{{{_MAIN}}}calcPr"
_AFTER_CALC = tuple(
    f"{{{_MAIN}}}{name}"
    for name in (
        "oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes", "webPublishing",
        "fileRecoveryPr", "webPublishObjects", "extLst",
    )
)  # fmt: skip
_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")
_ESCAPED_CHARACTER = re.compile(r"_x[0-9A-Fa-f]{4}_")  # how an XML string writes a character it cannot hold
# Excel's longest data validation texts (its dialog allows no more; a longer one it reads as damaged)
LIMITS = {"promptTitle": 32, "errorTitle": 32, "prompt": 255, "error": 255, "list": 255}
MESSAGES = ("promptTitle", "prompt", "errorTitle", "error")
_MAX_DISTINCT = 1000  # literals kept to name in a warning, per workbook

Key = tuple[str, int]  # (part, position of the string among its part's `<si>` or `<is>`)
Position = tuple[int, int]  # (row, column), from 1


@dataclass(slots=True)
class Table:
    """A table: its part, its sheet, its name, its columns' names, and the strings its header
    cells (and totals row labels) show, where they are strings that are translated."""

    part: str
    sheet: str
    name: str
    area: tuple[int, int, int, int]  # first row, first column, last row, last column
    columns: list[str]
    header_row: int | None  # None: no header row
    totals_row: int | None
    labelled: list[bool]  # per column, whether it has a totals row label
    headers: list[Key | None] = field(default_factory=list)
    labels: list[Key | None] = field(default_factory=list)
    kept: str = ""  # why its headers are kept as they are, if they are

    def contains(self, position: Position) -> bool:
        first_row, first_column, last_row, last_column = self.area
        return first_row <= position[0] <= last_row and first_column <= position[1] <= last_column


@dataclass(slots=True)
class Validation:
    """One `<dataValidation>` of a sheet: its messages and its written list's items."""

    index: int
    messages: dict[str, str]
    items: list[str] | None  # None: not a list written in the validation


@dataclass(slots=True)
class SheetScan:
    """What a sheet holds that ties it to its strings: see the module's docstring."""

    cells: dict[Position, Key | None] = field(default_factory=dict)  # the wanted cells, each with its string
    formulas: bool = False
    brackets: bool = False  # a formula that may hold a structured reference
    matched: bool = False  # a literal equal to a translated string's text
    validations: list[Validation] = field(default_factory=list)


@dataclass(slots=True)
class Renaming:
    """What translating the header strings does to the tables."""

    columns: dict[str, dict[str, str]] = field(default_factory=dict)  # table -> old name -> new (casefolded keys)
    names: dict[str, list[str]] = field(default_factory=dict)  # table part -> its columns' names
    labels: dict[str, list[str | None]] = field(default_factory=dict)  # table part -> new totals labels
    cells: dict[str, dict[Position, str]] = field(default_factory=dict)  # sheet -> header cells' own text


def read_table(root: etree._Element, part: str, sheet: str) -> Table | None:
    """The table of a parsed table part, or None for one without a readable area."""
    area = _area(root.get("ref") or "")
    name = root.get("displayName") or root.get("name") or ""
    if area is None or not name:
        return None
    columns = list(root.iter(_COLUMN))
    headers = (root.get("headerRowCount") or "1").strip() != "0"
    totals = (root.get("totalsRowCount") or "0").strip() not in ("", "0")
    table = Table(
        part, sheet, name, area, [column.get("name") or "" for column in columns],
        area[0] if headers else None, area[2] if totals else None,
        [column.get("totalsRowLabel") is not None for column in columns],
    )  # fmt: skip
    if len(columns) != area[3] - area[1] + 1:
        table.kept = "its columns are not those of its area"
    elif root.get("tableType") in ("queryTable", "xml"):
        table.kept = "its columns are those of a query or an XML map"
    return table


def wanted_cells(table: Table) -> list[Position]:
    """The cells of a table whose strings tie to its columns: its header cells and labels."""
    cells = []
    for offset in range(len(table.columns)):
        if table.header_row is not None:
            cells.append((table.header_row, table.area[1] + offset))
        if table.totals_row is not None and table.labelled[offset]:
            cells.append((table.totals_row, table.area[1] + offset))
    return cells


def scan_sheet(
    content: bytes,
    sheet: str,
    shared: str | None,
    wanted: set[Position],
    known: Callable[[str], bool],
    unmatched: dict[str, int],
    named_in_text: Callable[[str], None],
) -> SheetScan:
    """Read a sheet as a stream of rows: the strings of the `wanted` cells (keys into `shared`, the
    shared strings part, or into the sheet's own inline strings), whether it has formulas, may hold
    structured references, or literals `known` (equal to a translated string's text); literals with
    a word that are not are counted in `unmatched`; each literal is shown to `named_in_text` (a
    table named in a string). Raises ValueError for XML that is not well-formed."""
    scan = SheetScan()
    inline = 0
    row_number = 0
    validations = 0

    def formula(text: str) -> None:
        scan.formulas = True
        scan.brackets = scan.brackets or "[" in text
        for value in literals(text) if '"' in text else ():
            named_in_text(value)
            if not any(character.isalpha() for character in value):
                continue
            if known(value):
                scan.matched = True
            elif len(unmatched) < _MAX_DISTINCT or value in unmatched:
                unmatched[value] = unmatched.get(value, 0) + 1

    events = etree.iterparse(
        io.BytesIO(content), events=("end",), tag=(_ROW, _VALIDATION, _RULE),
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
    )  # fmt: skip
    try:
        for _event, element in events:
            if element.tag == _ROW:
                row_number = _row_number(element, row_number)
                column = 0
                for cell in element.iter(_C):
                    position = _position(cell.get("r") or "")
                    column = position[1] if position is not None else column + 1
                    strings = len(cell.findall(_IS))
                    if (row_number, column) in wanted:
                        scan.cells[(row_number, column)] = _key(cell, sheet, shared, inline)
                    inline += strings
                    written = cell.find(_F)
                    if written is not None and written.text:
                        formula(written.text)
            elif element.tag == _RULE:
                for written in element.iter(_FORMULA):
                    formula(written.text or "")
            else:
                scan.validations.append(_validation(element, validations, formula))
                validations += 1
            element.clear()
            while element.getprevious() is not None:
                parent = element.getparent()
                if parent is None:
                    break
                del parent[0]
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"{sheet} is not well-formed XML ({exc})") from None
    return scan


def rename_columns(tables: list[Table], texts: Mapping[Key, str]) -> Renaming:
    """The tables' new column names, given the translated text of each string (`texts`): each
    column whose header string is translated takes its text, made unique within the table."""
    renaming = Renaming()
    for table in tables:
        if table.kept or table.header_row is None:
            continue
        shown = [texts.get(key) if key is not None else None for key in table.headers]
        # the columns whose names stay keep them; the others take theirs in order
        used = {name.casefold() for name, new in zip(table.columns, shown, strict=True) if new in (None, name)}
        names = list(table.columns)
        for offset, new in enumerate(shown):
            if new is None or new == table.columns[offset]:
                continue
            candidate = new if _valid(new) else table.columns[offset]
            name, suffix = candidate, 2
            while name.casefold() in used:
                name, suffix = f"{candidate}{suffix}", suffix + 1
            used.add(name.casefold())
            names[offset] = name
            if name != new:  # the header cell shows the column's name, not its string's translation
                renaming.cells.setdefault(table.sheet, {})[(table.area[0], table.area[1] + offset)] = name
        renaming.names[table.part] = names
        changed = {old.casefold(): new for old, new in zip(table.columns, names, strict=True) if old != new}
        if changed:
            renaming.columns[table.name.casefold()] = changed
        renaming.labels[table.part] = [texts.get(key) if key is not None else None for key in table.labels]
    return renaming


def rewrite_sheet(
    root: etree._Element,
    sheet: str,
    literal: Callable[[str], str | None],
    renaming: Renaming,
    tables: list[Table],
) -> bool:
    """Rewrite a parsed sheet's formulas (literals, renamed columns) and header cells that show
    their column's name; a formula whose literal changed loses its cached result. True if a
    literal changed."""
    changed_literal = False
    mine = [table for table in tables if table.sheet == sheet]
    shared: set[str] = set()
    cells = renaming.cells.get(sheet, {})

    def one(text: str, implicit: str | None) -> tuple[str, bool]:
        touched = False

        def mapped(value: str) -> str | None:
            nonlocal touched
            new = literal(value)
            touched = touched or new is not None
            return new

        return rewrite(text, mapped, renaming.columns, implicit), touched

    row_number = 0
    for row in root.iter(_ROW):
        row_number = _row_number(row, row_number)
        column = 0
        for cell in row.iter(_C):
            position = _position(cell.get("r") or "")
            column = position[1] if position is not None else column + 1
            here = (row_number, column)
            if here in cells:
                _show(cell, cells[here])
            written = cell.find(_F)
            if written is None or not written.text:
                continue
            implicit = next((table.name.casefold() for table in mine if table.contains(here)), None)
            text, touched = one(written.text, implicit)
            written.text = text
            if touched:
                changed_literal = True
                _forget(cell)
                if written.get("t") == "shared" and written.get("si") is not None:
                    shared.add(written.get("si") or "")
    if shared:  # the cells sharing a changed formula hold stale results too
        for cell in root.iter(_C):
            written = cell.find(_F)
            if written is not None and written.get("t") == "shared" and written.get("si") in shared:
                _forget(cell)
    for element in root.iter(_FORMULA, _FORMULA1, _FORMULA2):
        parent = element.getparent()
        if parent is not None and parent.get("type") == "list" and (element.text or "").startswith('"'):
            continue  # a list's items are translated as segments
        if element.text:
            element.text, touched = one(element.text, None)
            changed_literal = changed_literal or touched
    return changed_literal


def rewrite_table(
    root: etree._Element, part: str, renaming: Renaming, literal: Callable[[str], str | None], name: str
) -> None:
    """Rewrite a parsed table part: its columns' names and labels, formulas and filter values."""
    names = renaming.names.get(part)
    labels = renaming.labels.get(part, [])
    for offset, column in enumerate(root.iter(_COLUMN)):
        if names is not None and offset < len(names):
            column.set("name", names[offset])
        if offset < len(labels) and labels[offset] is not None and column.get("totalsRowLabel") is not None:
            column.set("totalsRowLabel", labels[offset] or "")
    for formula in root.iter(*_COLUMN_FORMULAS):
        if formula.text:
            formula.text = rewrite(formula.text, literal, renaming.columns, name.casefold())
    for value in root.iter(_FILTER):
        new = literal(value.get("val") or "")
        if new is not None:
            value.set("val", new)


def rewrite_workbook(
    root: etree._Element, renaming: Renaming, literal: Callable[[str], str | None], recalculate: bool
) -> None:
    """Rewrite a parsed workbook part: its defined names' formulas; with `recalculate`, ask for
    every formula to be recalculated when it is opened (`calcPr fullCalcOnLoad`)."""
    for name in root.iter(_NAME):
        if name.text:
            name.text = rewrite(name.text, literal, renaming.columns, None)
    if not recalculate:
        return
    calculation = root.find(_CALC)
    if calculation is None:
        calculation = etree.Element(_CALC)
        later = next((index for index, child in enumerate(root) if child.tag in _AFTER_CALC), len(root))
        root.insert(later, calculation)
    calculation.set("fullCalcOnLoad", "1")


def _valid(name: str) -> bool:
    """Whether a translated header can be a column's name as written: not blank, no control
    character, nothing an XML string would write escaped (`_x000A_`), not too long."""
    return (
        bool(name.strip())
        and len(name) <= 255
        and not any(ord(character) < 32 for character in name)
        and not _ESCAPED_CHARACTER.search(name)
    )


def _key(cell: etree._Element, sheet: str, shared: str | None, inline: int) -> Key | None:
    kind = cell.get("t")
    if kind == "inlineStr" and cell.find(_IS) is not None:
        return (sheet, inline)
    value = cell.find(_V)
    if kind == "s" and shared is not None and value is not None and (value.text or "").strip().isdigit():
        return (shared, int((value.text or "").strip()))
    return None


def _validation(element: etree._Element, index: int, formula: Callable[[str], None]) -> Validation:
    messages = {name: element.get(name) or "" for name in MESSAGES if element.get(name)}
    items = None
    first = element.find(_FORMULA1)
    text = (first.text or "") if first is not None else ""
    if element.get("type") == "list" and text.startswith('"') and text.endswith('"') and len(text) > 1:
        items = text[1:-1].replace('""', '"').split(",")
    elif text:
        formula(text)
    second = element.find(_FORMULA2)
    if second is not None and second.text:
        formula(second.text)
    return Validation(index, messages, items)


def _show(cell: etree._Element, text: str) -> None:
    """Make a cell show `text` as its own string."""
    for child in list(cell):
        if child.tag in (_V, _IS):
            cell.remove(child)
    cell.set("t", "inlineStr")
    holder = etree.Element(_IS)
    etree.SubElement(holder, _T).text = text
    extension = next((index for index, child in enumerate(cell) if child.tag == _EXTENSIONS), len(cell))
    cell.insert(extension, holder)  # a cell's elements are f, v, is, extLst in this order


def _row_number(row: etree._Element, previous: int) -> int:
    """A row's number: as written, else the one after the previous row's."""
    written = row.get("r") or ""
    return int(written) if written.isdigit() else previous + 1


def _forget(cell: etree._Element) -> None:
    """Drop a formula cell's cached result (recalculated when the workbook is opened)."""
    for value in cell.findall(_V):
        cell.remove(value)


def _position(reference: str) -> Position | None:
    found = _CELL.match(reference)
    if found is None:
        return None
    column = 0
    for letter in found.group(1).upper():
        column = column * 26 + ord(letter) - 64
    return int(found.group(2)), column


def _area(reference: str) -> tuple[int, int, int, int] | None:
    first, _, last = reference.partition(":")
    start, end = _position(first), _position(last or first)
    if start is None or end is None:
        return None
    return start[0], start[1], end[0], end[1]
