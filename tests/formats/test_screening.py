"""The checks a document passes before any converter sees it: archive bombs, lying headers, runs."""

from __future__ import annotations

import struct
import threading
import time
import zipfile
from io import BytesIO
from pathlib import Path

import docx
import pytest

from dragoman.abort import Aborted
from dragoman.errors import DocumentTooComplex, DocumentTooLarge, UndecodableDocument
from dragoman.formats.documents import extract, format_for
from dragoman.formats.limits import DocumentLimits
from dragoman.formats.screening import check_package, check_text
from tests.conftest import write_documents
from tests.hostile import bzip2_docx, docx_bomb, odt, one_long_word_html, polyglot_docx, pptx


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return docx_bomb()


def test_a_docx_that_inflates_a_thousand_times_is_refused_from_its_directory(bomb: bytes) -> None:
    assert len(bomb) < 600 * 1024
    started = time.process_time()
    with pytest.raises(DocumentTooLarge, match="inflates to more than 268435456 bytes"):
        extract(bomb, format_for("bomb.docx"))
    assert time.process_time() - started < 5, "the 512 MiB were inflated"  # CPU spent, a sanity bound


def test_the_inflation_ratio_is_bounded_below_the_size_limit(bomb: bytes) -> None:
    limits = DocumentLimits(max_inflated_bytes=1024**3)
    with pytest.raises(DocumentTooLarge, match="inflates 1\\d\\d\\d times"):
        check_package(bomb, "Word", limits)


def test_too_many_members_are_refused() -> None:
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        for number in range(30):
            package.writestr(f"part{number}.xml", "<x/>")
    with pytest.raises(DocumentTooLarge, match="more than 20 files"):
        check_package(out.getvalue(), "Word", DocumentLimits(max_archive_members=20))


def lying(real_text: bytes, declared: int) -> bytes:
    """A package whose one XML part declares `declared` bytes in both headers but holds more."""
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("content.xml", real_text)
    data = bytearray(out.getvalue())
    local = data.index(b"PK\x03\x04")
    struct.pack_into("<I", data, local + 22, declared)  # uncompressed size in the local header
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, declared)  # and in the central directory
    return bytes(data)


def test_a_header_that_lies_about_the_size_cannot_make_anyone_inflate_more() -> None:
    data = lying(b"<x>" + b"the cat " * 200_000 + b"</x>", declared=1000)
    assert zipfile.ZipFile(BytesIO(data)).infolist()[0].file_size == 1000
    with pytest.raises(UndecodableDocument, match="cannot be read"):  # stops at 1000 bytes, then the CRC fails
        check_package(data, "OpenDocumentText")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("word.html", one_long_word_html()),  # 40 KB, one word: Transfuse would need minutes
        ("spaces.odt", odt("a" + " " * 400_000 + "b")),  # about 1 KB of package
        ("spaces.pptx", pptx(" " * 400_000)),
        ("entities.html", b"<p>" + b"&#97;" * 5000 + b"</p>"),  # the same word, spelt as references
        ("nbsp.html", b"<p>a" + b"&nbsp; " * 1000 + b"b</p>"),  # a run of spaces, half of them references
        ("marks.html", ("<p>" + "a\u0301" * 600 + "</p>").encode()),  # combining accents keep a word going
        ("attribute.html", b'<p title="' + b"x" * 5000 + b'">The cat</p>'),  # attributes are converted too
        ("word.txt", b"The cat " + b"z" * 40_000 + b"\n"),
    ],
)
def test_a_word_or_a_run_of_spaces_too_long_to_convert_is_refused(name: str, data: bytes) -> None:
    assert len(data) < 41_000
    with pytest.raises(DocumentTooComplex, match="more than 1000"):
        extract(data, format_for(name))


def test_normal_documents_of_every_kind_pass(tmp_path: Path) -> None:
    for path in write_documents(tmp_path, count=1):
        if path.suffix == ".docx":
            check_package(path.read_bytes(), "Word")
        else:
            check_text(path.read_text(), path.suffix == ".html", "x")
    check_text("猫は黒い。" * 2000 + "a—b " * 2000 + "x\u200by" * 2000, True, "x")  # punctuation ends a word
    check_text("a" * 1000 + " " + " " * 999 + "b", False, "x")  # the limit itself is allowed
    check_package(odt("The cat is black. " * 5000), "OpenDocumentText")
    check_package(pptx("The cat is black."), "PowerPoint")


def test_a_run_across_two_scanned_chunks_is_still_found() -> None:
    text = "b " * (256 * 1024 // 2 - 300) + "&#97;" * 1001
    with pytest.raises(DocumentTooComplex):
        check_text(text, True, "x")


def test_a_large_docx_can_be_aborted_while_it_is_checked(tmp_path: Path) -> None:
    document = docx.Document()
    for number in range(3000):
        document.add_paragraph(f"Paragraph {number}: the cat is black and the dog is white. {number * 7919}" * 5)
    document.save(str(tmp_path / "big.docx"))
    asked = threading.Event()

    def abort_on_second_ask() -> bool:
        if asked.is_set():
            return True
        asked.set()
        return False

    with pytest.raises(Aborted):
        check_package((tmp_path / "big.docx").read_bytes(), "Word", should_abort=abort_on_second_ask)


def test_a_part_compressed_as_office_files_never_are_is_refused_unread() -> None:
    with pytest.raises(UndecodableDocument, match="compression method"):
        check_package(bzip2_docx(), "Word")


def test_zip_records_hidden_from_the_directory_python_reads_are_refused() -> None:
    package = polyglot_docx()
    with zipfile.ZipFile(BytesIO(package)) as reader:  # what Python sees is a small, valid package
        assert reader.testzip() is None and len(reader.read("word/document.xml")) < 100
    with pytest.raises(UndecodableDocument, match="outside its directory"):
        check_package(package, "Word")


@pytest.mark.parametrize(
    "markup",
    [
        "<p>" + "<i>a</i>" * 40_000 + "</p>",  # 2026 red team: passed the check, held a worker for 120 s
        "<p>" + '<span class="c">b</span>' * 2_000 + "</p>",
        "<p>" + "<b>c</b>&#100;" * 1_000 + "</p>",
    ],
)
def test_a_long_word_split_by_inline_tags_is_refused_as_transfuse_joins_it(markup: str) -> None:
    with pytest.raises(DocumentTooComplex, match="word of more than"):
        check_text(markup, True, "HTML")


def test_a_long_word_split_into_runs_of_a_docx_paragraph_is_refused() -> None:
    runs = "<w:r><w:rPr><w:b/></w:rPr><w:t>a</w:t></w:r>" * 40_000
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("word/document.xml", f"<w:document><w:body><w:p>{runs}</w:p></w:body></w:document>")
    with pytest.raises(DocumentTooComplex, match="word of more than"):
        check_package(out.getvalue(), "Word")


def test_block_tags_still_end_words_so_minified_pages_pass() -> None:
    check_text("<ul>" + "".join(f'<li><a href="/p{n}">Page{n}</a></li>' for n in range(3000)) + "</ul>", True, "HTML")
    check_text("<table><tr>" + "<td>1</td>" * 5000 + "</tr></table>", True, "HTML")
