"""Word runs of several texts are split so Transfuse can read them, and the document shows the same."""

from __future__ import annotations

import zipfile
from io import BytesIO

import docx

from dragoman.formats.documents import extract, format_for, inject
from dragoman.formats.wordruns import split_multi_text_runs


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
