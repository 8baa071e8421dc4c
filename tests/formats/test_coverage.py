"""What a document holds that no handler translates is said as warnings, on real packages built
with the libraries users make them with."""

from __future__ import annotations

import io

import docx
import openpyxl
from lxml import etree
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from pptx import Presentation

from dragoman.formats.coverage import untranslated
from dragoman.formats.documents import extract, format_for
from tests.office import chart_deck, with_members


def codes(data: bytes, kind: str) -> list[str]:
    return [warning.code for warning in untranslated(data, kind)]


def test_a_plain_document_has_no_warning() -> None:
    document = docx.Document()
    document.add_paragraph("The cat is black.")
    out = io.BytesIO()
    document.save(out)
    assert untranslated(out.getvalue(), "docx") == []
    assert untranslated(b"The cat.", "text") == []


def test_a_chart_whose_categories_are_words_is_reported() -> None:
    [warning] = untranslated(chart_deck(), "pptx")
    assert warning.code == "ChartDataNotTranslated"
    assert warning.message.startswith("the categories and series names of 1 chart are not translated")
    # and the task's document carries it
    assert [item.code for item in extract(chart_deck(), format_for("deck.pptx")).warnings] == ["ChartDataNotTranslated"]


def test_embedded_objects_and_diagrams_are_reported() -> None:
    document = docx.Document()
    document.add_paragraph("The cat is black.")
    out = io.BytesIO()
    document.save(out)
    package = with_members(
        out.getvalue(),
        {
            "word/embeddings/Microsoft_Excel_Worksheet1.xlsx": b"PK",
            "word/embeddings/oleObject2.bin": b"\xd0\xcf",
            "word/diagrams/data1.xml": b'<dgm:dataModel xmlns:a="a"><a:t>The first step</a:t></dgm:dataModel>',
            "word/diagrams/data2.xml": b'<dgm:dataModel xmlns:a="a"><a:t>42</a:t></dgm:dataModel>',  # no words
        },
    )
    warnings = untranslated(package, "docx")
    assert [warning.code for warning in warnings] == ["EmbeddedObjectNotTranslated", "DiagramNotTranslated"]
    assert "2 embedded objects are not translated" in warnings[0].message and "oleObject2.bin" in warnings[0].message
    assert "1 SmartArt diagram is" in warnings[1].message


def test_text_on_a_slide_master_outside_its_placeholders_is_reported() -> None:
    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "The cat"
    out = io.BytesIO()
    deck.save(out)
    assert codes(out.getvalue(), "pptx") == []  # placeholders' prompts are not shown on slides
    tree = deck.slide_layouts[1].shapes._spTree  # python-pptx adds no shapes to layouts: as PowerPoint writes one
    tree.append(
        etree.fromstring(
            '<p:sp xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" '
            'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
            '<p:nvSpPr><p:cNvPr id="99" name="Tagline"/>'
            '<p:cNvSpPr txBox="1"/><p:nvPr/></p:nvSpPr><p:spPr/><p:txBody><a:bodyPr/><a:p><a:r>'
            "<a:t>The black cat company</a:t></a:r></a:p></p:txBody></p:sp>"
        )
    )
    out = io.BytesIO()
    deck.save(out)
    [warning] = untranslated(out.getvalue(), "pptx")
    assert warning.code == "MasterTextNotTranslated" and "slideLayout2.xml" in warning.message


def test_a_workbook_s_comments_drawings_headers_and_charts_are_reported() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"], sheet["B1"] = "Black cats", 3
    sheet["A2"], sheet["B2"] = "White dogs", 4
    sheet["A1"].comment = Comment("The count is old.", "Ana")
    sheet.oddHeader.center.text = "The sales report"
    chart = BarChart()
    chart.title = "The animals of the garden"
    chart.add_data(Reference(sheet, min_col=2, min_row=1, max_row=2))
    chart.set_categories(Reference(sheet, min_col=1, min_row=1, max_row=2))
    sheet.add_chart(chart, "D2")
    out = io.BytesIO()
    book.save(out)
    found = codes(out.getvalue(), "xlsx")
    assert "CommentNotTranslated" in found and "HeaderFooterNotTranslated" in found
    assert "ChartTitleNotTranslated" in found  # Word's and PowerPoint's chart titles are translated


