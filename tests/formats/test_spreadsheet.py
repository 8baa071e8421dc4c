"""Excel workbooks: string cells translated, everything else kept (formats/spreadsheet.py).
Built with openpyxl, translated by the real engine, read back with openpyxl."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from dragoman.engines.apertium import ApertiumEngine
from dragoman.errors import UndecodableDocument
from dragoman.formats.documents import extract, format_for, format_of_content_type, inject

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def engine() -> Iterator[ApertiumEngine]:
    with ApertiumEngine() as apertium:
        yield apertium


def workbook() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Prices"
    sheet["A1"] = "The cat is black."
    sheet["A2"] = 42
    sheet["A3"] = "=SUM(A2:A2)"
    sheet["A4"] = "https://example.com/cats"
    sheet["B1"] = "The red house"
    sheet["B2"] = "The cat is black."  # shared with A1: translated once
    sheet["C1"] = CellRichText(["The ", TextBlock(InlineFont(b=True), "red"), " house is big."])
    other = book.create_sheet("Notes")
    other["A1"] = "I like dogs."
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_string_cells_are_translated_and_numbers_formulas_and_sheet_names_kept(engine: ApertiumEngine) -> None:
    document = extract(workbook(), format_for("prices.xlsx"))
    # openpyxl writes each cell's text inline (no shared strings): A1 and B2 are two strings
    texts = ["The cat is black."] * 2 + ["The red house", "The red house is big.", "https://example.com/cats"]
    assert document.characters == len("".join(texts)) + len("I like dogs.")
    out = inject(document, engine.translate(document.segments, "en", "es"))
    book = openpyxl.load_workbook(io.BytesIO(out), rich_text=True)
    prices, notes = book["Prices"], book["Notes"]
    assert prices["A1"].value == "El gato es negro." and prices["B2"].value == "El gato es negro."
    assert prices["A2"].value == 42 and prices["A3"].value == "=SUM(A2:A2)"
    assert prices["A4"].value == "https://example.com/cats"
    assert prices["B1"].value == "La casa roja" and notes["A1"].value == "Me gustan los perros."
    assert book.sheetnames == ["Prices", "Notes"]


def test_rich_text_keeps_each_words_formatting_when_the_engine_reorders_them(engine: ApertiumEngine) -> None:
    document = extract(workbook(), format_for("prices.xlsx"))
    out = inject(document, engine.translate(document.segments, "en", "es"))
    cell = openpyxl.load_workbook(io.BytesIO(out), rich_text=True)["Prices"]["C1"].value
    bold = [block.text for block in cell if isinstance(block, TextBlock) and block.font.b]
    assert "".join(str(block) if isinstance(block, str) else block.text for block in cell) == "La casa roja es grande."
    assert [text.strip() for text in bold] == ["roja"]  # "red" was bold: its translation is


def test_xlsx_is_known_by_name_and_content_type_and_a_broken_one_is_refused() -> None:
    assert format_of_content_type(XLSX) == format_for("a.xlsx")
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("xl/sharedStrings.xml", "<sst><si><t>The cat</t></si>")  # not well-formed
    with pytest.raises(UndecodableDocument, match="sharedStrings.xml is not well-formed"):
        extract(broken.getvalue(), format_for("a.xlsx"))


def shared_strings_workbook() -> bytes:
    """A workbook as Excel writes it: cells refer to the shared strings table."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/></Types>'
        ),
        "xl/sharedStrings.xml": (
            f'<sst xmlns="{main}" count="3" uniqueCount="3"><si><t>The cat is black.</t></si>'
            '<si><r><t xml:space="preserve">The </t></r><r><rPr><i/></rPr><t>red</t></r>'
            '<r><t xml:space="preserve"> house</t></r></si><si><t>12</t></si></sst>'
        ),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{main}"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c>'
            '<c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row></sheetData></worksheet>'
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name, content in parts.items():
            package.writestr(name, content)
    return buffer.getvalue()


