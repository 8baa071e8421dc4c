"""Hostile documents of the formats handled in-process (issue 13 §5): each fails with a clear
DocumentError, within bounded time, before any cost grows with what it claims to hold: zip bombs for
packages (.xlsx, .ods), entity expansion for XML (.xlsx, .ods, XLIFF), over-long words and lines,
and deep nesting."""

from __future__ import annotations

import contextlib
import time
import zipfile
from io import BytesIO

import docx
import pytest

from dragoman.errors import DocumentError, DocumentTooComplex, DocumentTooLarge
from dragoman.formats.documents import extract, format_for
from tests.formats.test_opendocument_spreadsheet import spreadsheet

LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY l0 "lol">'
    + "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
    + "]>"
)
SHARED = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def word_paragraph(text: str) -> bytes:
    """A .docx of one paragraph, as python-docx writes `add_paragraph(text)` (tabs and breaks in its run)."""
    document = docx.Document()
    document.add_paragraph(text)
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def workbook(shared_strings: bytes | None = None, *, bomb: int = 0) -> bytes:
    """A minimal .xlsx whose shared strings are `shared_strings`, or `bomb` bytes of spaces."""
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as package:
        package.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override '
            'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/></Types>',
        )
        package.writestr("xl/workbook.xml", f'<workbook xmlns="{SHARED}"/>')
        if bomb:
            with package.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
                part.write(f'<sst xmlns="{SHARED}"><si><t>'.encode())
                block = b" " * (1024 * 1024)
                for _ in range(bomb // len(block)):
                    part.write(block)
                part.write(b"</t></si></sst>")
        else:
            package.writestr("xl/sharedStrings.xml", shared_strings or b"")
    return out.getvalue()


def replaced(package: bytes, name: str, content: bytes) -> bytes:
    """`package` with its member `name` replaced by `content`."""
    out = BytesIO()
    with zipfile.ZipFile(BytesIO(package)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, content if item.filename == name else source.read(item.filename))
    return out.getvalue()


def ods_bomb(inflated: int) -> bytes:
    out = BytesIO()
    with zipfile.ZipFile(BytesIO(spreadsheet())) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename != "content.xml":
                target.writestr(item, source.read(item.filename))
        with target.open("content.xml", "w", force_zip64=True) as part:
            part.write(b"<office:document-content>")
            block = b" " * (1024 * 1024)
            for _ in range(inflated // len(block)):
                part.write(block)
            part.write(b"</office:document-content>")
    return out.getvalue()


XLIFF = '<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2"><file><body>{}</body></file></xliff>'
LONG_WORD = "a" * 200_000


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        # packages that inflate far past what they weigh
        ("bomb.xlsx", workbook(bomb=64 * 1024 * 1024), DocumentTooLarge),
        ("bomb.ods", ods_bomb(64 * 1024 * 1024), DocumentTooLarge),
        # entities that would expand to gigabytes
        (
            "laughs.xlsx",
            workbook(f'{LAUGHS}<sst xmlns="{SHARED}"><si><t>The cat &l9;</t></si></sst>'.encode()),
            DocumentError,
        ),
        (
            "laughs.ods",
            replaced(
                spreadsheet(),
                "content.xml",
                (LAUGHS + "<office:document-content>&l9;</office:document-content>").encode(),
            ),
            DocumentError,
        ),
        (
            "laughs.xlf",
            (LAUGHS + XLIFF.format('<trans-unit id="1"><source>&l9;</source></trans-unit>')).encode(),
            DocumentError,
        ),
        # words and lines long enough to cost minutes
        (
            "word.xlsx",
            workbook(f'<sst xmlns="{SHARED}"><si><t>{LONG_WORD}</t></si></sst>'.encode()),
            DocumentTooComplex,
        ),
        ("word.md", f"# The cat\n\n{LONG_WORD}\n".encode(), DocumentTooComplex),
        ("word.srt", f"1\n00:00:01,000 --> 00:00:02,000\n{LONG_WORD}\n".encode(), DocumentTooComplex),
        ("word.vtt", f"WEBVTT\n\n00:01.000 --> 00:02.000\n{LONG_WORD}\n".encode(), DocumentTooComplex),
        ("word.po", f'msgid "{LONG_WORD}"\nmsgstr ""\n'.encode(), DocumentTooComplex),
        (
            "word.xlf",
            XLIFF.format(f'<trans-unit id="1"><source>{LONG_WORD}</source></trans-unit>').encode(),
            DocumentTooComplex,
        ),
        ("spaces.md", ("The cat" + " " * 200_000 + "is black.\n").encode(), DocumentTooComplex),
        # tabs and breaks in one paragraph: each a block of the converter, which rebuilds them in square time
        ("tabs.docx", word_paragraph("The house\t" * 50_000), DocumentTooComplex),
        # tags nested past what any reader follows, around one cue or message
        (
            "deep.srt",
            f"1\n00:00:01,000 --> 00:00:02,000\n{'<i>' * 5_000}The cat{'</i>' * 5_000}\n".encode(),
            DocumentTooComplex,
        ),
        ("deep.po", f'msgid "{"<b>" * 5_000}The cat{"</b>" * 5_000}"\nmsgstr ""\n'.encode(), DocumentTooComplex),
        # nesting deeper than any parser should follow
        (
            "deep.xlf",
            XLIFF.format(
                '<trans-unit id="1"><source>'
                + '<g id="1">' * 50_000
                + "The cat"
                + "</g>" * 50_000
                + "</source></trans-unit>"
            ).encode(),
            DocumentError,
        ),
        (
            "deep.ods",
            replaced(
                spreadsheet(),
                "content.xml",
                (
                    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0">'
                    + "<office:body>" * 50_000
                    + "</office:body>" * 50_000
                    + "</office:document-content>"
                ).encode(),
            ),
            DocumentError,
        ),
    ],
)
def test_a_hostile_document_fails_clearly_and_quickly(name: str, data: bytes, error: type[DocumentError]) -> None:
    started = time.monotonic()
    with pytest.raises(error) as raised:
        extract(data, format_for(name))
    assert time.monotonic() - started < 10, name
    assert raised.value.message and "Traceback" not in raised.value.message


def test_deeply_nested_markdown_is_bounded() -> None:
    # markdown-it-py stops nesting at its limit: taken apart or refused, but quickly
    data = (">" * 100_000 + " The cat is black.\n").encode()
    started = time.monotonic()
    with contextlib.suppress(DocumentError):
        extract(data, format_for("deep.md"))
    assert time.monotonic() - started < 10
