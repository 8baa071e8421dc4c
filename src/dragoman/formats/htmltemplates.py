"""Template code in an HTML page (Django's and Jinja's `{{ }}`, `{% %}`, `{# #}`, PHP's `<?php ?>`
and `<?= ?>`, ERB's, ASP's and JSP's `<% %>`), kept from the converter and given back as written.

The converter reads a template as HTML: `{% static "a.css" %}` in a quoted `href` ended the
attribute, `<th{{ attributes }}>` became an attribute of its own, `{% if a > b %}` in text came
back `&gt;`, and every URI attribute holding code was percent-encoded. Before the converter reads
the page, each construct is replaced by a *sentinel* (`{dragoman_<nonce>_<n>}`: a word no
dictionary holds, whose characters are at home in text, in an attribute's value or as an
attribute's name, and which the engine's protection keeps as it keeps `{name}`); `html.py` keeps
each sentinel from the converter as it keeps the rest of a tag or a text, and `restore` gives the
constructs back. A brace construct ends within `_LONGEST_BRACES` characters (Django's cannot span
lines); PHP's and ERB's end at their first closing mark, however far.

Found in time linear in the page's length: the closing mark of each kind is looked for once past
each construct, and not again once none is left.

Shapes: `hide(page: str, nonce: str) -> tuple[str, list[str]]`; `restore(page: str, nonce: str,
constructs: list[str]) -> tuple[str, int]`.
"""

from __future__ import annotations

import re

__all__ = ["hide", "restore", "sentinel", "sentinels"]

_OPENERS = re.compile(r"\{\{|\{%|\{#|<\?(?:php\b|=)|<%")
_CLOSERS = {"{{": "}}", "{%": "%}", "{#": "#}", "<?": "?>", "<%": "%>"}
_LONGEST_BRACES = 2000
_AFTER_TAG_NAME = re.compile(r"<[A-Za-z][\w:.-]*\Z")  # a tag's name, then the construct (`<p{{ attrs }}>`)
_LONGEST_NAME = 100


def sentinel(nonce: str, index: int, *, spaced: bool = False) -> str:
    """The word that stands for the page's construct number `index`; `spaced`, one written right
    after a tag's name, which a space of ours parts from it (taken away again by `restore`)."""
    return f"{{dragoman_{nonce}_{index}{'_s' if spaced else ''}}}"


def sentinels(nonce: str) -> re.Pattern[str]:
    """Finds the sentinels of this page (group 1: the construct's number), with the space of ours
    before a spaced one."""
    return re.compile(rf"(?: (?=\{{dragoman_{nonce}_\d+_s\}}))?\{{dragoman_{nonce}_(\d+)(?:_s)?\}}")


def hide(page: str, nonce: str) -> tuple[str, list[str]]:
    """`page` with each template construct replaced by its sentinel, and the constructs, in order."""
    constructs: list[str] = []
    out: list[str] = []
    closes: dict[str, int] = {}  # kind -> where its next closing mark is (-1: none is left)
    last = 0
    for opener in _OPENERS.finditer(page):
        start = opener.start()
        if start < last:
            continue
        kind = opener.group(0)[:2]
        closer = _CLOSERS[kind]
        close = closes.get(kind, start)
        if 0 <= close < opener.end():
            close = page.find(closer, opener.end())
            closes[kind] = close
        if close < 0 or (kind[0] == "{" and close - start > _LONGEST_BRACES):
            continue
        end = close + len(closer)
        out.append(page[last:start])
        if _AFTER_TAG_NAME.search(page, max(0, start - _LONGEST_NAME), start):  # <li{% if %}: the name ends
            out.append(" " + sentinel(nonce, len(constructs), spaced=True))
        else:
            out.append(sentinel(nonce, len(constructs)))
        constructs.append(page[start:end])
        last = end
    if not constructs:
        return page, constructs
    out.append(page[last:])
    return "".join(out), constructs


def restore(page: str, nonce: str, constructs: list[str]) -> tuple[str, int]:
    """`page` with each sentinel given back its construct as written, and how many were. A sentinel
    the converter or the engine wrote twice (the engine copies a word-bound mark onto every word it
    makes of one) is given back once, where it stands first: template code is never doubled."""
    seen: set[int] = set()

    def construct(match: re.Match[str]) -> str:
        index = int(match.group(1))
        if index >= len(constructs):
            return match.group(0)
        if index in seen:
            return ""
        seen.add(index)
        return constructs[index]

    restored = sentinels(nonce).sub(construct, page)
    return restored, len(seen)