def test_the_shared_strings_table_is_translated_once_for_every_cell_showing_it(engine: ApertiumEngine) -> None:
    document = extract(shared_strings_workbook(), format_for("book.xlsx"))
    assert document.characters == len("The cat is black.The red house")  # "12" has no word to translate
    out = inject(document, engine.translate(document.segments, "en", "es"))
    table = zipfile.ZipFile(io.BytesIO(out)).read("xl/sharedStrings.xml").decode()
    assert "<t>El gato es negro.</t>" in table and "<t>12</t>" in table
    assert "<i/></rPr><t>roja</t>" in table.replace(' xml:space="preserve"', "")  # the italic follows the word
    sheet = zipfile.ZipFile(io.BytesIO(out)).read("xl/worksheets/sheet1.xml")
    assert sheet == zipfile.ZipFile(io.BytesIO(shared_strings_workbook())).read("xl/worksheets/sheet1.xml")


@pytest.mark.parametrize(
    ("shared", "sheet"),
    [
        ("xl/SharedStrings.xml", "xl/worksheets/Sheet1.xml"),  # as xlrd's test files hold them
        ("xl\\sharedstrings.xml", "xl\\worksheets\\sheet1.xml"),  # as Apache POI's bug 49609 file does
        ("xl/strings.xml", "xl/sheets/first.xml"),  # anywhere the workbook's relationships say
    ],
)
def test_strings_are_found_where_the_workbook_says_whatever_their_members_names(
    shared: str, sheet: str, engine: ApertiumEngine
) -> None:
    # Given a workbook whose parts are named as real tools name them, found through its relationships
    source = zipfile.ZipFile(io.BytesIO(shared_strings_workbook()))
    relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="r1" Type="{relationships}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": "<workbook/>",
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="r1" Type="{relationships}/worksheet" Target="/{sheet.replace(chr(92), "/")}"/>'
            f'<Relationship Id="r2" Type="{relationships}/sharedStrings" Target="{shared[3:].replace(chr(92), "/")}"/>'
            "</Relationships>"
        ),
        shared: source.read("xl/sharedStrings.xml"),
        sheet: source.read("xl/worksheets/sheet1.xml"),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name, content in parts.items():
            package.writestr(name, content)
    # When it is translated, then its shared strings are, in the member they came from
    document = extract(buffer.getvalue(), format_for("book.xlsx"))
    assert len(document.segments) == 2
    out = inject(document, engine.translate(document.segments, "en", "es"))
    assert "<t>El gato es negro.</t>" in zipfile.ZipFile(io.BytesIO(out)).read(shared).decode()


def test_a_workbooks_title_subject_and_description_are_translated_after_its_cells(engine: ApertiumEngine) -> None:
    # Given a workbook whose properties hold text (docProps/core.xml), as .docx and .pptx ones do
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A1"] = "The black cat"
    book.properties.title, book.properties.subject = "The red house", "The big garden"
    book.properties.description = "The white dog"
    buffer = io.BytesIO()
    book.save(buffer)
    # When it is translated
    document = extract(buffer.getvalue(), format_for("a.xlsx"))
    assert document.segments[-3:] == ["The red house", "The big garden", "The white dog"]  # the last segments
    out = openpyxl.load_workbook(io.BytesIO(inject(document, engine.translate(document.segments, "en", "es"))))
    # Then its properties are, its cells too
    assert out.worksheets[0]["A1"].value == "El gato negro"
    properties = out.properties
    assert (properties.title, properties.subject, properties.description) == (
        "La casa roja", "El jardín grande", "El perro blanco",
    )  # fmt: skip


