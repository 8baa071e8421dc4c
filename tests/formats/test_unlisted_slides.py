"""A slide part the presentation does not list is shown by no reader: neither translated nor billed,
and written back as it was (formats/unlisted_slides.py). Decks are written with python-pptx and
translated by the real converter and engine."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import pptx
import pytest
from pptx.util import Inches

from dragoman.engines.apertium import ApertiumEngine
from dragoman.formats.documents import extract, format_for, inject
from dragoman.formats.unlisted_slides import hide, restore


@pytest.fixture(scope="module")
def engine() -> Iterator[ApertiumEngine]:
    with ApertiumEngine() as apertium:
        yield apertium


def deck(*texts: str, unlisted: int | None = None) -> bytes:
    """A deck of one text box per slide, the slide at index `unlisted` dropped from the list only."""
    presentation = pptx.Presentation()
    presentation.core_properties.comments = ""  # python-pptx's template says "generated using python-pptx"
    for text in texts:
        slide = presentation.slides.add_slide(presentation.slide_layouts[6])
        slide.shapes.add_textbox(Inches(1), Inches(1), Inches(6), Inches(2)).text_frame.text = text
        slide.notes_slide.notes_text_frame.text = f"Notes: {text}"
    if unlisted is not None:
        listed = presentation.slides._sldIdLst  # noqa: SLF001 - the list itself, its part stays
        listed.remove(list(listed)[unlisted])
    buffer = io.BytesIO()
    presentation.save(buffer)
    return buffer.getvalue()


def test_an_unlisted_slide_and_its_notes_are_not_translated_nor_billed(engine: ApertiumEngine) -> None:
    source = deck("The red house.", "The hidden slide.", "The black cat.", unlisted=1)
    document = extract(source, format_for("a.pptx"))
    shown = ["The red house.", "The black cat.", "Notes: The red house.", "Notes: The black cat."]
    assert document.characters == sum(len(text) for text in shown)
    out = inject(document, engine.translate(document.segments, "en", "es"))
    with zipfile.ZipFile(io.BytesIO(out)) as package, zipfile.ZipFile(io.BytesIO(source)) as original:
        assert sorted(package.namelist()) == sorted(original.namelist())
        assert package.read("ppt/slides/slide2.xml") == original.read("ppt/slides/slide2.xml")
        assert b"El gato negro." in package.read("ppt/slides/slide3.xml")
    reread = pptx.Presentation(io.BytesIO(out))
    assert [slide.shapes[0].text_frame.text for slide in reread.slides] == ["La casa roja.", "El gato negro."]


def test_a_deck_whose_slides_are_all_listed_is_left_as_it_is() -> None:
    source = deck("The red house.", "The black cat.")
    assert hide(source) is source and restore(source) is source


def test_an_unlisted_slides_picture_description_is_not_translated_nor_billed(engine: ApertiumEngine) -> None:
    source = deck("The red house.", "The hidden slide.", unlisted=1)
    with zipfile.ZipFile(io.BytesIO(source)) as package:
        parts = {item.filename: package.read(item) for item in package.infolist()}
    for name in ("ppt/slides/slide1.xml", "ppt/slides/slide2.xml"):  # a description on each slide's text box
        parts[name] = parts[name].replace(b'name="TextBox', b'descr="A blue rectangle" name="TextBox', 1)
    crafted = io.BytesIO()
    with zipfile.ZipFile(crafted, "w") as package:
        for name, content in parts.items():
            package.writestr(name, content)
    document = extract(crafted.getvalue(), format_for("a.pptx"))
    assert document.characters == sum(
        len(text) for text in ("The red house.", "Notes: The red house.", "A blue rectangle")
    )
    out = inject(document, engine.translate(document.segments, "en", "es"))
    with zipfile.ZipFile(io.BytesIO(out)) as package:
        assert b'descr="A blue rectangle"' in package.read("ppt/slides/slide2.xml")
        assert b'descr="A blue rectangle"' not in package.read("ppt/slides/slide1.xml")
