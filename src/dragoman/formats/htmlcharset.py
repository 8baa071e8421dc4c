"""The legacy character encoding an HTML page declares, for a page that is not UTF-8: a page saved
by an older editor in Windows-1252 says so in `<meta charset="windows-1252">` (or in
`<meta http-equiv="Content-Type" content="text/html; charset=...">`, or, for XHTML, in its XML
declaration), and is read as it says, its translation written in UTF-8 (`html.prepare` makes its
`<meta>` say so).

Labels are the WHATWG Encoding Standard's (§4.2, "Names and labels"), each mapped to the Python
codec that decodes it: `iso-8859-1`, `latin1` and `us-ascii` are Windows-1252, as every browser
reads them; `gb2312` is GBK, read by the GB18030 decoder; `shift_jis` is Windows-31J; `euc-kr` is
Windows-949. A page declaring UTF-16 in its `<meta>` is UTF-8 (the prescan's rule). A page that
declares an encoding this does not know, one whose label the standard maps to "replacement"
(ISO-2022-KR, HZ: a security risk), or that its bytes do not follow, is refused naming the
encoding. A UTF-8 page (or one with a byte-order mark) is read as UTF-8 whatever it declares.

The declaration is looked for as the standard's prescan does (HTML Living Standard, "Prescan a byte
stream to determine its encoding"): in `<meta>` start tags near the start of the page, here the
first `PRESCAN_BYTES`; by pattern, in time linear in that length.

Shape: `page_encoding(data: bytes) -> str | None` (the Python codec; None: read it as UTF-8).
Raises UndecodableDocument.
"""

from __future__ import annotations

import codecs
import re

from dragoman.errors import UndecodableDocument

__all__ = ["PRESCAN_BYTES", "page_encoding"]

PRESCAN_BYTES = 64 * 1024  # a browser's prescan reads 1024 bytes, then its parser the whole <head>

