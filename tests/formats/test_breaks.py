"""Tabs and line breaks inside a paragraph end the engine's sentences (formats/breaks.py): no word
crosses them, none is lost or glued, and they come back where they were. The end-to-end cases are
python-docx's and python-pptx's ordinary `"a\\tb\\nc"` paragraphs, an HTML `<br>` and a text file,
through the real converter and engine."""

from __future__ import annotations

from collections.abc import Iterator
from io import BytesIO

import docx
import polib
import pptx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pptx.util import Inches

from dragoman.engines.apertium import ApertiumEngine
from dragoman.formats.breaks import Breaks, cut
from dragoman.formats.documents import extract, format_for, inject

TABLE_ROW = "Item\tPrice\tQuantity"
ADDRESS = "Name:\tJohn Smith\nAddress:\tThe big street 5"
POEM = "The first line of the poem\nthe second line of the poem\nthe last line of the poem"


@pytest.fixture(scope="module")
def engine() -> Iterator[ApertiumEngine]:
    with ApertiumEngine() as apertium:
        yield apertium


def upper(pieces: list[str]) -> list[str]:
    return [piece.upper() for piece in pieces]


def test_tabs_cut_a_segment_and_come_back_with_their_spaces() -> None:
    pieces, join = cut(["Item\tPrice \t Quantity.", "no tab here"], Breaks(tabs=True))
    assert pieces == ["Item", "Price", "Quantity.", "no tab here"]
    assert join(upper(pieces)) == ["ITEM\tPRICE \t QUANTITY.", "NO TAB HERE"]


def test_a_stretch_without_words_is_kept_not_translated() -> None:
    pieces, join = cut(["\t\tTotal:\t[b]\t25"], Breaks(tabs=True))
    assert pieces == ["Total:", "25"]
    assert join(["Suma:", "25"]) == ["\t\tSuma:\t[b]\t25"]


def test_only_the_named_blanks_break_and_never_inside_a_word_bound_span() -> None:
    segment = "One[br]two[img]three [[t:b:x]]four[br]five[[/]] six"
    pieces, join = cut([segment], Breaks(blanks=frozenset({"[br]"})))
    assert pieces == ["One", "two[img]three [[t:b:x]]four[br]five[[/]] six"]
    assert join(pieces) == [segment]


def test_tabs_are_left_alone_where_they_are_layout() -> None:
    pieces, join = cut(["<p>\n\t\tThe big\n\t\thouse</p>"], Breaks(tabs=False))
    assert pieces == ["<p>\n\t\tThe big\n\t\thouse</p>"]
    assert join(["<p>La casa grande</p>"]) == ["<p>La casa grande</p>"]


def test_a_line_that_began_in_small_letters_keeps_them() -> None:
    pieces, join = cut(["The cat[br]the dog[br]the USA"], Breaks(blanks=frozenset({"[br]"})))
    assert join(["El gato", "El perro", "EEUU"]) == ["El gato[br]el perro[br]EEUU"]


def test_a_translation_must_answer_every_piece() -> None:
    pieces, join = cut(["a\tb"], Breaks(tabs=True))
    with pytest.raises(ValueError):
        join(["a"])


def translate(data: bytes, name: str, engine: ApertiumEngine) -> bytes:
    document = extract(data, format_for(name))
    return inject(document, engine.translate(document.segments, "en", "es"))


def test_word_tabs_and_line_breaks_stay_between_their_words(engine: ApertiumEngine) -> None:
    """python-docx writes `add_paragraph("a\\tb\\nc")` as one run holding texts, tabs and breaks."""
    source = docx.Document()
    for text in (TABLE_ROW, ADDRESS, POEM, "Total amount:\t25 EUR"):
        source.add_paragraph(text)
    buffer = BytesIO()
    source.save(buffer)
    out = docx.Document(BytesIO(translate(buffer.getvalue(), "a.docx", engine)))
    assert [paragraph.text for paragraph in out.paragraphs] == [
        "Elemento\tPrecio\tCantidad",
        "Nombre:\tJohn Smith\nAlocución:\tLa calle grande 5",
        "La primera línea del poema\nla segunda línea del poema\nla última línea del poema",
        "Cantidad total:\t25 EUR",
    ]


