"""HTML made ready for the converter, and finished after it: what must not be translated is marked
so that it is kept whole and in its sentence, what a reader sees outside the body's text (a page's
description, tooltips, placeholders) is translated, and the page declares its new language.

Transfuse (Debian's 0.5.8) knows none of HTML's own rules for what is not to be translated, and
ends a block at every `<code>`, so "Run <code>ls</code> to list the files" was translated as two
sentences. Before the converter reads a page:

- every element the HTML Living Standard marks not to be translated (`translate="no"`, inherited by
  its descendants), every element of `class="notranslate"` (the convention of Google's and
  Microsoft's page translators) and every `<code>` outside `<pre>` is *hidden*: its content and end
  tag are taken out and kept, and it becomes `<kbd data-dragoman-…="original name" …>0</kbd>`.
  `<kbd>` is one of the inline elements Transfuse carries through the engine as word-bound marks,
  and `protect` keeps such a mark verbatim, so the sentence around it is translated whole. Its
  content is kept exactly as written, including any descendant that says `translate="yes"` (a
  rare override this does not honour). An element whose end tag the page leaves out ends where
  HTML implies (a `<li>` ends the list item before it, a `<div>` an open paragraph);
- the texts of `<meta name="description">` (and Open Graph's and Twitter's title and description),
  of `aria-label` attributes, of a button's `value` and of an inline element's `title` become
  segments of their own (Transfuse translates `alt`, `placeholder`, `label` and the `title` of other
  elements, but none of these); each is replaced by a numbered placeholder that `finish` fills with
  its translation. Those of elements not to be translated are left alone;
- a not-translated image keeps its `alt` text (renamed for the converter, which would translate it).

After it, `finish` gives the hidden elements back their names and content (a converter that lost
one is a converter fault: nothing kept is dropped silently), fills the placeholders, and sets
`<html lang>` to the target language. Every mark of ours carries a number drawn for the document,
so no page's own text can be taken for one.

A `<sub>` or `<sup>` written against a word (`cat<sup>1</sup>.`, a footnote's mark) is given a
space on that side before the converter, so the engine reads the mark apart from the word, and
marked with where (`data-dragoman-<nonce>-spaced`); `finish` takes the spaces away again. Transfuse
does the same with `tf-added-before`/`tf-added-after` attributes, but took its spaces away only
from an element whose text is its own (not from `<sup><a href="#n1">1</a></sup>`, a footnote's
link) and, when a mark of a paragraph is followed by a space and a later one is not, marked the
wrong element (`cat<sup>1</sup>is`); on every page, `finish` also takes away any space and
attribute of its marks that are left.

The page is read by a small tokenizer of our own, in time linear in its length whatever it holds
(the standard library's `html.parser` takes quadratic time on a page of unclosed tags), which gives
each tag's position, so only the tags and attributes concerned are changed: everything else reaches
the converter byte for byte. Sources: HTML Living Standard, "The translate attribute", "Optional
tags", "The lang and xml:lang attributes", "Standard metadata names"; the Open Graph protocol.

Shapes: `prepare(data: bytes) -> PreparedPage`; `finish(data: bytes, page: PreparedPage,
translations: list[str], language: str | None) -> bytes`. Pages are UTF-8 (the document layer
converts others first); bytes that are not UTF-8 pass through unchanged.
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field

from dragoman.errors import ConverterCrashed
from dragoman.formats.screening import HTML_INLINE_TAGS

__all__ = ["PLACEHOLDER", "PreparedPage", "finish", "prepare"]

# What each hidden element holds for the converter: a word of ours, since Transfuse ends a sentence
# at an empty inline element. One character each, which the converter counts as text.
PLACEHOLDER = "0"

# Elements that hold no content.
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
)
_NEVER_HIDDEN = frozenset({"html", "head", "body", "title"})  # their children are hidden instead
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "details", "div", "dl", "fieldset", "figcaption", "figure",
        "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "main", "menu", "nav", "ol", "p",
        "pre", "section", "table", "ul",
    }
)  # fmt: skip
# A start tag -> (the elements it closes, the elements that stop the search for them).
_IMPLIED: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "li": (frozenset({"li"}), frozenset({"ul", "ol", "menu"})),
    "dt": (frozenset({"dt", "dd"}), frozenset({"dl"})),
    "dd": (frozenset({"dt", "dd"}), frozenset({"dl"})),
    "tr": (frozenset({"tr"}), frozenset({"table", "thead", "tbody", "tfoot"})),
    "td": (frozenset({"td", "th"}), frozenset({"tr", "table"})),
    "th": (frozenset({"td", "th"}), frozenset({"tr", "table"})),
    "thead": (frozenset({"thead", "tbody", "tfoot"}), frozenset({"table"})),
    "tbody": (frozenset({"thead", "tbody", "tfoot"}), frozenset({"table"})),
    "tfoot": (frozenset({"thead", "tbody", "tfoot"}), frozenset({"table"})),
    "option": (frozenset({"option"}), frozenset({"select", "datalist"})),
    "optgroup": (frozenset({"option", "optgroup"}), frozenset({"select"})),
}
_META_NAMES = frozenset({"description", "og:title", "og:description", "twitter:title", "twitter:description"})
_BUTTON_INPUTS = frozenset({"submit", "button", "reset"})
# Only a page holding one of these has anything to prepare (most pages hold a title attribute or a <code>).
_WORTH_READING = re.compile(
    rb"translate\s*=|notranslate|<code|<meta|title\s*=|placeholder\s*=|aria-label\s*=|<input|<su[bp]\b", re.IGNORECASE
)
_HTML_START = re.compile(rb"<html\b[^>]*>", re.IGNORECASE)
_LANG = re.compile(rb"""(\b(?:xml:)?lang\s*=\s*)(?:"[^"]*"|'[^']*'|[^\s>]+)""", re.IGNORECASE)
_SUB_OR_SUP = re.compile(r"<(/?)(su[bp])\b[^>]*>", re.IGNORECASE)


