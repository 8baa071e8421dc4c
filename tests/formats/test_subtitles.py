"""Subtitles (.srt, .vtt): cues translated, everything else byte for byte (formats/subtitles.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dragoman.engines.apertium import ApertiumEngine
from dragoman.formats.documents import extract, format_for, format_of_content_type, inject
from dragoman.formats.protect import unprotect
from dragoman.formats.subtitles import rebuild, take_apart


@pytest.fixture(scope="module")
def engine() -> Iterator[ApertiumEngine]:
    with ApertiumEngine() as apertium:
        yield apertium


SRT = (
    "1\r\n00:00:01,000 --> 00:00:02,500\r\n<i>The cat</i> is black.\r\nI like dogs.\r\n\r\n"
    "2\r\n00:00:03,000 --> 00:00:04,000 X1:40 X2:600\r\n{\\an8}The house is red.\r\n\r\n"
    "3\r\n00:00:05,000 --> 00:00:06,000\r\n♪\r\n"
)
VTT = (
    "WEBVTT - The black cat\n\nNOTE The house is red and this note is not shown\n\n"
    "STYLE\n::cue { color: red }\n\n"
    "intro\n00:01.000 --> 00:02.000 align:start line:0\n<v Anna>The red house</v>\n\n"
    "00:02.000 --> 00:04.000\nI like <c.yellow>dogs</c>.\n"
)


def test_only_the_cues_text_is_translated_and_every_timing_is_kept_byte_for_byte(engine: ApertiumEngine) -> None:
    document = extract(SRT.encode(), format_for("film.srt"))
    out = inject(document, engine.translate(document.segments, "en", "es")).decode()
    assert out.splitlines()[1] == "00:00:01,000 --> 00:00:02,500"
    assert "00:00:03,000 --> 00:00:04,000 X1:40 X2:600\r\n{\\an8}La casa es roja.\r\n" in out
    assert "<i>El gato</i> es negro.\r\nMe gustan los perros.\r\n" in out
    assert out.endswith("3\r\n00:00:05,000 --> 00:00:06,000\r\n♪\r\n")  # a cue with no words is left alone
    assert document.characters == len("The cat is black.\r\nI like dogs.") + len("The house is red.")


def test_webvtt_headers_notes_styles_and_cue_settings_are_kept(engine: ApertiumEngine) -> None:
    document = extract(VTT.encode(), format_for("film.vtt"))
    out = inject(document, engine.translate(document.segments, "en", "es")).decode()
    assert out.startswith("WEBVTT - The black cat\n\nNOTE The house is red and this note is not shown\n\n")
    assert "STYLE\n::cue { color: red }\n\nintro\n00:01.000 --> 00:02.000 align:start line:0\n" in out
    assert "<v Anna>La casa roja</v>" in out and "Me gustan <c.yellow>los perros</c>." in out
    assert format_of_content_type("text/vtt") == format_for("a.vtt")


@given(st.lists(st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"), max_size=30)))
def test_put_back_untranslated_the_file_is_the_same(texts: list[str]) -> None:
    stripped = [text.strip(" \t") for text in texts]
    cues = "".join(
        f"{number}\n00:00:0{number % 10},000 --> 00:00:0{number % 10},500\n{text}\n\n"
        for number, text in enumerate(stripped)
    )
    skeleton, segments, _ = take_apart(cues)
    assert rebuild(skeleton, [unprotect(segment) for segment in segments]) == cues


def test_cues_not_separated_by_a_blank_line_keep_every_timing_line_byte_for_byte() -> None:
    """youtube-dl writes WebVTT so; a line holding "-->" always starts the next cue (WebVTT §4.1)."""
    text = (
        "WEBVTT\n\n"
        "00:05:03.000 --> 00:05:04.080 align:start position:0%\nThe cat is black.\n"
        "00:05:04.080 --> 00:05:05.069 align:start position:0%\nI like dogs.\n"
    )
    skeleton, segments, _ = take_apart(text)
    assert len(segments) == 2
    out = rebuild(skeleton, ["El gato es negro.", "Me gustan los perros."])
    assert "00:05:04.080 --> 00:05:05.069 align:start position:0%\nMe gustan los perros.\n" in out
    assert out.count("align:start position:0%") == 2
