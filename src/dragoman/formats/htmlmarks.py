"""Superscripts and subscripts against a word (`cat<sup>1</sup>.`, `m<sup>2</sup>`), made ready for the
converter and finished after it.

A `<sub>` or `<sup>` holding no word (a footnote's mark, `<sup><a href="#fn1">1</a></sup>`; an
exponent) is set aside, a comment of ours in its place: the converter keeps a comment where it was
in its sentence and the engine reads no word there, where a number between "house" and "is" cut
"The house<sup>1</sup> is red" in two for the engine ("La casa<sup>1</sup> es rojo"). Any other is
given a space on the side it is written against a word, so the engine reads it apart from the
word, and marked with where (`data-dragoman-<nonce>-spaced`); `drop_added_spaces` takes the spaces
away again. Transfuse does the same with `tf-added-before`/`tf-added-after` attributes, but took its
spaces away only from an element whose text is its own, and, when a mark of a paragraph is followed
by a space and a later one is not, marked the wrong element (`cat<sup>1</sup>is`); on every page,
`drop_added_spaces` also takes away any space and attribute of its marks that are left.

Shapes: `prepare(page: str, nonce: str, aside: list[str]) -> list[tuple[int, int, str]]` (edits:
start, end, replacement); `drop_added_spaces(data: bytes, nonce: str) -> bytes`.
"""

from __future__ import annotations

import re

__all__ = ["drop_added_spaces", "prepare"]

_SUB_OR_SUP = re.compile(r"<(/?)(su[bp])\b[^>]*>", re.IGNORECASE)
_MARKUP = re.compile(r"<[^<>]*>")
_LETTER = re.compile(r"[^\W\d_]")
_LONGEST_MARK = 300  # a footnote's mark, with its link, is short; a longer element is not looked into


def prepare(page: str, nonce: str, aside: list[str]) -> list[tuple[int, int, str]]:
    """The edits that set aside each `<sub>`/`<sup>` with no word in it (a footnote's mark), as
    `<!--dragoman-<nonce>-c<n>-->` where `aside[n]` is the element as written, and that write a
    space before each other one against a word and after its end, marking the element with where
    (`data-dragoman-<nonce>-spaced`), so `drop_added_spaces` takes them away."""
    edits: list[tuple[int, int, str]] = []
    open_tags: list[tuple[str, re.Match[str], list[str]]] = []

    def against(position: int, other: str) -> bool:
        return 0 <= position < len(page) and not page[position].isspace() and page[position] != other

    for tag in _SUB_OR_SUP.finditer(page):
        name = tag.group(2).lower()
        if not tag.group(1):
            if not tag.group(0).endswith("/>"):
                open_tags.append((name, tag, ["before"] if against(tag.start() - 1, ">") else []))
            continue
        opener = next((index for index in range(len(open_tags) - 1, -1, -1) if open_tags[index][0] == name), None)
        if opener is None:
            continue
        _, start_tag, sides = open_tags[opener]
        del open_tags[opener:]
        content = page[start_tag.end() : tag.start()] if tag.start() - start_tag.end() <= _LONGEST_MARK else "x"
        ours = f'data-dragoman-{nonce}="' in content or "<!--dragoman-" in content  # kept elements, template code
        if not _LETTER.search(_MARKUP.sub("", content)) and not ours:
            while edits and edits[-1][0] >= start_tag.start():  # those of the marks in it
                if edits.pop()[2].startswith("<!--"):
                    aside.pop()
            edits.append((start_tag.start(), tag.end(), f"<!--dragoman-{nonce}-c{len(aside)}-->"))
            aside.append(page[start_tag.start() : tag.end()])
            continue
        if against(tag.end(), "<"):
            sides.append("after")
            edits.append((tag.end(), tag.end(), " "))
        if sides:
            marked = f'<{start_tag.group(2)} data-dragoman-{nonce}-spaced="{" ".join(sides)}"'
            edits.append((start_tag.start(), start_tag.start() + 1 + len(start_tag.group(2)), marked))
            if "before" in sides:
                edits.append((start_tag.start(), start_tag.start(), " "))
    return edits


def drop_added_spaces(data: bytes, nonce: str) -> bytes:
    """`data` (the converter's page) with each space added before a `<sub>`/`<sup>` or after its end
    taken away, as its marks say (ours, `data-dragoman-<nonce>-spaced`, and Transfuse's
    `tf-added-*`), and the marks with them."""
    if b"tf-added-" not in data and not (nonce and f"data-dragoman-{nonce}-spaced".encode() in data):
        return data
    text = data.decode("utf-8", "surrogateescape")
    ours = rf'|\s+data-dragoman-{nonce}-spaced\s*=\s*"(?P<sides>[a-z ]*)"' if nonce else ""
    mark = re.compile(rf"""\s+tf-added-(?P<side>before|after)\s*=\s*["']?1["']?{ours}""", re.IGNORECASE)
    marked = re.compile(rf"<(su[bp])\b[^>]*?(?:{mark.pattern})[^>]*>", re.IGNORECASE)
    for found in reversed(list(marked.finditer(text))):  # from the end: earlier positions stay valid
        sides = {side for m in mark.finditer(found.group(0)) for side in (m.group("side") or m.group("sides")).split()}
        start, end = found.start(), found.end()
        if "after" in sides:
            close = _end_of(text, end, found.group(1).lower())
            if close is not None:
                rest = text[close:]
                text = text[:close] + rest[len(rest) - len(rest.lstrip(" \t")) :]
        text = text[:start] + mark.sub("", found.group(0)) + text[end:]
        if "before" in sides:
            kept = text[:start].rstrip(" \t")
            text = kept + text[start:]
    return text.encode("utf-8", "surrogateescape")


def _end_of(text: str, position: int, name: str) -> int | None:
    """Where the end tag of the `name` element whose content begins at `position` ends, or None."""
    depth = 1
    for tag in _SUB_OR_SUP.finditer(text, position):
        if tag.group(2).lower() != name:
            continue
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return tag.end()
    return None
