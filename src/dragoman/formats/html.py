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
  elements, but none of these; and took such an attribute for its block's text when the element
  was all the block held); each is replaced by a numbered placeholder that `finish` fills with its
  translation. Those of elements not to be translated are left alone;
- every other attribute holding a value is hidden from the converter, as
  `data-dragoman-<nonce>-a<n>`, and given back as written: its serializer percent-encoded URI
  attributes (`my page.html`, `{{ url }}`), and it would translate the `alt` of an image not to be
  translated. Only the attributes the converter translates, on an element it does not carry in a
  sentence, and those of a `<meta>` declaring the charset (it decodes by them) are left to it;
- template code (`{{ }}`, `{% %}`, `<?php ?>`, `<% %>`: `htmltemplates.py`) is hidden wherever it
  is: between attributes and in their values with them, in a sentence as a hidden element (a word
  the engine keeps), alone between two tags as a comment of ours;
- a `<sub>`/`<sup>` holding no word (a footnote's mark) is set aside as a comment of ours, and one
  written against a word is given a space on that side (`htmlmarks.py`);
- the texts of SVG's `<text>`, `<title>` and `<desc>` (SVG 2, "Text" and "Document Structure"),
  which the converter leaves as written with the rest of a drawing, become segments too, one per
  text between two tags; so do those of an `<iframe srcdoc>` (the frame's document, HTML in an
  attribute: each translation is escaped for it, then for the attribute). What the page still
  shows untranslated is said in `PreparedPage.warnings`: the words of a `<pre>` (code, usually,
  which the converter keeps as written), of a `<template>` (which it keeps too) and those of a
  drawing outside its texts (a `<foreignObject>`'s);
- a space between a block (`<p>`, `<img>`, `<svg>`: any element the converter does not carry in
  a sentence) and text or an inline element is given a comment of ours on its inner side: the
  converter dropped the spaces at the edges of a run of text outside a block (`</p>\n<a>Home</a>\n`
  came back `</p><a>Inicio</a>`), and keeps one beside a comment;
- a `<meta>` charset (or XML declaration) that is not UTF-8 is made UTF-8: the page given is
  UTF-8 (the document layer decodes a page in the legacy charset it declares), and the converter
  decodes a page as its `<meta>` says.

An XHTML page (an XML declaration, or the XHTML namespace: an `.xhtml` file, an EPUB chapter)
reaches the converter without its XML declaration: given one, it dropped every `&`, `<`, `>` and
`"` of the text.

After it, `finish` gives back what was set aside: hidden elements' names and content (a converter
that lost one, or template code, is a converter fault: nothing kept is dropped silently),
attributes, footnotes' marks and template code as written; it fills the placeholders, takes our
comments away, and sets `<html lang>` to the target language; an XHTML page is written back as
XML (`xhtml.py`). Every mark of ours carries a number of 8 digits drawn for the document, so no
page's own text can be taken for one, and none holds a word a dictionary knows: no placeholder is
given to the converter where it translates.

The page is read by a small tokenizer of our own (`_htmltags.py`), in time linear in its length
whatever it holds (the standard library's `html.parser` takes quadratic time on a page of unclosed
tags), which gives each tag's position, so only the tags and attributes concerned are changed:
everything else reaches the converter byte for byte. Sources: HTML Living Standard, "The
translate attribute", "Optional tags", "The lang and xml:lang attributes", "Standard metadata
names", "The iframe element" (srcdoc), "Specifying the document's character encoding"; SVG 2;
the Open Graph protocol.

Shapes: `prepare(data: bytes) -> PreparedPage`; `finish(data: bytes, page: PreparedPage,
translations: list[str], language: str | None) -> bytes`. Pages are UTF-8 (the document layer
converts others first, `htmlcharset.py`); bytes that are not UTF-8 pass through unchanged.
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field

from dragoman.domain.specs import DocumentWarning
from dragoman.errors import ConverterCrashed
from dragoman.formats import htmlmarks, htmltemplates, xhtml
from dragoman.formats._htmltags import ATTRIBUTE, RAW_TEXT, VOID, Tag, tags
from dragoman.formats.screening import HTML_INLINE_TAGS

__all__ = ["PLACEHOLDER", "PreparedPage", "finish", "prepare"]

# What each hidden element holds for the converter: a word of ours, since Transfuse ends a sentence
# at an empty inline element. One character each, which the converter counts as text.
PLACEHOLDER = "0"

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
_WORTH_READING = re.compile(rb"=|<code|<su[bp]\b|<svg|<pre|<template", re.IGNORECASE)
_HTML_START = re.compile(rb"<html\b[^>]*>", re.IGNORECASE)
_LANG = re.compile(rb"""(\b(?:xml:)?lang\s*=\s*)(?:"[^"]*"|'[^']*'|[^\s>]+)""", re.IGNORECASE)
# The attributes whose texts the converter translates (Transfuse's `tag_attrs`).
_CONVERTER_TRANSLATES = frozenset({"alt", "caption", "label", "summary", "title", "placeholder"})
_TAG_NAME = re.compile(r"<\s*[^\s/<>]+")
_SLASHES = re.compile(r"[\s/]+")
_TAG_END = re.compile(r"\s*/?\s*>")
_SVG_TEXTS = frozenset({"text", "title", "desc"})  # SVG's elements whose text a reader sees (SVG 2, §11, §5.9)
_LETTER = re.compile(r"[^\W\d_]")
_SPACES = " \t\n\r\f"  # ASCII whitespace (HTML Living Standard); a no-break space is text
_NOT_TEXT = re.compile(r"<!--.*?(?:-->|$)|<[!?][^>]*(?:>|$)", re.DOTALL)  # comments, declarations
# Elements whose content the converter leaves as written: no space in them is lost.
_AS_WRITTEN = frozenset({"pre", "svg", "math", "template"})
# `<meta charset=...>`, and the charset of `<meta http-equiv="Content-Type" content="...; charset=...">`
_META_CHARSET = re.compile(r"""(<meta\b[^<>]*?\bcharset\s*=\s*["']?)([^"'\s;/>]*)""", re.IGNORECASE)


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
    # the indexes in `texts` of those written in HTML inside an attribute (an iframe's `srcdoc`)
    inner: frozenset[int] = frozenset()
    # what the page shows that is not translated (`<pre>`, SVG outside its texts), said on its task
    warnings: list[DocumentWarning] = field(default_factory=list)
    # an XHTML page's prolog (`xhtml.prolog`), which `finish` gives back, writing the page as XML;
    # None for an HTML page
    prolog: str | None = None
    declared_charset: bool = False  # whether an XHTML page has its own `<meta charset>`
    # each attribute hidden from the converter, as written (`data-dragoman-<nonce>-a<n>` in its place)
    attributes: list[str] = field(default_factory=list)
    # what each `<!--dragoman-<nonce>-c<n>-->` stands for: a footnote's mark, template code between tags
    aside: list[str] = field(default_factory=list)
    templates: list[str] = field(default_factory=list)  # the page's template code (`htmltemplates.py`)


@dataclass(slots=True)
class _Open:
    name: str  # lower case
    translated: bool  # whether its content is to be translated
    in_pre: bool
    kept: int | None = None  # the index of its content in `PreparedPage.kept` when it is hidden
    content_start: int = 0  # where its content begins, in the page's characters
    pre: int = -1  # where the outermost `<pre>` it is in begins, or -1
    svg: int = -1  # where the outermost `<svg>` it is in begins, or -1
    svg_text: bool = False  # whether it is an SVG `<text>`, `<title>` or `<desc>`, or in one
    template: int = -1  # where the outermost `<template>` it is in begins, or -1


class _Marker:
    """Reads a page and records the edits that `prepare` makes: (start, end, replacement) in the
    page's characters. The elements open at each point are tracked with the end tags HTML implies
    (a `<li>` closes the list item before it, a `<div>` an open paragraph...)."""

    def __init__(self, page: str, nonce: str) -> None:
        self.page = page
        self.nonce = nonce
        self.sentinel = htmltemplates.sentinels(nonce)
        self.edits: list[tuple[int, int, str]] = []
        self.texts: list[str] = []
        self.kept: list[str] = []
        self.attributes: list[str] = []  # each attribute hidden from the converter, as written
        self.aside: list[str] = []  # what `<!--dragoman-<nonce>-c<n>-->` stands for
        self.stack: list[_Open] = []
        self.depths: dict[str, list[int]] = {}  # name -> where elements of that name are open in `stack`
        self.hiding = 0  # how many open elements are inside a hidden one, or are it
        self.inner: set[int] = set()  # texts written in HTML inside an attribute
        self.pre_with_text: set[int] = set()  # where each `<pre>` holding words begins
        self.svg_with_text: set[int] = set()  # where each `<svg>` holding words it does not show as text begins
        self.template_with_text: set[int] = set()  # where each `<template>` holding words begins

    def read(self) -> None:
        """Read the whole page, recording the edits."""
        previous: Tag | None = None
        for tag in [*tags(self.page), None]:
            raw = previous is not None and not previous.is_end and not previous.closed and previous.name in RAW_TEXT
            if not (raw and not (previous is not None and previous.name == "title" and self._in_svg())):
                end = tag.start if tag is not None else len(self.page)
                self._text(previous.end if previous is not None else 0, end)
            if tag is None:
                break
            if tag.is_end:
                self._end(tag)
            else:
                self._start(tag)
            previous = tag
        if self.stack:  # what the page leaves open at its end
            self._pop_to(0, len(self.page), len(self.page))

    def _start(self, found: Tag) -> None:
        tag, values, closed, start, end = found.name, found.attributes, found.closed, found.start, found.end
        raw = self.page[start:end]
        self._close_implied(tag, start)
        opens = tag not in VOID and not closed
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
        rewritten = self._attributes(tag, values, raw, translated and not kept_code and not hide)
        if hide:
            marks = f'<kbd data-dragoman-{self.nonce}="\\1" data-dragoman-{self.nonce}-keep="{len(self.kept)}"'
            rewritten = re.sub(r"^<\s*([^\s/>]+)", marks, rewritten, count=1)
        if rewritten != raw:
            self.edits.append((start, end, rewritten))
        if not opens:
            return
        entry = _Open(tag, translated and not kept_code, parent.in_pre or tag == "pre", pre=parent.pre, svg=parent.svg)
        entry.template = start if tag == "template" and parent.template < 0 else parent.template
        if tag == "pre" and parent.pre < 0:
            entry.pre = start
        if tag == "svg" and parent.svg < 0:
            entry.svg = start
        entry.svg_text = parent.svg_text or (parent.svg >= 0 and tag in _SVG_TEXTS)
        if hide:
            entry.kept, entry.content_start = len(self.kept), end
            self.kept.append("")
            self.hiding = 1
        self._push(entry)

    def _attributes(self, tag: str, values: dict[str, str], raw: str, translated: bool) -> str:
        """`raw` (a start tag) with each attribute the converter is not to read hidden from it (the
        converter percent-encodes a URI attribute, and reads template code as markup): written
        `data-dragoman-<nonce>-a<n>`, for `finish` to give back as written. A text a reader sees in
        an attribute the converter does not translate becomes a placeholder; those it translates
        (`alt`, `title`... of an element not carried in a sentence) are left to it, and so are the
        attributes of a `<meta>` declaring the page's charset (the converter decodes by them)."""
        ours = self._translated_attributes(tag, values) if translated else frozenset()
        charset_meta = tag == "meta" and ("charset" in values or "http-equiv" in values)
        name = _TAG_NAME.match(raw)
        cursor = name.end() if name is not None else len(raw)
        out = [raw[:cursor]]
        while True:
            gap = cursor  # the spaces (and slashes: `<a/b>`) before an attribute are written with it
            slashes = _SLASHES.match(raw, cursor)
            if slashes is not None and _TAG_END.match(raw, cursor) is None:
                cursor = slashes.end()
            attribute = ATTRIBUTE.match(raw, cursor)
            if attribute is None:
                cursor = gap
                break
            text, cursor = raw[gap : attribute.end()], attribute.end()
            key = attribute.group("name").lower()
            value = values.get(key) if "=" in text else None
            has_code = self.sentinel.search(text) is not None
            if (value is None and not has_code) or (charset_meta and key in ("charset", "http-equiv", "content")):
                out.append(text)
                continue
            said = value is not None and _LETTER.search(self.sentinel.sub("", value)) is not None
            if translated and said and key in _CONVERTER_TRANSLATES and key not in ours and not has_code:
                out.append(text)  # the converter translates it
                continue
            if translated and said and (key in ours or key in _CONVERTER_TRANSLATES) and value is not None:
                lead = raw[gap : attribute.start("name")]
                placeholder = f"dragoman-{self.nonce}-{len(self.texts)}"
                if key == "srcdoc":
                    document = self._srcdoc(value)
                    if document is None:
                        out.append(self._hidden_attribute(text))
                        continue
                    placeholder = html.escape(document, quote=False).replace('"', "&quot;")
                else:
                    self.texts.append(value)
                text = f'{lead}{attribute.group("name")}="{placeholder}"'
            out.append(self._hidden_attribute(text))
        out.append(raw[cursor:])
        return "".join(out)

    def _hidden_attribute(self, text: str) -> str:
        self.attributes.append(text)
        return f" data-dragoman-{self.nonce}-a{len(self.attributes) - 1}"

    def _translated_attributes(self, tag: str, values: dict[str, str]) -> frozenset[str]:
        """The attributes of a `tag` start tag whose texts become placeholders: those a reader sees
        that the converter does not translate (it leaves the attributes of an element it carries in
        a sentence, and may take them for the block's text when the element is all a block holds)."""
        names = {"aria-label"}
        if tag in HTML_INLINE_TAGS:
            names |= _CONVERTER_TRANSLATES
        if tag == "meta" and (values.get("name") or values.get("property") or "").strip().lower() in _META_NAMES:
            names.add("content")
        if tag == "input" and (values.get("type") or "").strip().lower() in _BUTTON_INPUTS:
            names.add("value")
        if tag == "iframe":
            names.add("srcdoc")
        return frozenset(names)

    def _in_svg(self) -> bool:
        return bool(self.stack) and self.stack[-1].svg >= 0

    def _text(self, start: int, end: int) -> None:
        """Note the text between two tags, `page[start:end]`: an SVG text's becomes a placeholder,
        words in a `<pre>` or elsewhere in an SVG drawing are noted for the page's warnings."""
        if self.hiding or start >= end:
            return
        top = self.stack[-1] if self.stack else _Open("", True, False)
        if top.svg < 0 and top.pre < 0 and top.template < 0:
            self._template_code(start, end)
        if not self.stack or not top.translated or not _LETTER.search(self.sentinel.sub("", self.page[start:end])):
            return
        if top.template >= 0:
            self.template_with_text.add(top.template)
        elif top.svg_text:
            for piece_start, piece_end in _text_pieces(self.page, start, end):
                self._text_placeholder(piece_start, piece_end)
        elif top.svg >= 0:
            self.svg_with_text.add(top.svg)
        elif top.pre >= 0:
            self.pre_with_text.add(top.pre)

    def _template_code(self, start: int, end: int) -> None:
        """Hide the template code in the text `page[start:end]` from the converter: alone between two
        tags, the whole text with its spaces, as a comment of ours; in a sentence its sentinel stays
        text, which the engine's protection keeps whole."""
        found = list(self.sentinel.finditer(self.page, start, end))
        if not found:
            return
        rest = html.unescape(_NOT_TEXT.sub("", self.sentinel.sub("", self.page[start:end])))  # &lsaquo; is no word
        if _LETTER.search(rest) is None:
            self.edits.append((start, end, f"<!--dragoman-{self.nonce}-c{len(self.aside)}-->"))
            self.aside.append(self.page[start:end])
            return
        # In a sentence the sentinel stays text: the engine's protection keeps it whole where it stands
        # (as it keeps `{name}`). Made an element, inside a link it parted the link's words, and the
        # converter wrote the link again around each of them.

    def _text_placeholder(self, start: int, end: int) -> None:
        """Replace the text `page[start:end]` (no markup in it) by a placeholder, its spaces kept."""
        text = self.page[start:end]
        core = text.strip(_SPACES)
        if not core or not _LETTER.search(core):
            return
        at = start + len(text) - len(text.lstrip(_SPACES))
        self.edits.append((at, at + len(core), f"dragoman-{self.nonce}-{len(self.texts)}"))
        self.texts.append(html.unescape(core))

    def _srcdoc(self, document: str) -> str | None:
        """`document` (an iframe's `srcdoc`, an HTML document) with its texts replaced by placeholders,
        or None if it has none; each translation is written escaped twice, for the document and for
        the attribute. The document's texts are translated one by one: between two of its tags."""
        edits: list[tuple[int, int, str]] = []
        previous: Tag | None = None
        for tag in [*tags(document), None]:
            if previous is not None and not previous.is_end and not previous.closed and previous.name in RAW_TEXT:
                previous = tag
                continue
            start, end = previous.end if previous is not None else 0, tag.start if tag is not None else len(document)
            for piece_start, piece_end in _text_pieces(document, start, end):
                text = document[piece_start:piece_end]
                core = text.strip(_SPACES)
                if core and _LETTER.search(core):
                    at = piece_start + len(text) - len(text.lstrip(_SPACES))
                    self.inner.add(len(self.texts))
                    edits.append((at, at + len(core), f"dragoman-{self.nonce}-{len(self.texts)}"))
                    self.texts.append(html.unescape(core))
            previous = tag
        return _apply(document, edits) if edits else None

    def warnings(self) -> list[DocumentWarning]:
        """What the page shows that is not translated: `<pre>` blocks' words, and SVG drawings'
        outside their texts (a `<foreignObject>`'s)."""
        found: list[DocumentWarning] = []
        if self.pre_with_text:
            count = len(self.pre_with_text)
            found.append(
                DocumentWarning(
                    "PreformattedTextNotTranslated",
                    f"the text of {count} preformatted block{'s' if count > 1 else ''} (<pre>: code, usually) "
                    f"{'is' if count == 1 else 'are'} kept as written, not translated",
                )
            )
        if self.template_with_text:
            count = len(self.template_with_text)
            found.append(
                DocumentWarning(
                    "TemplateContentNotTranslated",
                    f"the content of {count} <template> element{'s' if count > 1 else ''} (markup a script "
                    "shows later) is kept as written, not translated",
                )
            )
        if self.svg_with_text:
            count = len(self.svg_with_text)
            found.append(
                DocumentWarning(
                    "SvgTextNotTranslated",
                    f"text in {count} SVG drawing{'s' if count > 1 else ''} outside its <text>, <title> and <desc> "
                    "(a <foreignObject>'s) is not translated",
                )
            )
        return found

    def _push(self, entry: _Open) -> None:
        self.depths.setdefault(entry.name, []).append(len(self.stack))
        self.stack.append(entry)

    def _nearest(self, names: frozenset[str]) -> int:
        """Where the innermost open element named one of `names` is in the stack, or -1."""
        return max((self.depths[name][-1] for name in names if self.depths.get(name)), default=-1)

    def _end(self, found: Tag) -> None:
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
_VOID_BYTES = frozenset(name.encode() for name in VOID)


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
    """`data` (an HTML or XHTML page, UTF-8) made ready for the converter (see the module's
    docstring), with the attribute and SVG texts to translate, the content kept aside and what is
    left untranslated (`warnings`). A page with nothing to prepare comes back as it is (`data` is
    the very object given). Linear in the page's length, whatever it holds."""
    page = data.decode("utf-8", "surrogateescape")
    nonce = f"{secrets.randbelow(10**8):08d}"  # digits: no word for the engine, nor for a dictionary
    source, templates = htmltemplates.hide(page, nonce)
    prepared = source
    marker = _Marker(source, nonce)
    if templates or _WORTH_READING.search(data):
        marker.read()
        prepared = _apply(source, marker.edits)
        prepared = _apply(prepared, htmlmarks.prepare(prepared, nonce, marker.aside))
    prepared = _apply(prepared, _edge_spaces(prepared, f"<!--dragoman-{nonce}-->"))
    prepared = _utf8_declared(prepared)
    is_xhtml = xhtml.is_xhtml(page)
    if is_xhtml:
        prepared = xhtml.without_declaration(prepared)
    changed = prepared != page
    return PreparedPage(
        data=prepared.encode("utf-8", "surrogateescape") if changed else data,
        texts=marker.texts,
        kept=marker.kept,
        nonce=nonce if changed else "",
        inner=frozenset(marker.inner),
        warnings=marker.warnings(),
        prolog=xhtml.prolog(page) if is_xhtml else None,
        declared_charset=xhtml.declares_charset(page) if is_xhtml else False,
        attributes=marker.attributes,
        aside=marker.aside,
        templates=templates,
    )


def _text_pieces(page: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Where the text of `page[start:end]` is, between its comments and declarations."""
    for found in _NOT_TEXT.finditer(page, start, end):
        yield start, found.start()
        start = found.end()
    yield start, end


def _edge_spaces(page: str, mark: str) -> list[tuple[int, int, str]]:
    """The edits that write `mark` (a comment of ours) between a space and the text or inline
    element it borders where the other side is an element the converter does not read as inline
    (a `<p>`, `<img>`, `<svg>`...): the converter drops a space at the edge of the text it reads as
    one (`</p>\n<a>Home</a>\n<p>` came back `</p><a>Inicio</a><p>`), and keeps one beside a
    comment. Nothing is marked in raw text or in elements the converter keeps as written."""
    edits: list[tuple[int, int, str]] = []
    previous: Tag | None = None
    as_written = 0
    for tag in tags(page):
        raw = previous is not None and not previous.is_end and not previous.closed and previous.name in RAW_TEXT
        if previous is not None and not raw and not as_written:
            gap = page[previous.end : tag.start]
            lead, trail = len(gap) - len(gap.lstrip(_SPACES)), len(gap) - len(gap.rstrip(_SPACES))
            after, before = previous.name not in HTML_INLINE_TAGS, tag.name not in HTML_INLINE_TAGS
            if not gap or "<" in gap.strip(_SPACES) and _NOT_TEXT.search(gap):
                pass
            elif lead == len(gap):  # only spaces, between two tags
                if after != before:
                    edits.append((tag.start, tag.start, mark) if after else (previous.end, previous.end, mark))
            else:
                if after and lead:
                    edits.append((previous.end + lead, previous.end + lead, mark))
                if before and trail:
                    edits.append((tag.start - trail, tag.start - trail, mark))
        if tag.name in _AS_WRITTEN:
            as_written = max(0, as_written - 1) if tag.is_end else as_written + (not tag.closed)
        previous = tag
    return edits


def _utf8_declared(page: str) -> str:
    """`page` (UTF-8) with each `<meta>` charset it declares, and its XML declaration's encoding,
    saying UTF-8: the converter decodes a page as its `<meta>` says (HTML Living Standard,
    "Specifying the document's character encoding")."""
    page = _META_CHARSET.sub(
        lambda m: m.group(0) if m.group(2).lower() in ("utf-8", "utf8") else m.group(1) + "utf-8", page
    )
    declaration = re.match(r"""\ufeff?\s*<\?xml\s[^<>]*?\sencoding\s*=\s*(["'])([^"']*)\1""", page)
    if declaration is not None and declaration.group(2).lower() not in ("utf-8", "utf8"):
        page = page[: declaration.start(2)] + "UTF-8" + page[declaration.end(2) :]
    return page


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


def finish(data: bytes, page: PreparedPage, translations: list[str], language: str | None) -> bytes:
    """`data` (the converter's translated page) with what was set aside given back (hidden elements'
    names and content, attributes, template code, footnotes' marks), each placeholder replaced by its
    translation (escaped for an attribute), and, with `language` (a BCP 47 tag), the `<html>` start
    tag's `lang` and `xml:lang` saying it. Raises ValueError if the number of translations is not the
    number of `page.texts`, and ConverterCrashed if the converter lost an element or template code it
    was given to keep."""
    if len(translations) != len(page.texts):
        raise ValueError("one translation is needed per attribute text")
    nonce = page.nonce
    if nonce:
        text = data.decode("utf-8", "surrogateescape")
        text, aside = re.subn(rf"<!--dragoman-{nonce}-c(\d+)-->", lambda m: _nth(page.aside, m), text)
        text, restored = _restore_hidden(text, page)
        if restored != len(page.kept) or aside != len(page.aside):
            lost = len(page.kept) + len(page.aside) - restored - aside
            raise ConverterCrashed(f"the converter lost {lost} of the page's elements not to be translated")
        text = re.sub(rf"""\s*data-dragoman-{nonce}-a(\d+)(?:=""|='')?""", lambda m: _nth(page.attributes, m), text)
        text = re.sub(rf"dragoman-{nonce}-(\d+)", lambda m: _filled(m, page, translations), text, flags=re.IGNORECASE)
        text = text.replace(f"<!--dragoman-{nonce}-->", "")
        data = text.encode("utf-8", "surrogateescape")
    data = htmlmarks.drop_added_spaces(data, nonce)
    if language is not None:
        data = _declare_language(data, language)
    if page.prolog is not None:
        text = data.decode("utf-8", "surrogateescape")
        data = xhtml.well_formed(text, page.prolog, page.declared_charset).encode("utf-8", "surrogateescape")
    if page.templates:
        text, restored = htmltemplates.restore(data.decode("utf-8", "surrogateescape"), nonce, page.templates)
        if restored != len(page.templates):
            raise ConverterCrashed(f"the converter lost {len(page.templates) - restored} of the page's template code")
        data = text.encode("utf-8", "surrogateescape")
    return data


def _nth(kept: list[str], found: re.Match[str]) -> str:
    """What a mark of ours numbered `found.group(1)` stands for, in `kept`."""
    index = int(found.group(1))
    return kept[index] if index < len(kept) else found.group(0)


def _filled(placeholder: re.Match[str], page: PreparedPage, translations: list[str]) -> str:
    """The translation a placeholder stands for, escaped for where it is: an attribute, an SVG
    text, or HTML inside an attribute (twice)."""
    index = int(placeholder.group(1))
    if index >= len(translations):
        return placeholder.group(0)
    text = translations[index]
    if index in page.inner:
        text = html.escape(text, quote=False)
    return html.escape(text, quote=False).replace('"', "&quot;")


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
        if not name.group("value"):  # template code in a sentence
            return page.kept[int(keep.group("value"))]
        rest = keep_of.sub("", name_of.sub("", attributes, count=1), count=1)
        return f"<{name.group('value')}{rest}>{page.kept[int(keep.group('value'))]}"

    return hidden.sub(restore, text), restored


def _declare_language(data: bytes, language: str) -> bytes:
    """`data` (HTML) with the language its `<html>` start tag declares (`lang`, `xml:lang`) set to
    `language`; a start tag declaring none is left as it is. Source: HTML Living Standard, "The lang
    and xml:lang attributes"."""
    start = _HTML_START.search(data)
    if start is None or not _LANG.search(start.group(0)) or b"{dragoman_" in start.group(0):  # template code
        return data
    tag = _LANG.sub(lambda match: match.group(1) + b'"' + language.encode("ascii", "replace") + b'"', start.group(0))
    return data[: start.start()] + tag + data[start.end() :]
