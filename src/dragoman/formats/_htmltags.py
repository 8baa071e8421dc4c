"""The start and end tags of an HTML page, read in time linear in its length whatever it holds (the
standard library's `html.parser` takes quadratic time on a page of unclosed tags), with where each
is in the page's characters: what `html.py` and `xhtml.py` change is only the tags concerned.

Sources: HTML Living Standard, "Tokenization" (as tolerant: a `<` that begins no tag is text),
"Raw text elements", "Escapable raw text elements" and "Void elements".
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["ATTRIBUTE", "RAW_TEXT", "VOID", "Tag", "tags"]

# Elements that hold no content.
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
)
# Elements whose content is text, not markup, up to their end tag.
RAW_TEXT = frozenset({"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"})

_MARKUP = re.compile(r"<(?:(?P<end>/)?(?P<name>[A-Za-z][^\s/<>]*)|(?P<comment>!--)|(?P<other>[!?]))")
ATTRIBUTE = re.compile(
    r"""\s*(?P<name>[^\s"'<>/=]+)(?:\s*=\s*(?:"(?P<double>[^"]*)"|'(?P<single>[^']*)'|(?P<bare>[^\s<>]+)))?"""
)
_TAG_END = re.compile(r"\s*(?P<closed>/?)\s*>")
_SLASHES = re.compile(r"[\s/]+")


@dataclass(frozen=True, slots=True)
class Tag:
    """A start or end tag of a page: its name (lower case), attributes (values unescaped), where it
    is in the page's characters, and whether it ends itself (`<br/>`)."""

    name: str
    attributes: dict[str, str]
    start: int
    end: int
    is_end: bool = False
    closed: bool = False


def tags(page: str, raw_text: frozenset[str] = RAW_TEXT) -> Iterator[Tag]:
    """The start and end tags of `page`, in order; comments, declarations and the content of
    `raw_text` elements skipped."""
    position = 0
    while (found := _MARKUP.search(page, position)) is not None:
        if found.group("comment"):
            close = page.find("-->", found.end())
            position = len(page) if close < 0 else close + 3
            continue
        if found.group("other"):
            close = page.find(">", found.end())
            position = len(page) if close < 0 else close + 1
            continue
        name = found.group("name").lower()
        if found.group("end"):
            close = page.find(">", found.end())
            end = len(page) if close < 0 else close + 1
            yield Tag(name, {}, found.start(), end, is_end=True)
            position = end
            continue
        attributes: dict[str, str] = {}
        cursor = found.end()
        while True:
            slashes = _SLASHES.match(page, cursor)  # `<a/b>`: a slash between attributes is a space
            if slashes is not None and _TAG_END.match(page, cursor) is None:
                cursor = slashes.end()
            attribute = ATTRIBUTE.match(page, cursor)
            if attribute is None:
                break
            value = next((v for v in attribute.group("double", "single", "bare") if v is not None), "")
            attributes.setdefault(attribute.group("name").lower(), html.unescape(value))
            cursor = attribute.end()
        ending = _TAG_END.match(page, cursor)
        if ending is None:  # not a tag after all
            position = found.start() + 1
            continue
        tag = Tag(name, attributes, found.start(), ending.end(), closed=bool(ending.group("closed")))
        yield tag
        position = tag.end
        if name in raw_text and not tag.closed:
            close_tag = re.compile(rf"</{re.escape(name)}[\s/>]", re.IGNORECASE).search(page, position)
            position = len(page) if close_tag is None else close_tag.start()
        elif name == "plaintext":
            return
