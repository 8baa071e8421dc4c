"""What a document is, from its bytes (formats/recognition.py): files with no extension recognised,
and files that are not what their name says refused clearly (formats.documents.format_of, extract)."""

from __future__ import annotations

import zipfile
from io import BytesIO
from pathlib import Path

import pytest

from dragoman.errors import UnsupportedFormat
from dragoman.formats.documents import extract, format_for, format_of
from tests.conftest import write_documents
from tests.formats.test_opendocument_spreadsheet import spreadsheet
from tests.formats.test_xliff_document import XLIFF_1, XLIFF_2
from tests.hostile import odt, pptx

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def legacy(stream: str) -> bytes:
    """The start of an OLE2 compound file whose directory names `stream` (enough to be told)."""
    return OLE2 + b"\0" * 504 + stream.encode("utf-16-le") + b"\0" * 1000


def word(tmp_path: Path) -> bytes:
    return write_documents(tmp_path, count=1, paragraphs=1)[2].read_bytes()


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"The cat is black.\n", "PlainText"),
        ("\ufeffThe cat is black.\n".encode("utf-16-le"), "PlainText"),
        (b"<!DOCTYPE html>\n<html><body><p>The cat.</p></body></html>", "HTML"),
        (b"<HTML><body>The cat.</body></HTML>", "HTML"),
        (b"WEBVTT\n\n00:01.000 --> 00:02.000\nThe cat.\n", "WebVTT"),
        (b"1\r\n00:00:01,000 --> 00:00:02,000\r\nThe cat.\r\n", "SubRip"),
        (b'# A catalogue\nmsgid ""\nmsgstr ""\n"Language: en\\n"\n\nmsgid "The cat"\nmsgstr ""\n', "Gettext"),
        (XLIFF_1.encode(), "XLIFF"),
        (XLIFF_2.encode(), "XLIFF"),
        (odt("The cat."), "OpenDocumentText"),
        (pptx("The cat."), "PowerPoint"),
        (spreadsheet(), "OpenDocumentSpreadsheet"),
    ],
)
def test_a_file_with_no_extension_is_recognised_by_its_content(data: bytes, name: str) -> None:
    assert format_of("/docs/notes", data).name == name


MARKDOWN_DOCUMENT = b"""---
title: The getting started guide
tags: [install, guide]
---

# The getting started guide

Read the [installation guide](https://example.com/install#linux) first.

```python
print("The house is red")
```
"""


@pytest.mark.parametrize(
    "data",
    [
        MARKDOWN_DOCUMENT,
        b"Some text.\n\n```\nmake install\n```\n",  # a fenced code block
        b"~~~~ sh\nmake\n~~~~\n",
        b"# The title\n\nSee the [guide](docs/guide.md).\n",  # an ATX heading and a link
        b"The title\n=========\n\n| A | B |\n|---|---|\n| 1 | 2 |\n",  # a setext heading and a table
        b"See the [guide][g].\n\n## Notes\n\n[g]: https://example.com/g\n",
    ],
)
def test_markdown_with_no_extension_is_recognised_by_its_content(data: bytes) -> None:
    assert format_of("README", data) == format_for("a.md")


@pytest.mark.parametrize(
    "data",
    [
        b"The cat is black.\n\nThe dog is white.\n",
        b"Shopping list:\n- bread\n- milk\n* eggs\n1. first\n2. second\n",
        b"# This line is a comment in a configuration file\nname = value\n",  # one kind alone
        b"Results\n-------\n\nThe cat (see https://example.com) is black [sic].\n",
        b"Dear John,\n\nThe meeting is at 10:30 (room [B]). Use `make` to build.\n\n-- \nJane\n",
        b"---\nThe cat.\n---\n",
    ],
)
def test_ordinary_plain_text_is_not_taken_for_markdown(data: bytes) -> None:
    assert format_of("notes", data).name == "PlainText"


