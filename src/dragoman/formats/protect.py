"""What the engine must not touch, hidden from it in superblanks, and given back after.

Apertium's pipeline changes some things that are not prose:

- `~` is its post-generator's mark (`lt-proc -p` consumes it): "~/docs" came back "/docs";
- URLs, e-mail addresses, `@handles`, `#hashtags` and file paths are read as words: "@river_news"
  came back "@el río_noticioso", "#holiday" "vacaciones #de uso".

Before the engine, each is wrapped, as the stream text it is, in a superblank of our own
(`[dragoman-keep:...]`), which every stage passes through untouched and in order; after it, each is
unwrapped again. Only text outside the document's own blanks is looked at, so the format's
superblanks and word-bound blanks are never cut. Source for the stream format: Apertium's
"Format handling" (superblanks, escapes with `\\`).

Shapes: `protect(segment) -> segment`, `unprotect(segment) -> segment`, both on stream text;
`unprotect(protect(s)) == s`.
"""

from __future__ import annotations

import re

from dragoman.formats.stream import tokens

__all__ = ["KEPT", "keep", "protect", "unprotect"]

_OPEN = "[dragoman-keep:"
_TRAILING = ".,;:!?)"
# Every stretch `_NOT_PROSE` finds holds one of these, and so does every verbatim element's mark.
_CANDIDATE = re.compile(r"[~@#/{$%_]|\\\\|www\.|\[\[t:|--|\(\)|\+|\d\s?[apAP]\.?[mM]|\d\s?in\b")
_CHUNK = re.compile(
    r"(?P<escape>\\.)|(?P<close>\[\[/\]\])|(?P<open>\[\[(?:[^\]\\]|\\.)*\]\])"
    r"|(?P<blank>\[(?:[^\]\\]|\\.)*\])|(?P<text>[^\\\[]+)|(?P<other>.)",
    re.DOTALL,
)
_KIND = {"close": "close", "open": "open", "blank": "blank", "other": "blank", "": ""}
_VERBATIM = re.compile(r"\[\[t:(?:kbd|var|samp|code|tt):")  # Transfuse's mark for such an element
KEPT = re.compile(r"\[dragoman-keep:((?:[^\]\\]|\\.)*)\]")
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)
_ALNUM = re.compile(r"[^\W_]")
_SPECIAL = re.compile(r"([\\\[\]^$])")
# Matched on the visible text (escapes resolved); the order of the alternatives is their priority.
_NOT_PROSE = re.compile(
    r"""
      (?:https?|ftp|file)://[^\s<>"'\[\]{}]+[^\s<>"'\[\]{}.,;:!?)]    # URLs, with #fragments and ?queries
    | www\.[^\s<>"'\[\]{}]+[^\s<>"'\[\]{}.,;:!?)]
    | [\w.+-]+@[\w-]+(?:\.[\w-]+)+                                     # e-mail addresses
    | (?<![\w@/])@\w[\w.]*\w | (?<![\w@/])@\w                          # @handles
    | (?<![\w#&/])\#\w+                                                # #hashtags
    | (?<![\w/])(?:~[\w.-]*|\.{1,2})/[\w.-]+(?:/[\w.-]*)*                 # file paths: ~/a, ~user/a, ./a, ../a
    | (?<![\w/])/[\w.-]+(?:/[\w.-]+)+/?                                 # and /a/b
    | \{%-?\s*comment\b.{0,4000}?\{%-?\s*endcomment\s*-?%\}                    # a template's comment, whole
    | \{\{.*?\}\} | \{%.*?%\} | \{\#.*?\#\}                               # template code: {{ x }}, {% if %}
    | (?<![\w\\])[A-Za-z]:\\[^\s"'<>|]+ | \\\\[^\s"'<>|]+                   # Windows paths C:\x, \\server\share
    | (?<![\w/.])(?:[\w.-]+/){2,}[\w.-]+ | (?<![\w/.])[\w-]+/[\w.-]*\.[A-Za-z]\w{0,4}\b  # docs/a/b, src/x.py
    | \$\{[^{}\s]+\} | \$[A-Za-z_]\w*(?:/[\w.-]+)* | %[A-Za-z_]\w*%(?:\\[^\s"'<>|]+)?  # $HOME/x, %APPDATA%
    | \{[A-Za-z_]\w*\} | %\([A-Za-z_]\w*\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]  # {name}, %(count)d
    | (?<![\w%])%(?:\d+\$)?[-#0+]*\d*(?:\.\d+)?[sdifuxXeEgGc](?!\w)               # %s, %1$s, %.2f
    | (?<![\w-])--[A-Za-z][\w-]*(?:=\S+)?                                # --dry-run, --out=x
    | \b[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+\(\)                                  # user.getName()
    | \b[A-Za-z_]\w*_\w*(?:\(\))? | \b[A-Za-z_]\w*\(\)                       # get_user_name(), run()
    | \b(?:Ctrl|Alt|Shift|Cmd|Win|Meta|Option|Fn)(?:\+[\w-]+)+                # Ctrl+Shift+Esc
    | \b\d{1,2}(?::\d{2})?\s?(?:[ap]\.m\.|[AaPp][Mm]\b)                       # 10:30 am, 5 p.m.
    | \b\d+(?:[.,]\d+)?\s?in\b(?=\s+(?:wide|tall|long|high|deep|thick|across|diagonal)\b|\s*[,;:)]|\.?\s*$)  # 27 in
    | ~[\w.-]*                                                          # ~ and ~user
    """,
    re.VERBOSE,
)