_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_XML_DECLARATION = re.compile(rb"""\s*<\?xml\s[^<>]*?\bencoding\s*=\s*["']([^"']*)["']""")
_META = re.compile(rb"<meta[\s/][^<>]*>", re.IGNORECASE)
_CHARSET = re.compile(rb"""\bcharset\s*=\s*["']?([^"'\s;/>]+)""", re.IGNORECASE)
_HTTP_EQUIV = re.compile(rb"""\bhttp-equiv\s*=\s*["']?content-type""", re.IGNORECASE)
_CONTENT = re.compile(rb"""\bcontent\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_CHARSET_ATTRIBUTE = re.compile(rb"""[\s/"']charset\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>/]+))""", re.IGNORECASE)

# WHATWG Encoding Standard §4.2: the Python codec of each encoding, and its labels.
_ENCODINGS: tuple[tuple[str, str], ...] = (
    ("utf-8", "unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 x-unicode20utf8"),
    ("cp866", "866 cp866 csibm866 ibm866"),
    ("iso8859_2", "csisolatin2 iso-8859-2 iso-ir-101 iso8859-2 iso88592 iso_8859-2 iso_8859-2:1987 l2 latin2"),
    ("iso8859_3", "csisolatin3 iso-8859-3 iso-ir-109 iso8859-3 iso88593 iso_8859-3 iso_8859-3:1988 l3 latin3"),
    ("iso8859_4", "csisolatin4 iso-8859-4 iso-ir-110 iso8859-4 iso88594 iso_8859-4 iso_8859-4:1988 l4 latin4"),
    ("iso8859_5", "csisolatincyrillic cyrillic iso-8859-5 iso-ir-144 iso8859-5 iso88595 iso_8859-5 iso_8859-5:1988"),
    (
        "iso8859_6",
        "arabic asmo-708 csiso88596e csiso88596i csisolatinarabic ecma-114 iso-8859-6 iso-8859-6-e iso-8859-6-i "
        "iso-ir-127 iso8859-6 iso88596 iso_8859-6 iso_8859-6:1987",
    ),
    (
        "iso8859_7",
        "csisolatingreek ecma-118 elot_928 greek greek8 iso-8859-7 iso-ir-126 iso8859-7 iso88597 iso_8859-7 "
        "iso_8859-7:1987 sun_eu_greek",
    ),
    (
        "iso8859_8",
        "csiso88598e csisolatinhebrew hebrew iso-8859-8 iso-8859-8-e iso-ir-138 iso8859-8 iso88598 iso_8859-8 "
        "iso_8859-8:1988 visual csiso88598i iso-8859-8-i logical",
    ),
    ("iso8859_10", "csisolatin6 iso-8859-10 iso-ir-157 iso8859-10 iso885910 l6 latin6"),
    ("iso8859_13", "iso-8859-13 iso8859-13 iso885913"),
    ("iso8859_14", "iso-8859-14 iso8859-14 iso885914"),
    ("iso8859_15", "csisolatin9 iso-8859-15 iso8859-15 iso885915 iso_8859-15 l9"),
    ("iso8859_16", "iso-8859-16"),
    ("koi8_r", "cskoi8r koi koi8 koi8-r koi8_r"),
    ("koi8_u", "koi8-ru koi8-u"),
    ("mac_roman", "csmacintosh mac macintosh x-mac-roman"),
    ("cp874", "dos-874 iso-8859-11 iso8859-11 iso885911 tis-620 windows-874"),
    ("cp1250", "cp1250 windows-1250 x-cp1250"),
    ("cp1251", "cp1251 windows-1251 x-cp1251"),
    (
        "cp1252",
        "ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 iso8859-1 iso88591 iso_8859-1 "
        "iso_8859-1:1987 l1 latin1 us-ascii windows-1252 x-cp1252",
    ),
    ("cp1253", "cp1253 windows-1253 x-cp1253"),
    (
        "cp1254",
        "cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 iso_8859-9 iso_8859-9:1989 l5 latin5 "
        "windows-1254 x-cp1254",
    ),
    ("cp1255", "cp1255 windows-1255 x-cp1255"),
    ("cp1256", "cp1256 windows-1256 x-cp1256"),
    ("cp1257", "cp1257 windows-1257 x-cp1257"),
    ("cp1258", "cp1258 windows-1258 x-cp1258"),
    ("mac_cyrillic", "x-mac-cyrillic x-mac-ukrainian"),
    ("gb18030", "chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 gbk iso-ir-58 x-gbk gb18030"),
    ("big5hkscs", "big5 big5-hkscs cn-big5 csbig5 x-x-big5"),
    ("euc_jp", "cseucpkdfmtjapanese euc-jp x-euc-jp"),
    ("iso2022_jp", "csiso2022jp iso-2022-jp"),
    ("cp932", "csshiftjis ms932 ms_kanji shift-jis shift_jis sjis windows-31j x-sjis"),
    (
        "cp949",
        "cseuckr csksc56011987 euc-kr iso-ir-149 korean ks_c_5601-1987 ks_c_5601-1989 ksc5601 ksc_5601 windows-949",
    ),
    # a <meta> that says UTF-16 is read as UTF-8 (HTML Living Standard, the prescan's rule)
    ("utf-8", "unicodefffe utf-16be csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 utf-16le"),
)
_CODECS = {label: codec for codec, labels in _ENCODINGS for label in labels.split()}
_REPLACEMENT = frozenset({"csiso2022kr", "hz-gb-2312", "iso-2022-cn", "iso-2022-cn-ext", "iso-2022-kr", "replacement"})


def page_encoding(data: bytes) -> str | None:
    """The Python codec to read the page `data` with, when it is not UTF-8 and declares a legacy
    encoding it follows; None when the page is UTF-8, has a byte-order mark, or declares nothing
    (or UTF-8): read it as UTF-8. Raises UndecodableDocument, naming the encoding, when the page
    declares one this does not know or that must not be decoded, or is not written in the one it
    declares."""
    if data.startswith(_BOMS):
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return None
    label = _declared_label(data[:PRESCAN_BYTES])
    if label is None:
        return None
    key = label.strip().lower()
    if key in _REPLACEMENT:
        raise UndecodableDocument(
            f"the page declares its characters in {label!r}, which the WHATWG Encoding Standard does not let be "
            "decoded; save it as UTF-8"
        )
    codec = _CODECS.get(key)
    if codec is None:
        raise UndecodableDocument(
            f"the page declares its characters in {label!r}, an encoding Dragoman does not know; save it as UTF-8"
        )
    if codec == "utf-8":
        return None
    try:
        data.decode(codec)
    except UnicodeDecodeError as exc:
        raise UndecodableDocument(
            f"the page declares its characters in {label!r}, and is not valid {label} text (byte {exc.start}); "
            "save it as UTF-8"
        ) from None
    return codec


def _declared_label(head: bytes) -> str | None:
    """The encoding label `head` (the start of a page) declares: its XML declaration's, else its
    first `<meta charset>` or `<meta http-equiv="Content-Type" content="...; charset=...">`."""
    declaration = _XML_DECLARATION.match(head)
    if declaration is not None:
        return declaration.group(1).decode("latin-1")
    for meta in _META.finditer(head):
        tag = meta.group(0)
        attribute = _CHARSET_ATTRIBUTE.search(tag)
        if attribute is not None:
            value = next(v for v in attribute.groups() if v is not None)
            return value.decode("latin-1")
        content = _CONTENT.search(tag)
        if _HTTP_EQUIV.search(tag) and content is not None:
            charset = _CHARSET.search(next(v for v in content.groups() if v is not None))
            if charset is not None:
                return charset.group(1).decode("latin-1")
    return None
