"""Markdown (CommonMark with GFM tables, strikethrough and task lists) taken apart in-process with
markdown-it-py.

Translated: the text of paragraphs, headings and table cells, wherever they are (block quotes, list
items); images' alternative texts and the titles of links and of link reference definitions (each a
segment of its own); and in the front matter, the values of the keys that hold a page's visible text
(`title`, `description`, `summary`, `subtitle`, `excerpt`; YAML or TOML, on one line), never a key.
Kept byte for byte: the rest of the front matter, code blocks (fenced and indented), HTML blocks,
thematic breaks, link reference definitions but their titles, the lines' own markers and
indentation (`#`, `>`, `-`, `1.`, a task's `[ ]`), and every line that holds no translatable text.
What is kept although a reader sees it (an HTML block's text, an alternative text or title that
holds Markdown or escapes, a text whose place in its line cannot be told) is said in
`MarkdownSkeleton.warnings` (codes HtmlBlockNotTranslated, AlternativeTextNotTranslated,
TextNotTranslated).

Inside a text, markdown-it's own inline tokens say what is what, and where (each token's place in
the source is noted as it is parsed): inline code, autolinks, raw HTML, an element marked
`translate="no"` or `class="notranslate"` (whole, with its text), images and escapes are hidden from
the engine; a link's text, emphasis (`*`, `**`, `_`, `~~`) and other inline HTML elements travel in
word-bound blanks that carry their markers (`[`...`](url "title")`), nested as they are, so the
markers follow their words when the engine reorders them ("The **red** house" comes back "La casa
**roja**"). Apertium gives each word its own copy of its blanks, joined (`[[a; b]]`); a span's words
are one span again afterwards, with the words the engine put between them ("**user guide**" comes
back "**guía de usuario**"). A link whose words the engine dropped is added after its sentence as it
was, so no target is lost. A reference link's label is never translated: a link whose text is its
label (`[Change Log]`, `[Change Log][]`) becomes a full reference (`[Cambio Registro][Change Log]`).

A paragraph spread over several lines comes back on its first line (Markdown joins a paragraph's
lines anyway), except at a hard break (two trailing spaces, or `\\`), which ends a segment and is
kept as written (inside a link or emphasis it travels as a blank, with the next line's markers).

Bounded work: markdown-it reads link labels in time quadratic in a paragraph's unclosed brackets
(`![a` repeated: seconds for 100 KB). Its inline rules are counted as they run; a paragraph that
needs more than `_WORK_PER_CHARACTER` steps per character is refused (DocumentTooComplex), and a
cancel is heard every `_CHECK_EVERY` steps. So is a document nesting blocks `MAX_NESTING` levels
deep, or spans `_MAX_SPAN_DEPTH`.

Sources: CommonMark 0.31 (§4 leaf blocks, §4.7 link reference definitions, §6 inlines: §6.2
emphasis, §6.3 links, §6.4 images, §6.7 hard line breaks), GFM 0.29 §4.10 (tables), §5.3 (task list
items), §6.5 (strikethrough); HTML `translate` attribute (WHATWG HTML §3.2.6.2).

Shapes: `take_apart(text, should_abort) -> (MarkdownSkeleton, segments, characters)`;
`rebuild(skeleton, translated) -> text`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dragoman.abort import AbortCheck, Aborted, never_abort
from dragoman.domain.specs import DocumentWarning
from dragoman.errors import DocumentTooComplex
from dragoman.formats.plaintext import escape, unescape
from dragoman.formats.protect import keep
from dragoman.formats.stream import tokens, visible_text

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.rules_inline import StateInline
    from markdown_it.token import Token

__all__ = ["MAX_NESTING", "MarkdownSkeleton", "rebuild", "take_apart"]

# Levels of nesting markdown-it reads (each block quote one, each list two); past them it reads no
# further, silently, so a document reaching them is refused. Its own default, 20, stops at ten
# nested lists, which real documents reach; this costs at most a few hundred stack frames.
MAX_NESTING = 100
_MAX_SPAN_DEPTH = 40  # spans (emphasis, links) inside one another, read recursively
# Inside a text, markdown-it's look-ahead over link labels re-reads the rest of the text once per level
# of nesting it allows: inline, its own default (20) is kept, and each text's work is counted: inline
# rule calls and look-aheads allowed per character (real documents take at most 3; a line of `![a` 54,
# about 0.6 s per 10 KB), plus a floor.
_INLINE_NESTING = 20
_WORK_PER_CHARACTER = 24
_WORK_FLOOR = 50_000
_CHECK_EVERY = 4096  # inline rule calls between two looks at should_abort

_FRONT_MATTER = re.compile(r"\A(?:---|\+\+\+)[ \t]*\r?\n.*?^(?:---|\.\.\.|\+\+\+)[ \t]*$", re.DOTALL | re.MULTILINE)
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")  # lines as markdown-it counts them
# Front matter: a top-level key whose value is a page's visible text, and that value on its line.
_FRONT_KEYS = "title|description|summary|subtitle|excerpt"
_YAML_VALUE = re.compile(rf"^(?:{_FRONT_KEYS})[ \t]*:[ \t]+(?P<value>\S.*?)[ \t]*$", re.IGNORECASE)
_TOML_VALUE = re.compile(rf"^(?:{_FRONT_KEYS})[ \t]*=[ \t]*(?P<value>\".*\"|'.*')[ \t]*$", re.IGNORECASE)
# A link reference definition on one line, with a title (CommonMark 0.31 §4.7).
_DEFINITION = re.compile(
    r"^ {0,3}\[(?P<label>[^\]\n]{1,999})\]:[ \t]*(?:<[^>\n]*>|\S+)[ \t]+"
    r"(?P<title>\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|\((?:[^()\\\n]|\\.)*\))[ \t]*$"
)
_TASK = re.compile(r"\[[ xX]\][ \t]+")  # GFM task list item's checkbox, at the start of its text
_SOFT_BREAK = re.compile(r"[ \t]*\n[ \t]*")
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)")
_NO_TRANSLATE = re.compile(
    r"""\btranslate\s*=\s*["']?no\b|\bclass\s*=\s*(?:"[^"]*|'[^']*|)\bnotranslate\b""", re.IGNORECASE
)
_VERBATIM_TAGS = frozenset({"code", "kbd", "samp", "var", "tt", "pre", "script", "style", "math", "svg"})
_HTML_TEXT = re.compile(r"<!--.*?-->|<(script|style)\b.*?</\1\s*>|<[^>]*>|&[#\w]+;", re.DOTALL | re.IGNORECASE)
_PLACEHOLDER = re.compile("\ue000([0-9]+)\ue001")
_MARK = re.compile(r"dragoman-md:([0-9]+):([0-9a-f]*):([0-9a-f]*)")
_PLAIN_ATTRIBUTE = re.compile(r"[^`*_\[\]<>\\&!\n\ue000\ue001]*[^\W\d_][^`*_\[\]<>\\&!\n\ue000\ue001]*")


class _TooMuchWork(Exception):
    """The inline parser spent its budget on one text."""


@dataclass(frozen=True, slots=True)
class _Place:
    """Where a segment's translation goes: over the source from column `start` of `line` to column
    `end` of `last` (the lines between go), written as `kind` says: "text" (Markdown), "cell" (a
    table cell: bare `|` escaped), "yaml", "yaml-double", "yaml-single", "toml-double", "toml-single"
    (a front-matter value); or "alt", "title-double", "title-single", "title-paren" (an alternative
    text or a link's title: no place of its own, put in by its placeholder)."""

    kind: str
    line: int = 0
    start: int = 0
    last: int = 0
    end: int = 0
    links: tuple[tuple[int, str], ...] = ()  # (span, the link's source), to add if its words were lost
    inside: tuple[tuple[int, str], ...] = ()  # (span, a kept piece's text it held); span 0: the text's own
    lower: bool = False  # the text starts with a small letter, which the engine capitalises


@dataclass(slots=True)
class MarkdownSkeleton:
    """The source lines, where each segment goes (`places`, in segment order), and what a reader
    sees that is kept untranslated (`warnings`)."""

    lines: list[str]
    places: list[_Place] = field(default_factory=list)
    warnings: list[DocumentWarning] = field(default_factory=list)


def take_apart(text: str, should_abort: AbortCheck = never_abort) -> tuple[MarkdownSkeleton, list[str], int]:
    """The skeleton, the texts to translate (as engine stream segments, in document order) and their
    visible characters. Raises DocumentTooComplex for blocks nested `MAX_NESTING` deep, spans nested
    `_MAX_SPAN_DEPTH` deep, or a text whose inline parse would cost more than its budget; Aborted
    once `should_abort` says so."""
    lines = _LINE.findall(text)
    parsed = text
    skeleton = MarkdownSkeleton(lines)
    segments: list[str] = []
    front = _FRONT_MATTER.match(text)
    if front is not None:  # values translated; blanked out for the parser, keeping line numbers
        parsed = "\n" * front.group(0).count("\n") + text[front.end() :]
        _front_matter(skeleton, segments, front.group(0).count("\n"))
    parser = _Parser(should_abort)
    env: dict[str, Any] = {}
    block_tokens = parser.md.parse(parsed, env)
    if any(token.level >= MAX_NESTING - 1 for token in block_tokens):  # the parser stopped there
        raise DocumentTooComplex(
            f"the Markdown document nests blocks (block quotes, lists) about {MAX_NESTING} levels deep or more, "
            "past which its text would not be read"
        )
    stack: list[str] = []
    cells: dict[int, int] = {}  # row line -> column searched from
    row_line = 0
    html_lines: list[int] = []
    kept: dict[str, list[int]] = {"attribute": [], "unplaced": []}  # what is kept untranslated, by line
    verbatim: set[int] = set()  # lines of code and HTML blocks
    for index, token in enumerate(block_tokens):
        if token.nesting == 1:
            stack.append(token.type)
            if token.type == "tr_open" and token.map is not None:
                row_line = token.map[0]
        elif token.nesting == -1 and stack:
            stack.pop()
        if token.type in ("fence", "code_block", "html_block") and token.map is not None:
            verbatim.update(range(*token.map))
        if token.type == "html_block" and token.map is not None and _shows_text(token.content):
            html_lines.append(token.map[0] + 1)
        if token.type != "inline" or token.map is None or not any(ch.isalpha() for ch in token.content):
            continue
        if should_abort():  # a cancel stops a long document between its blocks
            raise Aborted()
        in_cell = bool(stack) and stack[-1] in ("th_open", "td_open")
        content = token.content.replace("|", "\\|") if in_cell else token.content  # as written in the row
        try:
            children = parser.inline(content, env)
        except _TooMuchWork:
            raise DocumentTooComplex(
                f"the Markdown text on line {token.map[0] + 1} holds so many unclosed brackets or emphasis marks "
                "that reading its links would take too long"
            ) from None
        task = index >= 2 and block_tokens[index - 2].type == "list_item_open" and _TASK.match(content)
        text_block = _Block(skeleton, content, children, token.map[0] if not in_cell else row_line, kept)
        if in_cell:
            column = cells.get(row_line, 0)
            found = lines[row_line].find(content, column)
            if found < 0:
                kept["unplaced"].append(row_line + 1)
                continue
            cells[row_line] = found + len(content)
            text_block.cell(found, segments)
        else:
            text_block.pieces(task.end() if task else 0, segments)
    if html_lines:
        skeleton.warnings.append(
            DocumentWarning(
                "HtmlBlockNotTranslated",
                f"{_counted(len(html_lines), 'HTML block')} in the Markdown (line {_listed(html_lines)}) kept "
                "as written: the text in HTML blocks is not translated",
            )
        )
    _definition_titles(skeleton, segments, env, verbatim)
    if kept["attribute"]:
        skeleton.warnings.append(
            DocumentWarning(
                "AlternativeTextNotTranslated",
                f"{_counted(len(kept['attribute']), 'image description or link title')} holding Markdown or "
                f"escapes (line {_listed(kept['attribute'])}) kept as written",
            )
        )
    if kept["unplaced"]:
        skeleton.warnings.append(
            DocumentWarning(
                "TextNotTranslated",
                f"{_counted(len(kept['unplaced']), 'text')} whose place in its line could not be told (line "
                f"{_listed(kept['unplaced'])}) kept as written",
            )
        )
    characters = sum(len(visible_text(segment).strip()) for segment in segments)
    return skeleton, segments, characters


def rebuild(skeleton: MarkdownSkeleton, translated: list[str]) -> str:
    """The document with each text replaced by its translation (`translated`: one per segment, in
    order, already unprotected). Raises ValueError when the count is not the skeleton's."""
    if len(translated) != len(skeleton.places):
        raise ValueError("one translation is needed per text")
    lines = list(skeleton.lines)
    attributes: dict[int, str] = {}
    edits: list[tuple[_Place, str]] = []
    for number, (place, segment) in enumerate(zip(skeleton.places, translated, strict=True)):
        if place.kind in ("alt", "title-double", "title-single", "title-paren"):
            attributes[number] = _quoted(unescape(segment).strip(), place.kind)
        elif place.kind.startswith("definition-"):  # a reference definition's title, on its line
            edits.append((place, _quoted(unescape(segment).strip(), place.kind.replace("definition-", "title-"))))
        elif place.kind in ("text", "cell"):
            text = _markdown(segment, place)
            edits.append((place, re.sub(r"(?<!\\)\|", r"\\|", text) if place.kind == "cell" else text))
        else:
            edits.append((place, _quoted(unescape(segment).strip(), place.kind)))
    for place, text in sorted(edits, key=lambda edit: (edit[0].line, edit[0].start), reverse=True):
        text = _PLACEHOLDER.sub(lambda match: attributes.get(int(match.group(1)), match.group(0)), text)
        lines[place.line] = lines[place.line][: place.start] + text + lines[place.last][place.end :]
        for dropped in range(place.line + 1, place.last + 1):
            lines[dropped] = ""
    return "".join(lines)


class _Parser:
    """markdown-it (CommonMark, GFM tables and strikethrough) whose inline rules note, in each token's
    `meta["at"]`, where in its text it came from, and in a link's `meta["label"]` where its text is;
    and count their calls, so that no text costs more than its budget."""

    def __init__(self, should_abort: AbortCheck) -> None:
        from markdown_it import MarkdownIt

        self.md: MarkdownIt = MarkdownIt("commonmark", options_update={"maxNesting": MAX_NESTING})
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
        """markdown-it's inline tokens for `content`, placed. Raises _TooMuchWork past its budget."""
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
            raise _TooMuchWork()
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


class _Block:
    """One text of the document (a paragraph, a heading, a table cell) being read into segments."""

    def __init__(
        self,
        skeleton: MarkdownSkeleton,
        content: str,
        children: list[Token],
        line: int,
        kept: dict[str, list[int]],
    ) -> None:
        self.skeleton = skeleton
        self.content = content
        self.children = children
        self.line = line
        self.kept = kept
        self.attributes: list[tuple[str, str]] = []  # (source text, kind) of this text's own attribute segments
        self.spans = 0
        self.links: list[tuple[int, str]] = []
        self.inside: list[tuple[int, str]] = []
        self.pairs: dict[int, int] = {}
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
        """The text's segments: one per stretch between hard breaks at its top level."""
        content = self.content
        begin, lo = 0, start
        for number, token in enumerate([*self.children, None]):
            if token is not None and not (token.type == "hardbreak" and token.level == 0 and "at" in token.meta):
                continue
            hi = token.meta["at"][0] if token is not None else len(content)
            self._piece(begin, number, lo, hi, segments)
            if token is not None:
                begin, lo = number + 1, token.meta["at"][1]

    def cell(self, column: int, segments: list[str]) -> None:
        """The cell's one segment, whose text starts at `column` of its row."""
        stream = self._stream(0, len(self.children), 0, len(self.content), ())
        end = column + len(self.content)
        self._add(stream, _Place("cell", self.line, column, self.line, end), segments)

    def _piece(self, begin: int, end: int, lo: int, hi: int, segments: list[str]) -> None:
        content = self.content
        hi = len(content[:hi].rstrip(" \t"))
        while lo < hi and content[lo] in " \t":
            lo += 1
        if not any(ch.isalpha() for ch in content[lo:hi]):
            return
        first = content.count("\n", 0, lo)
        last = first + content.count("\n", lo, hi)
        first_text = content[lo : hi if first == last else content.index("\n", lo)].rstrip(" \t")
        last_text = first_text if first == last else content[content.rfind("\n", 0, hi) + 1 : hi].lstrip(" \t")
        lines = self.skeleton.lines
        if self.line + last >= len(lines):
            return
        column = lines[self.line + first].find(first_text)
        last_column = column if first == last else lines[self.line + last].find(last_text)
        if column < 0 or last_column < 0:
            self.kept["unplaced"].append(self.line + first + 1)
            return
        stream = self._stream(begin, end, lo, hi, ())
        place = _Place("text", self.line + first, column, self.line + last, last_column + len(last_text))
        self._add(stream, place, segments)

    def _add(self, stream: str, place: _Place, segments: list[str]) -> None:
        """The text's attributes' segments (alternative texts, titles: numbered as they were made),
        then the text's own."""
        attributes, links, inside = list(self.attributes), tuple(self.links), tuple(self.inside)
        self.attributes.clear()
        self.links.clear()
        self.inside.clear()
        if not any(ch.isalpha() for ch in visible_text(stream)) and not attributes:
            return
        for source, kind in attributes:
            self.skeleton.places.append(_Place(kind))
            segments.append(escape(source))
        self.skeleton.places.append(
            _Place(place.kind, place.line, place.start, place.last, place.end, links, inside, _starts_small(stream))
        )
        segments.append(stream)

    def _stream(self, begin: int, end: int, lo: int, hi: int, spans: tuple[int, ...]) -> str:
        """Stream text for tokens `begin`..`end` (exclusive), which cover the text's `lo`..`hi`, inside
        the spans `spans` (innermost last)."""
        if len(spans) >= _MAX_SPAN_DEPTH:
            raise DocumentTooComplex(
                f"the Markdown text on line {self.line + 1} nests emphasis or links {_MAX_SPAN_DEPTH} deep or more"
            )
        content, children = self.content, self.children
        out: list[str] = []
        position, number = lo, begin
        while number < end:
            token = children[number]
            at = token.meta.get("at") if token.type != "text" else None
            if at is None or at[0] < position:
                number += 1
                continue
            start, stop = at
            closing = self.pairs.get(number)
            kind = token.type
            if kind in ("em_open", "strong_open", "s_open") and closing is not None and closing < end:
                opening_start = stop - len(token.markup)
                closing_start = children[closing].meta.get("at", (hi, hi))[0]
                closing_end = closing_start + len(children[closing].markup)
                out.append(self._text(position, opening_start))
                span = self._span()
                inner = self._stream(number + 1, closing, stop, closing_start, (*spans, span))
                out.append(_carried(span, content[opening_start:stop], content[closing_start:closing_end], inner))
                position, number = closing_end, closing + 1
            elif kind == "link_open" and "label" in token.meta and closing is not None and closing < end:
                label_start, label_end = token.meta["label"]
                out.append(self._text(position, start))
                span = self._span()
                tail = self._link_tail(content[label_start:label_end], content[label_end:stop], _title(token))
                self.links.append((span, _SOFT_BREAK.sub(" ", content[start:stop])))
                inner = self._stream(number + 1, closing, label_start, label_end, (*spans, span))
                out.append(_carried(span, content[start:label_start], tail, inner))
                position, number = stop, closing + 1
            elif kind == "image":
                out.append(self._text(position, start))
                image = self._image(content[start:stop], len(token.content), _title(token))
                out.append(self._kept(image, spans))
                position, number = stop, number + 1
            elif kind == "html_inline" and closing is not None and closing < end:
                closing_start, closing_end = children[closing].meta["at"]
                out.append(self._text(position, start))
                tag = _TAG.match(token.content)
                if _NO_TRANSLATE.search(token.content) or (tag is not None and tag.group(2).lower() in _VERBATIM_TAGS):
                    out.append(self._kept(content[start:closing_end], spans))
                else:
                    span = self._span()
                    inner = self._stream(number + 1, closing, stop, closing_start, (*spans, span))
                    out.append(_carried(span, content[start:stop], content[closing_start:closing_end], inner))
                position, number = closing_end, closing + 1
            elif kind == "softbreak":
                out.append(self._text(position, start).rstrip(" \t") + " ")
                position, number = stop, number + 1
            elif kind == "hardbreak":  # inside a span: it travels as a blank, with the next line's markers
                before = position + len(content[position:start].rstrip(" \t"))
                out.append(self._text(position, before))
                marker = content[before:start] + content[start:stop].split("\n")[0]
                out.append(keep(escape(marker + "\n" + self._prefix(content.count("\n", 0, stop)))))
                position, number = stop, number + 1
            else:  # code, escapes, entities, autolinks, raw HTML: kept
                if kind == "link_open" and closing is not None:
                    stop = max(stop, children[closing].meta.get("at", (stop, stop))[1])
                    number = closing
                out.append(self._text(position, start))
                out.append(self._kept(content[start:stop], spans))
                position, number = stop, number + 1
        out.append(self._text(position, hi))
        return "".join(out)

    def _text(self, start: int, end: int) -> str:
        return escape(self.content[start:end]) if end > start else ""

    def _kept(self, source: str, spans: tuple[int, ...]) -> str:
        stream = escape(_SOFT_BREAK.sub(" ", source))
        for span in (0, *spans):
            self.inside.append((span, unescape(stream)))
        return keep(stream)

    def _span(self) -> int:
        self.spans += 1
        return self.spans

    def _prefix(self, line: int) -> str:
        """What comes before the text on the text's line `line` (a quote's `>`, a list's indentation)."""
        lines = self.skeleton.lines
        if self.line + line >= len(lines):
            return ""
        source = lines[self.line + line]
        text = self.content.split("\n")[line].strip()
        found = source.find(text) if text else -1
        return source[:found] if found > 0 else ""

    def _attribute(self, source: str, kind: str) -> str | None:
        """A placeholder for `source` translated as a segment of its own, or None to keep it."""
        if not any(ch.isalpha() for ch in source):
            return None
        if not _PLAIN_ATTRIBUTE.fullmatch(source):
            self.kept["attribute"].append(self.line + 1)
            return None
        number = len(self.skeleton.places) + len(self.attributes)  # its segment's, once added
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


def _starts_small(stream: str) -> bool:
    """Whether a stream's first word (inside word-bound blanks or not) starts with a small letter."""
    for start, end, kind in tokens(stream):
        if kind != "open":
            return kind == "text" and end - start == 1 and stream[start].islower()
    return False


def _carried(span: int, opening: str, closing: str, inner: str) -> str:
    """`inner` in a word-bound blank whose mark holds the span's number and the Markdown to put
    around the words it ends up on (as hexadecimal: nothing in it can end the blank or mean
    anything to the engine)."""
    return f"[[dragoman-md:{span}:{opening.encode().hex()}:{closing.encode().hex()}]]{inner}[[/]]"


def _markdown(segment: str, place: _Place) -> str:
    """A translated segment as Markdown: each word's carried marks (Apertium's `[[a; b]]`, or nested
    blanks) put back as nested spans around runs of words, text unescaped. The words between two of a
    span's words are in it too; a kept piece the span held in the source, next to its words, joins
    it; a link whose words were all lost is added at the end as it was."""
    markers: dict[int, tuple[str, str]] = {}
    units: list[tuple[str, list[int] | None]] = []  # (text, spans outermost first), None for spaces
    stack: list[list[int]] = []
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
        elif kind == "close":
            end_word()
            if stack:
                stack.pop()
        elif kind == "space":
            end_word()
            units.append((piece, None))
        elif kind == "blank" and piece == "[]":
            continue
        else:
            text = unescape(piece) if kind == "text" else unescape(piece[1:-1])
            current = [span for spans in stack for span in spans]
            if word and current != word_spans:
                end_word()
            word_spans[:] = current
            word.append(text)
    end_word()
    _join_spans(units, place)
    kept = {text for _span, text in place.inside}
    first = next((number for number, (_text, spans) in enumerate(units) if spans is not None), None)
    if place.lower and first is not None and units[first][0][:1].isupper() and units[first][0] not in kept:
        units[first] = (units[first][0][0].lower() + units[first][0][1:], units[first][1])  # as the source wrote it
    out: list[str] = []
    open_spans: list[int] = []
    spaces = ""
    for text, carried in units:
        if carried is None:
            spaces += text
            continue
        common = 0
        while common < min(len(open_spans), len(carried)) and open_spans[common] == carried[common]:
            common += 1
        out.extend(markers[span][1] for span in reversed(open_spans[common:]))
        del open_spans[common:]
        out.append(spaces)
        spaces = ""
        for span in carried[common:]:
            out.append(markers[span][0])
            open_spans.append(span)
        out.append(text)
    out.extend(markers[span][1] for span in reversed(open_spans))
    text = "".join(out).strip()
    for span, source in place.links:
        if span not in markers:  # the engine dropped the link's words: its target is not lost
            text += " " + source
    return text


def _join_spans(units: list[tuple[str, list[int] | None]], place: _Place) -> None:
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


def _quoted(text: str, kind: str) -> str:
    """A translated attribute or front-matter value written as its place needs it."""
    if kind == "alt":
        return re.sub(r"([\[\]\\])", r"\\\1", text)
    if kind == "title-double":
        return re.sub(r'(["\\])', r"\\\1", text)
    if kind == "title-single":
        return re.sub(r"(['\\])", r"\\\1", text)
    if kind == "title-paren":
        return re.sub(r"([()\\])", r"\\\1", text)
    if kind == "yaml-single":
        return text.replace("'", "''")
    if kind in ("yaml-double", "toml-double"):
        return text.replace("\\", "\\\\").replace('"', '\\"')
    if kind == "toml-single":
        return text if "'" not in text else "'" + text.replace("'", "") + "'"
    # a plain YAML scalar: quoted when the translation would read as something else
    if not text or re.search(r":\s|\s#|:$", text) or text[0] in "-?:,[]{}#&*!|>'\"%@`":
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def _front_matter(skeleton: MarkdownSkeleton, segments: list[str], count: int) -> None:
    """The front matter's visible-text values (`_FRONT_KEYS`, top-level, on one line) as segments."""
    lines = skeleton.lines
    toml = lines[0].startswith("+++")
    for number in range(1, min(count, len(lines))):
        line = lines[number].rstrip("\r\n")
        match = (_TOML_VALUE if toml else _YAML_VALUE).match(line)
        if match is None:
            continue
        value = match.group("value")
        start, end = match.span("value")
        if value[0] in "\"'" and len(value) >= 2 and value[-1] == value[0]:
            text = value[1:-1]
            kind = ("toml-" if toml else "yaml-") + ("double" if value[0] == '"' else "single")
            start, end = start + 1, end - 1
            if "\\" in text or (value[0] == "'" and "'" in text) or (value[0] == '"' and '"' in text):
                continue
        elif toml or value[0] in "[{|>&*!%@`#'\"" or " #" in value:
            continue
        else:
            text, kind = value, "yaml"
        if any(ch.isalpha() for ch in text):
            skeleton.places.append(_Place(kind, number, start, number, end))
            segments.append(escape(text))


def _definition_titles(
    skeleton: MarkdownSkeleton, segments: list[str], env: dict[str, Any], verbatim: set[int]
) -> None:
    """The titles of the document's link reference definitions (each on one line) as segments."""
    from markdown_it.common.utils import normalizeReference, unescapeAll

    references = env.get("references", {})
    for number, line in enumerate(skeleton.lines):
        if "]:" not in line or number in verbatim:
            continue
        match = _DEFINITION.match(line.rstrip("\r\n"))
        if match is None:
            continue
        title = match.group("title")[1:-1]
        reference = references.get(normalizeReference(match.group("label")))
        if reference is None or reference.get("title") != unescapeAll(title) or not _PLAIN_ATTRIBUTE.fullmatch(title):
            continue
        kind = {'"': "definition-double", "'": "definition-single", "(": "definition-paren"}[match.group("title")[0]]
        start, end = match.start("title") + 1, match.end("title") - 1
        skeleton.places.append(_Place(kind, number, start, number, end))
        segments.append(escape(title))


def _shows_text(html: str) -> bool:
    """Whether an HTML block holds text a reader sees (outside tags, comments, scripts)."""
    return any(ch.isalpha() for ch in _HTML_TEXT.sub(" ", html))


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _listed(numbers: list[int]) -> str:
    shown = ", ".join(str(number) for number in numbers[:5])
    return shown + (f" and {len(numbers) - 5} more" if len(numbers) > 5 else "")
