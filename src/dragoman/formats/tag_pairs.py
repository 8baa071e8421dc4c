"""HTML-like tags in a plain-text message (a subtitle cue's `<b>…</b>`, a gettext message's
`<strong>…</strong>` or `<a href="…">…</a>`) carried with the words they enclose.

Hidden from the engine as superblanks, a pair of tags stayed on the word positions it had while
the engine reordered the words ("The <b>big</b> red house" came back "La <b>casa</b> roja grande",
and in a catalogue "El <b>grande</b> la casa roja"). Here the words inside a pair travel in a
word-bound blank that names the pairs around them (`[[dragoman-tags:0]]big[[/]]`, Apertium's
"Format handling": the engine keeps a word-bound blank on its word), and once translated each run
of words is written between its pairs' tags again: "La casa roja <b>grande</b>". At most
`MAX_CARRIED` pairs nested in one another are carried; deeper ones stay in place.

A tag is paired with the next closing tag of its name at its level; a tag that has no partner (a
WebVTT voice `<v Roger>`, a `<br>`), a pair around no word (`<strong>%(name)s</strong>`) and a pair
around every word (`<v Anne>I like dogs.</v>`: the engine writes words of its own, such as a
pronoun, that no tag carries) stay superblanks in their place. Words of one pair that the engine
set apart get its tags once, around all of them (`<a>notas de emisión</a>`, the engine's "de"
inside): nothing is lost, and a pair is written twice only where the engine interleaved its words
with another pair's.

Shapes: `to_stream(chunks, hide) -> (stream, tags)` for a message as (text, is_markup) chunks in
order; `resolve(stream, tags) -> str`, a translated stream with the tags written back in place of
the carrying blanks (still stream text, escaped).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from dragoman.errors import DocumentTooComplex
from dragoman.formats.plaintext import escape
from dragoman.formats.stream import tokens

__all__ = ["MAX_CARRIED", "MAX_NESTING", "Tags", "resolve", "to_stream"]

MAX_NESTING = 200  # tags open in one another in a message: past it, refused (as HTML is, html.MAX_DEPTH)
MAX_CARRIED = 8  # pairs nested in one another that words carry; deeper ones stay in place (each word
# carries every pair around it, so a message of thousands of nested pairs would grow as their square)

_OPEN = re.compile(r"<([A-Za-z][A-Za-z0-9]*)(?:[\s.][^<>]*)?>\Z")
_CLOSE = re.compile(r"</([A-Za-z][A-Za-z0-9]*)\s*>\Z")
_VOID = frozenset(
    ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"]
)
_PREFIX = "[[dragoman-tags:"
_CARRIER = re.compile(r"\[\[dragoman-tags:([0-9]+(?:,[0-9]+)*)\]\]\Z")
Tags = tuple[tuple[str, str], ...]  # per carried pair of a message, in order: (opening tag, closing tag)
_WORD = re.compile(r"\w")


def to_stream(chunks: Sequence[tuple[str, bool]], hide: Callable[[str], str]) -> tuple[str, Tags]:
    """A message as engine stream text, and the tags of its carried pairs (what `resolve` needs);
    DocumentTooComplex when its tags nest more than `MAX_NESTING` deep.
    `chunks` are its pieces in order, each (text, is_markup); markup that is not part of a carried
    pair goes through `hide` (given the escaped markup, it returns the superblank that keeps it)."""
    pairs = _pairs(chunks)
    out: list[str] = []
    tags: list[tuple[str, str]] = []
    active: list[int] = []  # the open carried pairs' numbers in `tags`, outermost first
    closing_of: list[int] = []  # and the index of each one's closing tag
    for index, (text, is_markup) in enumerate(chunks):
        if index in pairs and len(active) < MAX_CARRIED:  # an opening tag of a carried pair
            active.append(len(tags))
            closing_of.append(pairs[index])
            tags.append((text, chunks[pairs[index]][0]))
            continue
        if index in pairs:  # too deep to carry: both its tags stay where they are
            del pairs[index]
        if closing_of and closing_of[-1] == index:  # the closing tag of the innermost carried pair
            active.pop()
            closing_of.pop()
            continue
        if is_markup:
            out.append(hide(escape(text)))
        elif active and text.strip():
            body = text.strip()
            start = text.index(body[0])
            mark = ",".join(map(str, active))
            out.append(escape(text[:start]) + f"{_PREFIX}{mark}]]{escape(body)}[[/]]")
            out.append(escape(text[start + len(body) :]))
        else:
            out.append(escape(text))
    return "".join(out), tuple(tags)


def resolve(stream: str, tags: Tags) -> str:
    """`stream` (translated) with its carried runs of words written between their tags again: the
    carrying blanks replaced by the escaped tags. Two runs of one pair (the engine set its words
    apart, or put a word of its own between them) are one again, with what lies between them;
    nested pairs open once around their common words."""
    out: list[str] = []
    stack: list[int] = []  # the pairs open in `out` (their numbers in `tags`), outermost first
    pending = ""  # what came since the last carried run
    carrier: list[int] | None = None
    for start, end, kind in tokens(stream):
        piece = stream[start:end]
        if kind == "open" and (found := _CARRIER.match(piece)) is not None:
            carrier = [number for number in map(int, found.group(1).split(",")) if number < len(tags)]
            common = 0
            while common < min(len(stack), len(carrier)) and stack[common] == carrier[common]:
                common += 1
            out.extend(escape(tags[number][1]) for number in reversed(stack[common:]))
            out.append(pending)
            out.extend(escape(tags[number][0]) for number in carrier[common:])
            stack, pending = carrier, ""
        elif kind == "close" and carrier is not None:
            carrier = None
        elif carrier is not None:
            out.append(piece)
        else:
            pending += piece
    out.extend(escape(tags[number][1]) for number in reversed(stack))
    out.append(pending)
    return "".join(out)


def _pairs(chunks: Sequence[tuple[str, bool]]) -> dict[int, int]:
    """Opening tag index -> closing tag index, for every pair around some words but not all. Linear
    in the chunks: each opening tag is stacked and unstacked once."""
    words = [0]  # words[i]: how many of the first i chunks are text holding a word
    for text, is_markup in chunks:
        words.append(words[-1] + (not is_markup and _WORD.search(text) is not None))
    found: dict[int, int] = {}
    stack: list[tuple[str, int]] = []
    open_by_name: dict[str, list[int]] = {}  # name -> depths in `stack` of its open tags
    for index, (text, is_markup) in enumerate(chunks):
        if not is_markup:
            continue
        opening, closing = _OPEN.match(text), _CLOSE.match(text)
        if opening is not None and not text.endswith("/>") and opening.group(1).lower() not in _VOID:
            name = opening.group(1).lower()
            open_by_name.setdefault(name, []).append(len(stack))
            stack.append((name, index))
            if len(stack) > MAX_NESTING:
                raise DocumentTooComplex(
                    f"a message nests tags more than {MAX_NESTING} levels deep: its words could not be read "
                    "apart from its markup"
                )
        elif closing is not None and open_by_name.get(name := closing.group(1).lower()):
            depth = open_by_name[name][-1]
            start = stack[depth][1]
            for other, _ in stack[depth:]:  # this one and those left open inside it
                open_by_name[other].pop()
            del stack[depth:]
            inside = words[index] - words[start + 1] > 0
            outside = words[start] > 0 or words[-1] - words[index + 1] > 0
            if inside and outside:  # a pair around every word stays at the edges, where it is
                found[start] = index
    return found