def test_powerpoint_tabs_keep_their_columns(engine: ApertiumEngine) -> None:
    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[6])
    slide.shapes.add_textbox(Inches(1), Inches(1), Inches(6), Inches(3)).text_frame.text = TABLE_ROW
    buffer = BytesIO()
    deck.save(buffer)
    out = pptx.Presentation(BytesIO(translate(buffer.getvalue(), "a.pptx", engine)))
    texts = [shape.text_frame.text for shape in out.slides[0].shapes if shape.has_text_frame]
    assert texts == ["Elemento\tPrecio\tCantidad"]


def test_html_line_breaks_part_the_lines(engine: ApertiumEngine) -> None:
    page = b"<html><body><p>Item<br>Price<br>Quantity</p><p>The first line of the poem<br>the last line</p></body>"
    out = translate(page, "a.html", engine).decode()
    assert "<p>Elemento<br>Precio<br>Cantidad</p>" in out
    assert "<p>La primera línea del poema<br>la última línea</p>" in out


def test_plain_text_tabs_part_the_columns(engine: ApertiumEngine) -> None:
    out = translate(f"{TABLE_ROW}\nThe red house\tThe black cat\n".encode(), "a.txt", engine).decode()
    assert out == "Elemento\tPrecio\tCantidad\nLa casa roja\tEl gato negro\n"


def test_a_translation_begins_as_its_source_did() -> None:
    """Apertium leaves a space and a small letter where it drops a first word ("I see the day" ->
    " veo el día"), and capitalises every sentence."""
    sources = ["It costs 5 USD.", "I see the day", "  Indented", "the USA", "yes", "\n[tf-block:1-x]\n\nI see"]
    pieces, join = cut(sources, Breaks(tabs=True))
    translations = [" Cuesta 5 USD.", " veo el día", "    Sangrado", "EEUU", "Sí", "\n[tf-block:1-x]\n\n veo"]
    assert join(translations) == ["Cuesta 5 USD.", "Veo el día", "  Sangrado", "EEUU", "sí", "\n[tf-block:1-x]\n\nVeo"]


def test_two_spaces_the_engine_writes_after_a_span_are_one_unless_the_source_had_two() -> None:
    sources = ["The garden is [[t:b:x]]green[[/]] in the summer.", "Two  spaces [[t:b:x]]here[[/]].", "A [b] c"]
    pieces, join = cut(sources, Breaks())
    translated = [
        "El jardín es [[t:b:x]]verde[[/]]  en el verano.",
        "Dos  espacios [[t:b:x]]aquí[[/]]  .",
        "Un [a  b]  c",
    ]
    assert join(translated) == [
        "El jardín es [[t:b:x]]verde[[/]] en el verano.",
        translated[1],  # the source had two: left as the engine wrote it
        "Un [a  b] c",  # never inside a blank
    ]


@given(st.text(alphabet=" \t\nab\u00a0", max_size=40))
def test_runs_of_spaces_read_the_same_with_or_without_a_blank_in_the_text(written: str) -> None:
    # Text with no blank or escape is made single-spaced by one expression, not token by token: it
    # must read as the token-by-token way reads it, which a blank at the end forces.
    pieces, join = cut(["a b"], Breaks())
    (plain,) = join(["X" + written])
    (with_blank,) = join(["X" + written + "[]"])
    assert plain == with_blank.removesuffix("[]")
    assert "  " not in plain


def test_a_name_written_with_a_small_first_letter_does_not_make_the_sentence_small() -> None:
    pieces, join = cut(["iPhone users love the big screen.", "eBay sells."], Breaks())
    assert join(["Usuarios de iPhone aman la pantalla grande.", "eBay vende."]) == [
        "Usuarios de iPhone aman la pantalla grande.",
        "eBay vende.",
    ]


