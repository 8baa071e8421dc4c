"""The inline markup of an XML text element (an XLIFF `<source>`, an OpenDocument `<text:p>`) carried
through the engine, so that it follows the words it was on when the engine reorders them.

An element's content becomes one stream segment:

- its text, escaped;
- a *carried* child (formatting around words: XLIFF `<g>`, `<pc>`, `<mrk>`; OpenDocument
  `<text:span>`, `<text:a>`) is not written itself: each run of text inside it goes in a word-bound
  blank naming it and every carried element around it, outermost first (`[[dragoman-x:0,3]]red[[/]]`);
  Apertium gives each word of a run its own copy and keeps it with the word wherever it goes
  ("The <g>red</g> house" comes back "La casa <g>roja</g>");
- a *kept* child (a code or field with no words of its own: XLIFF `<x/>`, `<ph>`, `<bpt>`; a
  `<text:s/>`, a page number), and a carried one with no word in it, is a superblank
  (`[dragoman-x:5]`), which the engine passes through in order.

Put back (`fill`), neighbouring words of one element are one element again, with the spaces between
them; an element split in two by the engine (its words moved apart) is written once, around its
first words, the others' text kept plain (an inline code's id is never duplicated); an element the
engine dropped with its words is put back empty at the end, so no inline code goes missing. Elements
are copied from the source with their attributes and namespaces; only their text is new. Source for
the stream: Apertium's "Format handling" (superblanks, word-bound blanks).

Shapes: `to_stream(element, kind) -> InlineText`; `fill(holder, inline, segment)` writes a translated
(unprotected) segment into `holder`'s content.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from lxml import etree

from dragoman.formats.plaintext import escape
from dragoman.formats.stream import tokens

__all__ = ["InlineText", "Kind", "fill", "to_stream"]

Kind = Literal["carry", "keep"]
_CARRIED = re.compile(r"\[\[dragoman-x:([0-9,]*)")
_KEPT = re.compile(r"\[dragoman-x:([0-9]+)\]")


@dataclass(slots=True)
class InlineText:
    """An element's content as a segment. `elements[n]` is the n-th child element met: a carried one
    emptied of content, a kept one whole; `paths[n]` the carried elements around a kept one."""

    segment: str
    characters: int  # visible characters, spaces at the ends left out
    lead: str = ""  # spaces before the first word and after the last, put back as they were
    trail: str = ""
    elements: list[etree._Element] = field(default_factory=list)
    paths: dict[int, tuple[int, ...]] = field(default_factory=dict)


def to_stream(element: etree._Element, kind: Callable[[etree._Element], Kind]) -> InlineText:
    """`element`'s content as a segment; `kind` says of each child element whether its text is
    carried with its words or the whole element kept as it is."""
    inline = InlineText("", 0)
    out: list[str] = []
    visible: list[str] = []

    def text(value: str | None, path: tuple[int, ...]) -> None:
        if not value:
            return
        visible.append(value)
        if not path:
            out.append(escape(value))
            return
        body = value.strip()
        if not body:
            out.append(escape(value))
            return
        start = value.index(body[0])
        mark = ",".join(str(number) for number in path)
        out.append(escape(value[:start]) + f"[[dragoman-x:{mark}]]{escape(body)}[[/]]")
        out.append(escape(value[start + len(body) :]))

    def walk(parent: etree._Element, path: tuple[int, ...]) -> None:
        text(parent.text, path)
        for child in parent:
            number = len(inline.elements)
            if isinstance(child.tag, str) and kind(child) == "carry" and _has_words(child):
                shell = copy.copy(child)
                shell.text, shell.tail = None, None
                for grandchild in list(shell):
                    shell.remove(grandchild)
                inline.elements.append(shell)
                walk(child, (*path, number))
            else:  # a code, a field, a comment: kept whole where it was
                kept = copy.copy(child)
                kept.tail = None
                inline.elements.append(kept)
                inline.paths[number] = path
                out.append(f"[dragoman-x:{number}]")
            text(child.tail, path)

    walk(element, ())
    segment = "".join(out)
    shown = "".join(visible)
    inline.characters = len(shown.strip())
    stripped = segment.lstrip()  # spaces at the ends are put back as they were, not translated
    inline.lead = segment[: len(segment) - len(stripped)]
    inline.segment = stripped.rstrip()
    inline.trail = stripped[len(inline.segment) :]
    return inline


def _has_words(element: etree._Element) -> bool:
    """Whether a carried element holds text that is not only spaces (the engine drops a word-bound
    blank with no word in it, so an element without one is kept whole)."""
    return any(piece.strip() for piece in element.itertext() if isinstance(piece, str))


def fill(holder: etree._Element, inline: InlineText, segment: str) -> None:
    """Replace `holder`'s content with `segment` (a translation of `inline.segment`, unprotected),
    the inline elements put back around the words they travelled with."""
    holder.text = None
    for child in list(holder):
        holder.remove(child)
    writer = _Writer(holder, inline)
    writer.append_text(inline.lead)
    pending = ""
    path: tuple[int, ...] = ()
    for start, end, token in tokens(segment):
        piece = segment[start:end]
        if token == "open":
            found = _CARRIED.match(piece)
            path = tuple(int(n) for n in found.group(1).split(",") if n) if found is not None else ()
            path = tuple(n for n in path if n < len(inline.elements) and n not in inline.paths)
        elif token == "close":
            path = ()
        elif token == "blank":
            kept = _KEPT.fullmatch(piece)
            number = int(kept.group(1)) if kept is not None else -1
            if number in inline.paths and number not in writer.placed:
                writer.move_to(inline.paths[number], pending)
                pending = ""
                writer.keep(number)
        elif token == "space":
            pending += piece
        else:
            writer.move_to(path, pending)
            pending = ""
            writer.append_text(piece[-1] if piece.startswith("\\") else piece)
    writer.move_to((), pending + inline.trail)
    writer.restore_missing()


class _Writer:
    """Builds the holder's new content: a stack of open carried elements, the text and elements
    appended to the innermost one."""

    def __init__(self, holder: etree._Element, inline: InlineText) -> None:
        self.holder, self.inline = holder, inline
        self.stack: list[tuple[int, etree._Element | None]] = []  # None: an element written already
        self.placed: set[int] = set()

    def current(self) -> etree._Element:
        return next((element for _, element in reversed(self.stack) if element is not None), self.holder)

    def append_text(self, value: str) -> None:
        parent = self.current()
        if len(parent):
            last = parent[-1]
            last.tail = (last.tail or "") + value
        else:
            parent.text = (parent.text or "") + value

    def move_to(self, path: tuple[int, ...], spaces: str) -> None:
        """Close the open elements not on `path`, write `spaces` there, then open the rest of `path`."""
        common = 0
        while common < min(len(path), len(self.stack)) and self.stack[common][0] == path[common]:
            common += 1
        del self.stack[common:]
        if spaces:
            self.append_text(spaces)
        for number in path[common:]:
            if number in self.placed:
                self.stack.append((number, None))
                continue
            element = copy.copy(self.inline.elements[number])
            self.current().append(element)
            self.placed.add(number)
            self.stack.append((number, element))

    def keep(self, number: int) -> None:
        self.current().append(copy.copy(self.inline.elements[number]))
        self.placed.add(number)

    def restore_missing(self) -> None:
        """Every element the engine lost, put back after the text (a carried one empty)."""
        self.stack.clear()
        for number in range(len(self.inline.elements)):
            if number not in self.placed:
                self.keep(number)
