"""Glossary files parsed and applied around the real engine."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dragoman.engines.apertium import ApertiumEngine
from dragoman.formats.glossary import GlossaryError, apply_glossary, parse_glossary
from dragoman.formats.plaintext import escape
from dragoman.formats.protect import protect, unprotect

XLIFF_12 = b"""<?xml version="1.0" encoding="UTF-8"?>
<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2"><file source-language="en" target-language="es"
 datatype="plaintext" original="g"><body><trans-unit id="1"><source>cat</source><target>minino</target></trans-unit>
<trans-unit id="2"><source>Dragoman</source><target>Trujam\xc3\xa1n</target></trans-unit></body></file></xliff>"""
XLIFF_20 = b"""<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0" srcLang="en" trgLang="es">
<file id="f">
<unit id="1"><segment><source>house</source><target>casona</target></segment></unit></file></xliff>"""


@pytest.fixture(scope="module")
def engine() -> Iterator[ApertiumEngine]:
    with ApertiumEngine() as apertium:
        yield apertium


@pytest.mark.parametrize(
    ("data", "fmt", "expected"),
    [
        (b"cat\tminino\n\nbatch job\tlote\n", "TSV", (("cat", "minino"), ("batch job", "lote"))),
        (b'"cat","minino"\n"a, b",c\n', "csv", (("cat", "minino"), ("a, b", "c"))),
        (XLIFF_12, "XLIFF", (("cat", "minino"), ("Dragoman", "Trujamán"))),
        (XLIFF_20, "xliff", (("house", "casona"),)),
    ],
)
def test_glossary_formats_are_read(data: bytes, fmt: str, expected: tuple[tuple[str, str], ...]) -> None:
    assert parse_glossary(data, fmt) == expected


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (b"one column only\n", "TSV"),
        (b"", "TSV"),
        (b"\xff\xfe", "CSV"),
        (b"<xliff><unclosed>", "XLIFF"),
        (b'<!DOCTYPE x [<!ENTITY e "boom">]><xliff/>', "XLIFF"),
        (b"a\tb\n", "PDF"),
    ],
)
def test_malformed_glossaries_are_refused_with_a_reason(data: bytes, fmt: str) -> None:
    with pytest.raises(GlossaryError):
        parse_glossary(data, fmt)


def test_terms_come_out_as_the_glossary_says(engine: ApertiumEngine) -> None:
    glossary = (("Dragoman", "Trujamán"), ("cat", "minino"), ("black cat", "gato negro zaino"))
    segments, restore = apply_glossary(["The Dragoman cat sleeps. My black cat is not a Dragomans."], glossary)
    out = restore(engine.translate(segments, "en", "es"))[0]
    assert "Trujamán" in out and "minino" in out and "gato negro zaino" in out
    assert "Dragomans" in out  # whole words only


def test_a_glossary_term_inside_what_is_not_prose_is_left_alone() -> None:
    segment = protect(escape("A holiday for #holiday fans"))
    swapped, restore = apply_glossary([segment], [("holiday", "fiesta")])
    assert "#holiday" in unprotect(swapped[0]) and "Zqglos" in swapped[0]  # the prose's term only
    assert unprotect(restore(swapped)[0]) == "A fiesta for #holiday fans"