@dataclass(slots=True)
class PreparedPage:
    """A page as the converter is to read it (`data`), the texts to translate besides its body
    (`texts`, plain text, in order), what was taken out of it to be kept as it is (`kept`: each
    hidden element's content and end tag, as written), and the mark (`nonce`) its renamed elements
    and placeholders carry."""

    data: bytes
    texts: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    nonce: str = ""


@dataclass(slots=True)
class _Open:
    name: str  # lower case
    translated: bool  # whether its content is to be translated
    in_pre: bool
    kept: int | None = None  # the index of its content in `PreparedPage.kept` when it is hidden
    content_start: int = 0  # where its content begins, in the page's characters


@dataclass(frozen=True, slots=True)
class _Tag:
    """A start or end tag of a page: its name (lower case), attributes (values unescaped), where it
    is in the page's characters, and whether it ends itself (`<br/>`)."""

    name: str
    attributes: dict[str, str]
    start: int
    end: int
    is_end: bool = False
    closed: bool = False


_MARKUP = re.compile(r"<(?:(?P<end>/)?(?P<name>[A-Za-z][^\s/<>]*)|(?P<comment>!--)|(?P<other>[!?]))")
_ATTRIBUTE = re.compile(
    r"""\s*(?P<name>[^\s"'<>/=]+)(?:\s*=\s*(?:"(?P<double>[^"]*)"|'(?P<single>[^']*)'|(?P<bare>[^\s<>]+)))?"""
)
_TAG_END = re.compile(r"\s*(?P<closed>/?)\s*>")
_SLASHES = re.compile(r"[\s/]+")
# Elements whose content is text, not markup, up to their end tag (HTML Living Standard, "Raw text
# elements" and "Escapable raw text elements").
_RAW_TEXT = frozenset({"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"})


def _tags(page: str) -> Iterator[_Tag]:
    """The start and end tags of `page`, in order; comments, declarations and raw text skipped. In
    time linear in the page's length, whatever it holds (the standard library's tokenizer takes
    quadratic time on a page of unclosed tags), and as tolerant: a `<` that begins no tag is text."""
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
            yield _Tag(name, {}, found.start(), end, is_end=True)
            position = end
            continue
        attributes: dict[str, str] = {}
        cursor = found.end()
        while True:
            slashes = _SLASHES.match(page, cursor)  # `<a/b>`: a slash between attributes is a space
            if slashes is not None and _TAG_END.match(page, cursor) is None:
                cursor = slashes.end()
            attribute = _ATTRIBUTE.match(page, cursor)
            if attribute is None:
                break
            value = next((v for v in attribute.group("double", "single", "bare") if v is not None), "")
            attributes.setdefault(attribute.group("name").lower(), html.unescape(value))
            cursor = attribute.end()
        ending = _TAG_END.match(page, cursor)
        if ending is None:  # not a tag after all
            position = found.start() + 1
            continue
        tag = _Tag(name, attributes, found.start(), ending.end(), closed=bool(ending.group("closed")))
        yield tag
        position = tag.end
        if name in _RAW_TEXT and not tag.closed:
            close_tag = re.compile(rf"</{re.escape(name)}[\s/>]", re.IGNORECASE).search(page, position)
            position = len(page) if close_tag is None else close_tag.start()
        elif name == "plaintext":
            return


