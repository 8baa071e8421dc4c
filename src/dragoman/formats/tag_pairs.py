"""HTML-like tags in a plain-text message (a subtitle cue's `<b>…</b>`, a gettext message's
`<strong>…</strong>` or `<a href="…">…</a>`) carried with the words they enclose.

Hidden from the engine as superblanks, a pair of tags stayed on the word positions it had while
the engine reordered the words ("The <b>big</b> red house" came back "La <b>casa</b> roja grande",
and in a catalogue "El <b>grande</b> la casa roja"). Here the words inside a pair travel in a
word-bound blank that carries the tags (`[[dragoman-tags:…]]big[[/]]`, Apertium's "Format handling":
the engine keeps a word-bound blank on its word), and once translated each run of words carrying
the same tags is written between them again: "La casa roja <b>grande</b>".

A tag is paired with the next closing tag of its name at its level; a tag that has no partner (a
WebVTT voice `<v Roger>`, a `<br>`), a pair around no word (`<strong>%(name)s</strong>`) and a pair
around every word (`<v Anne>I like dogs.</v>`: the engine writes words of its own, such as a
pronoun, that no tag carries) stay superblanks in their place. Words of one pair that the engine
set apart get its tags once, around all of them (`<a>notas de emisión</a>`, the engine's "de"
inside): nothing is lost, and a pair is written twice only where the engine interleaved its words
with another pair's.

Shapes: `to_stream(chunks, hide) -> str` for a message as (text, is_markup) chunks in order;
`resolve(stream) -> str`, a translated stream with the tags written back in place of the carrying
blanks (still stream text, escaped).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Sequence

from dragoman.formats.plaintext import escape
from dragoman.formats.stream import tokens

__all__ = ["resolve", "to_stream"]

_OPEN = re.compile(r"<([A-Za-z][A-Za-z0-9]*)(?:[\s.][^<>]*)?>\Z")
_CLOSE = re.compile(r"</([A-Za-z][A-Za-z0-9]*)\s*>\Z")
_VOID = frozenset(
    ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"]
)
_PREFIX = "[[dragoman-tags:"
_CARRIER = re.compile(r"\[\[dragoman-tags:([A-Za-z0-9_=-]*)\]\]\Z")
_WORD = re.compile(r"\w")


def to_stream(chunks: Sequence[tuple[str, bool]], hide: Callable[[str], str]) -> str:
    """A message as engine stream text. `chunks` are its pieces in order, each (text, is_markup);
    markup that is not part of a carried pair goes through `hide` (given the escaped markup, it
    returns the superblank that keeps it whole)."""
    pairs = _pairs(chunks)
    out: list[str] = []
    active: list[int] = []  # indices of the open carried tags, outermost first
    for index, (text, is_markup) in enumerate(chunks):
        if index in pairs:  # an opening tag of a carried pair
            active.append(index)
            continue
        if active and pairs.get(active[-1]) == index:  # its closing tag
            active.pop()
            continue
        if is_markup:
            out.append(hide(escape(text)))
        elif active and text.strip():
            body = text.strip()
            start = text.index(body[0])
            payload = _payload([(chunks[number][0], chunks[pairs[number]][0], number) for number in active])
            out.append(escape(text[:start]) + f"{_PREFIX}{payload}]]{escape(body)}[[/]]")
            out.append(escape(text[start + len(body) :]))
        else:
            out.append(escape(text))
    return "".join(out)


def resolve(stream: str) -> str:
    """`stream` (translated) with its carried runs of words written between their tags again: the
    carrying blanks replaced by the escaped tags. Two runs of one pair (the engine set its words
    apart, or put a word of its own between them) are one again, with what lies between them;
    nested pairs open once around their common words."""
    out: list[str] = []
    stack: list[tuple[str, str, int]] = []  # the pairs open in `out`, outermost first
    pending = ""  # what came since the last carried run
    carrier: list[tuple[str, str, int]] | None = None
    for start, end, kind in tokens(stream):
        piece = stream[start:end]
        if kind == "open" and (found := _CARRIER.match(piece)) is not None:
            carrier = _path(found.group(1))
            common = 0
            while common < min(len(stack), len(carrier)) and stack[common] == carrier[common]:
                common += 1
            out.extend(escape(closing) for _, closing, _ in reversed(stack[common:]))
            out.append(pending)
            out.extend(escape(opening) for opening, _, _ in carrier[common:])
            stack, pending = carrier, ""
        elif kind == "close" and carrier is not None:
            carrier = None
        elif carrier is not None:
            out.append(piece)
        else:
            pending += piece
    out.extend(escape(closing) for _, closing, _ in reversed(stack))
    out.append(pending)
    return "".join(out)


def _pairs(chunks: Sequence[tuple[str, bool]]) -> dict[int, int]:
    """Opening tag index -> closing tag index, for every pair around at least one word."""
    found: dict[int, int] = {}
    stack: list[tuple[str, int]] = []
    for index, (text, is_markup) in enumerate(chunks):
        if not is_markup:
            continue
        opening, closing = _OPEN.match(text), _CLOSE.match(text)
        if opening is not None and not text.endswith("/>") and opening.group(1).lower() not in _VOID:
            stack.append((opening.group(1).lower(), index))
        elif closing is not None:
            name = closing.group(1).lower()
            depth = next((d for d in range(len(stack) - 1, -1, -1) if stack[d][0] == name), None)
            if depth is not None:
                start = stack[depth][1]
                del stack[depth:]
                inside = any(not markup and _WORD.search(text) for text, markup in chunks[start + 1 : index])
                outside = any(
                    not markup and _WORD.search(text) for text, markup in [*chunks[:start], *chunks[index + 1 :]]
                )
                if inside and outside:  # a pair around every word stays at the edges, where it is
                    found[start] = index
    return found


def _payload(path: list[tuple[str, str, int]]) -> str:
    """The carried pairs, outermost first (opening tag, closing tag, which pair of the message), as
    the carrying blank names them."""
    return base64.urlsafe_b64encode(json.dumps(path, ensure_ascii=False).encode("utf-8")).decode("ascii")


def _path(payload: str) -> list[tuple[str, str, int]]:
    try:
        path = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
        return [(str(opening), str(closing), int(number)) for opening, closing, number in path]
    except (binascii.Error, ValueError, TypeError):
        return []