def test_each_line_begins_as_its_source_line_where_the_engine_dropped_its_first_word() -> None:
    """Apertium drops a subject pronoun and leaves its space, on any line ("We walk" -> " andamos")."""
    source = "I like the day\nWe walk all day\nI see the day"
    pieces, join = cut([source, "[[t:b:x]]We walk[[/]]"], Breaks())
    assert join(["Me gusta el día\n andamos todo el día\n veo el día", " [[t:b:x]]Andamos[[/]]"]) == [
        "Me gusta el día\nAndamos todo el día\nVeo el día",
        "[[t:b:x]]Andamos[[/]]",  # the space before a span's mark goes too
    ]


def test_powerpoint_paragraphs_keep_the_spaces_and_tabs_at_their_edges(engine: ApertiumEngine) -> None:
    """The converter trimmed them ("\\tThe indented line." came back without its tab)."""
    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[6])
    frame = slide.shapes.add_textbox(Inches(1), Inches(1), Inches(6), Inches(3)).text_frame
    frame.text = "\tThe red house."
    for text in ("The black cat\t", "  The big dog.", "Total:\t\t25 EUR"):
        frame.add_paragraph().text = text
    buffer = BytesIO()
    deck.save(buffer)
    out = pptx.Presentation(BytesIO(translate(buffer.getvalue(), "a.pptx", engine)))
    [shape] = [shape for shape in out.slides[0].shapes if shape.has_text_frame]
    texts = [paragraph.text for paragraph in shape.text_frame.paragraphs]
    assert texts == ["\tLa casa roja.", "El gato negro\t", "  El perro grande.", "Total:\t\t25 EUR"]


def test_a_line_break_tag_in_a_catalogue_message_parts_its_lines(engine: ApertiumEngine) -> None:
    """Words moved across it: "Línea una<br>línea dos de la línea<br/>de casa tres"."""
    catalogue = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\nmsgid "The red house<br>the black cat<br/>the big dog"\nmsgstr ""\n'  # noqa: E501
    document = extract(catalogue.encode(), format_for("a.po"))
    out = inject(document, engine.translate(document.segments, "en", "es")).decode()
    assert 'msgstr "La casa roja<br>el gato negro<br/>el perro grande"' in out


def test_words_never_cross_a_templates_block_tag(engine: ApertiumEngine) -> None:
    """Each branch showed the other's words: "Bienvenido atrás, Registro de{% else %}amigo querido";
    in a catalogue the `%` of `{% if user %}` was read as a placeholder ("{% if El usuario %}")."""
    line = "{% if user %}Welcome back, dear friend{% else %}Log in{% endif %}"
    out = translate(f"{line}\n".encode(), "a.txt", engine).decode()
    assert out == "{% if user %}Bienvenido atrás, amigo querido{% else %}Registro en{% endif %}\n"
    catalogue = f'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\nmsgid "{line}"\nmsgstr ""\n'
    document = extract(catalogue.encode(), format_for("a.po"))
    entries = polib.pofile(inject(document, engine.translate(document.segments, "en", "es")).decode())
    assert [entry.msgstr for entry in entries] == [out.strip()]


def test_a_cell_after_a_tab_in_html_begins_as_its_source_did(engine: ApertiumEngine) -> None:
    """In HTML a tab is layout, not a break; the engine still dropped "We" after it (" andamos")."""
    out = translate(b"<table><tr><td>Name\tWe walk all day</td></tr></table>", "a.html", engine).decode()
    assert "Nombre\tAndamos todo el día" in out


def test_words_never_cross_a_templates_block_tag_in_a_page_either(engine: ApertiumEngine) -> None:
    """In a page the code stands in the text as sentinels of ours (htmltemplates.py), which part
    the sentences as the tags themselves do elsewhere."""
    page = b"<p>{% if user %}Welcome back, dear friend{% else %}Log in{% endif %}.</p>"
    out = translate(page, "a.html", engine).decode()
    assert "{% if user %}Bienvenido atrás, amigo querido{% else %}Registro en{% endif %}." in out
