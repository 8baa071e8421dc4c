"""Markdown (CommonMark with GFM tables, strikethrough and task lists) taken apart in-process with
markdown-it-py.

Translated: the text of paragraphs, headings and table cells, wherever they are (block quotes, list
items); images' alternative texts and the titles of links and of link reference definitions (each a
segment of its own); and in the front matter, the values of the keys that hold a page's visible text
(`title`, `description`, `summary`, `subtitle`, `excerpt`; YAML or TOML, on one line), never a key.
Kept byte for byte: the rest of the front matter, code blocks (fenced and indented), HTML blocks,
thematic breaks, link reference definitions but their titles, the lines' own markers and
indentation (`#`, `>`, `-`, `1.`, a task's `[ ]`), a GitHub alert's marker on its line (`> [!NOTE]`),
a footnote's label (`[^note]`, where it is used and where it is defined: GFM's syntax, read by
markdown-it as text), and every line that holds no translatable text.
What is kept although a reader sees it (an HTML block's text, an alternative text or title that
holds Markdown or escapes, a text whose place in its line cannot be told) is said in
`MarkdownSkeleton.warnings` (codes HtmlBlockNotTranslated, AlternativeTextNotTranslated,
TextNotTranslated).

Inside a text, markdown-it's own inline tokens say what is what, and where (each token's place in
the source is noted as it is parsed; that reading, and the writing back, are `_markdown_inline.py`'s
job, this module's the blocks around it): inline code, autolinks, raw HTML, an element marked
`translate="no"` or `class="notranslate"` (whole, with its text), images, escapes, footnote labels
and runs of four symbols or more with no letter (`----`, unmatched backticks: neither sent as text
nor billed) are hidden from the engine; a link's text, emphasis (`*`, `**`, `_`, `~~`), other
inline HTML elements and a template's pair of block tags (`{% if x %}big{% endif %}`: Django,
Jinja, Liquid; a pair holding alternatives, `{% else %}`, or no text, `{% raw %}`, is kept whole)
travel in word-bound blanks that carry their markers (`[`...`](url "title")`), nested as they are,
so the markers follow their words when the engine reorders them ("The **red** house" comes back "La casa
**roja**"). Apertium gives each word its own copy of its blanks, joined (`[[a; b]]`); a span's words
are one span again afterwards, with the words the engine put between them ("**user guide**" comes
back "**guía de usuario**"). A link whose words the engine dropped is added after its sentence as it
was, so no target is lost. A reference link's label is never translated: a link whose text is its
label (`[Change Log]`, `[Change Log][]`) becomes a full reference (`[Cambio Registro][Change Log]`).

A paragraph spread over several lines keeps its lines (line-oriented diffs stay small): each soft
line break travels as a superblank holding the newline and the next line's markers (`> `, a list's
indentation), and comes back between the words the engine put around it: two it put side by side
are one, one it put first or last goes, and where a word would begin a block on its line (`-`,
`#`, `>`, `1.`, `===`...) the lines are joined there instead. A kept piece written over several lines
(inline code, an HTML tag, a link's target) comes back on one. A hard break (two trailing spaces, or
`\\`) ends a segment and is kept as written (inside a link or emphasis it travels as a blank, with
the next line's markers); so does a soft break after a line holding nothing but emphasis (an
old-style note's `**Note**`).
Each text, alternative text, title and value is a segment of its own, so a translation whose source
began with a small letter gets its first word back in small letters from `breaks.cut`, as in every
format (the engine writes each with a capital).

Bounded work: markdown-it reads link labels in time quadratic in a paragraph's unclosed brackets
(`![a` repeated: seconds for 100 KB). Its inline rules are counted as they run; a paragraph that
needs more than its budget of steps per character is refused (DocumentTooComplex), and a cancel is
heard as it runs (`_markdown_inline.Parser`). So is a document nesting blocks `MAX_NESTING` levels
deep, or spans (emphasis, links, inline HTML tags, template tags, as the refusal says) nested past
`_markdown_inline._MAX_SPAN_DEPTH`.

Sources: CommonMark 0.31 (§4 leaf blocks, §4.7 link reference definitions, §6 inlines: §6.2
emphasis, §6.3 links, §6.4 images, §6.7 hard line breaks, §6.8 soft line breaks), GFM 0.29 §4.10
(tables), §5.3 (task list items), §6.5 (strikethrough); GitHub Docs, "Basic writing and formatting
syntax" (alerts, footnotes); HTML `translate` attribute (WHATWG HTML §3.2.6.2).

Shapes: `take_apart(text, should_abort) -> (MarkdownSkeleton, segments, characters)`;
`rebuild(skeleton, translated) -> text`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from dragoman.abort import AbortCheck, Aborted, never_abort
from dragoman.domain.specs import DocumentWarning
from dragoman.errors import DocumentTooComplex
from dragoman.formats._markdown_inline import (
    PLACEHOLDER,
    PLAIN_ATTRIBUTE,
    InlineContent,
    Parser,
    Place,
    TooMuchWork,
)
from dragoman.formats._markdown_rebuild import to_markdown
from dragoman.formats.plaintext import escape, unescape
from dragoman.formats.stream import visible_text

__all__ = ["MAX_NESTING", "MarkdownSkeleton", "rebuild", "take_apart"]

# Levels of nesting markdown-it reads (each block quote one, each list two); past them it reads no
# further, silently, so a document reaching them is refused. Its own default, 20, stops at ten
# nested lists, which real documents reach; this costs at most a few hundred stack frames.
MAX_NESTING = 100

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
# What begins a paragraph and is kept on its line: a GitHub alert's marker, first in a block quote
# (`> [!NOTE]`, on its own line), and a footnote's label where it is defined (`[^note]: `)
_ALERT = re.compile(r"\[!(?:NOTE|TIP|IMPORTANT|WARNING|CAUTION)\][ \t]*(?:\n[ \t]*)?", re.IGNORECASE)
_FOOTNOTE = re.compile(r"\[\^[^\]\s]{1,200}\]:[ \t]*")
_HTML_TEXT = re.compile(r"<!--.*?-->|<(script|style)\b.*?</\1\s*>|<[^>]*>|&[#\w]+;", re.DOTALL | re.IGNORECASE)


@dataclass(slots=True)
class MarkdownSkeleton:
    """The source lines, where each segment goes (`places`, in segment order), and what a reader
    sees that is kept untranslated (`warnings`)."""

    lines: list[str]
    places: list[Place] = field(default_factory=list)
    warnings: list[DocumentWarning] = field(default_factory=list)


def take_apart(text: str, should_abort: AbortCheck = never_abort) -> tuple[MarkdownSkeleton, list[str], int]:
    """The skeleton, the texts to translate (as engine stream segments, in document order) and their
    visible characters. Raises DocumentTooComplex for blocks nested `MAX_NESTING` deep, spans nested
    too deep (`InlineContent`), or a text whose inline parse would cost more than its budget; Aborted
    once `should_abort` says so."""
    lines = _LINE.findall(text)
    parsed = text
    skeleton = MarkdownSkeleton(lines)
    segments: list[str] = []
    front = _FRONT_MATTER.match(text)
    if front is not None:  # values translated; blanked out for the parser, keeping line numbers
        parsed = "\n" * front.group(0).count("\n") + text[front.end() :]
        _front_matter(skeleton, segments, front.group(0).count("\n"))
    parser = Parser(MAX_NESTING, should_abort)
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
    kept: dict[str, list[int]] = {"attribute": [], "unplaced": [], "template": []}  # kept untranslated, by line
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
        except TooMuchWork:
            raise DocumentTooComplex(
                f"the Markdown text on line {token.map[0] + 1} holds so many unclosed brackets or emphasis marks "
                "that reading its links would take too long"
            ) from None
        task = index >= 2 and block_tokens[index - 2].type == "list_item_open" and _TASK.match(content)
        task = task or (index >= 2 and block_tokens[index - 2].type == "blockquote_open" and _ALERT.match(content))
        task = task or (block_tokens[index - 1].type == "paragraph_open" and _FOOTNOTE.match(content))
        line = token.map[0] if not in_cell else row_line
        inline = InlineContent(lines, skeleton.places, content, children, line, kept)
        if in_cell:
            column = cells.get(row_line, 0)
            found = lines[row_line].find(content, column)
            if found < 0:
                kept["unplaced"].append(row_line + 1)
                continue
            cells[row_line] = found + len(content)
            inline.cell(found, segments)
        else:
            inline.pieces(task.end() if task else 0, segments)
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
    if kept["template"]:
        skeleton.warnings.append(
            DocumentWarning(
                "TemplateTextNotTranslated",
                f"{_counted(len(kept['template']), 'template block')} with alternatives ({{% else %}}) or raw "
                f"content (line {_listed(kept['template'])}) kept as written: its text is not translated",
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
    edits: list[tuple[Place, str]] = []
    for number, (place, segment) in enumerate(zip(skeleton.places, translated, strict=True)):
        if place.kind in ("alt", "title-double", "title-single", "title-paren"):
            attributes[number] = _quoted(unescape(segment).strip(), place.kind)
        elif place.kind.startswith("definition-"):  # a reference definition's title, on its line
            edits.append((place, _quoted(unescape(segment).strip(), place.kind.replace("definition-", "title-"))))
        elif place.kind in ("text", "cell"):
            text = to_markdown(segment, place)
            edits.append((place, re.sub(r"(?<!\\)\|", r"\\|", text) if place.kind == "cell" else text))
        else:
            edits.append((place, _quoted(unescape(segment).strip(), place.kind)))
    for place, text in sorted(edits, key=lambda edit: (edit[0].line, edit[0].start), reverse=True):
        text = PLACEHOLDER.sub(lambda match: attributes.get(int(match.group(1)), match.group(0)), text)
        lines[place.line] = lines[place.line][: place.start] + text + lines[place.last][place.end :]
        for dropped in range(place.line + 1, place.last + 1):
            lines[dropped] = ""
    return "".join(lines)


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
            skeleton.places.append(Place(kind, number, start, number, end))
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
        if reference is None or reference.get("title") != unescapeAll(title) or not PLAIN_ATTRIBUTE.fullmatch(title):
            continue
        kind = {'"': "definition-double", "'": "definition-single", "(": "definition-paren"}[match.group("title")[0]]
        start, end = match.start("title") + 1, match.end("title") - 1
        skeleton.places.append(Place(kind, number, start, number, end))
        segments.append(escape(title))


def _shows_text(html: str) -> bool:
    """Whether an HTML block holds text a reader sees (outside tags, comments, scripts)."""
    return any(ch.isalpha() for ch in _HTML_TEXT.sub(" ", html))


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _listed(numbers: list[int]) -> str:
    shown = ", ".join(str(number) for number in numbers[:5])
    return shown + (f" and {len(numbers) - 5} more" if len(numbers) > 5 else "")
