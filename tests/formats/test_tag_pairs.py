"""Pairs of HTML-like tags in subtitles and catalogues, and spanning XLIFF codes, follow the words
they enclose when the engine reorders them (formats/tag_pairs.py, xliff_document.py). Unit cases
play the engine by hand; the end-to-end cases go through the real engine."""

from __future__ import annotations

import re
from collections.abc import Iterator

import polib
import pytest
from lxml import etree

from dragoman.engines.apertium import ApertiumEngine
from dragoman.errors import DocumentTooComplex
from dragoman.formats import tag_pairs
from dragoman.formats.documents import extract, format_for, inject
from dragoman.formats.plaintext import unescape
from dragoman.formats.protect import keep, unprotect

CARRIER = re.compile(r"\[\[dragoman-tags:[^\]]*\]\]")


@pytest.fixture(scope="module")
def engine() -> Iterator[ApertiumEngine]:
    with ApertiumEngine() as apertium:
        yield apertium


def chunks(*pieces: str) -> list[tuple[str, bool]]:
    return [(piece, piece.startswith("<")) for piece in pieces]


def back(stream: str, tags: tag_pairs.Tags) -> str:
    return unescape(tag_pairs.resolve(unprotect(stream), tags))


def test_words_inside_a_pair_carry_its_tags_and_come_back_between_them() -> None:
    stream, tags = tag_pairs.to_stream(chunks("The ", "<b>", "big", "</b>", " red house."), keep)
    assert stream.count("[[dragoman-tags:") == 1 and "<b>" not in stream  # the tags ride on the word
    carrier = CARRIER.search(stream)
    assert carrier is not None
    moved = f"La casa roja {carrier.group(0)}grande[[/]]."  # the engine moved the word last
    assert back(moved, tags) == "La casa roja <b>grande</b>."


def test_words_of_one_pair_set_apart_get_its_tags_once_around_all_of_them() -> None:
    stream, tags = tag_pairs.to_stream(chunks('<a href="https://e.com/#x">', "release notes", "</a>", " now"), keep)
    carrier = CARRIER.search(stream)
    assert carrier is not None
    mark = carrier.group(0)
    link = '<a href="https://e.com/#x">'
    assert back(f"{mark}la[[/]] {mark}emisión[[/]] ahora", tags) == f"{link}la emisión</a> ahora"
    assert back(f"{mark}notas[[/]] de {mark}emisión[[/]] ya", tags) == f"{link}notas de emisión</a> ya"


def test_two_pairs_of_the_same_tags_stay_two() -> None:
    stream, tags = tag_pairs.to_stream(chunks("<b>", "red", "</b>", " and ", "<b>", "big", "</b>"), keep)
    first, second = dict.fromkeys(match.group(0) for match in CARRIER.finditer(stream))
    assert back(f"{second}grande[[/]] y {first}rojo[[/]]", tags) == "<b>grande</b> y <b>rojo</b>"


def test_nested_pairs_open_once_around_their_common_words() -> None:
    pieces = chunks("Look: ", "<c.yellow>", "The ", "<b>", "big", "</b>", " house", "</c>", " now")
    stream, tags = tag_pairs.to_stream(pieces, keep)
    outer, inner = dict.fromkeys(match.group(0) for match in CARRIER.finditer(stream))
    translated = f"Mira: {outer}La casa[[/]] {inner}grande[[/]] ahora"
    assert back(translated, tags) == "Mira: <c.yellow>La casa <b>grande</b></c> ahora"


def test_a_pair_around_every_word_stays_at_the_edges() -> None:
    """The engine writes words no tag carries ("I like" -> "Me gustan"): a voice around the whole
    cue would lose them."""
    stream, tags = tag_pairs.to_stream(chunks("<v.loud Anne>", "I like ", "<i>", "dogs", "</i>", ".", "</v>"), keep)
    [inner] = dict.fromkeys(match.group(0) for match in CARRIER.finditer(stream))
    translated = stream.replace(f"I like {inner}dogs[[/]]", f"Me gustan {inner}los perros[[/]]")
    assert back(translated, tags) == "<v.loud Anne>Me gustan <i>los perros</i>.</v>"


def test_a_tag_without_partner_or_a_pair_without_words_stays_in_place() -> None:
    pieces = [*chunks("<v Roger>", "Hello ", "<b>"), ("%s", True), *chunks("</b>", " ", "<br>", " world")]
    stream, tags = tag_pairs.to_stream(pieces, keep)
    assert "dragoman-tags" not in stream
    assert back(stream, tags) == "<v Roger>Hello <b>%s</b> <br> world"


def test_a_badly_nested_tag_is_kept_and_its_neighbours_still_pair() -> None:
    stream, tags = tag_pairs.to_stream(chunks("<b>", "big ", "<i>", "red", "</b>", " house", "</i>"), keep)
    assert back(stream, tags) == "<b>big <i>red</b> house</i>"