class _Marker:
    """Reads a page and records the edits that `prepare` makes: (start, end, replacement) in the
    page's characters. The elements open at each point are tracked with the end tags HTML implies
    (a `<li>` closes the list item before it, a `<div>` an open paragraph...)."""

    def __init__(self, page: str, nonce: str) -> None:
        self.page = page
        self.nonce = nonce
        self.edits: list[tuple[int, int, str]] = []
        self.texts: list[str] = []
        self.kept: list[str] = []
        self.stack: list[_Open] = []
        self.depths: dict[str, list[int]] = {}  # name -> where elements of that name are open in `stack`
        self.hiding = 0  # how many open elements are inside a hidden one, or are it

    def read(self) -> None:
        """Read the whole page, recording the edits."""
        for tag in _tags(self.page):
            if tag.is_end:
                self._end(tag)
            else:
                self._start(tag)
        if self.stack:  # what the page leaves open at its end
            self._pop_to(0, len(self.page), len(self.page))

    def _start(self, found: _Tag) -> None:
        tag, values, closed, start, end = found.name, found.attributes, found.closed, found.start, found.end
        raw = self.page[start:end]
        self._close_implied(tag, start)
        opens = tag not in _VOID and not closed
        if self.hiding:
            if opens:
                self._push(_Open(tag, False, False))
                self.hiding += 1
            return
        parent = self.stack[-1] if self.stack else _Open("", True, False)
        translated = parent.translated
        flag = (values.get("translate") or "").strip().lower() if "translate" in values else None
        if flag in ("yes", ""):
            translated = True
        if flag == "no" or "notranslate" in (values.get("class") or "").split():
            translated = False
        kept_code = tag == "code" and not parent.in_pre
        hide = opens and (not translated or kept_code) and tag not in _NEVER_HIDDEN
        rewritten = raw
        if translated and not kept_code:
            rewritten = self._placeholders(tag, values, rewritten)
        elif tag == "img":
            rewritten = _rename_attribute(rewritten, "alt", f"data-dragoman-{self.nonce}-alt")
        if hide:
            marks = f'<kbd data-dragoman-{self.nonce}="\\1" data-dragoman-{self.nonce}-keep="{len(self.kept)}"'
            rewritten = re.sub(r"^<\s*([^\s/>]+)", marks, rewritten, count=1)
        if rewritten != raw:
            self.edits.append((start, end, rewritten))
        if not opens:
            return
        entry = _Open(tag, translated and not kept_code, parent.in_pre or tag == "pre")
        if hide:
            entry.kept, entry.content_start = len(self.kept), end
            self.kept.append("")
            self.hiding = 1
        self._push(entry)

    def _push(self, entry: _Open) -> None:
        self.depths.setdefault(entry.name, []).append(len(self.stack))
        self.stack.append(entry)

    def _nearest(self, names: frozenset[str]) -> int:
        """Where the innermost open element named one of `names` is in the stack, or -1."""
        return max((self.depths[name][-1] for name in names if self.depths.get(name)), default=-1)

    def _placeholders(self, tag: str, values: dict[str, str], raw: str) -> str:
        """`raw` (a start tag) with each text a reader sees in its attributes replaced by a placeholder."""
        names = ["aria-label"] if values.get("aria-label") else []
        if tag in HTML_INLINE_TAGS and values.get("title"):  # Transfuse translates the title of any other
            names.append("title")
        if tag == "meta" and (values.get("name") or values.get("property") or "").strip().lower() in _META_NAMES:
            names.append("content")
        if tag == "input" and (values.get("type") or "").strip().lower() in _BUTTON_INPUTS:
            names.append("value")
        for name in names:
            text = values.get(name) or ""
            if not text.strip():
                continue
            replaced = _replace_value(raw, name, f"dragoman-{self.nonce}-text-{len(self.texts)}")
            if replaced != raw:
                raw = replaced
                self.texts.append(text)
        return raw

    def _end(self, found: _Tag) -> None:
        if self.depths.get(found.name):
            self._pop_to(self.depths[found.name][-1], found.start, found.end)

    def _close_implied(self, tag: str, at: int) -> None:
        """Close what a start tag `tag` at `at` ends without an end tag (HTML Living Standard, "Optional tags")."""
        scope = _IMPLIED.get(tag)
        if scope is not None:
            closes, stops = scope
            depth = self._nearest(closes)
            if depth > self._nearest(stops):
                self._pop_to(depth, at, at)
        if tag in _BLOCKS and self.stack and self.stack[-1].name == "p":
            self._pop_to(len(self.stack) - 1, at, at)

    def _pop_to(self, depth: int, content_end: int, end: int) -> None:
        """Close the elements from the top of the stack down to `depth`; the one at `depth` ends at
        `end` (its end tag, if written), the ones above it just before `content_end`."""
        for index in range(len(self.stack) - 1, depth - 1, -1):
            entry = self.stack.pop()
            self.depths[entry.name].pop()
            if self.hiding:
                self.hiding -= 1
            if entry.kept is not None:
                stop = end if index == depth else content_end
                self.kept[entry.kept] = self.page[entry.content_start : stop]
                # a word of ours in its place: Transfuse ends a sentence at an empty inline element
                self.edits.append((entry.content_start, stop, f"{PLACEHOLDER}</kbd>"))
                self.hiding = 0


