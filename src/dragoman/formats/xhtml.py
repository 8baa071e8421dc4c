"""XHTML pages (an `.xhtml` file, an EPUB chapter: XML, read by XML parsers) given back as XML.

The converter reads every page with an HTML parser and writes it with an HTML serializer, so an
XHTML page came back with its DOCTYPE dropped, an XML declaration of its own, a
`<meta http-equiv="Content-Type" ...>` left open, `<br/>` written `<br></br>`, boolean attributes
minimized (`checked`) and SVG's names in lower case (`viewbox`, `lineargradient`): no XML parser
reads it. `well_formed` writes the converter's page back as XML: the source's prolog (XML
declaration, now saying UTF-8, comments and DOCTYPE, as written), void elements ending themselves
(`<br/>`), no end tag for them, boolean attributes given their value (`checked="checked"`), the
Content-Type `<meta>` the converter added taken away (an XML document's encoding is its
declaration's), and SVG's element and attribute names in their case.

A page is XHTML when it begins with an XML declaration or its `<html>` element is in the XHTML
namespace. Sources: XHTML 1.0 (Second Edition) §4 and Appendix C; "Polyglot Markup: A robust
profile of the HTML5 vocabulary" (W3C Note, 2015); HTML Living Standard, "The XML syntax",
"Specifying the document's character encoding" and "The rules for parsing tokens in foreign
content" (the case of SVG names).

Shapes: `is_xhtml(page: str) -> bool`; `prolog(page: str) -> str`; `declares_charset(page: str) ->
bool`; `well_formed(page: str, prolog: str, declared_charset: bool) -> str`.
"""

from __future__ import annotations

import re

from dragoman.formats._htmltags import ATTRIBUTE, VOID, tags

__all__ = ["declares_charset", "is_xhtml", "prolog", "well_formed", "without_declaration"]

_XML_DECLARATION = re.compile(r"\ufeff?\s*<\?xml\s[^<>]*\?>")
_DECLARED_ENCODING = re.compile(r"""(\sencoding\s*=\s*)(?:"[^"]*"|'[^']*')""")
_HTML_START = re.compile(r"<html\b[^<>]*>", re.IGNORECASE)
_XHTML_NAMESPACE = re.compile(r"""\sxmlns\s*=\s*["']http://www\.w3\.org/1999/xhtml["']""")
_CHARSET_META = re.compile(r"<meta\b[^<>]*?\b(?:charset|http-equiv\s*=\s*[\"']?content-type)", re.IGNORECASE)
# What the converter (libxml2's HTML serializer) writes in <head> when the page had no such <meta>.
_ADDED_META = re.compile(r'<meta http-equiv="Content-Type" content="text/html; charset=UTF-8"\s*/?>(?:</meta>)?')
# Attributes libxml2's HTML serializer writes minimized (its htmlIsBooleanAttr).
_BOOLEAN = frozenset(
    {"checked", "compact", "declare", "defer", "disabled", "ismap", "multiple", "nohref", "noresize", "noshade",
     "nowrap", "readonly", "selected"}
)  # fmt: skip


def _by_lower_case(names: str) -> dict[str, str]:
    return {name.lower(): name for name in names.split()}


# SVG's element and attribute names not in lower case (HTML Living Standard, "The rules for parsing
# tokens in foreign content").
_SVG_NAMES = _by_lower_case(
    "altGlyph altGlyphDef altGlyphItem animateColor animateMotion animateTransform clipPath feBlend "
    "feColorMatrix feComponentTransfer feComposite feConvolveMatrix feDiffuseLighting feDisplacementMap "
    "feDistantLight feDropShadow feFlood feFuncA feFuncB feFuncG feFuncR feGaussianBlur feImage feMerge "
    "feMergeNode feMorphology feOffset fePointLight feSpecularLighting feSpotLight feTile feTurbulence "
    "foreignObject glyphRef linearGradient radialGradient textPath"
)
_SVG_ATTRIBUTES = _by_lower_case(
    "attributeName attributeType baseFrequency baseProfile calcMode clipPathUnits diffuseConstant edgeMode "
    "filterUnits glyphRef gradientTransform gradientUnits kernelMatrix kernelUnitLength keyPoints keySplines "
    "keyTimes lengthAdjust limitingConeAngle markerHeight markerUnits markerWidth maskContentUnits maskUnits "
    "numOctaves pathLength patternContentUnits patternTransform patternUnits pointsAtX pointsAtY pointsAtZ "
    "preserveAlpha preserveAspectRatio primitiveUnits refX refY repeatCount repeatDur requiredExtensions "
    "requiredFeatures specularConstant specularExponent spreadMethod startOffset stdDeviation stitchTiles "
    "surfaceScale systemLanguage tableValues targetX targetY textLength viewBox viewTarget xChannelSelector "
    "yChannelSelector zoomAndPan definitionURL"
)
_NAME = re.compile(r"^(</?)([^\s/<>]+)")