def test_markdown_with_no_extension_keeps_its_code_and_front_matter_keys_when_translated() -> None:
    from dragoman.engines.apertium import ApertiumEngine
    from dragoman.formats.documents import inject

    document = extract(MARKDOWN_DOCUMENT, format_of("README", MARKDOWN_DOCUMENT))
    with ApertiumEngine() as engine:
        out = inject(document, engine.translate(document.segments, "en", "es")).decode()
    assert '```python\nprint("The house is red")\n```\n' in out
    assert "tags: [install, guide]\n" in out and "# La guía de empezar\n" in out


def test_a_word_document_with_no_extension_is_recognised(tmp_path: Path) -> None:
    assert format_of("report", word(tmp_path)) == format_for("a.docx")


def test_a_name_with_an_extension_is_read_by_its_name() -> None:
    assert format_of("a.txt", b"<html><body>The cat</body></html>") == format_for("a.txt")
    with pytest.raises(UnsupportedFormat, match="'.rtf'"):
        format_of("a.rtf", b"{\\rtf1 The cat}")


@pytest.mark.parametrize(
    "data",
    [b"\x89PNG\r\n\x1a\n\0\0\0", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', b"\xff\xfe\xfd"],
)
def test_content_that_is_no_document_format_is_refused_with_what_to_do(data: bytes) -> None:
    with pytest.raises(UnsupportedFormat, match="no extension.*name it with one of"):
        format_of("picture", data)


def test_a_zip_archive_that_is_no_document_is_refused() -> None:
    archive = BytesIO()
    with zipfile.ZipFile(archive, "w") as package:
        package.writestr("notes.txt", "The cat.")
    with pytest.raises(UnsupportedFormat, match="no extension"):
        format_of("archive", archive.getvalue())


@pytest.mark.parametrize(
    ("stream", "name", "said"),
    [
        ("WordDocument", "a.docx", "legacy Word 97-2003 .doc file.*save it as .docx"),
        ("Workbook", "a.xlsx", "legacy Excel 97-2003 .xls file.*save it as .xlsx"),
        ("PowerPoint Document", "a.pptx", "legacy PowerPoint 97-2003 .ppt file.*save it as .pptx"),
        ("WordDocument", "report", "legacy Word 97-2003 .doc file"),
    ],
)
def test_a_legacy_office_file_is_told_as_such(stream: str, name: str, said: str) -> None:
    with pytest.raises(UnsupportedFormat, match=said):
        extract(legacy(stream), format_of(name, legacy(stream)))


def test_a_package_of_another_kind_than_its_name_says_is_told_as_such(tmp_path: Path) -> None:
    with pytest.raises(
        UnsupportedFormat, match=r"is an OpenDocumentText document \(.odt\), not a Word document \(.docx\)"
    ):
        extract(odt("The cat."), format_for("renamed.docx"))
    with pytest.raises(UnsupportedFormat, match=r"Word document \(.docx\), not a PowerPoint document"):
        extract(word(tmp_path), format_for("renamed.pptx"))
    with pytest.raises(UnsupportedFormat, match=r"is a Word document \(.docx\), not an Excel document \(.xlsx\)"):
        extract(word(tmp_path), format_for("renamed.xlsx"))


@pytest.mark.parametrize("types_name", ["[content_types].xml", "[CONTENT_TYPES].XML", "\\[Content_Types].xml"])
def test_a_package_whose_content_types_are_named_in_another_case_is_recognised(tmp_path: Path, types_name: str) -> None:
    # Given a Word document whose [Content_Types].xml is named as Apache POI's bug-49609 file names it
    out = BytesIO()
    with zipfile.ZipFile(BytesIO(word(tmp_path))) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            name = types_name if item.filename == "[Content_Types].xml" else item.filename
            target.writestr(name, source.read(item))
    # Then it is recognised by its content, as Word and Windows read it
    assert format_of("report", out.getvalue()) == format_for("a.docx")