def protect(segment: str) -> str:
    """`segment` with every stretch that is not prose (see the module's docstring) wrapped in a
    superblank of our own. The document's own blanks and escapes are kept as they are; a stretch
    that is all a word-bound span holds (a link's text that is a URL) is wrapped with the span's
    marks, since the engine drops a word-bound span with no word in it; so is a span with no letter
    or digit, and an inline element whose text is not prose by definition (`<kbd>`, `<var>`,
    `<samp>`, `<code>`, `<tt>`), whole."""
    if not _CANDIDATE.search(segment):  # plain prose (most of it): nothing to look at more closely
        return segment
    out: list[str] = []
    last = 0
    for begin, end in _verbatim_spans(segment):
        out.append(_protect_runs(segment[last:begin]))
        out.append(_OPEN + _escape(segment[begin:end]) + "]")
        last = end
    out.append(_protect_runs(segment[last:]))
    return "".join(out)


def _verbatim_spans(segment: str) -> list[tuple[int, int]]:
    """(start, end) of each outermost word-bound span kept whole: one opened by an element kept
    verbatim, and one with no letter or digit in it (a footnote's back link "↩", an arrow), which
    the engine would drop, marks and all, as it drops every word-bound span with no word in it."""
    spans: list[tuple[int, int]] = []
    depth, begin, wordy = 0, 0, False
    for start, end, kind in tokens(segment):
        if kind == "open":
            if depth == 0:
                begin, wordy = start, False
            depth += 1
        elif kind == "close" and depth:
            depth -= 1
            if depth == 0 and (not wordy or _VERBATIM.match(segment, begin)):
                spans.append((begin, end))
        elif depth and kind == "text" and not wordy:
            wordy = segment[end - 1].isalnum()
    return spans


def _runs(segment: str) -> list[tuple[list[int], str, str]]:
    """The runs of text (letters, spaces and escapes, no blank between) of `segment`, by regular
    expression (the engine's stream can be megabytes): for each, the positions of its visible
    characters (an escape's backslash) and the kinds of the tokens before and after it ("blank",
    "open", "close", "" at an end). Only a run that may hold something not prose gets positions;
    the others come back with none."""
    runs: list[tuple[list[int], str, str]] = []
    start = -1
    before = ""
    for match in _CHUNK.finditer(segment):
        kind = match.lastgroup
        if kind in ("escape", "text"):
            if start < 0:
                start = match.start()
            continue
        if start >= 0:
            runs.append((_positions(segment, start, match.start()), before, _KIND[kind or ""]))
            start = -1
        before = _KIND[kind or ""]
    if start >= 0:
        runs.append((_positions(segment, start, len(segment)), before, ""))
    return runs


def _positions(segment: str, start: int, end: int) -> list[int]:
    """The stream positions of the visible characters of segment[start:end] (text and escapes), or
    none when nothing there can be what `_NOT_PROSE` finds."""
    if not _CANDIDATE.search(segment, start, end):
        return []
    positions: list[int] = []
    index = start
    while index < end:
        positions.append(index)
        index += 2 if segment[index] == "\\" else 1
    return positions


def _protect_runs(segment: str) -> str:
    out: list[str] = []
    last = 0
    for positions, before, after in _runs(segment):
        if not positions:
            continue
        visible = "".join(segment[position] if segment[position] != "\\" else segment[position + 1]
                          for position in positions)  # fmt: skip
        for match in _NOT_PROSE.finditer(visible):
            stop = match.end()
            while (  # the sentence's, not the path's; a call's parentheses are its own
                stop - 1 > match.start() and visible[stop - 1] in _TRAILING and not visible[:stop].endswith("()")
            ):
                stop -= 1
            begin = positions[match.start()]
            end = positions[stop - 1]
            end += 2 if segment[end] == "\\" else 1
            whole = before == "open" and after == "close" and not _ALNUM.search(visible[: match.start()])
            whole = whole and not _ALNUM.search(visible[stop:])  # nothing but it and symbols in its span ("‹ {x}")
            if whole:  # take the span's opening and closing marks in too: a span left with no word is dropped
                begin = segment.rindex("[[", 0, begin)
                end = segment.index("]]", end) + 2
            out.append(segment[last:begin])
            out.append(_OPEN + _escape(segment[begin:end]) + "]")
            last = end
    out.append(segment[last:])
    return "".join(out)


def keep(stream: str) -> str:
    """Stream text hidden from the engine whole (what `unprotect` gives back as it was)."""
    return _OPEN + _escape(stream) + "]"


def unprotect(segment: str) -> str:
    """`segment` with our superblanks unwrapped back into the stream text they held, and those they
    held (a span kept whole may hold a piece a format hid before)."""
    count = 1
    while count and _OPEN in segment:
        segment, count = KEPT.subn(lambda match: _ESCAPED.sub(r"\1", match.group(1)), segment)
    return segment


def _escape(stream: str) -> str:
    """Stream text as a superblank's content: every backslash, bracket, `^` and `$` escaped. A bare
    `^` or `$` (left by the stream's own escape of it, `\\^`, once its backslash is doubled) opens
    a lexical unit in Apertium's stream, inside a blank too: the pipeline waited for its end."""
    return _SPECIAL.sub(r"\\\1", stream)
