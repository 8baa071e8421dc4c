"""OpenDocument spreadsheets: text cells, comments and page headers translated; numbers, formulas
and sheet names kept (formats/opendocument_spreadsheet.py), through the real engine."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from io import BytesIO

import pytest
from lxml import etree
from odf.dc import Description, Subject, Title
from odf.office import Annotation
from odf.opendocument import OpenDocumentSpreadsheet
from odf.style import Footer, Header, MasterPage, PageLayout, Style, TextProperties
from odf.table import Table, TableCell, TableRow
from odf.text import P, SheetName, Span

from dragoman.engines.apertium import ApertiumEngine
from dragoman.errors import NoTranslatableText, UndecodableDocument
from dragoman.formats.documents import extract, format_for, format_of_content_type, inject

TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"


def spreadsheet() -> bytes:
    document = OpenDocumentSpreadsheet()
    bold = Style(name="bold", family="text")
    bold.addElement(TextProperties(fontweight="bold"))
    document.automaticstyles.addElement(bold)
    table = Table(name="The red sheet")
    row = TableRow()
    table.addElement(row)
    cell = TableCell(valuetype="string")
    paragraph = P(text="The ")
    paragraph.addElement(Span(stylename=bold, text="red"))
    paragraph.addText(" house")
    cell.addElement(paragraph)
    row.addElement(cell)
    number = TableCell(valuetype="float", value="1234.5")
    number.addElement(P(text="1234.5"))
    row.addElement(number)
    formula = TableCell(valuetype="string", formula='of:=CONCATENATE("The ";"cat")')
    formula.addElement(P(text="The cat"))
    row.addElement(formula)
    commented = TableCell(valuetype="string")
    note = Annotation()
    note.addElement(P(text="I like dogs."))
    commented.addElement(note)
    commented.addElement(P(text="The black cat"))
    row.addElement(commented)
    document.spreadsheet.addElement(table)
    layout = PageLayout(name="pm1")
    document.automaticstyles.addElement(layout)
    master = MasterPage(name="Default", pagelayoutname=layout)
    header = Header()
    title = P(text="The big dog: ")
    title.addElement(SheetName())
    header.addElement(title)
    master.addElement(header)
    footer = Footer()
    footer.addElement(P(text="The house"))
    master.addElement(footer)
    document.masterstyles.addElement(master)
    out = BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def engine() -> Iterator[ApertiumEngine]:
    with ApertiumEngine() as apertium:
        yield apertium


def test_text_cells_comments_and_headers_are_translated_numbers_and_formulas_kept(engine: ApertiumEngine) -> None:
    document = extract(spreadsheet(), format_for("book.ods"))
    assert document.characters == sum(
        map(len, ["The red house", "I like dogs.", "The black cat", "The big dog:", "The house"])
    )
    out = inject(document, engine.translate(document.segments, "en", "es"))
    with zipfile.ZipFile(BytesIO(out)) as package:
        first = package.infolist()[0]
        assert (first.filename, first.compress_type) == ("mimetype", zipfile.ZIP_STORED)
        content = etree.fromstring(package.read("content.xml"))
        styles = etree.fromstring(package.read("styles.xml"))
    table = content.find(f".//{TABLE}table")
    assert table is not None and table.get(f"{TABLE}name") == "The red sheet"
    cells = [etree.tostring(cell, encoding="unicode") for cell in table.iter(f"{TABLE}table-cell")]
    assert 'La casa <text:span text:style-name="bold">roja</text:span></text:p>' in cells[0]
    assert "<text:p>1234.5</text:p>" in cells[1]
    assert "<text:p>The cat</text:p>" in cells[2] and "CONCATENATE" in cells[2]
    assert "<text:p>Me gustan los perros.</text:p>" in cells[3] and "<text:p>El gato negro</text:p>" in cells[3]
    header, footer = (etree.tostring(p, encoding="unicode") for p in styles.iter(f"{TEXT}p"))
    assert "El perro grande: <text:sheet-name/></text:p>" in header
    assert "La casa</text:p>" in footer


def test_a_spreadsheet_of_numbers_has_nothing_to_translate() -> None:
    document = OpenDocumentSpreadsheet()
    table = Table(name="Sheet1")
    row = TableRow()
    cell = TableCell(valuetype="float", value="3")
    cell.addElement(P(text="3"))
    row.addElement(cell)
    table.addElement(row)
    document.spreadsheet.addElement(table)
    out = BytesIO()
    document.save(out)
    with pytest.raises(NoTranslatableText):
        extract(out.getvalue(), format_for("numbers.ods"))


def test_ods_is_named_by_its_content_type_and_a_package_without_content_is_refused() -> None:
    fmt = format_for("a.ods")
    assert format_of_content_type("application/vnd.oasis.opendocument.spreadsheet") == fmt
    empty = BytesIO()
    with zipfile.ZipFile(empty, "w") as package:
        package.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    with pytest.raises(UndecodableDocument):
        extract(empty.getvalue(), fmt)


def test_a_spreadsheets_title_subject_and_description_are_translated_after_its_cells(engine: ApertiumEngine) -> None:
    # Given a spreadsheet whose meta.xml holds a title, a subject and a description
    document = OpenDocumentSpreadsheet()
    document.meta.addElement(Title(text="The red house"))
    document.meta.addElement(Subject(text="The big garden"))
    document.meta.addElement(Description(text="The white dog"))
    table = Table(name="Sheet1")
    row = TableRow()
    cell = TableCell(valuetype="string")
    cell.addElement(P(text="The black cat"))
    row.addElement(cell)
    table.addElement(row)
    document.spreadsheet.addElement(table)
    buffer = BytesIO()
    document.write(buffer)
    # When it is translated
    source = extract(buffer.getvalue(), format_for("a.ods"))
    out = inject(source, engine.translate(source.segments, "en", "es"))
    # Then its properties are, and its cell too
    with zipfile.ZipFile(BytesIO(out)) as package:
        meta, content = package.read("meta.xml").decode(), package.read("content.xml").decode()
    assert "La casa roja" in meta and "El jardín grande" in meta and "El perro blanco" in meta
    assert "El gato negro" in content


def test_a_translated_cells_string_value_goes_and_formulas_literals_are_said(engine: ApertiumEngine) -> None:
    """Red team report 13 §13: LibreOffice shows `office:string-value` rather than the paragraph,
    so the cell still read "The red apple"; formulas' literals stayed English without a word."""
    from dragoman.formats.opendocument_spreadsheet import rebuild, take_apart

    # Given a text cell with its value written again in office:string-value, and formulas with text
    document = OpenDocumentSpreadsheet()
    table = Table(name="Prices")
    row = TableRow()
    apple = TableCell(valuetype="string", stringvalue="The red apple")
    apple.addElement(P(text="The red apple"))
    row.addElement(apple)
    lookup = TableCell(valuetype="float", value="1", formula='of:=COUNTIF([.A1];"The red apple")')
    lookup.addElement(P(text="1"))
    row.addElement(lookup)
    verdict = TableCell(valuetype="string", stringvalue="High", formula='of:=IF([.B1]>0;"High";"Low")')
    verdict.addElement(P(text="High"))
    row.addElement(verdict)
    table.addElement(row)
    document.spreadsheet.addElement(table)
    buffer = BytesIO()
    document.save(buffer)
    # When it is translated
    skeleton, segments, _ = take_apart(buffer.getvalue())
    out = rebuild(skeleton, engine.translate(segments, "en", "es"))
    # Then the translated cell has no English value left; the formula's result keeps its own
    with zipfile.ZipFile(BytesIO(out)) as package:
        cells = list(etree.fromstring(package.read("content.xml")).iter(f"{TABLE}table-cell"))
    office = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
    assert cells[0].get(f"{office}string-value") is None and cells[0].findtext(f"{TEXT}p") == "La manzana roja"
    assert cells[2].get(f"{office}string-value") == "High"
    # and the literals are said: the one compared with a translated cell, and the formula's own
    compared, own = skeleton.warnings
    assert compared.code == "FormulaNotUpdated" and '("The red apple")' in compared.message
    assert (
        own.code == "FormulaTextNotTranslated"
        and '2 texts written in formulas are not translated ("High", "Low")' in own.message
    )