def test_a_sheet_of_shared_strings_only_is_never_parsed_and_a_part_too_large_to_parse_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 7.5 MB workbook of 3.5 million cells pointing at one string took 3.4 GB: its sheet holds no
    text of its own, so it is not read into memory at all; a part that must be is bounded."""
    from dragoman.errors import DocumentTooLarge
    from dragoman.formats import spreadsheet

    rows = "".join(f'<row r="{n}"><c r="A{n}" t="s"><v>0</v></c></row>' for n in range(1, 20_001))
    huge = shared_strings_workbook()  # its sheet made large below
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(huge)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b"<sheetData>", f"<sheetData>{rows}".encode())
            out.writestr(item.filename, content)
    monkeypatch.setattr(spreadsheet, "MAX_PARSED_PART_BYTES", 200_000)  # the sheet is larger: never parsed
    document = extract(buffer.getvalue(), format_for("big.xlsx"))
    assert document.characters == len("The cat is black.The red house")
    document.discard()
    monkeypatch.setattr(spreadsheet, "MAX_PARSED_PART_BYTES", 100)  # the shared strings table must be
    with pytest.raises(DocumentTooLarge, match="sharedStrings.xml"):
        extract(buffer.getvalue(), format_for("big.xlsx"))


def test_a_tables_names_and_lookups_follow_its_translated_cells_through_the_engine(engine: ApertiumEngine) -> None:
    """Red team report 13 §7: the header cells were translated and the table's column names not
    (Excel then repairs the file), and lookups of the translated text found nothing."""
    from openpyxl.worksheet.table import Table

    # Given a table, a formula summing one of its columns, and lookups of its text
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Product name", "Unit price"])
    sheet.append(["The red apple", 1.5])
    sheet.append(["The green pear", 2])
    sheet.add_table(Table(displayName="Sales", ref="A1:B3"))
    sheet["D1"] = "=SUM(Sales[Unit price])"
    sheet["D2"] = '=VLOOKUP("The red apple",A2:B3,2,FALSE)'
    buffer = io.BytesIO()
    book.save(buffer)
    # When it is translated
    document = extract(buffer.getvalue(), format_for("sales.xlsx"))
    out = openpyxl.load_workbook(io.BytesIO(inject(document, engine.translate(document.segments, "en", "es"))))
    # Then the columns are named as their header cells read, and the formulas follow
    translated = out.worksheets[0]
    headers = [cell.value for cell in translated[1]][:2]
    assert headers == ["Nombre de producto", "Precio de unidad"]
    assert [column.name for column in translated.tables["Sales"].tableColumns] == headers
    assert translated["D1"].value == "=SUM(Sales[Precio de unidad])"
    assert translated["D2"].value == '=VLOOKUP("La manzana roja",A2:B3,2,FALSE)'
    assert translated["A2"].value == "La manzana roja"


def test_what_the_workbook_keeps_as_written_is_said_on_the_document(engine: ApertiumEngine) -> None:
    """The handler's own warnings (a formula's text, a validation message too long for Excel once
    translated) reach the document's warnings, which the task carries."""
    from openpyxl.worksheet.datavalidation import DataValidation

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A1"] = "The price"
    sheet["B1"] = '=IF(A2>1,"The price is high","The price is low")'
    title = "Enter the price of the red house"[:32]  # within Excel's 32 characters; its translation is not
    validation = DataValidation(type="decimal", promptTitle=title, prompt="The price of the house.")
    validation.add("A2")
    sheet.add_data_validation(validation)
    buffer = io.BytesIO()
    book.save(buffer)
    document = extract(buffer.getvalue(), format_for("prices.xlsx"))
    assert "FormulaTextNotTranslated" in [warning.code for warning in document.warnings]
    out = openpyxl.load_workbook(io.BytesIO(inject(document, engine.translate(document.segments, "en", "es"))))
    codes = [warning.code for warning in document.warnings]
    assert codes.count("FormulaTextNotTranslated") == 1 and "ValidationTextKept" in codes
    translated = out.worksheets[0]
    [kept] = translated.data_validations.dataValidation
    assert kept.promptTitle == title and kept.prompt == "El precio de la casa."
