"""Formulas' string literals and structured references, read and rewritten (formats/formulas.py)."""

from __future__ import annotations

import pytest

from dragoman.formats.formulas import escape_column, literals, rewrite, unescape_column

RENAMED = {"sales": {"unit price": "Precio de unidad", "qty": "Cantidad", "net": "Neto [€]"}}


def upper(value: str) -> str | None:
    return value.upper() if value.startswith("The") else None


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("SUM(Sales[Unit price])", "SUM(Sales[Precio de unidad])"),
        ("SUM(sales[UNIT PRICE])", "SUM(sales[Precio de unidad])"),  # names are compared in any case
        ("Sales[[#This Row],[Unit price]]*2", "Sales[[#This Row],[Precio de unidad]]*2"),
        ("Sales[[#Headers],[Qty]:[Unit price]]", "Sales[[#Headers],[Cantidad]:[Precio de unidad]]"),
        ("Sales[@Qty]+[@[Unit price]]", "Sales[@Cantidad]+[@[Precio de unidad]]"),  # [@...]: the formula's own table
        ("SUM(Sales[Net])", "SUM(Sales[[Neto '[€']]])"),  # escaped, and in a second pair of brackets
        ("[Book.xlsx]Prices!Sales[Qty]+Other!Sales[Qty]", "[Book.xlsx]Prices!Sales[Qty]+Other!Sales[Qty]"),
        ("'It''s [Qty]'!A1&Sales[Qty]", "'It''s [Qty]'!A1&Sales[Cantidad]"),  # a quoted sheet name is kept
        ('INDIRECT("Sales[Qty]")&Sales[Qty]', 'INDIRECT("Sales[Qty]")&Sales[Cantidad]'),  # text is not a reference
        ("Costs[Qty]", "Costs[Qty]"),  # another table
        ('VLOOKUP("The red apple",A2:B3,2,FALSE)', 'VLOOKUP("THE RED APPLE",A2:B3,2,FALSE)'),
        ('"The ""big"" one"&"a"', '"THE ""BIG"" ONE"&"a"'),
    ],
)
def test_literals_and_renamed_columns_are_rewritten_and_nothing_else(formula: str, expected: str) -> None:
    assert rewrite(formula, upper, RENAMED, "sales") == expected


def test_a_reference_without_a_table_is_left_alone_outside_a_table() -> None:
    assert rewrite("[@Qty]*2", upper, RENAMED, None) == "[@Qty]*2"


def test_literals_are_read_with_their_doubled_quotes() -> None:
    assert literals('IF(A1="Yes";"Say ""hi""";[.B2])&"') == ["Yes", 'Say "hi"', ""]


def test_a_column_name_is_escaped_and_unescaped_as_excel_writes_it() -> None:
    assert escape_column("#Items [it's]") == "'#Items '[it''s']"
    assert unescape_column(escape_column("#Items [it's]")) == "#Items [it's]"
