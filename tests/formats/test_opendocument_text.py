"""OpenDocument text rewritten so that the converter reads what a reader sees, whole
(formats/opendocument_text.py): a tracked deletion is neither translated nor billed, and marks inside
a sentence no longer cut it. Documents are written with odfpy, then given raw markup, and translated
by the real converter and engine."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator

import pytest
from odf.opendocument import OpenDocumentText
from odf.text import P

from dragoman.engines.apertium import ApertiumEngine
from dragoman.errors import DocumentTooComplex
from dragoman.formats.documents import extract, format_for, inject

DELETION = (
    '<text:tracked-changes><text:changed-region text:id="ct1"><text:deletion><office:change-info>'
    "<dc:creator>A</dc:creator><dc:date>2024-01-01T00:00:00</dc:date></office:change-info>"
    "<text:p>This whole sentence about the removed garden was deleted by the editor.</text:p>"
    "</text:deletion></text:changed-region></text:tracked-changes>"
)


@pytest.fixture(scope="module")
def engine() -> Iterator[ApertiumEngine]:
    with ApertiumEngine() as apertium:
        yield apertium


def odt(body: str) -> bytes:
    """An .odt whose body (inside `office:text`) is `body`, raw markup."""
    document = OpenDocumentText()
    document.text.addElement(P(text="PLACEHOLDER"))
    buffer = io.BytesIO()
    document.write(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "content.xml":
                content = re.sub(rb"<text:p>PLACEHOLDER</text:p>", body.encode(), content)
                if b"xmlns:dc=" not in content:  # odfpy declares what any document of the process used
                    dublin_core = b'<office:document-content xmlns:dc="http://purl.org/dc/elements/1.1/" '
                    content = content.replace(b"<office:document-content ", dublin_core, 1)
            target.writestr(item, content)
    return out.getvalue()


def translated_content(data: bytes, engine: ApertiumEngine) -> tuple[str, int]:
    document = extract(data, format_for("a.odt"))
    characters = document.characters
    out = inject(document, engine.translate(document.segments, "en", "es"))
    return zipfile.ZipFile(io.BytesIO(out)).read("content.xml").decode(), characters


def test_a_tracked_deletion_is_kept_as_it_was_not_translated_nor_billed_and_its_mark_cuts_no_sentence(
    engine: ApertiumEngine,
) -> None:
    content, characters = translated_content(
        odt(DELETION + '<text:p>The house<text:change text:change-id="ct1"/> is red.</text:p>'), engine
    )
    assert characters == len("The house is red.")
    assert "<text:p>This whole sentence about the removed garden was deleted by the editor.</text:p>" in content
    assert '<text:p>La casa es roja.<text:change text:change-id="ct1"/></text:p>' in content
    assert "dragoman" not in content


def test_bookmarks_and_soft_page_breaks_inside_a_sentence_do_not_cut_it(engine: ApertiumEngine) -> None:
    body = (
        '<text:p>The big<text:bookmark-start text:name="a"/> house<text:soft-page-break/> is'
        '<text:bookmark-end text:name="a"/> red.</text:p>'
    )
    content, _ = translated_content(odt(body), engine)
    paragraph = re.search(r"<text:p>.*?</text:p>", content)
    assert paragraph is not None
    assert paragraph.group(0) == (
        '<text:p><text:bookmark-start text:name="a"/>La casa grande es roja.<text:bookmark-end text:name="a"/></text:p>'
    )


def test_a_paragraph_nested_deeper_than_the_converter_reads_is_refused_not_emptied() -> None:
    body = "<text:p>" + '<text:span text:style-name="T1">' * 300 + "The house is red." + "</text:span>" * 300
    with pytest.raises(DocumentTooComplex, match="256 levels"):
        extract(odt(body + "</text:p>"), format_for("a.odt"))


NOTE = (
    '<text:note text:id="ftn1" text:note-class="footnote"><text:note-citation>1</text:note-citation>'
    "<text:note-body><text:p>The note about the garden.</text:p></text:note-body></text:note>"
)


def test_a_footnote_inside_a_sentence_stays_after_its_word_and_cuts_no_sentence(engine: ApertiumEngine) -> None:
    """It ended the block: "El jardín es verde[1] En el verano"."""
    second = NOTE.replace("ftn1", "ftn2")
    body = f"<text:p>The garden is green{NOTE} in the summer.</text:p>"
    body += f"<text:p>The house is red.{second} It is big.</text:p>"
    content, _ = translated_content(odt(body), engine)
    shown = re.sub(r"\s+", " ", re.sub(r"<text:note .*?</text:note>", "[1]", content.split("<office:text>")[1]))
    assert "<text:p>El jardín es verde[1] en el verano.</text:p>" in shown  # its word, wherever the engine put it
    assert "<text:p>La casa es roja.[1] Es grande.</text:p>" in shown  # after the punctuation that followed it
    assert content.count("La nota sobre el jardín.") == 2 and "dragoman" not in content


def test_a_tracked_insertion_stays_marked_around_its_words_and_cuts_no_sentence(engine: ApertiumEngine) -> None:
    """It came back "El <change-start/>grande <change-end/>la casa es aquí"."""
    insertion = (
        '<text:tracked-changes><text:changed-region text:id="ct2"><text:insertion><office:change-info>'
        "<dc:creator>A</dc:creator><dc:date>2024-01-01T00:00:00</dc:date></office:change-info>"
        "</text:insertion></text:changed-region></text:tracked-changes>"
    )
    start, end = '<text:change-start text:change-id="ct2"/>', '<text:change-end text:change-id="ct2"/>'
    content, _ = translated_content(odt(f"{insertion}<text:p>The {start}big {end}house is here.</text:p>"), engine)
    assert f"<text:p>La casa {start}grande{end} es aquí." in content
    assert "dragoman" not in content
