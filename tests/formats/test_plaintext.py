"""Plain text taken apart in-process: the skeleton round-trips, reserved characters survive the engine."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dragoman.engines.apertium import ApertiumEngine
from dragoman.formats.documents import extract, format_for, inject
from dragoman.formats.plaintext import escape, rebuild, take_apart, unescape

TEXT = st.text(st.sampled_from("ab .\\[]^$/@<>{}\n\r\t \ufeff"), max_size=80)


@pytest.fixture(scope="module")
def engine() -> Iterator[ApertiumEngine]:
    with ApertiumEngine() as apertium:
        yield apertium


@given(TEXT)
def test_untranslated_paragraphs_rebuild_the_original(text: str) -> None:
    skeleton, segments, characters = take_apart(text)
    assert rebuild(skeleton, segments) == text
    assert characters == sum(len(unescape(segment)) for segment in segments)


@given(TEXT)
def test_escaping_round_trips(text: str) -> None:
    assert unescape(escape(text)) == text


def test_reserved_characters_and_line_structure_survive_translation(engine: ApertiumEngine) -> None:
    source = "\ufeffThe cat [is] black, $5 a/b.\r\nI like dogs <3 {x} @home\\ok\r\n\r\n\r\n  The house is red.\r\n"
    document = extract(source.encode(), format_for("a.txt"))
    out = inject(document, engine.translate(document.segments, "en", "es")).decode()
    # `@home` is a handle: not prose, kept as it is (formats/protect.py); `~` survives too
    expected = "\ufeffEl gato [es] negro, $5 un/b.\r\nMe gustan los perros <3 {x} @home\\vale\r\n\r\n\r\n"
    assert out == expected + "  La casa es roja.\r\n"


def test_characters_are_what_a_reader_sees() -> None:
    document = extract(b"  Hello [world].\n\n\n  Bye.  \n", format_for("a.txt"))
    assert document.characters == len("Hello [world].") + len("Bye.")
