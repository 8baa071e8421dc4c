"""Markdown (CommonMark with GFM tables) taken apart in-process with markdown-it-py.

Translated: the text of paragraphs, headings and table cells, wherever they are (block quotes,
list items). Kept byte for byte: YAML front matter, code blocks (fenced and indented), HTML blocks,
thematic breaks, the lines' own markers and indentation (`#`, `>`, `-`, `1.`), and every line that
holds no translatable text.

Inside a text: inline code, autolinks, raw HTML, images and link destinations are hidden from the
engine; a link's text and emphasised words travel in word-bound blanks that carry their markers
(`**`, `_`, `[`...`](url)`), so the markers follow their words when the engine reorders them
("The **red** house" comes back "La casa **roja**"). A paragraph spread over several lines comes
back on its first line (Markdown joins a paragraph's lines anyway); a table cell never holds a bare
`|` afterwards. A document nesting blocks `MAX_NESTING` levels deep is refused (DocumentTooComplex).
A reference link whose text is its label (`[Change Log]`) keeps referring to it once translated.
Sources: CommonMark 0.31 (§4 leaf blocks, §4.7 link reference definitions, §6 inlines), GFM §4.10
(tables).

Shapes: `take_apart(text) -> (MarkdownSkeleton, segments, characters)`; `rebuild(skeleton,
translated) -> text`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from dragoman.abort import AbortCheck, Aborted, never_abort
from dragoman.errors import DocumentTooComplex
from dragoman.formats.plaintext import escape, unescape
from dragoman.formats.protect import keep
from dragoman.formats.stream import tokens

__all__ = ["MAX_NESTING", "MarkdownSkeleton", "rebuild", "take_apart"]

# Levels of nesting markdown-it reads (each block quote one, each list two); past them it reads no
# further, silently, so a document reaching them is refused. Its own default, 20, stops at ten
# nested lists, which real documents reach; this costs at most a few hundred stack frames.
MAX_NESTING = 100

_FRONT_MATTER = re.compile(r"\A(?:---|\+\+\+)[ \t]*\r?\n.*?^(?:---|\.\.\.|\+\+\+)[ \t]*$", re.DOTALL | re.MULTILINE)
# Inline pieces, in priority order: kept whole, or carried with their words (links, emphasis).
# Every span is bounded (`_SPAN` characters): unbounded lazy spans made an 84 KB line of `*a **a `
# take minutes (each opening marker scanned to the end of the line, at every level of nesting), in
# the service's own process, deaf to Ctrl-C. A longer span is left to the engine as text.
_SPAN = 200
_MAX_PARSED = 20_000  # characters of one paragraph (a longer one goes to the engine as written)
_INLINE = re.compile(
    r"""
      (?P<code>(?P<ticks>`+).{1,SPAN}?(?P=ticks))               # inline code
    | (?P<image>!\[[^\]]{0,SPAN}\]\([^)]{0,SPAN}\))           # an image, whole
    | (?P<auto><[a-zA-Z][\w+.-]*:[^\s<>]*>|<[^\s<>@]+@[^\s<>]+>)  # autolinks
    | (?P<html></?[a-zA-Z][^<>]*>)                            # raw HTML
    | \[(?P<link>[^\]]{1,SPAN})\](?P<target>\([^)]{0,SPAN}\)|\[[^\]]{0,SPAN}\])  # a link: its text, its target
    | \[(?P<shortcut>[^\]]{1,SPAN})\](?![(\[:])                # a shortcut reference link, or text
    | (?P<strong>\*\*|__)(?=\S)(?P<strong_text>.{1,SPAN}?)(?<=\S)(?P=strong)
    | (?P<em>\*|(?<![\w])_)(?=\S)(?P<em_text>.{1,SPAN}?)(?<=\S)(?P=em)(?![\w])
    | (?P<escape>\\[!-/:-@\[-`{-~])                           # a backslash escape
    """.replace("SPAN", str(_SPAN)),
    re.VERBOSE | re.DOTALL,
)
_CARRIED = re.compile(r"\[\[dragoman-md:([0-9a-f]*):([0-9a-f]*)\]\]")


@dataclass(slots=True)
class MarkdownSkeleton:
    """The source lines, and for each segment where it goes: ("block", first line, last line) for a
    paragraph or heading, ("cell", line, cell number) for a table cell."""

    lines: list[str]
    slots: list[tuple[str, int, int, str]] = field(default_factory=list)  # kind, line, last line or cell, source


def take_apart(text: str, should_abort: AbortCheck = never_abort) -> tuple[MarkdownSkeleton, list[str], int]:
    """The texts to translate (as engine segments), the skeleton, and the visible characters."""
    from markdown_it import MarkdownIt

    lines = text.splitlines(keepends=True)
    parsed = text
    front = _FRONT_MATTER.match(text)
    if front is not None:  # blank it out for the parser, keeping line numbers
        parsed = "\n" * front.group(0).count("\n") + text[front.end() :]
    skeleton = MarkdownSkeleton(lines)
    segments: list[str] = []
    characters = 0
    stack: list[str] = []
    cells: dict[int, int] = {}
    row_line = 0
    env: dict[str, Any] = {}
    parsed_tokens = (
        MarkdownIt("commonmark", options_update={"maxNesting": MAX_NESTING}).enable("table").parse(parsed, env)
    )
    if any(token.level >= MAX_NESTING - 1 for token in parsed_tokens):  # the parser stopped there
        raise DocumentTooComplex(
            f"the Markdown document nests blocks (block quotes, lists) about {MAX_NESTING} levels deep or more, "
            "past which its text would not be read"
        )
    labels = frozenset(env.get("references", {}))
    for token in parsed_tokens:
        if token.nesting == 1:
            stack.append(token.type)
            if token.type == "tr_open" and token.map is not None:
                row_line = token.map[0]
        elif token.nesting == -1 and stack:
            stack.pop()
        if token.type != "inline" or token.map is None or not any(ch.isalpha() for ch in token.content):
            if token.type == "inline" and stack and stack[-1] in ("th_open", "td_open"):
                cells[row_line] = cells.get(row_line, 0) + 1
            continue
        if stack and stack[-1] in ("th_open", "td_open"):
            number = cells.get(row_line, 0)
            cells[row_line] = number + 1
            skeleton.slots.append(("cell", row_line, number, token.content))
        else:
            skeleton.slots.append(("block", token.map[0], token.map[1] - 1, token.content))
        if should_abort():  # a cancel stops a long document between its blocks
            raise Aborted()
        segments.append(_segment(token.content, labels))
        characters += len(token.content.strip())
    return skeleton, segments, characters


def rebuild(skeleton: MarkdownSkeleton, translated: list[str]) -> str:
    """The document with each text replaced by its translation (segments already unprotected)."""
    if len(translated) != len(skeleton.slots):
        raise ValueError("one translation is needed per text")
    lines = list(skeleton.lines)
    dropped: set[int] = set()
    cells: dict[int, list[tuple[int, str, str]]] = {}
    for (kind, line, other, source), segment in zip(skeleton.slots, translated, strict=True):
        text = _markdown(segment)
        if kind == "cell":
            cells.setdefault(line, []).append((other, source, text.replace("|", "\\|")))
            continue
        first, *rest = source.split("\n")
        lines[line] = _replace_in(lines[line], first, text)
        for offset, continuation in enumerate(rest, start=1):  # the paragraph's other lines go
            if line + offset <= other and continuation.strip() and continuation.strip() in lines[line + offset]:
                dropped.add(line + offset)
    for line, row in cells.items():
        position = 0
        updated = lines[line]
        for _number, source, text in row:
            found = updated.find(source, position)
            if found < 0:
                continue
            updated = updated[:found] + text + updated[found + len(source) :]
            position = found + len(text)
        lines[line] = updated
    return "".join(content for number, content in enumerate(lines) if number not in dropped)


def _replace_in(line: str, source: str, text: str) -> str:
    """`line` with the text `source` (its first occurrence after the line's markers) replaced."""
    found = line.find(source) if source else -1
    if found < 0:
        return line
    return line[:found] + text + line[found + len(source) :]


def _segment(content: str, labels: frozenset[str]) -> str:
    """A text's Markdown as engine stream text: kept pieces hidden, links and emphasis carried. A
    reference link whose text is its label (`[Change Log]`, `[Change Log][]`, defined by the
    document's `[Change Log]: index.md`, one of `labels`) is carried as a full reference
    (`[...][Change Log]`), so that its translated text still refers to it."""
    from markdown_it.common.utils import normalizeReference

    content = " ".join(part.strip() for part in content.split("\n"))
    if len(content) > _MAX_PARSED:  # links and emphasis are looked for in text of ordinary length only
        return escape(content)
    out: list[str] = []
    last = 0
    for match in _INLINE.finditer(content):
        out.append(escape(content[last : match.start()]))
        if match.group("link") is not None:
            target = match.group("target")
            if target.replace(" ", "") == "[]":  # collapsed: the text is the label
                target = f"[{match.group('link')}]"
            out.append(_carried("[", "]" + target, _segment(match.group("link"), labels)))
        elif match.group("shortcut") is not None:
            label = match.group("shortcut")
            inner = _segment(label, labels)
            if normalizeReference(label) in labels:
                out.append(_carried("[", f"][{label}]", inner))
            else:  # brackets of the text's own
                out.append(escape("[") + inner + escape("]"))
        elif match.group("strong") is not None:
            marker = match.group("strong")
            out.append(_carried(marker, marker, _segment(match.group("strong_text"), labels)))
        elif match.group("em") is not None:
            marker = match.group("em")
            out.append(_carried(marker, marker, _segment(match.group("em_text"), labels)))
        else:
            out.append(keep(escape(match.group(0))))
        last = match.end()
    out.append(escape(content[last:]))
    return "".join(out)


def _carried(opening: str, closing: str, inner: str) -> str:
    """`inner` in a word-bound blank whose mark holds the Markdown to put around the words it ends up
    on (as hexadecimal: nothing in it can end the blank or mean anything to the engine)."""
    return f"[[dragoman-md:{opening.encode().hex()}:{closing.encode().hex()}]]{inner}[[/]]"


def _markdown(segment: str) -> str:
    """A translated segment as Markdown: carried marks put back around their words (the engine gives
    each word its own copy of a blank: neighbours with the same mark are one span again), text unescaped."""
    out: list[str] = []
    spans: list[tuple[str, str]] = []  # the open spans' (opening, closing); ("", "") for a blank not ours
    pending: list[str] = []
    just_closed: tuple[str, str] | None = None  # the span whose closer is the last thing in `out`

    def flush() -> None:
        if pending:
            out.append(unescape("".join(pending)))
            pending.clear()

    for start, end, kind in tokens(segment):
        piece = segment[start:end]
        if kind == "open":
            match = _CARRIED.fullmatch(piece)
            span = ("", "")
            if match is not None:
                opening, closing = (bytes.fromhex(part).decode() for part in (match.group(1), match.group(2)))
                span = (opening, closing)
            between = unescape("".join(pending))
            if match is not None and just_closed == span and not between.strip():
                out.pop()  # the same span goes on over the space between two words
                pending.clear()
                out.append(between)
            else:
                flush()
                out.append(span[0])
            spans.append(span)
            just_closed = None
        elif kind == "close":
            flush()
            if spans:
                span = spans.pop()
                if span[1]:
                    text = "".join(out)
                    out[:] = [text.rstrip(), span[1]]
                    if text != text.rstrip():  # a space inside the span goes after it
                        pending.append(" ")
                just_closed = span if span[1] else None
        else:
            pending.append(piece)
            if segment[start:end].strip():
                just_closed = None
    flush()
    out.extend(span[1] for span in reversed(spans))
    return "".join(out).strip()
