"""A Markdown text's inline content (a paragraph's, a heading's, a table cell's) read into engine
stream segments: with `_markdown_rebuild.py` (a translated segment written back as Markdown), the
private half of `markdown.py`, which handles the blocks around it.

markdown-it reads the text: `Parser` is markdown-it whose inline rules note each token's place in
the text as they run (`meta["at"] = (start, end)`, a link's text in `meta["label"]`), and count
their calls and look-aheads against a budget per character (`TooMuchWork` past it; a cancel is
heard every `_CHECK_EVERY` calls). `InlineContent` reads one text's tokens into segments, one per
stretch between hard breaks (and after a line of nothing but emphasis, a label): inline code,
autolinks, raw HTML, escapes, images, an element marked `translate="no"` or `class="notranslate"`,
footnote labels and runs of symbols (`_NOT_WORDS`) are kept in superblanks; a soft line break
travels as a superblank of its own (`[dragoman-md-break:…]`, the newline and the next line's
markers as hexadecimal); a link's text, emphasis, other inline HTML elements and a template's pair
of block tags travel in word-bound blanks (`[[dragoman-md:span:opening:closing]]…[[/]]`, the
Markdown around the words as hexadecimal), nested `_MAX_SPAN_DEPTH` deep at most; alternative
texts and titles become segments of their own, standing in the text as placeholders (U+E000, the
segment's number, U+E001: `PLACEHOLDER`). `_markdown_rebuild.to_markdown` turns a translated segment
back into Markdown.

Sources: CommonMark 0.31 §6 (inlines: §6.1 code spans, §6.2 emphasis, §6.3 links, §6.4 images,
§6.5 autolinks, §6.6 raw HTML, §6.7 hard line breaks, §6.8 soft line breaks; §4 on what may
interrupt a paragraph), GFM 0.29 §6.5 (strikethrough); Django and Jinja block tags; HTML
`translate` attribute (WHATWG HTML §3.2.6.2); markdown-it-py's inline ruler and `StateInline`.

Shapes: `Parser(block_nesting, should_abort).inline(content, env) -> tokens`;
`InlineContent(lines, places, content, tokens, line, kept).pieces(column, segments)` or
`.cell(column, segments)` append to `places` and `segments`.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dragoman.abort import AbortCheck, Aborted
from dragoman.errors import DocumentTooComplex
from dragoman.formats.plaintext import escape, unescape
from dragoman.formats.protect import keep
from dragoman.formats.stream import visible_text

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.rules_inline import StateInline
    from markdown_it.token import Token

__all__ = ["PLACEHOLDER", "PLAIN_ATTRIBUTE", "InlineContent", "Parser", "Place", "TooMuchWork"]

_MAX_SPAN_DEPTH = 40  # spans (emphasis, links) inside one another, read recursively
# Inside a text, markdown-it's look-ahead over link labels re-reads the rest of the text once per level
# of nesting it allows: inline, its own default (20) is kept, and each text's work is counted: inline
# rule calls and look-aheads allowed per character (real documents take at most 3; a line of `![a` 54,
# about 0.6 s per 10 KB), plus a floor.
_INLINE_NESTING = 20
_WORK_PER_CHARACTER = 24
_WORK_FLOOR = 50_000
_CHECK_EVERY = 4096  # inline rule calls between two looks at should_abort

_SOFT_BREAK = re.compile(r"[ \t]*\n[ \t]*")
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)")
_NO_TRANSLATE = re.compile(
    r"""\btranslate\s*=\s*["']?no\b|\bclass\s*=\s*(?:"[^"]*|'[^']*|)\bnotranslate\b""", re.IGNORECASE
)
_VERBATIM_TAGS = frozenset({"code", "kbd", "samp", "var", "tt", "pre", "script", "style", "math", "svg"})
# Kept in a text: a footnote's label (`[^note]`, GFM), and a run of symbols without a letter or digit
# (`----`, unmatched backticks): never prose, so neither sent as text nor counted as translated
_NOT_WORDS = re.compile(r"\[\^[^\]\s]{1,200}\]|[^\w\s\ue000\ue001]{4,}")
# A template's block tag (Django, Jinja, Liquid: `{% if x %}`, `{%- endfor -%}`), bounded
_TEMPLATE_TAG = re.compile(r"\{%-?[ \t]*(end)?([A-Za-z_]\w{0,50})(?:[^%\n]|%(?!\})){0,300}%\}")
# Tags that part a block tag's content into alternatives, or whose content is no text: such a pair is kept whole
_LETTERS = re.compile(r"[^\W\d_]{2}")  # a word's worth of letters
_TEMPLATE_BRANCHES = frozenset({"else", "elif", "elsif", "empty", "when", "plural"})
_TEMPLATE_VERBATIM = frozenset({"raw", "verbatim", "comment"})
_SPAN_NAMES = {"emphasis": "emphasis", "link": "links", "html": "inline HTML tags", "template": "template tags"}
# Where an alternative text's or a title's own segment goes in its text's translation (its number)
PLACEHOLDER = re.compile("\ue000([0-9]+)\ue001")
# An alternative text or title translated as a segment of its own: plain text, with a letter
PLAIN_ATTRIBUTE = re.compile(r"[^`*_\[\]<>\\&!\n\ue000\ue001]*[^\W\d_][^`*_\[\]<>\\&!\n\ue000\ue001]*")


# A pair of template tags (opening start and end, closing start and end, kept whole) and the first token after it
_Found = tuple[tuple[int, int, int, int, bool], int]


class TooMuchWork(Exception):
    """The inline parser spent its budget on one text."""


@dataclass(frozen=True, slots=True)
class Place:
    """Where a segment's translation goes: over the source from column `start` of `line` to column
    `end` of `last` (the lines between go), written as `kind` says: "text" (Markdown), "cell" (a
    table cell: bare `|` escaped), "yaml", "yaml-double", "yaml-single", "toml-double", "toml-single"
    (a front-matter value); "definition-double", "definition-single", "definition-paren" (a link
    reference definition's title); or "alt", "title-double", "title-single", "title-paren" (an
    alternative text or a link's title: no place of its own, put in by its placeholder)."""

    kind: str
    line: int = 0
    start: int = 0
    last: int = 0
    end: int = 0
    links: tuple[tuple[int, str], ...] = ()  # (span, the link's source), to add if its words were lost
    inside: tuple[tuple[int, str], ...] = ()  # (span, a kept piece's text it held); span 0: the text's own


class Parser:
    """markdown-it (CommonMark, GFM tables and strikethrough) whose inline rules note, in each token's
    `meta["at"]`, where in its text it came from, and in a link's `meta["label"]` where its text is;
    and count their calls, so that no text costs more than its budget."""

    def __init__(self, block_nesting: int, should_abort: AbortCheck) -> None:
        """`block_nesting`: the levels of blocks the parser reads (markdown-it's `maxNesting` for blocks)."""
        from markdown_it import MarkdownIt

        self.md: MarkdownIt = MarkdownIt("commonmark", options_update={"maxNesting": block_nesting})
        self.md.enable(["table", "strikethrough"]).disable(["inline", "text_join"])  # inline: per text, below
        self.should_abort = should_abort
        self.work = 0
        self.budget = 0
        ruler = self.md.inline.ruler
        for rule in list(ruler.__rules__):
            ruler.at(rule.name, self._noting(rule.name, rule.fn))
        self._tokenize = self.md.inline.tokenize
        self.md.inline.tokenize = self._tokenize_noting_label  # type: ignore[method-assign]
        self._skip_token = self.md.inline.skipToken
        self.md.inline.skipToken = self._counted_skip  # type: ignore[method-assign]

    def inline(self, content: str, env: dict[str, Any]) -> list[Token]:
        """markdown-it's inline tokens for `content`, placed. Raises TooMuchWork past its budget."""
        self.work = 0
        self.budget = _WORK_FLOOR + _WORK_PER_CHARACTER * len(content)
        self.md.options["maxNesting"] = _INLINE_NESTING  # the blocks are read: this is for inlines only
        children: list[Token] = []
        self.md.inline.parse(content, self.md, env, children)
        return children

    def _tokenize_noting_label(self, state: StateInline) -> None:
        if state.tokens and state.tokens[-1].type == "link_open":  # the link rule reads its text
            state.tokens[-1].meta.setdefault("label", (state.pos, state.posMax))
        self._tokenize(state)

    def _counted_skip(self, state: StateInline) -> None:
        """markdown-it's look-ahead over one token (a link label is read by it, a token at a time)."""
        self._step()
        self._skip_token(state)

    def _step(self) -> None:
        self.work += 1
        if self.work > self.budget:
            raise TooMuchWork()
        if self.work % _CHECK_EVERY == 0 and self.should_abort():
            raise Aborted()

    def _noting(self, name: str, rule: Callable[[StateInline, bool], bool]) -> Callable[[StateInline, bool], bool]:
        # Rules that read the pending text (a hard break's trailing spaces) are not given it as a token first.
        flush = name not in ("text", "newline", "linkify")
        delimiters = name in ("emphasis", "strikethrough")  # one text token per run of markers

        def noted(state: StateInline, silent: bool) -> bool:
            self._step()
            if silent:
                return rule(state, silent)
            if flush and state.pending:
                state.pushPending()
            start, count = state.pos, len(state.tokens)
            if not rule(state, silent):
                return False
            new = state.tokens[count:]
            if delimiters:
                position = start
                for token in new:
                    token.meta["at"] = (position, position + len(token.content))
                    position += len(token.content)
            elif name == "newline":
                if new and new[-1].type in ("softbreak", "hardbreak"):
                    new[-1].meta["at"] = (start, state.pos)
            else:
                for token in new:
                    if "at" not in token.meta:
                        token.meta["at"] = (start, state.pos)
            return True

        return noted


class InlineContent:
    """One text of the document (a paragraph, a heading, a table cell) being read into segments: its
    `content` as markdown-it gives it, and its inline tokens (`children`, placed by `Parser`), from
    line `line` of the document's `lines`. Each segment's place is appended to `places`, and the line
    of what is kept untranslated to `kept` ("attribute": an alternative text or title holding
    Markdown; "unplaced": a text whose place in its line cannot be told)."""

    def __init__(
        self,
        lines: list[str],
        places: list[Place],
        content: str,
        children: list[Token],
        line: int,
        kept: dict[str, list[int]],
    ) -> None:
        self.lines = lines
        self.places = places
        self.content = content
        self.children = children
        self.line = line
        self.kept = kept
        self.attributes: list[tuple[str, str]] = []  # (source text, kind) of this text's own attribute segments
        self.spans = 0
        self.links: list[tuple[int, str]] = []
        self.inside: list[tuple[int, str]] = []
        self.pairs: dict[int, int] = {}
        self.work = 0  # tokens looked at to place template tags
        self.kinds: dict[int, str] = {}  # span -> what it is ("emphasis", "link", "html", "template")
        self.newlines = [number for number, character in enumerate(content) if character == "\n"]
        self.content_lines = content.split("\n")
        self.templates = _template_pairs(content) if "{%" in content else []
        self.template_starts = [pair[0] for pair in self.templates]
        opened: list[int] = []
        tags: dict[int, list[tuple[str, int]]] = {}
        for number, token in enumerate(children):  # each opening token's closing one, in one pass
            if token.nesting == 1:
                opened.append(number)
            elif token.nesting == -1 and opened:
                self.pairs[opened.pop()] = number
            elif token.type == "html_inline":
                tag = _TAG.match(token.content)
                if tag is None or token.content.endswith("/>"):
                    continue
                level = tags.setdefault(token.level, [])
                name = tag.group(2).lower()
                if not tag.group(1):
                    level.append((name, number))
                    continue
                while level:
                    other, begun = level.pop()
                    if other == name:
                        self.pairs[begun] = number
                        break

    def pieces(self, start: int, segments: list[str]) -> None:
        """The text's segments: one per stretch between hard breaks at its top level, and after a line
        that holds nothing but emphasis (`**Note**`, a label: its own segment, on its own line)."""
        content = self.content
        begin, lo = 0, start
        for number, token in enumerate([*self.children, None]):
            if token is not None:
                if token.level != 0 or "at" not in token.meta or token.meta["at"][0] < lo:
                    continue
                if token.type != "hardbreak" and not (token.type == "softbreak" and self._label(begin, number, lo)):
                    continue
            hi = token.meta["at"][0] if token is not None else len(content)
            self._piece(begin, number, lo, hi, segments)
            if token is not None:
                begin, lo = number + 1, token.meta["at"][1]

    def _label(self, begin: int, end: int, lo: int) -> bool:
        """Whether tokens `begin`..`end` (a soft break), from `lo`, are one emphasis span alone on its line."""
        children, content = self.children, self.content
        number = begin
        while number < end and (children[number].type == "text" or children[number].meta.get("at", (lo,))[0] < lo):
            number += 1
        opening = children[number] if number < end else None
        closing = self.pairs.get(number, end) if opening is not None else end
        if opening is None or opening.type not in ("strong_open", "em_open") or closing >= end:
            return False
        if any(children[after].type != "text" for after in range(closing + 1, end)):
            return False
        opening_start = opening.meta["at"][1] - len(opening.markup)
        closing_end = children[closing].meta["at"][0] + len(children[closing].markup)
        return not content[lo:opening_start].strip() and not content[closing_end : children[end].meta["at"][0]].strip()

    def cell(self, column: int, segments: list[str]) -> None:
        """The cell's one segment, whose text starts at `column` of its row."""
        stream = self._stream(0, len(self.children), 0, len(self.content), ())
        end = column + len(self.content)
        self._add(stream, Place("cell", self.line, column, self.line, end), segments)

    def _piece(self, begin: int, end: int, lo: int, hi: int, segments: list[str]) -> None:
        content = self.content
        hi = len(content[:hi].rstrip(" \t"))
        while lo < hi and content[lo] in " \t":
            lo += 1
        if not any(ch.isalpha() for ch in content[lo:hi]):
            return
        first = bisect_left(self.newlines, lo)
        last = bisect_left(self.newlines, hi)
        first_text = content[lo : hi if first == last else self.newlines[first]].rstrip(" \t")
        last_text = first_text if first == last else content[self.newlines[last - 1] + 1 : hi].lstrip(" \t")
        lines = self.lines
        if self.line + last >= len(lines):
            return
        column = lines[self.line + first].find(first_text)
        last_column = column if first == last else lines[self.line + last].find(last_text)
        if column < 0 or last_column < 0:
            self.kept["unplaced"].append(self.line + first + 1)
            return
        stream = self._stream(begin, end, lo, hi, ())
        place = Place("text", self.line + first, column, self.line + last, last_column + len(last_text))
        self._add(stream, place, segments)

    def _add(self, stream: str, place: Place, segments: list[str]) -> None:
        """The text's attributes' segments (alternative texts, titles: numbered as they were made),
        then the text's own."""
        attributes, links, inside = list(self.attributes), tuple(self.links), tuple(self.inside)
        self.attributes.clear()
        self.links.clear()
        self.inside.clear()
        if not any(ch.isalpha() for ch in visible_text(stream)) and not attributes:
            return
        for source, kind in attributes:
            self.places.append(Place(kind))
            segments.append(escape(source))
        self.places.append(Place(place.kind, place.line, place.start, place.last, place.end, links, inside))
        segments.append(stream)

    def _stream(self, begin: int, end: int, lo: int, hi: int, spans: tuple[int, ...]) -> str:
        """Stream text for tokens `begin`..`end` (exclusive), which cover the text's `lo`..`hi`, inside
        the spans `spans` (innermost last)."""
        if len(spans) >= _MAX_SPAN_DEPTH:
            kinds = {self.kinds.get(span, "") for span in spans}
            nested = " and ".join(name for kind, name in _SPAN_NAMES.items() if kind in kinds)
            raise DocumentTooComplex(
                f"the Markdown text on line {self.line + 1} nests {nested} {_MAX_SPAN_DEPTH} deep or more"
            )
        content, children = self.content, self.children
        out: list[str] = []
        position, number = lo, begin
        while True:
            while number < end and (
                children[number].type == "text"
                or children[number].meta.get("at") is None
                or children[number].meta["at"][0] < position
            ):
                number += 1
            if self.templates:  # a template's block tags around words, in the text before the next token
                found = self._template(position, number, end, hi)
                if found is not None:
                    (open_start, open_end, close_start, close_end, whole), after = found
                    out.append(self._text(position, open_start, spans))
                    if whole:
                        out.append(self._kept(content[open_start:close_end], spans))
                        if _LETTERS.search(content[open_end:close_start]):  # prose between: said untranslated
                            self.kept["template"].append(self.line + 1)
                    else:
                        span = self._span("template")
                        inner = self._stream(number, after, open_end, close_start, (*spans, span))
                        opening_tag, closing_tag = content[open_start:open_end], content[close_start:close_end]
                        out.append(_carried(span, opening_tag, closing_tag, inner))
                    position, number = close_end, after
                    continue
            if number >= end:
                break
            token = children[number]
            start, stop = token.meta["at"]
            closing = self.pairs.get(number)
            kind = token.type
            if kind in ("em_open", "strong_open", "s_open") and closing is not None and closing < end:
                opening_start = stop - len(token.markup)
                closing_start = children[closing].meta.get("at", (hi, hi))[0]
                closing_end = closing_start + len(children[closing].markup)
                out.append(self._text(position, opening_start, spans))
                span = self._span("emphasis")
                inner = self._stream(number + 1, closing, stop, closing_start, (*spans, span))
                out.append(_carried(span, content[opening_start:stop], content[closing_start:closing_end], inner))
                position, number = closing_end, closing + 1
            elif kind == "link_open" and "label" in token.meta and closing is not None and closing < end:
                label_start, label_end = token.meta["label"]
                out.append(self._text(position, start, spans))
                span = self._span("link")
                tail = self._link_tail(content[label_start:label_end], content[label_end:stop], _title(token))
                self.links.append((span, _SOFT_BREAK.sub(" ", content[start:stop])))
                inner = self._stream(number + 1, closing, label_start, label_end, (*spans, span))
                out.append(_carried(span, content[start:label_start], tail, inner))
                position, number = stop, closing + 1
            elif kind == "image":
                out.append(self._text(position, start, spans))
                image = self._image(content[start:stop], len(token.content), _title(token))
                out.append(self._kept(image, spans))
                position, number = stop, number + 1
            elif kind == "html_inline" and closing is not None and closing < end:
                closing_start, closing_end = children[closing].meta["at"]
                out.append(self._text(position, start, spans))
                tag = _TAG.match(token.content)
                if _NO_TRANSLATE.search(token.content) or (tag is not None and tag.group(2).lower() in _VERBATIM_TAGS):
                    out.append(self._kept(content[start:closing_end], spans))
                else:
                    span = self._span("html")
                    inner = self._stream(number + 1, closing, stop, closing_start, (*spans, span))
                    out.append(_carried(span, content[start:stop], content[closing_start:closing_end], inner))
                position, number = closing_end, closing + 1
            elif kind == "softbreak":  # a blank standing for the newline and the next line's markers
                out.append(self._text(position, position + len(content[position:start].rstrip(" \t")), spans))
                line = bisect_right(self.newlines, stop - 1)
                out.append(_soft_break("\n" + self._prefix(line)))
                position, number = stop, number + 1
            elif kind == "hardbreak":  # inside a span: it travels as a blank, with the next line's markers
                before = position + len(content[position:start].rstrip(" \t"))
                out.append(self._text(position, before, spans))
                marker = content[before:start] + content[start:stop].split("\n")[0]
                out.append(keep(escape(marker + "\n" + self._prefix(bisect_right(self.newlines, stop - 1)))))
                position, number = stop, number + 1
            else:  # code, escapes, entities, autolinks, raw HTML: kept
                if kind == "link_open" and closing is not None:
                    stop = max(stop, children[closing].meta.get("at", (stop, stop))[1])
                    number = closing
                out.append(self._text(position, start, spans))
                out.append(self._kept(content[start:stop], spans))
                position, number = stop, number + 1
        out.append(self._text(position, hi, spans))
        return "".join(out)

    def _text(self, start: int, end: int, spans: tuple[int, ...]) -> str:
        """The text from `start` to `end`, its footnote labels and runs of symbols kept (`_NOT_WORDS`)."""
        if end <= start:
            return ""
        text = self.content[start:end]
        out: list[str] = []
        position = 0
        for match in _NOT_WORDS.finditer(text):
            out.append(escape(text[position : match.start()]))
            out.append(self._kept(match.group(0), spans))
            position = match.end()
        out.append(escape(text[position:]))
        return "".join(out)

    def _template(self, position: int, number: int, end: int, hi: int) -> _Found | None:
        """The first pair of template block tags whose opening tag stands in the text from `position`
        to the next token (`number`), and whose closing one ends by `hi`, with every token between
        whole inside it; and the number of the first token after it."""
        children = self.children
        limit = children[number].meta["at"][0] if number < end else hi
        index = bisect_left(self.template_starts, position)
        while index < len(self.templates) and self.templates[index][0] < limit:
            pair = self.templates[index]
            index += 1
            if pair[1] > limit or pair[3] > hi:
                continue
            closing, depth, furthest = number, 0, -1
            while closing < end:
                self.work += 1
                token = children[closing]
                at = token.meta.get("at") if token.type != "text" else None
                if at is not None and at[0] >= pair[2]:
                    break
                if at is not None and (at[1] > pair[2] or (token.nesting == -1 and depth == 0)):
                    break
                depth += token.nesting
                furthest = max(furthest, self.pairs.get(closing, closing))
                closing += 1
            if self.work > _WORK_FLOOR + _WORK_PER_CHARACTER * len(self.content):
                raise DocumentTooComplex(
                    f"the Markdown text on line {self.line + 1} holds too many template tags around other markup"
                )
            at = children[closing].meta.get("at") if closing < end else None
            if depth == 0 and furthest < closing and (closing >= end or (at is not None and at[0] >= pair[3])):
                return pair, closing
        return None

    def _kept(self, source: str, spans: tuple[int, ...]) -> str:
        stream = escape(_SOFT_BREAK.sub(" ", source))
        for span in (0, *spans):
            self.inside.append((span, unescape(stream)))
        return keep(stream)

    def _span(self, kind: str) -> int:
        self.spans += 1
        self.kinds[self.spans] = kind
        return self.spans

    def _prefix(self, line: int) -> str:
        """What comes before the text on the text's line `line` (a quote's `>`, a list's indentation)."""
        lines = self.lines
        if self.line + line >= len(lines) or line >= len(self.content_lines):
            return ""
        source = lines[self.line + line]
        text = self.content_lines[line].strip()
        found = source.find(text) if text else -1
        return source[:found] if found > 0 else ""

    def _attribute(self, source: str, kind: str) -> str | None:
        """A placeholder for `source` translated as a segment of its own, or None to keep it."""
        if not any(ch.isalpha() for ch in source):
            return None
        if not PLAIN_ATTRIBUTE.fullmatch(source):
            self.kept["attribute"].append(self.line + 1)
            return None
        number = len(self.places) + len(self.attributes)  # its segment's, once added
        self.attributes.append((source, kind))
        return f"\ue000{number}\ue001"

    def _link_tail(self, label: str, tail: str, title: str | None) -> str:
        """A link's source after its text (`](url "title")`, `][label]`), its title made a placeholder;
        a shortcut or collapsed reference made a full one, so that its translated text keeps its label."""
        if tail in ("]", "][]"):
            return "][" + _SOFT_BREAK.sub(" ", label) + "]"
        return _SOFT_BREAK.sub(" ", self._titled(tail, title))

    def _titled(self, tail: str, title: str | None) -> str:
        if not title or not tail.endswith(")"):
            return tail
        body = tail[:-1].rstrip()
        delimiter = body[-1:]
        if delimiter not in ('"', "'", ")"):
            return tail
        opener = "(" if delimiter == ")" else delimiter
        found = len(body) - 2
        while found >= 0 and not (body[found] == opener and _unescaped(body, found)):
            found -= 1
        if found < 0:
            return tail
        kind = {'"': "title-double", "'": "title-single", ")": "title-paren"}[delimiter]
        placeholder = self._attribute(body[found + 1 : -1], kind)
        if placeholder is None:
            return tail
        return body[: found + 1] + placeholder + tail[len(body) - 1 :]

    def _image(self, source: str, alt_length: int, title: str | None) -> str:
        """An image's source, its alternative text and title made placeholders."""
        alt = source[2 : 2 + alt_length]
        tail = source[2 + alt_length :]
        placeholder = self._attribute(alt, "alt") if "\n" not in alt else None
        if placeholder is None:
            return source[:2] + alt + self._titled(tail, title)
        if tail in ("]", "][]"):  # a reference by its text: kept as the label
            tail = "][" + alt + "]"
        return "![" + placeholder + self._titled(tail, title)


def _title(token: Token) -> str | None:
    title = token.attrGet("title")
    return title if isinstance(title, str) else None


def _unescaped(text: str, index: int) -> bool:
    backslashes = len(text[:index]) - len(text[:index].rstrip("\\"))
    return backslashes % 2 == 0


def _carried(span: int, opening: str, closing: str, inner: str) -> str:
    """`inner` in a word-bound blank whose mark holds the span's number and the Markdown to put
    around the words it ends up on (as hexadecimal: nothing in it can end the blank or mean
    anything to the engine)."""
    return f"[[dragoman-md:{span}:{opening.encode().hex()}:{closing.encode().hex()}]]{inner}[[/]]"


def _soft_break(source: str) -> str:
    """A superblank standing for a soft line break: `source` (the newline and the next line's
    markers), as hexadecimal."""
    return f"[dragoman-md-break:{source.encode().hex()}]"


def _template_pairs(content: str) -> list[tuple[int, int, int, int, bool]]:
    """Each pair of block tags in `content` (`{% if x %}` ... `{% endif %}`), opening first, as
    (opening start, opening end, closing start, closing end, whether it is kept whole: it holds
    alternatives, `{% else %}`, or no text, `{% raw %}`), in the order of their openings."""
    pairs: list[tuple[int, int, int, int, bool]] = []
    opened: list[tuple[str, int, int, bool]] = []  # name, start, end, whether alternatives were seen
    for match in _TEMPLATE_TAG.finditer(content):
        name = match.group(2).lower()
        if name in _TEMPLATE_BRANCHES and opened:
            opened[-1] = (*opened[-1][:3], True)
        elif match.group(1):
            while opened:
                other, start, stop, branched = opened.pop()
                if other == name:
                    pairs.append((start, stop, match.start(), match.end(), branched or name in _TEMPLATE_VERBATIM))
                    break
        else:
            opened.append((name, match.start(), match.end(), False))
    pairs.sort()
    return pairs
