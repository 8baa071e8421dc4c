"""Apertium's stream format: the interchange text between document formats and engines.

Text characters are plain, except that `\\` escapes the next character. `[...]` is a superblank
(formatting that travels through the engine untouched); `[[...]]` opens a word-bound blank that
ends at `[[/]]`. Splitting and counting must respect all three.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["iter_tokens", "split_stream", "tokens", "visible_text"]

_SENTENCE_END = ".!?;:"


def _tokens(stream: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, kind) with kind "text", "space", "blank", "open" or "close"."""
    i, n = 0, len(stream)
    while i < n:
        c = stream[i]
        if c == "\\":
            yield i, min(i + 2, n), "text"
            i += 2
        elif c == "[":
            wordbound = stream.startswith("[[", i)
            j = i + (2 if wordbound else 1)
            while j < n:
                if stream[j] == "\\":
                    j += 2
                    continue
                if stream[j] == "]":
                    break
                j += 1
            end = min(j + (2 if wordbound else 1), n)
            if wordbound:
                yield i, end, "close" if stream[i:end] == "[[/]]" else "open"
            else:
                yield i, end, "blank"
            i = end
        else:
            yield i, i + 1, "space" if c.isspace() else "text"
            i += 1


def tokens(stream: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of each token of `stream`: kind "text" (a character or an escape), "space",
    "blank" (a superblank), "open" or "close" (a word-bound blank's marks)."""
    return list(_tokens(stream))


def iter_tokens(stream: str) -> Iterator[tuple[int, int, str]]:
    """The tokens of `stream` as `tokens` gives them, one at a time (for a look at its beginning)."""
    return _tokens(stream)


# What `_tokens` reads as an escape or a blank, in one expression (the text between is kept as it is):
# an escape; a word-bound mark, `[[` to the first unescaped `]` and one character more; a superblank,
# `[` to the first unescaped `]`; an unclosed one runs to the end.
_HIDDEN = re.compile(r"\\(.)|\[\[(?:[^\]\\]|\\.|\\\Z)*(?:\].?|\Z)|\[(?:[^\]\\]|\\.|\\\Z)*(?:\]|\Z)", re.DOTALL)


def visible_text(stream: str) -> str:
    """The text a reader sees: escapes resolved, blanks dropped."""
    if "[" not in stream and "\\" not in stream:
        return stream
    return _HIDDEN.sub(lambda match: match.group(1) or "", stream)


def split_stream(stream: str, max_chars: int) -> list[str]:
    """Cut a long block into pieces of about `max_chars` at sentence ends (else at spaces), never
    inside a blank, an escape or a word-bound span. Joining the pieces gives back `stream`."""
    if len(stream) <= max_chars:
        return [stream]
    pieces: list[str] = []
    start = 0
    depth = 0
    sentence_cut = space_cut = -1
    previous = ""
    for tok_start, tok_end, kind in _tokens(stream):
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth = max(0, depth - 1)
        elif kind == "space" and depth == 0 and tok_start > start:
            space_cut = tok_end
            if previous in _SENTENCE_END:
                sentence_cut = tok_end
        if kind == "text":
            previous = stream[tok_start:tok_end]
        elif kind != "space":
            previous = ""
        if tok_end - start >= max_chars:
            cut = sentence_cut if sentence_cut > start else space_cut
            if cut > start:
                pieces.append(stream[start:cut])
                start = cut
                sentence_cut = space_cut = -1
    pieces.append(stream[start:])
    return [piece for piece in pieces if piece]