def test_newer_charts_and_a_presentation_s_comments_are_reported() -> None:
    package = with_members(
        chart_deck(), {"ppt/charts/chartEx1.xml": b"<cx:chartSpace/>", "ppt/comments/comment1.xml": b"<p:cmLst/>"}
    )
    found = codes(package, "pptx")
    assert "ChartNotTranslated" in found and "CommentNotTranslated" in found


def test_an_opendocument_s_embedded_objects_are_reported() -> None:
    package = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
        archive.writestr("Object 1/content.xml", "<chart/>")
        archive.writestr("Object 2/content.xml", "<math/>")
    [warning] = untranslated(package.getvalue(), "odt")
    assert warning.code == "EmbeddedObjectNotTranslated" and "Object 1, Object 2" in warning.message


def test_a_package_that_cannot_be_read_has_no_warning_here() -> None:
    assert untranslated(b"PK\x03\x04 broken", "docx") == []


def test_a_workbooks_pivot_caches_screen_tips_and_number_format_texts_are_reported() -> None:
    # Given a workbook with a link's screen tip, a number format with words, and a pivot cache
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A1"] = "The cat"
    sheet["A1"].hyperlink = "https://example.com"
    sheet["A1"].hyperlink.tooltip = "Open the page"
    sheet["B1"] = 3
    sheet["B1"].number_format = '"Total: "0'
    out = io.BytesIO()
    book.save(out)
    assert codes(out.getvalue(), "xlsx") == ["TooltipNotTranslated", "NumberFormatTextNotTranslated"]
    pivot = b'<pivotCacheRecords><r><s v="The red apple"/><n v="3"/></r></pivotCacheRecords>'
    package = with_members(out.getvalue(), {"xl/pivotCache/pivotCacheRecords1.xml": pivot})
    assert codes(package, "xlsx")[0] == "PivotTableNotTranslated"
    # numbers only: nothing to say
    plain = with_members(out.getvalue(), {"xl/pivotCache/pivotCacheRecords1.xml": b'<r><n v="3"/></r>'})
    assert "PivotTableNotTranslated" not in codes(plain, "xlsx")


def test_links_screen_tips_and_form_drop_down_items_are_reported() -> None:
    """Left English with no warning in Word, PowerPoint and OpenDocument (only workbooks said so)."""
    import zipfile

    def package(members: dict[str, str]) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            for name, content in members.items():
                archive.writestr(name, content)
        return out.getvalue()

    word = package({
        "word/document.xml": '<w:document><w:hyperlink w:tooltip="The home page"><w:r><w:t>Home</w:t></w:r>'
        "</w:hyperlink>"
        '<w:ffData><w:ddList><w:listEntry w:val="Dark red"/></w:ddList></w:ffData></w:document>',
    })  # fmt: skip
    assert codes(word, "docx") == ["TooltipNotTranslated", "FormFieldNotTranslated"]
    deck = package({"ppt/slides/slide1.xml": '<p:sld><a:hlinkClick r:id="rId2" tooltip="The next page"/></p:sld>'})
    assert codes(deck, "pptx") == ["TooltipNotTranslated"]
    text = package({
        "content.xml": '<office:document-content><text:a office:title="The home page">Home</text:a>'
        '<text:drop-down text:name="x"><text:label text:value="Dark red"/></text:drop-down></office:document-content>',
    })  # fmt: skip
    assert codes(text, "odt") == ["TooltipNotTranslated", "FormFieldNotTranslated"]
    plain = package({"word/document.xml": '<w:document><w:hyperlink w:tooltip="42"/></w:document>'})
    assert codes(plain, "docx") == []
