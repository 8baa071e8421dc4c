"""Many short catalogue fields packed into one plain-text document, and the translation taken apart.

A catalogue of 10,000 entities with five fields each is 50,000 short texts per target language; one
document per field would cost the batch runner a task (a claim, a file, a pipeline round trip) for
every few words. The local vendor instead writes an entity group's fields into one plain-text
document per target language: each field a paragraph of its own, after a marker paragraph
`#<nonce><index>#` that the engine passes through untouched. Paragraphs are translated apart
(the engine keeps segments apart with a full stop and a separator: engines/_blocks.py), so no word
moves from one field to another. A translation whose markers do not come back exactly, in order,
once each, is refused as a whole (ValueError); nothing is guessed.

Shapes: `pack(texts, nonce) -> str`; `unpack(document, nonce, count) -> list[str]`, the translated
texts in order. A text's leading and trailing whitespace is not sent and is put back around its
translation (`restore`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["pack", "restore", "unpack"]


def _marker(nonce: str, index: int) -> str:
    return f"#{nonce}{index:06d}#"


def pack(texts: Sequence[str], nonce: str) -> str:
    """One document holding `texts` in order (`nonce`: digits no text of the document contains)."""
    if not nonce.isdigit():
        raise ValueError("the nonce is digits")
    parts = [f"{_marker(nonce, index)}\n\n{text.strip()}\n\n" for index, text in enumerate(texts)]
    return "".join(parts)


def unpack(document: str, nonce: str, count: int) -> list[str]:
    """The `count` texts of a packed document (or of its translation), stripped. Raises ValueError
    when the markers are not exactly those `pack` wrote, in order."""
    pieces = re.split(rf"(?m)^[^\S\n]*#{re.escape(nonce)}(\d{{6}})#[^\S\n]*$", document)
    if pieces[0].strip():
        raise ValueError("text before the first field's marker")
    indexes = [int(index) for index in pieces[1::2]]
    if indexes != list(range(count)):
        raise ValueError(f"the field markers came back as {len(indexes)} of {count}, or out of order")
    return [piece.strip() for piece in pieces[2::2]]


def restore(source: str, translation: str) -> str:
    """`translation` with the leading and trailing whitespace of its `source` put back."""
    body = source.strip()
    if not body:
        return source
    start = source.index(body[0])
    return source[:start] + translation + source[start + len(body) :]
