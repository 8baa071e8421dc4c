"""Empty DrawingML texts, which crashed Transfuse 0.5.8, are removed and the slide shows the same."""

from __future__ import annotations

from io import BytesIO

import pptx
from pptx.util import Inches

from dragoman.formats.documents import extract, format_for, inject
from dragoman.formats.drawingruns import drop_empty_runs


def deck(*runs: str) -> bytes:
    presentation = pptx.Presentation()
    slide = presentation.slides.add_slide(presentation.slide_layouts[6])
    frame = slide.shapes.add_textbox(Inches(1), Inches(1), Inches(4), Inches(1)).text_frame
    for text in runs:  # python-pptx writes <a:t/> for a run whose text is ""
        frame.paragraphs[0].add_run().text = text
    frame.add_paragraph().add_run().text = ""  # an empty line: its only text, kept
    out = BytesIO()
    presentation.save(out)
    return out.getvalue()


def texts(data: bytes) -> list[list[str]]:
    shape = pptx.Presentation(BytesIO(data)).slides[0].shapes[0]
    return [[run.text for run in paragraph.runs] for paragraph in shape.text_frame.paragraphs]


def test_an_empty_text_in_a_slide_paragraph_no_longer_crashes_the_converter() -> None:
    # Given python-pptx's shape of dml-line.pptx: an empty run among the texts of a paragraph
    source = deck("The cat is ", "", "black.")
    # When it is translated, Then it converts, and only the empty run is gone
    assert texts(drop_empty_runs(source)) == [["The cat is ", "black."], [""]]
    document = extract(source, format_for("a.pptx"))
    out = inject(document, [segment.replace("cat", "gato") for segment in document.segments])
    assert "".join(texts(out)[0]) == "The gato is black."


def test_a_deck_without_empty_texts_is_left_byte_for_byte() -> None:
    source = deck("The cat is black.")
    assert drop_empty_runs(source) is source
