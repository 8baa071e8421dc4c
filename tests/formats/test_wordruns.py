"""Word runs of several texts are split so Transfuse can read them, and marks inside a sentence moved
to its paragraph's edges, and the document shows the same."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from io import BytesIO

import docx
import pytest
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from dragoman.engines.apertium import ApertiumEngine
from dragoman.formats.documents import extract, format_for, inject
from dragoman.formats.wordruns import split_multi_text_runs


@pytest.fixture(scope="module")
def engine() -> Iterator[ApertiumEngine]:
    with ApertiumEngine() as apertium:
        yield apertium


def word(*paragraphs: str) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        paragraph = document.add_paragraph()
        paragraph.add_run(text).bold = True  # python-docx writes tabs and breaks into the same run
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_run_of_several_texts_becomes_runs_of_one_with_the_same_look() -> None:
    original = word("Hello\tworld\nand more", "plain")
    split = split_multi_text_runs(original)
    before, after = docx.Document(BytesIO(original)), docx.Document(BytesIO(split))
    assert [p.text for p in after.paragraphs] == [p.text for p in before.paragraphs]
    first = after.paragraphs[0]
    assert len(first.runs) == 3 and all(run.bold for run in first.runs)  # the properties go with each piece
    with zipfile.ZipFile(BytesIO(split)) as package:
        body = package.read("word/document.xml")
    assert body.count(b"<w:r>") + body.count(b"<w:r ") == 4


def test_a_document_that_needs_nothing_is_left_byte_for_byte() -> None:
    original = word("one text per run")
    assert split_multi_text_runs(original) is original


def test_a_python_docx_paragraph_with_a_tab_translates_instead_of_crashing_the_converter() -> None:
    # Transfuse 0.5.8 segfaulted on it (2026 red team): every such document failed.
    document = extract(word("The cat is black.\tThe house is red."), format_for("tab.docx"))
    translated = inject(document, [segment.replace("cat", "gato") for segment in document.segments])
    assert docx.Document(BytesIO(translated)).paragraphs[0].text.startswith("The gato is black.\tThe house")


def test_a_bookmark_or_comment_range_inside_a_sentence_no_longer_cuts_it(engine: ApertiumEngine) -> None:
    """Transfuse ended a block at each mark: "La reunión Inicios en nueve Por la mañana"."""
    document = docx.Document()
    paragraph = document.add_paragraph()
    paragraph.add_run("The cat is ")
    starts = (("w:bookmarkStart", {"w:id": "7", "w:name": "cat"}), ("w:commentRangeStart", {"w:id": "3"}))
    for tag, attributes in starts:
        mark = OxmlElement(tag)
        for name, value in attributes.items():
            mark.set(qn(name), value)
        paragraph._p.append(mark)
    paragraph.add_run("black")
    for tag, identifier in (("w:bookmarkEnd", "7"), ("w:commentRangeEnd", "3")):
        mark = OxmlElement(tag)
        mark.set(qn("w:id"), identifier)
        paragraph._p.append(mark)
    paragraph.add_run(" and the house is red.")
    buffer = BytesIO()
    document.save(buffer)
    source = extract(buffer.getvalue(), format_for("a.docx"))
    assert len([segment for segment in source.segments if "tf-block" in segment]) == 1  # one block, not three
    out = inject(source, engine.translate(source.segments, "en", "es"))
    result = docx.Document(BytesIO(out)).paragraphs[0]
    assert result.text == "El gato es negro y la casa es roja."
    xml = result._p.xml
    assert 'w:name="cat"' in xml and "commentRangeStart" in xml and "commentRangeEnd" in xml  # kept, at the edges
