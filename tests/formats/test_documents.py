"""Transfuse-backed formats, round-tripped through the real engine."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import docx
import pytest

from dragoman.engines.apertium import ApertiumEngine
from dragoman.errors import NoTranslatableText, UndecodableDocument, UnsupportedFormat
from dragoman.formats import documents
from dragoman.formats.documents import FORMATS, extract, format_for, inject
from tests.conftest import write_documents


@pytest.fixture(scope="module")
def engine() -> Iterator[ApertiumEngine]:
    with ApertiumEngine() as apertium:
        yield apertium


def translate(data: bytes, name: str, engine: ApertiumEngine) -> tuple[bytes, int]:
    document = extract(data, format_for(name))
    characters = document.characters
    return inject(document, engine.translate(document.segments, "en", "es")), characters


def test_plain_text_keeps_paragraphs_and_counts_characters(engine: ApertiumEngine) -> None:
    source = "The cat is black.\n\nI like dogs.\n"
    out, characters = translate(source.encode(), "a.txt", engine)
    assert out.decode() == "El gato es negro.\n\nMe gustan los perros.\n"
    assert characters == len("The cat is black.") + len("I like dogs.")


@pytest.mark.parametrize(
    ("codec", "mark"),
    [
        ("utf-8", codecs.BOM_UTF8),
        ("utf-16-le", codecs.BOM_UTF16_LE),  # what Windows calls "Unicode" text
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-32-le", codecs.BOM_UTF32_LE),
    ],
)
def test_plain_text_with_a_byte_order_mark_is_written_back_in_its_own_encoding(
    engine: ApertiumEngine, codec: str, mark: bytes
) -> None:
    source = "The cat is black.\r\n\r\nI like dogs.\r\n"
    out, characters = translate(mark + source.encode(codec), "a.txt", engine)
    assert out == mark + "El gato es negro.\r\n\r\nMe gustan los perros.\r\n".encode(codec)
    assert characters == len("The cat is black.") + len("I like dogs.")


def test_html_with_a_byte_order_mark_is_translated_into_utf_8(engine: ApertiumEngine) -> None:
    source = "<html><body><p>The cat is black.</p></body></html>"
    out, _ = translate(source.encode("utf-16"), "a.html", engine)
    assert "<p>El gato es negro.</p>" in out.decode("utf-8")


def test_html_keeps_tags_and_leaves_scripts_alone(engine: ApertiumEngine) -> None:
    source = (
        "<html><body><h1>Good morning</h1><p>The cat is <b>very</b> black.</p>"
        "<script>var x='cat';</script></body></html>"
    )
    out, characters = translate(source.encode(), "a.html", engine)
    text = out.decode()
    assert characters == len("Good morning") + len("The cat is very black.")
    assert "<h1>Buenos días</h1>" in text
    assert "<b>muy</b>" in text and "negro" in text
    assert "var x='cat';" in text


def test_docx_keeps_runs_and_tables(tmp_path: Path, engine: ApertiumEngine) -> None:
    [_, _, word] = write_documents(tmp_path, count=1, paragraphs=1)
    out, characters = translate(word.read_bytes(), word.name, engine)
    translated = docx.Document(BytesIO(out))
    assert translated.paragraphs[0].text == "La casa roja"
    body = translated.paragraphs[1]
    assert "gato" in body.text and "negro" in body.text
    assert any(run.bold for run in body.runs), "bold run lost"
    assert characters > 0


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("a.txt", b"", NoTranslatableText),
        ("a.txt", b"  \n\n ", NoTranslatableText),
        ("a.txt", b"\x00\x01\x02binary", UndecodableDocument),
        ("a.txt", "café".encode("latin-1"), UndecodableDocument),
        ("a.txt", b"\xff\xfe\x00\xd8", UndecodableDocument),  # UTF-16 with a lone surrogate
        ("a.txt", "\ufeff \r\n".encode("utf-16"), NoTranslatableText),
        ("a.docx", b"PK but not a zip", UndecodableDocument),
        ("a.html", b"<html><body><script>x()</script></body></html>", NoTranslatableText),
    ],
)
def test_unusable_documents_fail_with_a_clear_error(name: str, data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        extract(data, format_for(name))


def test_text_that_is_not_utf_8_says_how_to_save_it() -> None:
    with pytest.raises(UndecodableDocument, match="not valid UTF-8 text .byte 3.; save it as UTF-8"):
        extract("café".encode("latin-1"), format_for("a.txt"))


def test_unknown_format_is_refused() -> None:
    with pytest.raises(UnsupportedFormat, match=r"\.pdf"):
        format_for("report.pdf")


@pytest.mark.parametrize(
    ("name", "application", "current"), [("report.doc", "Word", ".docx"), ("b.XLS", "Excel", ".xlsx")]
)
def test_a_legacy_office_name_says_how_to_save_it(name: str, application: str, current: str) -> None:
    with pytest.raises(UnsupportedFormat, match=f"legacy {application} 97-2003 .* save it as {current}"):
        format_for(name)


@pytest.mark.parametrize(
    ("data", "what"),
    [(b"%PDF-1.7\n%\xe2\xe3\n1 0 obj", "a PDF document"), (b"\x89PNG\r\n\x1a\n\0\0", "a PNG picture")],
)
def test_a_file_of_another_kind_named_docx_says_what_it_is(data: bytes, what: str) -> None:
    with pytest.raises(UndecodableDocument, match=f"not a valid Word document .it is {what}"):
        extract(data, format_for("report.docx"))


def test_text_named_srt_without_any_cue_is_not_subtitles_rather_than_empty() -> None:
    """webvtt-py's own `invalid_format2.srt` holds "some text" and nothing else."""
    with pytest.raises(UndecodableDocument, match="not a valid SubRip document: .* no cue timing line"):
        extract(b"some text", format_for("invalid_format2.srt"))
    with pytest.raises(NoTranslatableText):  # an empty subtitles file is only empty
        extract(b"WEBVTT\n\n", format_for("a.vtt"))


