"""What ties a workbook's cells to the rest of it follows their translation: tables' column names
and the structured references naming them, formulas' literals, data validations
(formats/workbook_tables.py, through formats/spreadsheet.py's take_apart and rebuild). Built with
openpyxl; translated by a table of translations (the real engine: test_spreadsheet.py)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import openpyxl
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table

from dragoman.formats.plaintext import escape, unescape
from dragoman.formats.spreadsheet import rebuild, take_apart
from tests.office import with_members


def edited(package: bytes, edits: dict[str, Callable[[bytes], bytes]]) -> bytes:
    """`package` with some members' content changed."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(out, "w") as copy:
        for member in source.infolist():
            content = source.read(member)
            copy.writestr(member, edits[member.filename](content) if member.filename in edits else content)
    return out.getvalue()


def translated(data: bytes, words: dict[str, str]) -> tuple[bytes, list[str]]:
    """The workbook translated with `words` (a segment not in it is kept), and the warnings."""
    skeleton, segments, _ = take_apart(data)
    out = rebuild(skeleton, [escape(words.get(unescape(segment), unescape(segment))) for segment in segments])
    return out, [warning.code for warning in skeleton.warnings]


def saved(book: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sales(headers: list[str]) -> openpyxl.Workbook:
    """A table "Sales" with these headers over two rows, summed on a second sheet."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(headers)
    sheet.append(["The red apple", 1.5, 3])
    sheet.append(["The green pear", 2, 5])
    table = Table(displayName="Sales", ref=f"A1:{chr(64 + len(headers))}3")
    sheet.add_table(table)
    return book


def column_names(data: bytes) -> list[str]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [column.name for column in book.worksheets[0].tables["Sales"].tableColumns]


def test_a_tables_column_names_follow_its_header_cells_and_references_follow_the_names() -> None:
    # Given a table whose columns are named in formulas on another sheet, in a defined name and in
    # a calculated column
    book = sales(["Product name", "Unit price", "Quantity"])
    totals = book.create_sheet("Totals")
    totals["A1"] = "=SUM(Sales[Unit price])"
    totals["A2"] = "=SUM(Sales[[#Data],[Quantity]])"
    book.defined_names["Prices"] = DefinedName("Prices", attr_text="Sales[Unit price]")
    data = edited(
        saved(book),
        {
            "xl/tables/table1.xml": lambda xml: xml.replace(
                b'name="Quantity"/>',
                b'name="Quantity"><calculatedColumnFormula>Sales[[#This Row],[Unit price]]*2</calculatedColumnFormula>'
                b"</tableColumn>",
            )
        },
    )
    # When its headers are translated
    out, warnings = translated(
        data, {"Product name": "Nombre de producto", "Unit price": "Precio [€]", "Quantity": "Cantidad"}
    )
    # Then its columns have the header cells' texts as names, and every reference follows them
    result = openpyxl.load_workbook(io.BytesIO(out))
    assert [cell.value for cell in result.worksheets[0][1]] == ["Nombre de producto", "Precio [€]", "Cantidad"]
    assert column_names(out) == ["Nombre de producto", "Precio [€]", "Cantidad"]
    assert result["Totals"]["A1"].value == "=SUM(Sales[[Precio '[€']]])"
    assert result["Totals"]["A2"].value == "=SUM(Sales[[#Data],[Cantidad]])"
    assert result.defined_names["Prices"].attr_text == "Sales[[Precio '[€']]]"
    table = zipfile.ZipFile(io.BytesIO(out)).read("xl/tables/table1.xml").decode()
    assert "<calculatedColumnFormula>Sales[[#This Row],[Precio '[€']]]*2</calculatedColumnFormula>" in table
    assert warnings == []


def test_two_columns_translated_alike_are_told_apart_in_their_names_and_header_cells() -> None:
    # Given two headers the engine translates alike, and a third already named like them
    book = sales(["First name", "Given name", "Nombre"])
    data = saved(book)
    # When they are translated
    out, _ = translated(data, {"First name": "Nombre", "Given name": "Nombre"})
    # Then the names stay unique, as Excel makes them, and each header cell shows its column's name
    names = column_names(out)
    assert names == ["Nombre2", "Nombre3", "Nombre"]
    assert [cell.value for cell in openpyxl.load_workbook(io.BytesIO(out)).worksheets[0][1]] == names


def test_a_table_another_part_names_keeps_its_headers_and_says_so() -> None:
    # Given a table a pivot cache is built from (its fields are the headers' names)
    data = with_members(
        saved(sales(["Product name", "Unit price", "Quantity"])),
        {"xl/pivotCache/pivotCacheDefinition1.xml": b'<pivotCacheDefinition><cacheSource type="worksheet">'
         b'<worksheetSource name="Sales"/></cacheSource></pivotCacheDefinition>'},
    )  # fmt: skip
    # When it is translated
    out, warnings = translated(data, {"Product name": "Nombre de producto", "The red apple": "La manzana roja"})
    # Then its headers and names are kept, its other cells translated, and a warning says why
    assert column_names(out) == ["Product name", "Unit price", "Quantity"]
    sheet = openpyxl.load_workbook(io.BytesIO(out)).worksheets[0]
    assert (sheet["A1"].value, sheet["A2"].value) == ("Product name", "La manzana roja")
    assert warnings == ["TableHeaderNotTranslated"]


def test_lookup_literals_follow_the_cells_they_compare_with_and_other_literals_are_said() -> None:
    # Given formulas that look up text in cells, and one whose literals are its own results
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A1"], sheet["A2"], sheet["B1"], sheet["B2"] = "The red apple", "Yes", 1.5, "No"
    sheet["C1"] = '=VLOOKUP("The red apple",A1:B2,2,FALSE)'
    sheet["C2"] = '=COUNTIF(A1:A2,"yes")'  # Excel compares in any case
    sheet["C3"] = '=IF(B1>1,"The price is high","The price is low")'
    data = edited(saved(book), {"xl/worksheets/sheet1.xml": lambda xml: xml.replace(b"<v></v>", b"<v>stale</v>")})
    # When the cells are translated
    out, warnings = translated(data, {"The red apple": "La manzana roja", "Yes": "Sí", "No": "No"})
    # Then the literals equal to them are translated alike, their stale results dropped and the
    # workbook recalculated on opening; the others are kept, with a warning
    sheet_xml = zipfile.ZipFile(io.BytesIO(out)).read("xl/worksheets/sheet1.xml").decode()
    assert '<f>VLOOKUP("La manzana roja",A1:B2,2,FALSE)</f></c>' in sheet_xml
    assert '<f>COUNTIF(A1:A2,"Sí")</f></c>' in sheet_xml
    assert '"The price is high","The price is low")</f><v>stale</v>' in sheet_xml
    assert 'fullCalcOnLoad="1"' in zipfile.ZipFile(io.BytesIO(out)).read("xl/workbook.xml").decode()
    assert warnings == ["FormulaTextNotTranslated"]
    [warning] = take_apart(data)[0].warnings
    assert '2 texts written in formulas are not translated ("The price is high", "The price is low")' in warning.message


def validated(prompt: str) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A1"] = "The answer"
    validation = DataValidation(
        type="list", formula1='"Yes,No"', promptTitle="Choose", prompt=prompt, errorTitle="Wrong", error="Not listed."
    )
    sheet.add_data_validation(validation)
    validation.add("A2:A3")
    return saved(book)


def test_data_validation_messages_and_list_items_are_translated_within_excels_limits() -> None:
    words = {"Choose": "Escoger", "Wrong": "Incorrecto", "Not listed.": "No listado.", "Yes": "Sí", "No": "No"}
    out, warnings = translated(validated("Choose one."), {**words, "Choose one.": "Escoge uno."})
    validation = openpyxl.load_workbook(io.BytesIO(out)).worksheets[0].data_validations.dataValidation[0]
    assert (validation.promptTitle, validation.prompt) == ("Escoger", "Escoge uno.")
    assert (validation.errorTitle, validation.error, validation.formula1) == ("Incorrecto", "No listado.", '"Sí,No"')
    assert warnings == []
    # a translation longer than Excel allows keeps the original, and is said
    out, warnings = translated(validated("Choose one."), {**words, "Choose one.": "x" * 256, "Yes": "Sí, claro"})
    validation = openpyxl.load_workbook(io.BytesIO(out)).worksheets[0].data_validations.dataValidation[0]
    assert (validation.prompt, validation.formula1, validation.promptTitle) == ("Choose one.", '"Yes,No"', "Escoger")
    assert warnings == ["ValidationTextKept"]
