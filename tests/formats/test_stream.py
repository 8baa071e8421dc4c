from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dragoman.formats.stream import split_stream, visible_text

_PIECES = st.sampled_from(["Hello", " ", "world", ". ", "\\[", "[<b>]", "[[t:b:x]]", "[[/]]", "\n", "é", "?", "\\\\"])


@given(st.lists(_PIECES, max_size=200), st.integers(min_value=1, max_value=50))
def test_split_pieces_join_back_to_the_stream(parts: list[str], size: int) -> None:
    stream = "".join(parts)
    pieces = split_stream(stream, size)
    assert "".join(pieces) == stream
    # never cut inside an escape or a blank: each piece reads the same alone as in the whole
    assert "".join(visible_text(piece) for piece in pieces) == visible_text(stream)


def test_split_prefers_sentence_ends_outside_word_bound_spans() -> None:
    stream = "One two. [[t:b:x]]Three. four[[/]] five six. Seven"
    pieces = split_stream(stream, 10)
    assert pieces[0] == "One two. "
    assert "".join(pieces) == stream
    assert all(p.count("[[t:b:x]]") == p.count("[[/]]") for p in pieces)


def test_visible_text_drops_blanks_and_resolves_escapes() -> None:
    assert visible_text("Hi [<b>]there[</b>] \\[x\\] [[t:b:1]]you[[/]]") == "Hi there [x] you"


def test_visible_text_reads_escapes_and_blanks_as_the_tokens_do() -> None:
    """Its fast path (one expression) gives what the token reader gives, on every shape of stream."""
    import random

    from dragoman.formats.stream import tokens

    def by_tokens(stream: str) -> str:
        kept = (
            stream[end - 1] if stream[start] == "\\" else stream[start:end]
            for start, end, kind in tokens(stream)
            if kind in ("text", "space")
        )
        return "".join(kept)

    rng = random.Random(13)
    for _ in range(20_000):
        stream = "".join(rng.choice("ab [[]]\\ \n/.") for _ in range(rng.randint(0, 16)))
        assert visible_text(stream) == by_tokens(stream), stream
