"""Segments packed into shared pipeline blocks come back apart, each exactly its own."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dragoman.engines._blocks import pack, unpack
from dragoman.formats.plaintext import escape

SEGMENTS = st.lists(st.text(st.sampled_from("ab .!?\n[]\\"), min_size=1, max_size=60).map(escape), max_size=30)


@given(SEGMENTS, st.integers(min_value=1, max_value=200))
def test_an_engine_that_changes_nothing_gives_every_segment_back(segments: list[str], max_chars: int) -> None:
    blocks = pack(segments, max_chars)
    out = [""] * len(segments)
    for block in blocks:
        parts = unpack(block, block.text)
        assert parts is not None
        for owner, part in zip(block.owners, parts, strict=True):
            out[owner] += part
    assert out == segments
    owners = [owner for block in blocks for owner in block.owners]
    assert owners == sorted(owners)  # in document order
    assert all(len(block.text) <= max_chars + 40 or len(block.pieces) == 1 for block in blocks)


def test_short_segments_share_a_block_up_to_the_size() -> None:
    blocks = pack(["One.", "Two.", "Three.", "x" * 50], 40)
    assert [block.owners for block in blocks] == [(0, 1), (2,), (3,)]


def test_a_lost_stop_or_separator_is_reported_not_guessed() -> None:
    (block,) = pack(["Heading", "Body"], 100)
    assert unpack(block, block.text.replace(b"Heading.", b"Heading")) is None
    assert unpack(block, block.text.replace(b"[dragoman:segment]", b"")) is None


def test_a_segment_holding_the_separator_text_is_never_shared() -> None:
    segments = ["One [dragoman:segment] two", "Three."]
    blocks = pack(segments, 1000)
    assert [block.owners for block in blocks] == [(0,), (1,)]
    assert unpack(blocks[0], blocks[0].text) == [segments[0]]