def is_xhtml(page: str) -> bool:
    """Whether `page` is XHTML: it begins with an XML declaration, or its `<html>` start tag puts
    it in the XHTML namespace (`xmlns="http://www.w3.org/1999/xhtml"`)."""
    if _XML_DECLARATION.match(page):
        return True
    start = _HTML_START.search(page)
    return start is not None and _XHTML_NAMESPACE.search(start.group(0)) is not None


def prolog(page: str) -> str:
    """What `page` (XHTML) holds before its `<html>` start tag (its XML declaration, comments,
    DOCTYPE, as written), the declaration saying UTF-8 (the translation is written in UTF-8); ""
    for a page with no `<html>` start tag."""
    start = _HTML_START.search(page)
    if start is None:
        return ""
    head = page[: start.start()].removeprefix("\ufeff")
    declaration = _XML_DECLARATION.match(head)
    if declaration is not None:
        fixed = _DECLARED_ENCODING.sub(r'\1"UTF-8"', declaration.group(0), count=1)
        head = fixed + head[declaration.end() :]
    return head


def declares_charset(page: str) -> bool:
    """Whether `page` has a `<meta charset>` or `<meta http-equiv="Content-Type">` of its own."""
    return _CHARSET_META.search(page) is not None


def well_formed(page: str, prolog: str, declared_charset: bool) -> str:
    """`page` (the converter's HTML serialization of an XHTML page) written back as XML: `prolog`
    (the source's, from `prolog`) in place of what the converter wrote before `<html>`, void
    elements ending themselves and without end tags, boolean attributes given their value, SVG's
    names in their case, and, unless the source had one (`declared_charset`), the Content-Type
    `<meta>` the converter added taken away. In time linear in the page's length. What is not
    HTML's own (the content of hidden elements, given back as written) is left as it is."""
    start = _HTML_START.search(page)
    if start is not None and prolog:
        page = prolog + page[start.start() :]
    if not declared_charset:
        page = _ADDED_META.sub("", page, count=1)
    out: list[str] = []
    last = 0
    for tag in tags(page):
        raw = page[tag.start : tag.end]
        if tag.is_end:
            if tag.name in VOID:  # `<br></br>`: the start tag now ends itself
                out.append(page[last : tag.start])
                last = tag.end
            elif tag.name in _SVG_NAMES:
                out.append(page[last : tag.start] + "</" + _SVG_NAMES[tag.name] + raw[2 + len(tag.name) :])
                last = tag.end
            continue
        fixed = _start_tag(raw, tag.name, tag.closed)
        if fixed != raw:
            out.append(page[last : tag.start] + fixed)
            last = tag.end
    out.append(page[last:])
    return "".join(out)


def _start_tag(raw: str, name: str, closed: bool) -> str:
    """`raw` (a start tag named `name`) as XML: boolean attributes given their value, SVG names in
    their case, ending itself when its element is void."""
    if name in _SVG_NAMES:
        raw = _NAME.sub(lambda m: m.group(1) + _SVG_NAMES[name], raw, count=1)
    name_end = _NAME.match(raw)
    cursor = name_end.end() if name_end is not None else 1
    parts = [raw[:cursor]]
    while (attribute := ATTRIBUTE.match(raw, cursor)) is not None:
        text = attribute.group(0)
        attribute_name = attribute.group("name")
        lowered = attribute_name.lower()
        if lowered in _SVG_ATTRIBUTES and attribute_name != _SVG_ATTRIBUTES[lowered]:
            text = text.replace(attribute_name, _SVG_ATTRIBUTES[lowered], 1)
        elif lowered in _BOOLEAN and "=" not in text:
            text = f'{text}="{lowered}"'
        parts.append(text)
        cursor = attribute.end()
    rest = raw[cursor:]
    if name in VOID and not closed:
        rest = rest.rstrip().removesuffix(">").rstrip() + "/>"
    return "".join(parts) + rest


def without_declaration(page: str) -> str:
    """`page` without its XML declaration when it has an `<html>` start tag (`well_formed` writes
    the prolog back): given one, the converter drops every `&`, `<`, `>` and `"` of the page's text."""
    declaration = _XML_DECLARATION.match(page)
    if declaration is None or _HTML_START.search(page) is None:
        return page
    return page[declaration.end() :]
