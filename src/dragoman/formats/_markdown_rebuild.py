"""A translated Markdown segment written back as Markdown (the segments `_markdown_inline.py` reads):
each span of emphasis, link, inline HTML or template tags around the words it ended up on, each
soft line break between the words it ended up between (joined where the moved word would begin a
block: `_BLOCK_START`), text unescaped, and a link whose words the engine lost added after, as it
was.

Sources: CommonMark 0.31 §4 (what may interrupt a paragraph), §6 (inlines); Apertium's stream
format (word-bound blanks, `[[a; b]]` when a word carries several).

Shape: `to_markdown(segment, place) -> text`.
"""

from __future__ import annotations

import re

from dragoman.formats._markdown_inline import Place
from dragoman.formats.plaintext import unescape
from dragoman.formats.stream import tokens

__all__ = ["to_markdown"]

# A word-bound blank's mark: the span's number, the Markdown before and after its words (`_markdown_inline._carried`)
_MARK = re.compile(r"dragoman-md:([0-9]+):([0-9a-f]*):([0-9a-f]*)")
# A soft line break's superblank: the newline and the next line's prefix (`>`, indentation), as hexadecimal
_BREAK = re.compile(r"\[dragoman-md-break:([0-9a-f]*)\]")
# What a line may not begin with once its words moved across a soft break: it would start a block
# (a heading, a quote, a list item, a thematic break, a setext underline, a fence, an HTML block)
_BLOCK_START = re.compile(r"[#>=`~|<]|[-+*](?=[ \t]|\Z)|[-*_]{3}|[0-9]{1,9}[.)](?=[ \t]|\Z)")


def to_markdown(segment: str, place: Place) -> str:
    """A translated segment as Markdown: each word's carried marks (Apertium's `[[a; b]]`, or nested
    blanks) put back as nested spans around runs of words, text unescaped. The words between two of a
    span's words are in it too; a kept piece the span held in the source, next to its words, joins
    it; a link whose words were all lost is added at the end as it was."""
    markers: dict[int, tuple[str, str]] = {}
    units: list[tuple[str, list[int] | None]] = []  # (text, spans outermost first), None for spaces
    breaks: set[int] = set()  # the units that are soft line breaks (a newline and the next line's markers)
    stack: list[list[int]] = []
    current: list[int] = []  # the spans of every open blank, outermost first (kept with `stack`)
    word: list[str] = []
    word_spans: list[int] = []

    def end_word() -> None:
        if word:
            units.append(("".join(word), list(word_spans)))
            word.clear()

    for start, end, kind in tokens(segment):
        piece = segment[start:end]
        if kind == "open":
            end_word()
            found = [_MARK.fullmatch(part.strip()) for part in piece[2:-2].split(";")]
            spans = []
            for match in found:
                if match is not None:
                    span = int(match.group(1))
                    markers[span] = (bytes.fromhex(match.group(2)).decode(), bytes.fromhex(match.group(3)).decode())
                    spans.append(span)
            stack.append(spans)
            current = [span for spans in stack for span in spans]
        elif kind == "close":
            end_word()
            if stack:
                stack.pop()
                current = [span for spans in stack for span in spans]
        elif kind == "space":
            end_word()
            units.append((piece, None))
        elif kind == "blank" and piece == "[]":
            continue
        elif kind == "blank" and (soft := _BREAK.fullmatch(piece)) is not None:
            end_word()
            breaks.add(len(units))
            units.append((bytes.fromhex(soft.group(1)).decode(), None))
        else:  # a character, an escaped one (`\\x`), or a blank of the engine's, its brackets off
            text = (piece[-1] if piece[0] == "\\" else piece) if kind == "text" else unescape(piece[1:-1])
            if word and current != word_spans:
                end_word()
            word_spans[:] = current
            word.append(text)
    end_word()
    _join_spans(units, place)
    out: list[str] = []
    open_spans: list[int] = []
    spaces = ""
    line_break = ""  # a soft break before the next word: the spaces around it go, two in a row are one
    for number, (text, carried) in enumerate(units):
        if carried is None:
            if number in breaks:
                line_break = line_break or text
            else:
                spaces += text
            continue
        common = 0
        while common < min(len(open_spans), len(carried)) and open_spans[common] == carried[common]:
            common += 1
        out.extend(markers[span][1] for span in reversed(open_spans[common:]))
        del open_spans[common:]
        openings = "".join(markers[span][0] for span in carried[common:])
        if line_break and out and not _BLOCK_START.match(openings + text):
            spaces = line_break
        elif line_break:  # at the start, or where the line would begin a block: the lines are joined
            spaces = spaces or " "
        out.append(spaces)
        spaces, line_break = "", ""
        out.append(openings)
        open_spans.extend(carried[common:])
        out.append(text)
    out.extend(markers[span][1] for span in reversed(open_spans))
    text = "".join(out).strip()
    for span, source in place.links:
        if span not in markers:  # the engine dropped the link's words: its target is not lost
            text += " " + source
    return text


def _join_spans(units: list[tuple[str, list[int] | None]], place: Place) -> None:
    """Each span over every word from its first to its last, and over a piece it held in the source
    that stands next to it; each word's spans outermost (first opened) first."""
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for number, (_text, spans) in enumerate(units):
        for span in spans or ():
            first.setdefault(span, number)
            last[span] = number
    for span, begin in first.items():  # the words the engine put between a span's words
        for number in range(begin + 1, last[span]):
            between = units[number][1]
            if between is not None and span not in between:
                between.append(span)
    inside: dict[str, set[int]] = {}
    for span, text in place.inside:
        inside.setdefault(text, set()).add(span)
    for number, (text, spans) in enumerate(units):
        if spans is None:
            continue
        for span in inside.get(text, ()):
            if span not in spans and span in first and _next_to(units, number, span):
                spans.append(span)
        spans.sort()


def _next_to(units: list[tuple[str, list[int] | None]], number: int, span: int) -> bool:
    """Whether the word before or after unit `number` (spaces apart) carries `span`."""
    for step in (-1, 1):
        other = number + step
        while 0 <= other < len(units) and units[other][1] is None:
            other += step
        if 0 <= other < len(units) and span in (units[other][1] or ()):
            return True
    return False
