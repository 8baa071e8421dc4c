"""Hostile documents, built on the fly: small files that cost far more than their size."""

from __future__ import annotations

import zipfile
from io import BytesIO

_ODT_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
)
_ODT_CONTENT = (
    '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
    "<office:body><office:text><text:p>{}</text:p></office:text></office:body></office:document-content>"
)
_PPTX_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/ppt/presentation.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/>'
    '<Override PartName="/ppt/slides/slide1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.presentationml.slide+xml"/></Types>'
)
_PPTX_PRESENTATION = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>'
)
_PPTX_SLIDE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<p:sld xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p:cSld><p:spTree><p:sp><p:txBody>'
    "<a:p><a:r><a:t>{}</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>"
)


def odt(text: str) -> bytes:
    """A minimal valid OpenDocument text whose one paragraph is `text` (XML-escaped by the caller)."""
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as package:
        package.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text", zipfile.ZIP_STORED)
        package.writestr("META-INF/manifest.xml", _ODT_MANIFEST)
        package.writestr("content.xml", _ODT_CONTENT.format(text))
    return out.getvalue()


def pptx(text: str) -> bytes:
    """A minimal PowerPoint package whose one slide holds `text`."""
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as package:
        package.writestr("[Content_Types].xml", _PPTX_TYPES)
        package.writestr("ppt/presentation.xml", _PPTX_PRESENTATION)
        package.writestr("ppt/slides/slide1.xml", _PPTX_SLIDE.format(text))
    return out.getvalue()


def one_long_word_html(letters: int = 40_000) -> bytes:
    """About 40 KB of HTML with one word: Transfuse needs minutes for it (its cost is quadratic)."""
    return f"<html><body><p>{'a' * letters}</p></body></html>".encode()


def slow_html(words: int = 300, letters: int = 999) -> bytes:
    """HTML of words just under the length limit: it passes the checks, yet takes tf-extract about
    0.04 s a word (12 s for the default 300), long enough to be cancelled mid-conversion."""
    return ("<html><body><p>" + " ".join([chr(ord("a") + n % 26) * letters for n in range(words)])).encode() + (
        b"</p></body></html>"
    )


def docx_bomb(inflated: int = 512 * 1024 * 1024) -> bytes:
    """A .docx whose main part inflates to `inflated` bytes of XML from about 1/1000 of that."""
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        with package.open("word/document.xml", "w", force_zip64=True) as part:
            part.write(b"<w:document><w:body><w:p><w:r><w:t>")
            block = b" " * (1024 * 1024)
            for _ in range(inflated // len(block)):
                part.write(block)
            part.write(b"</w:t></w:r></w:p></w:body></w:document>")
    return out.getvalue()


def bzip2_docx() -> bytes:
    """A .docx whose main part is bzip2-compressed (method 12): Python inflates such a part a whole
    input read at a time, whatever its declared size (36 KB reached 4 GB in the 2026 review)."""
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("word/document.xml", "<w:document/>", compress_type=zipfile.ZIP_BZIP2)
    return out.getvalue()


def polyglot_docx(hidden: bytes = b"<w:document>" + b"a" * 100_000 + b"</w:document>") -> bytes:
    """A .docx with a second, hidden ZIP record in front of the directory Python reads: libzip
    (Transfuse) can pick a directory Python never sees (the 2026 review hid a 307 MB part this way)."""
    shown = BytesIO()
    with zipfile.ZipFile(shown, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("word/document.xml", "<w:document><w:t>The cat.</w:t></w:document>")
    other = BytesIO()
    with zipfile.ZipFile(other, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("word/document.xml", hidden)
    data, extra = shown.getvalue(), other.getvalue()
    with zipfile.ZipFile(BytesIO(data)) as reader:
        start_dir = reader.start_dir
    with zipfile.ZipFile(BytesIO(extra)) as reader:
        record = extra[: reader.start_dir]  # the hidden part's local header and data
    moved = data[:start_dir] + record + data[start_dir:]
    end = len(moved) - 22  # the end record (no comment): the directory's offset is at +16
    offset = int.from_bytes(moved[end + 16 : end + 20], "little") + len(record)
    return moved[: end + 16] + offset.to_bytes(4, "little") + moved[end + 20 :]
