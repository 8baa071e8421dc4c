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
which the converter names per document (`transfuse.break_blanks`), or that hide an HTML `<br>` in
a catalogue's message or a cue (`KEPT_LINE_BREAK`), or a template's block tag in any format
(`KEPT_TEMPLATE_BLOCK`: `{% else %}` parts two branches). A break inside a word-bound span
(`[[...]]…[[/]]`) is left where it is: cutting there would part a span's marks.

Every piece's translation also begins as its source does: with no more spaces before its first
word, and with a capital or a small letter as the source's first letter is. The engine capitalises
every sentence (the second line of a poem, a cell that reads "yes"), and where it drops a first
word it leaves a space and a small letter ("It costs" -> " Cuesta", "I see the day" -> " veo el día"),
at the start of a piece or of any of its lines. Where the source has no two spaces in a row, neither
has its translation (the engine writes two after a word-bound span it reordered).

Shapes: `cut(segments, breaks) -> (pieces, join)`; `join(translated pieces) -> segments`, one per
segment, in order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dragoman.formats.stream import iter_tokens, tokens, visible_text

__all__ = ["KEPT_LINE_BREAK", "KEPT_TEMPLATE_BLOCK", "TEMPLATE_BLOCK_TAG", "Breaks", "cut"]

_SPACE_RUN = re.compile(" {2,}")

