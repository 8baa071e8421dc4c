"""The text of spreadsheet formulas, as far as translating a workbook needs to read and rewrite it:
its string literals (`"The red apple"`, a `"` written `""`) and the structured references that
name a table's columns (`Sales[Unit price]`, `Sales[[#This Row],[Unit price]]`, `Sales[@Qty]`,
`[@Qty]` inside the table itself). Everything else (cell references, quoted sheet names
`'My sheet'!A1`, external workbooks `[1]Sheet1!A1`, functions, numbers) is kept character for
character.

A column named in a structured reference is written with `'` before each of `[`, `]`, `#` and
`'`, and inside a second pair of brackets (`Sales[[Net $]]`) when it holds any other character
than letters, digits, `_` and spaces. Sources: ECMA-376 Part 1 §18.17.2 (formula syntax, string
constants), §18.17.6.x and Excel's "Using structured references with Excel tables" (escapes and
the characters needing brackets). OpenFormula (OpenDocument 1.3 Part 4 §5.12) writes string
literals the same way, so `literals` reads an `.ods` formula too.

Shapes: `literals(formula) -> list[str]`; `rewrite(formula, literal, columns, implicit) -> str`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

__all__ = ["escape_column", "literals", "rewrite", "unescape_column"]

_TABLE_NAME = re.compile(r"([^\W\d][\w.\\]*)$")  # a table's name just before its `[`
_PLAIN_COLUMN = re.compile(r"[\w ]+")  # a column name a reference may write without a second pair of brackets
_ESCAPED = frozenset("[]#'")
_MAX_NAME = 255

# (table name casefolded) -> (column name casefolded -> its new name)
Columns = Mapping[str, Mapping[str, str]]


def literals(formula: str) -> list[str]:
    """The values of a formula's string literals, in order (an unterminated one runs to the end)."""
    found: list[str] = []

    def keep(value: str) -> None:
        found.append(value)

    rewrite(formula, keep, {}, None)
    return found


def rewrite(formula: str, literal: Callable[[str], str | None], columns: Columns, implicit: str | None) -> str:
    """`formula` with each string literal whose value `literal` maps to a new text replaced by it,
    and each column of a table that `columns` renames named by its new name. A reference with no
    table name (`[@Qty]`) is to the table `implicit` (casefolded), if any: the table holding the
    formula's cell. A reference after `!` is another workbook's table: kept."""
    out: list[str] = []
    position, length = 0, len(formula)
    while position < length:
        character = formula[position]
        if character == '"':
            end, value = _string(formula, position)
            new = literal(value)
            out.append(formula[position:end] if new is None else '"' + new.replace('"', '""') + '"')
            position = end
        elif character == "'":
            end = _quoted_name(formula, position)
            out.append(formula[position:end])
            position = end
        elif character == "[":
            end = _bracket_end(formula, position)
            group = formula[position:end]
            before = formula[max(0, position - _MAX_NAME - 1) : position]  # a table's name is at most 255 long
            named = _TABLE_NAME.search(before)
            table = named.group(1).casefold() if named else implicit
            external = named is not None and before[: named.start()].endswith("!")
            renames = columns.get(table) if table is not None and not external else None
            out.append(_renamed(group, renames) if renames else group)
            position = end
        else:
            out.append(character)
            position += 1
    return "".join(out)


def escape_column(name: str) -> str:
    """A column's name as a structured reference writes it: `'` before `[`, `]`, `#` and `'`."""
    return "".join("'" + character if character in _ESCAPED else character for character in name)


def unescape_column(written: str) -> str:
    """A column's name from a structured reference: each `'` escape dropped."""
    return re.sub(r"'(.)", r"\1", written, flags=re.DOTALL)


def _string(formula: str, start: int) -> tuple[int, str]:
    """(end, value) of the string literal opening at `start`."""
    value: list[str] = []
    position = start + 1
    while position < len(formula):
        if formula[position] == '"':
            if formula.startswith('"', position + 1):
                value.append('"')
                position += 2
                continue
            return position + 1, "".join(value)
        value.append(formula[position])
        position += 1
    return position, "".join(value)


def _quoted_name(formula: str, start: int) -> int:
    position = start + 1
    while position < len(formula):
        if formula[position] == "'":
            if formula.startswith("'", position + 1):
                position += 2
                continue
            return position + 1
        position += 1
    return position


def _bracket_end(formula: str, start: int) -> int:
    """The end of the bracketed group opening at `start` (nested groups within; `'` escapes)."""
    depth, position = 0, start
    while position < len(formula):
        character = formula[position]
        if character == "'":
            position += 2
            continue
        if character == "[":
            depth += 1
        elif character == "]":
            depth -= 1
            if depth == 0:
                return position + 1
        position += 1
    return len(formula)


def _renamed(group: str, renames: Mapping[str, str]) -> str:
    """A structured reference's bracketed group with its renamed columns' new names."""
    inner = group[1:-1] if group.endswith("]") else group[1:]
    closing = "]" if group.endswith("]") else ""
    if "[" in _unescaped(inner):
        return "[" + _renamed_items(inner, renames) + closing
    at = "@" if inner.startswith("@") else ""
    name = inner[len(at) :]
    new = renames.get(unescape_column(name).casefold()) if name and not name.startswith("#") else None
    if new is None:
        return group
    written = escape_column(new)
    if _PLAIN_COLUMN.fullmatch(new):
        return "[" + at + written + closing
    return "[" + at + "[" + written + "]" + closing


def _renamed_items(inner: str, renames: Mapping[str, str]) -> str:
    """The items of a group of groups (`[#This Row],[Unit price]`), each column renamed."""
    out: list[str] = []
    position = 0
    while position < len(inner):
        if inner[position] == "[":
            end = _bracket_end(inner, position)
            item = inner[position + 1 : end - 1]
            new = renames.get(unescape_column(item).casefold()) if not item.startswith("#") else None
            out.append(inner[position:end] if new is None else "[" + escape_column(new) + "]")
            position = end
        else:
            out.append(inner[position])
            position += 1
    return "".join(out)


def _unescaped(text: str) -> str:
    """`text` without its `'`-escaped characters."""
    return re.sub(r"'.", "", text, flags=re.DOTALL)