def test_the_module_says_how_every_format_is_handled() -> None:
    assert documents.__doc__ is not None
    said = set(re.findall(r"\.[a-z]+\b", documents.__doc__))
    assert {fmt.extensions[0] for fmt in FORMATS} <= said


NOT_PROSE = [
    "~/docs",
    "#holiday",
    "@river_news",
    "https://example.com/a_b?q=1#frag",
    "me@example.org",
    "/usr/local/bin",
]


def test_what_is_not_prose_comes_back_untouched_in_text_html_and_docx(engine: ApertiumEngine) -> None:
    """`~` used to vanish (Apertium's post-generation mark); handles and hashtags were translated."""
    sentence = (
        "Open ~/docs now. We love #holiday and @river_news. See https://example.com/a_b?q=1#frag, "
        "mail me@example.org or run /usr/local/bin today."
    )
    text, _ = translate(f"{sentence}\n".encode(), "a.txt", engine)
    html, _ = translate(
        f'<html><body><p>{sentence}</p><p>Read <a href="https://x.org">https://example.com/a_b?q=1#frag</a> '
        "first.</p></body></html>".encode(),
        "a.html",
        engine,
    )
    document = docx.Document()
    document.add_paragraph(sentence)
    buffer = BytesIO()
    document.save(buffer)
    word, _ = translate(buffer.getvalue(), "a.docx", engine)
    words = "\n".join(paragraph.text for paragraph in docx.Document(BytesIO(word)).paragraphs)
    for translated in (text.decode(), html.decode(), words):
        assert "Abierto" in translated or "Abre" in translated  # the prose around them is translated
        for kept in NOT_PROSE:
            assert kept in translated, (kept, translated)
    # a link whose text is a URL keeps its tag and its text
    assert '<a href="https://x.org">https://example.com/a_b?q=1#frag</a>' in html.decode()


def test_an_html_document_declares_the_language_it_was_translated_into(engine: ApertiumEngine) -> None:
    source = b'<html lang="en" xml:lang=en><body><p>The cat is black.</p></body></html>'
    document = extract(source, format_for("a.html"))
    out = inject(document, engine.translate(document.segments, "en", "es"), target_language="es-MX").decode()
    assert out.startswith('<html lang="es-MX" xml:lang="es-MX">') and "El gato es negro." in out
    # none declared: none added; a plain-text document is never touched
    bare = extract(b"<html><body><p>The cat.</p></body></html>", format_for("a.html"))
    assert inject(bare, bare.segments, target_language="es").startswith(b"<html><body>")


def test_keyboard_input_variables_and_sample_output_are_kept_verbatim_inside_a_sentence(
    engine: ApertiumEngine,
) -> None:
    source = b"<html><body><p>Press <kbd>the dog</kbd> then type <var>the cat</var> and <samp>the house</samp> now.</p>"
    out, _ = translate(source + b"</body></html>", "a.html", engine)
    text = out.decode()
    assert "<kbd>the dog</kbd>" in text and "<var>the cat</var>" in text and "<samp>the house</samp>" in text
    assert "ahora" in text  # the sentence around them is one sentence, translated