# An HTML line break in a plain-text message (a catalogue's, a cue's) as protect.keep hides it whole
# A template's block tag as protect.keep hides it (`{% else %}`, `{% if x %}`, `{% endfor %}`): the
# branches it parts are different texts, whose words must not cross it ("Bienvenido atrás, Registro
# de{% else %}amigo querido"). A tag that writes a value (`{% url %}`, `{% translate %}`) is not one.
_BLOCK_KEYWORDS = (
    r"(?:end\w*|if|elif|else|for|empty|block|with|blocktrans\w*|plural|comment|unless|case|when|raw|verbatim"
    r"|spaceless|autoescape|filter|ifchanged|macro|call)\b"
)
TEMPLATE_BLOCK_TAG = re.compile(r"\{%-?\s*" + _BLOCK_KEYWORDS)  # such a tag as written
KEPT_TEMPLATE_BLOCK = re.compile(r"\[dragoman-keep:\\\\\{%-?\s*" + _BLOCK_KEYWORDS + r"(?:[^\]\\]|\\.)*\]")
KEPT_LINE_BREAK = re.compile(r"\[dragoman-keep:\\\\<br\b(?:[^\]\\]|\\.)*\]", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Breaks:
    """What ends a sentence inside a segment: literal tabs (`tabs`), and these superblanks (`blanks`,
    each written as in the stream, brackets included)."""

    tabs: bool = False
    blanks: frozenset[str] = frozenset()


def cut(segments: Sequence[str], breaks: Breaks) -> tuple[list[str], Callable[[list[str]], list[str]]]:
    """The pieces to translate (each segment cut at its breaks; stretches without visible text are
    not sent), and the function that joins their translations back into one per segment.

    Each piece's translation begins as its source does (`_begin_as`): the engine writes every
    sentence with a capital ("the second line" -> "La segunda línea"), leaves a space where it drops
    a first word ("It costs" -> " Cuesta") and a small letter after it ("I see" -> " veo"). And where
    the source has no two spaces in a row, neither has its translation: the engine writes two after
    a word-bound span when it reorders the words after it ("verde[[/]]  en el verano")."""
    pieces: list[str] = []
    openings: list[tuple[str, int]] = []  # per piece: its source's first letter, the spaces before it
    spaced: list[bool] = []  # per piece: whether its source holds two spaces in a row anywhere
    layouts: list[list[str | None]] = []  # per segment: kept text, or None for the next translated piece
    for segment in segments:
        layout: list[str | None] = []
        stretches = _stretches(segment, breaks)
        for text, is_break in stretches:
            if is_break or (len(stretches) > 1 and not visible_text(text).strip()):  # a segment uncut is sent
                layout.append(text)
                continue
            openings.append(_source_opening(text))
            spaced.append("  " in text)
            layout.append(None)
            pieces.append(text)
        layouts.append(layout)

    def join(translated: list[str]) -> list[str]:
        if len(translated) != len(pieces):
            raise ValueError("one translation is needed per piece")
        feed = (
            _lines_begin_as(source, _begin_as(text if double or "  " not in text else _single_spaced(text), *opening))
            for source, text, opening, double in zip(pieces, translated, openings, spaced, strict=True)
        )
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


def _opening(stream: str) -> tuple[int, str, list[int]]:
    """Where `stream`'s first visible character is (-1 if none), that character ("" if none), and
    where the spaces right before it are (a word-bound span's marks between them do not part them)."""
    spaces: list[int] = []
    for start, end, kind in iter_tokens(stream):
        if kind == "text":
            return start, stream[end - 1], spaces
        if kind == "space":
            spaces.append(start)
        elif kind == "blank":
            spaces = []
    return -1, "", []


def _source_opening(stream: str) -> tuple[str, int]:
    """What a translation of `stream` must begin as: its first letter ("" when the first word is a
    name written with a small letter and a capital inside, "iPhone", "eBay"), and how many spaces
    come before it."""
    at, initial, spaces = _opening(stream)
    if initial.islower() and _capital_inside(stream, at):
        initial = ""
    return initial, len(spaces)


def _capital_inside(stream: str, at: int) -> bool:
    """Whether the word beginning at `at` holds a capital after its first letter ("iPhone", "eBay")."""
    end = at + 1
    while end < len(stream) and (stream[end].isalnum() or stream[end] in "-'’"):
        if stream[end].isupper():
            return True
        end += 1
    return False


def _begin_as(stream: str, initial: str, spaces: int) -> str:
    """`stream` (a translation) beginning as its source did: no more spaces before its first visible
    character than the source had (`spaces`: the extra ones next to the character go), and that
    character's case the case of the source's (`initial`) when both are letters, but for a word in
    capitals ("EEUU")."""
    at, first, before = _opening(stream)
    if at < 0:
        return stream
    if len(before) > spaces:
        extra = set(before[spaces - len(before) :] if spaces else before)
        stream = (
            "".join(character for position, character in enumerate(stream[:at]) if position not in extra) + stream[at:]
        )
        at -= len(extra)
    if not (initial.isalpha() and first.isalpha()) or first.isupper() == initial.isupper():
        return stream
    if stream[at + 1 : at + 2].isupper():  # an acronym, a name in capitals
        return stream
    changed = first.lower() if initial.islower() else first.upper()
    return stream[:at] + changed + stream[at + 1 :]


_LINE_STARTS = ("\n ", "\n\t", "\t ")  # a space the engine left where a line, or a cell after a tab, begins


def _lines_begin_as(source: str, translation: str) -> str:
    """`translation` with each of its lines (or stretches after a tab) beginning as the source's line
    does, when the engine left a space at the start of a line the source did not begin with one
    (" veo el día", where it dropped the line's first word) and both have the same lines."""
    if not any(mark in translation for mark in _LINE_STARTS) or any(mark in source for mark in _LINE_STARTS):
        return translation
    source_lines, lines = _lines(source), _lines(translation)
    if len(source_lines) != len(lines):
        return translation
    return "".join(
        [lines[0]]
        + [_begin_as(line, *_source_opening(origin)) for origin, line in zip(source_lines[1:], lines[1:], strict=True)]
    )


def _lines(stream: str) -> list[str]:
    """`stream` cut after each newline or tab that is not inside a blank."""
    lines: list[str] = []
    start = 0
    for token_start, token_end, kind in iter_tokens(stream):
        if kind == "space" and stream[token_start] in "\n\t":
            lines.append(stream[start:token_end])
            start = token_end
    lines.append(stream[start:])
    return lines


def _single_spaced(stream: str) -> str:
    """`stream` with each run of plain spaces between its words (never inside a blank) one space."""
    if "[" not in stream and "\\" not in stream:  # no blank, no escape: every space is a plain one
        return _SPACE_RUN.sub(" ", stream)
    out: list[str] = []
    previous_space = False
    for start, end, kind in iter_tokens(stream):
        piece = stream[start:end]
        if kind == "space" and piece == " ":
            if previous_space:
                continue
            previous_space = True
        elif kind not in ("open", "close"):
            previous_space = False
        out.append(piece)
    return "".join(out)
