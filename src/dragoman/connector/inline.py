"""Inline codes of a connector field: markup tags found in its text, protected so a translator moves
them but cannot change them, and put back exactly when the translation comes home.

Connector fields are plain text, but a field may hold markup (`The <b>red</b> house<br/>`). Sent raw
inside an XLIFF `<source>` it would be taken for XLIFF's own elements; escaped, a translator could
rewrite or drop it. So each tag becomes an inline code (XLIFF 1.2 §2.4 "Inline Elements": `<g>` for a
paired tag, `<x/>` for a standalone one; XLIFF 2.0 §4.1.3 "Inline Elements": `<pc>`, `<ph/>`) whose
original text stays here, keyed by the code's id, and never travels back from the vendor.

What is a tag: `<name ...>`, `</name>` or `<name .../>` with an XML/HTML-like name and attributes. A
start tag and the nearest later end tag of the same name (case-insensitive) enclosing well-nested
content make a pair; everything else (void elements like `<br>`, self-closed tags, a start or end tag
without its partner) is standalone. Anything else (`a < b`, `&amp;`, a comment) is text. Finding a
tag where the author meant text costs nothing: its text is put back as it was.

Coming back, a translation (from any vendor) may hold markup only where the source did: a field is
**markup** (HTML, rich text) when its source holds a tag or a character reference (`&amp;`,
`&#39;`); in a markup field every text node of the translation is escaped as markup's text (`<`,
`>` and a `&` that starts no reference), and only the source's own tags come back as tags
(`confine`). A translation of a plain field is text, as it is, unless it holds a tag the source did
not have: that is refused (MarkupAdded), since a field whose source happened to hold no tag may
still be rendered as HTML.

Shapes: `parse(text) -> tuple[Node, ...]` where a Node is a `str`, a `Span(code, children)` (a pair)
or a `Placeholder(code)` (standalone); each `Code(id, paired, start, end, name)` has an id "1", "2",
... in document order; `codes(nodes) -> {id: Code}`; `render(nodes) -> str` (so `render(parse(t)) ==
t` for every text t); `is_markup(source) -> bool`; `escape_text(text) -> str`; `confine(source,
translation) -> str` (raises MarkupAdded).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

__all__ = [
    "Code",
    "MarkupAdded",
    "Node",
    "Placeholder",
    "Span",
    "codes",
    "confine",
    "escape_text",
    "is_markup",
    "parse",
    "render",
]

_TAG = re.compile(
    r"<(?P<close>/)?(?P<name>[A-Za-z][A-Za-z0-9:._-]*)"
    r"(?P<attributes>(?:\s+[^\s<>\"'/=]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'<>=`]+))?)*)"
    r"\s*(?P<self>/)?>"
)
# HTML 5 §13.1.4 character references: named, decimal, hexadecimal
_REFERENCE = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{0,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")
_BARE_AMPERSAND = re.compile(r"&(?!(?:[A-Za-z][A-Za-z0-9]{0,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});)")
# HTML elements that never take an end tag
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
)


@dataclass(frozen=True, slots=True)
class Code:
    """One inline code: its id in the unit, whether it is a pair, and the original tag text(s)."""

    id: str
    paired: bool
    start: str  # the start tag of a pair, or the whole standalone tag
    end: str = ""  # the end tag of a pair
    name: str = ""  # the tag's name, lowercased (for the XLIFF 1.2 ctype hint)


@dataclass(frozen=True, slots=True)
class Span:
    code: Code
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Placeholder:
    code: Code


Node = str | Span | Placeholder


@dataclass(slots=True)
class _Frame:
    """A start tag waiting for its end tag while parsing."""

    name: str
    start: str
    children: list[object] = field(default_factory=list)


def parse(text: str) -> tuple[Node, ...]:
    """`text` as text and inline codes (see the module's docstring)."""
    root: list[object] = []
    stack: list[_Frame] = []
    position = 0
    for match in _TAG.finditer(text):
        if match.start() > position:
            _parent(stack, root).append(text[position : match.start()])
        position = match.end()
        tag, name = match.group(0), match.group("name").lower()
        if match.group("close"):
            depth = next((i for i in range(len(stack) - 1, -1, -1) if stack[i].name == name), None)
            if depth is None:
                _parent(stack, root).append(("single", tag, name))
                continue
            while len(stack) > depth + 1:  # start tags never closed inside this pair: standalone
                _flatten(stack.pop(), _parent(stack, root))
            frame = stack.pop()
            _parent(stack, root).append(("pair", frame.start, tag, frame.name, frame.children))
        elif match.group("self") or name in VOID:
            _parent(stack, root).append(("single", tag, name))
        else:
            stack.append(_Frame(name, tag))
    if position < len(text):
        _parent(stack, root).append(text[position:])
    while stack:
        _flatten(stack.pop(), _parent(stack, root))
    return tuple(_number(root, iter(range(1, len(text) + 2))))


def _parent(stack: list[_Frame], root: list[object]) -> list[object]:
    return stack[-1].children if stack else root


def _flatten(frame: _Frame, into: list[object]) -> None:
    """A start tag that found no end tag: a standalone code followed by what it held."""
    into.append(("single", frame.start, frame.name))
    into.extend(frame.children)


def _number(raw: Sequence[object], counter: Iterator[int]) -> Iterator[Node]:
    """Frozen nodes, the codes numbered in document order; adjacent texts joined."""
    pending = ""
    for entry in raw:
        if isinstance(entry, str):
            pending += entry
            continue
        if pending:
            yield pending
            pending = ""
        assert isinstance(entry, tuple)
        if entry[0] == "single":
            yield Placeholder(Code(str(next(counter)), False, entry[1], name=entry[2]))
        else:
            code = Code(str(next(counter)), True, entry[1], entry[2], entry[3])
            yield Span(code, tuple(_number(entry[4], counter)))
    if pending:
        yield pending


def codes(nodes: Sequence[Node]) -> dict[str, Code]:
    """Every code in `nodes`, by id."""
    found: dict[str, Code] = {}
    for node in nodes:
        if isinstance(node, Span):
            found[node.code.id] = node.code
            found.update(codes(node.children))
        elif isinstance(node, Placeholder):
            found[node.code.id] = node.code
    return found


def render(nodes: Sequence[Node]) -> str:
    """The text `nodes` stand for, each code's original tags put back."""
    parts: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            parts.append(node)
        elif isinstance(node, Span):
            parts.extend((node.code.start, render(node.children), node.code.end))
        else:
            parts.append(node.code.start)
    return "".join(parts)


class MarkupAdded(ValueError):
    """A translation of a plain field holds a tag its source does not have."""


def is_markup(source: str) -> bool:
    """Whether a field whose source is `source` is markup: it holds a tag or a character reference."""
    return _REFERENCE.search(source) is not None or any(not isinstance(node, str) for node in parse(source))


def escape_text(text: str) -> str:
    """`text` as the text of markup: `<` and `>` escaped, and every `&` that starts no character
    reference (one that does is kept, so escaping twice changes nothing)."""
    return _BARE_AMPERSAND.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")


def _tags(nodes: Sequence[Node]) -> Iterator[str]:
    for node in nodes:
        if isinstance(node, Span):
            yield node.code.start
            yield from _tags(node.children)
            yield node.code.end
        elif isinstance(node, Placeholder):
            yield node.code.start


def confine(source: str, translation: str) -> str:
    """`translation` of a field whose source is `source`, holding markup only where the source did
    (see the module's docstring): in a markup field, text escaped and only the source's own tags kept
    as tags; a plain field's translation as it is. Idempotent. Raises MarkupAdded for a plain field's
    translation holding a tag."""
    nodes = parse(translation)
    if not is_markup(source):
        added = next(_tags(nodes), None)
        if added is not None:
            raise MarkupAdded(f"the translation holds markup its source does not have ({added[:80]!r})")
        return translation
    allowed = set(_tags(parse(source)))
    return _confined(nodes, allowed)


def _confined(nodes: Sequence[Node], allowed: set[str]) -> str:
    def tag(text: str) -> str:
        return text if text in allowed else escape_text(text)

    parts: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            parts.append(escape_text(node))
        elif isinstance(node, Span):
            parts.extend((tag(node.code.start), _confined(node.children, allowed), tag(node.code.end)))
        else:
            parts.append(tag(node.code.start))
    return "".join(parts)
