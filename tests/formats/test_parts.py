"""Parts of Office packages a reader sees besides the body, translated too (formats/parts.py):
Word headers, footers, footnotes, endnotes and comments; PowerPoint speaker notes, and slides past
a gap in the slides' numbering. Built with python-docx and python-pptx, translated by the real engine."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator

import docx
import pytest
from odf.opendocument import OpenDocumentText
from odf.style import Footer, Header, MasterPage, PageLayout
from odf.text import P
from pptx import Presentation

from dragoman.engines.apertium import ApertiumEngine
from dragoman.errors import DocumentTooComplex
from dragoman.formats.documents import extract, format_for, inject
from dragoman.formats.parts import MAX_STAND_INS, left_out_parts


@pytest.fixture(scope="module")
def engine() -> Iterator[ApertiumEngine]:
    with ApertiumEngine() as apertium:
        yield apertium


def translate(data: bytes, name: str, engine: ApertiumEngine) -> tuple[bytes, int]:
    document = extract(data, format_for(name))
    return inject(document, engine.translate(document.segments, "en", "es")), document.characters


def word_with_header_footer_and_note() -> bytes:
    document = docx.Document()
    document.add_paragraph("The cat is black.")
    section = document.sections[0]
    section.header.paragraphs[0].text = "The red house"
    section.footer.paragraphs[0].text = "I like dogs."
    buffer = io.BytesIO()
    document.save(buffer)
    # python-docx writes no footnotes part: add one as Word does (a footnote referenced from the body)
    package = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    footnotes = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:footnotes xmlns:w="{w}">'
        '<w:footnote w:id="1"><w:p><w:r><w:t>The house is red.</w:t></w:r></w:p></w:footnote></w:footnotes>'
    ).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in package.infolist():
            target.writestr(item, package.read(item.filename))
        target.writestr("word/footnotes.xml", footnotes)
    return out.getvalue()


def test_word_headers_footers_and_footnotes_are_translated_and_billed(engine: ApertiumEngine) -> None:
    source = word_with_header_footer_and_note()
    out, characters = translate(source, "a.docx", engine)
    result = docx.Document(io.BytesIO(out))
    assert result.paragraphs[0].text == "El gato es negro."
    assert result.sections[0].header.paragraphs[0].text == "La casa roja"
    assert result.sections[0].footer.paragraphs[0].text == "Me gustan los perros."
    assert b"La casa es roja." in zipfile.ZipFile(io.BytesIO(out)).read("word/footnotes.xml")
    assert characters == len("The cat is black.") + len("The red house") + len("I like dogs.") + len(
        "The house is red."
    )


def deck(titles: list[str]) -> bytes:
    presentation = Presentation()
    for title in titles:
        slide = presentation.slides.add_slide(presentation.slide_layouts[5])
        slide.shapes.title.text = title
        slide.notes_slide.notes_text_frame.text = f"Say: {title}"
    buffer = io.BytesIO()
    presentation.save(buffer)
    return buffer.getvalue()


def test_speaker_notes_are_translated(engine: ApertiumEngine) -> None:
    out, _ = translate(deck(["The red house", "The cat is black"]), "a.pptx", engine)
    slides = Presentation(io.BytesIO(out)).slides
    assert [slide.shapes.title.text for slide in slides] == ["La casa roja", "El gato es negro"]
    assert [slide.notes_slide.notes_text_frame.text for slide in slides] == [
        "Dice: La casa roja",
        "Dice: El gato es negro",
    ]


def with_gap(data: bytes) -> bytes:
    """The deck as PowerPoint leaves it when slide 2 was deleted and one added after: slide files
    slide1.xml and slide3.xml (here: slide 2 renamed slide 7 everywhere it is named)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            name = item.filename.replace("slides/slide2.xml", "slides/slide7.xml").replace(
                "slides/_rels/slide2.xml.rels", "slides/_rels/slide7.xml.rels"
            )
            if item.filename.endswith((".rels", "[Content_Types].xml")):
                content = re.sub(rb"slides/slide2\.xml", b"slides/slide7.xml", content)
                content = re.sub(rb'Target="slide2\.xml"', b'Target="slide7.xml"', content)
            target.writestr(name, content)
    return out.getvalue()


def test_a_slide_past_a_gap_in_the_numbering_is_translated_in_its_place(engine: ApertiumEngine) -> None:
    source = with_gap(deck(["The red house", "The cat is black", "I like dogs"]))
    names = zipfile.ZipFile(io.BytesIO(source)).namelist()
    assert "ppt/slides/slide7.xml" in names and "ppt/slides/slide2.xml" not in names
    assert set(left_out_parts(names, "pptx")) >= {"ppt/slides/slide3.xml", "ppt/slides/slide7.xml"}
    out, _ = translate(source, "a.pptx", engine)
    titles = [slide.shapes.title.text for slide in Presentation(io.BytesIO(out)).slides]
    assert titles == ["La casa roja", "El gato es negro", "Me gustan los perros"]  # in the presentation's order


def test_the_left_out_parts_are_found_by_name_for_each_format() -> None:
    word = ["word/document.xml", "word/header2.xml", "word/header10.xml", "word/footer1.xml", "word/comments.xml"]
    assert left_out_parts(word, "docx") == [
        "word/comments.xml", "word/footer1.xml", "word/header2.xml", "word/header10.xml",
    ]  # fmt: skip
    slides = ["ppt/slides/slide1.xml", "ppt/slides/slide2.xml", "ppt/slides/slide4.xml"]
    assert left_out_parts(slides + ["ppt/notesSlides/notesSlide1.xml"], "pptx") == [
        "ppt/slides/slide4.xml", "ppt/notesSlides/notesSlide1.xml",
    ]  # fmt: skip
    assert left_out_parts(["content.xml"], "odt") == []
    assert left_out_parts(["content.xml", "styles.xml"], "odp") == ["styles.xml"]


def test_a_word_document_with_more_left_out_parts_than_allowed_is_refused_before_any_is_converted() -> None:
    source = zipfile.ZipFile(io.BytesIO(word_with_header_footer_and_note()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        for number in range(MAX_STAND_INS + 1):
            target.writestr(f"word/header{number + 100}.xml", source.read("word/header1.xml"))
    with pytest.raises(DocumentTooComplex, match=f"at most {MAX_STAND_INS}"):
        extract(out.getvalue(), format_for("a.docx"))


def test_opendocument_page_headers_and_footers_are_translated(engine: ApertiumEngine) -> None:
    document = OpenDocumentText()
    layout = PageLayout(name="pm1")
    document.automaticstyles.addElement(layout)
    master = MasterPage(name="Standard", pagelayoutname=layout)
    header, footer = Header(), Footer()
    header.addElement(P(text="The red house"))
    footer.addElement(P(text="I like dogs."))
    master.addElement(header)
    master.addElement(footer)
    document.masterstyles.addElement(master)
    document.text.addElement(P(text="The cat is black."))
    buffer = io.BytesIO()
    document.write(buffer)
    out, characters = translate(buffer.getvalue(), "a.odt", engine)
    package = zipfile.ZipFile(io.BytesIO(out))
    assert b"El gato es negro." in package.read("content.xml")
    styles = package.read("styles.xml")
    assert b"La casa roja" in styles and b"Me gustan los perros." in styles
    assert characters == len("The cat is black.") + len("The red house") + len("I like dogs.")