MAX_DEPTH = 200  # Transfuse's HTML parser (libxml2) stops at 256 levels and drops the rest of the page
_ANY_TAG = re.compile(rb"<(/?)([A-Za-z][^\s/>]*)[^<>]*?(/?)>")
_VOID_BYTES = frozenset(name.encode() for name in _VOID)


def nesting_depth(data: bytes, limit: int = MAX_DEPTH) -> int:
    """How deep elements nest in the page `data`, counted up to just past `limit` (then it stops
    looking): start tags of elements that hold content, less their end tags. In time linear in
    the page's length; raw text (a script's `<`) may count a level more, never fewer."""
    depth = deepest = 0
    for match in _ANY_TAG.finditer(data):
        if match.group(1):
            depth = max(0, depth - 1)
        elif not match.group(3) and match.group(2).lower() not in _VOID_BYTES:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
    return deepest


def prepare(data: bytes) -> PreparedPage:
    """`data` (an HTML page, UTF-8) made ready for the converter (see the module's docstring), with
    the attribute texts to translate and the content kept aside. A page with nothing to prepare
    comes back as it is."""
    if not _WORTH_READING.search(data):
        return PreparedPage(data)
    page = data.decode("utf-8", "surrogateescape")
    nonce = secrets.token_hex(4)
    marker = _Marker(page, nonce)
    marker.read()
    prepared = _apply(page, marker.edits)
    spaced = _apply(prepared, _spaces_around_marks(prepared, nonce))
    if spaced == page:
        return PreparedPage(data)
    return PreparedPage(spaced.encode("utf-8", "surrogateescape"), marker.texts, marker.kept, nonce)


def _apply(page: str, edits: list[tuple[int, int, str]]) -> str:
    """`page` with each (start, end, replacement) made."""
    out: list[str] = []
    last = 0
    for start, end, replacement in sorted(edits, key=lambda edit: (edit[0], edit[1])):
        out.append(page[last:start])
        out.append(replacement)
        last = end
    out.append(page[last:])
    return "".join(out)


def _spaces_around_marks(page: str, nonce: str) -> list[tuple[int, int, str]]:
    """The edits that write a space before each `<sub>`/`<sup>` against a word and after its end,
    marking the element with where (`data-dragoman-<nonce>-spaced`), so `finish` takes them away:
    the engine reads the mark apart from its word. Transfuse does the same, but its marks land on
    the wrong element when one of several marks of a paragraph is followed by a space."""
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
        if against(tag.end(), "<"):
            sides.append("after")
            edits.append((tag.end(), tag.end(), " "))
        if sides:
            marked = f'<{start_tag.group(2)} data-dragoman-{nonce}-spaced="{" ".join(sides)}"'
            edits.append((start_tag.start(), start_tag.start() + 1 + len(start_tag.group(2)), marked))
            if "before" in sides:
                edits.append((start_tag.start(), start_tag.start(), " "))
    return edits