def test_a_deck_whose_only_text_is_in_its_speaker_notes_is_translated(engine: ApertiumEngine) -> None:
    from pptx import Presentation

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[6])  # blank: no paragraph on the slide
    slide.notes_slide.notes_text_frame.text = "The cat is black."
    out = BytesIO()
    deck.save(out)
    translated, characters = translate(out.getvalue(), "notes.pptx", engine)
    assert characters == len("The cat is black.") + len("generated using python-pptx")  # and its description
    assert Presentation(BytesIO(translated)).slides[0].notes_slide.notes_text_frame.text == "El gato es negro."


_TEXT_BOX = (
    '<w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wp:anchor><wp:docPr id="1" name="Box"/>'
    "<a:graphic><a:graphicData><wps:wsp><wps:txbx><w:txbxContent><w:p><w:r><w:t>The cat is black.</w:t></w:r>"
    "</w:p></w:txbxContent></wps:txbx></wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice>"
    '<mc:Fallback><w:pict><v:shape id="Box"><v:textbox><w:txbxContent><w:p><w:r><w:t>The cat is black.</w:t>'
    "</w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r>"
)


def test_a_text_box_written_twice_for_old_readers_is_translated_in_both_and_billed_once(
    engine: ApertiumEngine,
) -> None:
    document = docx.Document()
    document.add_paragraph("I like dogs.")
    package = BytesIO()
    document.save(package)
    namespaces = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '  # python-docx declares the rest
    import zipfile

    source = BytesIO()
    with zipfile.ZipFile(BytesIO(package.getvalue())) as original, zipfile.ZipFile(source, "w") as copy:
        for member in original.infolist():
            data = original.read(member)
            if member.filename == "word/document.xml":
                data = data.replace(b"<w:document ", b"<w:document " + namespaces.encode(), 1)
                data = data.replace(b"<w:sectPr", f"<w:p>{_TEXT_BOX}</w:p><w:sectPr".encode(), 1)
            copy.writestr(member, data)
    translated, characters = translate(source.getvalue(), "box.docx", engine)
    assert characters == len("I like dogs.") + len("The cat is black.") + len("generated by python-docx")
    body = zipfile.ZipFile(BytesIO(translated)).read("word/document.xml").decode()
    assert body.count("El gato es negro.") == 2 and "The cat" not in body


@pytest.mark.parametrize(("name", "part"), [("cut.docx", "word/document.xml"), ("cut.pptx", "ppt/slides/slide1.xml")])
def test_a_package_whose_part_is_cut_short_is_refused_as_damaged_naming_the_part(name: str, part: str) -> None:
    """Transfuse segfaulted on a truncated document.xml (reported as our crash), and a truncated slide
    was written back broken while the task succeeded."""
    import zipfile

    from pptx import Presentation

    if name.endswith(".docx"):
        built = docx.Document()
        built.add_paragraph("The cat is black.")
    else:
        built = Presentation()
        built.slides.add_slide(built.slide_layouts[5]).shapes.title.text = "The cat is black."
    package = BytesIO()
    built.save(package)
    damaged = BytesIO()
    with zipfile.ZipFile(BytesIO(package.getvalue())) as source, zipfile.ZipFile(damaged, "w") as copy:
        for member in source.infolist():
            data = source.read(member)
            copy.writestr(member, data[:-50] if member.filename == part else data)
    with pytest.raises(UndecodableDocument, match=f"damaged: its part '{part}' is not well-formed XML"):
        extract(damaged.getvalue(), format_for(name))


def test_an_office_part_declaring_a_doctype_is_refused_not_written_back() -> None:
    """Its DOCTYPE was written back into the translation (which Word refuses to open), and the text
    an entity stood for was lost."""
    import zipfile

    built = docx.Document()
    built.add_paragraph("The cat is black.")
    package = BytesIO()
    built.save(package)
    doctype = b'<?xml version="1.0"?>\n<!DOCTYPE w:document [<!ENTITY who "the cat">]>\n'
    crafted = BytesIO()
    with zipfile.ZipFile(BytesIO(package.getvalue())) as source, zipfile.ZipFile(crafted, "w") as copy:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "word/document.xml":
                data = doctype + data[data.index(b"<w:document") :]
            copy.writestr(member, data)
    with pytest.raises(UndecodableDocument, match="'word/document.xml' declares a DOCTYPE"):
        extract(crafted.getvalue(), format_for("a.docx"))


def test_an_html_page_saved_as_text_is_translated_as_text_and_says_so() -> None:
    document = extract(b"<!DOCTYPE html>\n<html><head><title>The cat</title></head></html>\n", format_for("page.txt"))
    assert [warning.code for warning in document.warnings] == ["LooksLikeHtml"]
    document.discard()
    plain = extract(b"The cat is black.\n", format_for("a.txt"))
    assert plain.warnings == []
    plain.discard()
