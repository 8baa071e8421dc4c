"""Tabs and line breaks inside a paragraph: where the engine's sentences end.

A tab or a line break inside a paragraph ("Item⇥Price⇥Quantity", "Name:⇥John Smith↵Address:⇥…",
the lines of a poem) separates what the reader sees as different cells, fields or lines. Sent to
the engine as one sentence, its words were reordered across the tab or the break ("Cantidad⇥de⇥
Precio del elemento") and, in a Word run, glued together. Each stretch between breaks is therefore
sent as a sentence of its own, and the breaks themselves (with the spaces around them) never reach
the engine: they are put back between the translated stretches as they were.

What is a break depends on the format: a literal tab in a format whose text holds tabs as written
(plain text, subtitles, catalogues, cells, slides), never in HTML, Markdown or XLIFF, where a tab in
the source is only indentation; and the superblanks (`[...]`) that stand for a line-break element,
which the converter names per document (`transfuse.break_blanks`). A break inside a word-bound span
(`[[...]]…[[/]]`) is left where it is: cutting there would part a span's marks.

Shapes: `cut(segments, tabs=…, blanks=…) -> (pieces, join)`; `join(translated pieces) -> segments`,
one per segment, in order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dragoman.formats.stream import iter_tokens, tokens, visible_text

__all__ = ["Breaks", "NO_BREAKS", "cut"]


@dataclass(frozen=True, slots=True)
class Breaks:
    """What ends a sentence inside a segment: literal tabs (`tabs`), and these superblanks (`blanks`,
    each written as in the stream, brackets included)."""

    tabs: bool = False
    blanks: frozenset[str] = frozenset()


NO_BREAKS = Breaks()


def cut(segments: Sequence[str], breaks: Breaks) -> tuple[list[str], Callable[[list[str]], list[str]]]:
    """The pieces to translate (each segment cut at its breaks; stretches without visible text are
    not sent), and the function that joins their translations back into one per segment.

    The engine writes every sentence with a capital ("the second line" -> "La segunda línea"): a
    piece whose source begins with a small letter gets its translation's first word back in small
    letters, unless that word is all capitals."""
    pieces: list[str] = []
    lowered: set[int] = set()  # pieces whose source begins with a small letter
    layouts: list[list[str | None]] = []  # per segment: kept text, or None for the next translated piece
    for segment in segments:
        layout: list[str | None] = []
        for text, is_break in _stretches(segment, breaks):
            if is_break or not visible_text(text).strip():
                layout.append(text)
                continue
            if _initial(text).islower():
                lowered.add(len(pieces))
            layout.append(None)
            pieces.append(text)
        layouts.append(layout)

    def join(translated: list[str]) -> list[str]:
        if len(translated) != len(pieces):
            raise ValueError("one translation is needed per piece")
        feed = iter(_lower_initial(text) if number in lowered else text for number, text in enumerate(translated))
        return ["".join(next(feed) if item is None else item for item in layout) for layout in layouts]

    return pieces, join


def _stretches(segment: str, breaks: Breaks) -> list[tuple[str, bool]]:
    """`segment` as (text, is_break) in order: each break with the spaces next to it, and the text
    between breaks. Joined, they give back `segment`."""
    if not (breaks.tabs and "\t" in segment) and not any(blank in segment for blank in breaks.blanks):
        return [(segment, False)]
    spans = tokens(segment)
    is_break = [False] * len(spans)
    depth = 0
    for number, (start, end, kind) in enumerate(spans):
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth = max(0, depth - 1)
        elif depth == 0 and (
            (kind == "space" and breaks.tabs and segment[start] == "\t")
            or (kind == "blank" and segment[start:end] in breaks.blanks)
        ):
            is_break[number] = True
    if not any(is_break):
        return [(segment, False)]
    for number in range(len(spans)):  # spaces next to a break belong to it
        if is_break[number]:
            for step in (-1, 1):
                other = number + step
                while 0 <= other < len(spans) and spans[other][2] == "space" and not is_break[other]:
                    is_break[other] = True
                    other += step
    stretches: list[tuple[str, bool]] = []
    for (start, end, _), breaking in zip(spans, is_break, strict=True):
        if stretches and stretches[-1][1] == breaking:
            stretches[-1] = (stretches[-1][0] + segment[start:end], breaking)
        else:
            stretches.append((segment[start:end], breaking))
    return stretches


def _initial(stream: str) -> str:
    """The first visible character of `stream` that is not a space ("" if none)."""
    for _, end, kind in iter_tokens(stream):
        if kind == "text":
            return stream[end - 1]
    return ""


def _lower_initial(stream: str) -> str:
    """`stream` with its first word in small letters when only its initial is a capital ("La" ->
    "la", never "EEUU")."""
    letters = ((start, end) for start, end, kind in iter_tokens(stream) if kind == "text")
    first = next(letters, None)
    if first is None or first[1] - first[0] != 1 or not stream[first[0]].isupper():
        return stream
    if stream[first[1] : first[1] + 1].isupper():  # an acronym, a name in capitals
        return stream
    return stream[: first[0]] + stream[first[0]].lower() + stream[first[1] :]