def finish(data: bytes, page: PreparedPage, translations: list[str], language: str | None) -> bytes:
    """`data` (the converter's translated page) with each hidden element given back its name and
    content, each placeholder replaced by its translation (escaped for an attribute), and, with
    `language` (a BCP 47 tag), the `<html>` start tag's `lang` and `xml:lang` saying it. Raises
    ValueError if the number of translations is not the number of `page.texts`, and
    ConverterCrashed if the converter lost an element it was given to keep."""
    if len(translations) != len(page.texts):
        raise ValueError("one translation is needed per attribute text")
    if page.nonce:
        text = data.decode("utf-8", "surrogateescape")
        text, restored = _restore_hidden(text, page)
        if restored != len(page.kept):
            raise ConverterCrashed(
                f"the converter lost {len(page.kept) - restored} of the page's elements not to be translated"
            )
        text = text.replace(f"data-dragoman-{page.nonce}-alt=", "alt=")
        text = re.sub(
            rf"dragoman-{page.nonce}-text-(\d+)",
            lambda m: html.escape(translations[int(m.group(1))], quote=True) if int(m.group(1)) < len(translations)
            else m.group(0),
            text,
        )  # fmt: skip
        data = text.encode("utf-8", "surrogateescape")
    data = _drop_added_spaces(data, page.nonce)
    if language is not None:
        data = _declare_language(data, language)
    return data


def _drop_added_spaces(data: bytes, nonce: str) -> bytes:
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


def _restore_hidden(text: str, page: PreparedPage) -> tuple[str, int]:
    """`text` with each `<kbd data-dragoman-<nonce>="name" data-dragoman-<nonce>-keep="K" ...></kbd>`
    made `<name ...>` followed by the content and end tag kept as K; and how many were."""
    nonce = page.nonce
    hidden = re.compile(r"<kbd\b(?P<attributes>[^>]*?)\s*(?P<empty>/)?>(?(empty)|\s*0?\s*</kbd\s*>)", re.IGNORECASE)
    name_of = re.compile(rf'\s+data-dragoman-{nonce}\s*=\s*"(?P<value>[^"]*)"')
    keep_of = re.compile(rf'\s+data-dragoman-{nonce}-keep\s*=\s*"(?P<value>\d+)"')
    restored = 0

    def restore(match: re.Match[str]) -> str:
        nonlocal restored
        attributes = match.group("attributes")
        name, keep = name_of.search(attributes), keep_of.search(attributes)
        if name is None or keep is None or int(keep.group("value")) >= len(page.kept):
            return match.group(0)
        restored += 1
        rest = keep_of.sub("", name_of.sub("", attributes, count=1), count=1)
        return f"<{name.group('value')}{rest}>{page.kept[int(keep.group('value'))]}"

    return hidden.sub(restore, text), restored


def _replace_value(tag: str, name: str, value: str) -> str:
    """`tag` (a start tag) with attribute `name`'s value replaced by `value` (double-quoted)."""
    pattern = re.compile(rf"""(\s{re.escape(name)}\s*=\s*)(?:"[^"]*"|'[^']*'|[^\s"'>]+)""", re.IGNORECASE)
    return pattern.sub(lambda m: m.group(1) + f'"{value}"', tag, count=1)


def _rename_attribute(tag: str, name: str, new_name: str) -> str:
    return re.sub(rf"(\s){re.escape(name)}(\s*=)", rf"\g<1>{new_name}\g<2>", tag, count=1, flags=re.IGNORECASE)


def _declare_language(data: bytes, language: str) -> bytes:
    """`data` (HTML) with the language its `<html>` start tag declares (`lang`, `xml:lang`) set to
    `language`; a start tag declaring none is left as it is. Source: HTML Living Standard, "The lang
    and xml:lang attributes"."""
    start = _HTML_START.search(data)
    if start is None or not _LANG.search(start.group(0)):
        return data
    tag = _LANG.sub(lambda match: match.group(1) + b'"' + language.encode("ascii", "replace") + b'"', start.group(0))
    return data[: start.start()] + tag + data[start.end() :]