def test_thousands_of_tags_cost_their_number_not_its_square() -> None:
    """Hostile messages: pairs nested as deep as allowed, 20,000 in a row, 20,000 closing tags no
    opening one matches. Each word names the pairs around it by number, and at most MAX_CARRIED."""
    deep = tag_pairs.MAX_NESTING
    for pieces in (
        chunks("x ", *["<b>", "a "] * deep, *["</b>"] * deep),
        chunks("x ", *["<b>", "a", "</b>", " "] * 20_000),
        chunks("x ", *["</i>"] * 20_000, " y"),
    ):
        source = "".join(text for text, _ in pieces)
        stream, tags = tag_pairs.to_stream(pieces, keep)
        assert len(stream) < 20 * len(source)  # a bounded blow-up, whatever the nesting
        assert max((mark.count(",") + 1 for mark in CARRIER.findall(stream)), default=0) <= tag_pairs.MAX_CARRIED
        assert back(stream, tags).replace(" ", "") == source.replace(" ", "")  # every tag, every word


def test_tags_nested_deeper_than_allowed_are_refused() -> None:
    """5,000 nested <i> around a cue came back "El La casa es Rojo": the words lost among the marks."""
    with pytest.raises(DocumentTooComplex, match="200 levels"):
        tag_pairs.to_stream(chunks(*["<i>"] * 5_000, "The house is red.", *["</i>"] * 5_000), keep)
    cue = "1\n00:00:01,000 --> 00:00:02,000\n" + "<i>" * 5_000 + "The house is red." + "</i>" * 5_000 + "\n"
    with pytest.raises(DocumentTooComplex):
        extract(cue.encode(), format_for("a.srt"))


def test_subtitle_and_catalogue_tags_follow_their_words(engine: ApertiumEngine) -> None:
    cues = "1\n00:00:01,000 --> 00:00:02,000\nThe <b>big</b> red house is here.\n\n"
    cues += '2\n00:00:03,000 --> 00:00:04,000\n<i>The old man</i> and the <font color="red">blue</font> sea.\n'
    document = extract(cues.encode(), format_for("a.srt"))
    out = inject(document, engine.translate(document.segments, "en", "es")).decode()
    assert "La casa roja <b>grande</b> es aquí." in out
    assert '<i>El hombre viejo</i> y el mar <font color="red">azul</font>.' in out
    catalogue = (
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "The <b>big</b> red house is here."\nmsgstr ""\n\n'
        'msgid "View <a href=\\"https://docs.djangoproject.com/en/%(version)s/releases/\\" target=\\"_blank\\">'
        'release notes</a> for Django %(version)s"\nmsgstr ""\n'
    )
    document = extract(catalogue.encode(), format_for("a.po"))
    entries = polib.pofile(inject(document, engine.translate(document.segments, "en", "es")).decode())
    texts = {entry.msgid: entry.msgstr for entry in entries}
    assert texts["The <b>big</b> red house is here."] == "La casa roja <b>grande</b> es aquí."
    link = next(text for source, text in texts.items() if source.startswith("View"))
    assert '<a href="https://docs.djangoproject.com/en/%(version)s/releases/" target="_blank">' in link
    assert link.count("</a>") == 1 and link.count("%(version)s") == 2


XLIFF_2 = """<?xml version="1.0" encoding="UTF-8"?>
<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0" srcLang="en">
 <file id="f"><unit id="u"><segment><source>The <sc id="1"/>big<ec startRef="1"/> red house is here.</source></segment>
 </unit><unit id="v"><segment><source>A lone <sc id="2" isolated="yes"/>start code.</source></segment></unit></file>
</xliff>"""
XLIFF_1 = """<?xml version="1.0" encoding="UTF-8"?>
<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2"><file original="a" source-language="en"
 datatype="html"><body><trans-unit id="t"><source>The <bpt id="1">&lt;b&gt;</bpt>big<ept id="1">&lt;/b&gt;</ept>
 red house is here.</source></trans-unit></body></file></xliff>"""


def test_xliff_spanning_codes_follow_their_words_each_once(engine: ApertiumEngine) -> None:
    for data in (XLIFF_2, XLIFF_1):
        document = extract(data.encode(), format_for("a.xlf"))
        out = inject(document, engine.translate(document.segments, "en", "es"), target_language="es")
        root = etree.fromstring(out)
        target = next(element for element in root.iter() if etree.QName(element).localname == "target")
        written = etree.tostring(target, encoding="unicode", with_tail=False)
        assert re.search(r"casa\s+roja <(sc|bpt) id=\"1\"[^>]*?(/>|>&lt;b&gt;</bpt>)grande<(ec|ept)", written), written
        assert "pair" not in out.decode()  # the stand-ins never reach the file
    document = extract(XLIFF_2.encode(), format_for("a.xlf"))
    lone = etree.fromstring(inject(document, engine.translate(document.segments, "en", "es"), target_language="es"))
    targets = [element for element in lone.iter() if etree.QName(element).localname == "target"]
    assert len(targets) == 2 and [code.get("id") for code in targets[1].iter("{*}sc")] == ["2"]
