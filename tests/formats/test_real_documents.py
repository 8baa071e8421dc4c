"""Real documents nobody here wrote: the test fixtures and documentation that libraries ship in their
source distributions (fetched from PyPI once per test session, at pinned versions), one sample of
every format Dragoman accepts. None may be refused by the hostile-document checks, none may fail as
a fault of the service, and each translation re-opens with the format's own library with nothing
lost: the same sheets, numbers and formulas, catalogue entries, cue timings, units, slides...

Where the files come from: python-docx, python-pptx (.docx, .pptx, .xlsx); odfpy, ezodf,
pyexcel-ods (.odt, .odp, .ods); xlrd 1.2, xlsx2csv, pyexcel-xlsx (.xlsx written by Excel,
LibreOffice, Google Sheets, Apache POI and others); webvtt-py (.srt, .vtt); polib and Weblate (.po,
.pot, and Weblate's .xliff); Python-Markdown and markdown-it-py (.md, .html, .txt)."""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
from collections.abc import Callable, Iterator
from io import BytesIO
from pathlib import Path
from urllib.parse import unquote

import docx
import markdown_it
import openpyxl
import polib
import pptx
import pytest
from lxml import etree, html
from odf import opendocument
from odf.namespaces import OFFICENS, TABLENS
from odf.table import TableCell
from odf.text import P

from dragoman.engines.apertium import ApertiumEngine
from dragoman.errors import DocumentError, EngineError, NoTranslatableText
from dragoman.formats.documents import FORMATS, DocumentFormat, extract, format_for, inject
from dragoman.formats.screening import check_package

pytestmark = pytest.mark.slow

SDISTS = (
    "python-docx==1.2.0",
    "python-pptx==1.0.2",
    "openpyxl==3.1.5",
    "odfpy==1.4.1",
    "ezodf==0.3.2",
    "pyexcel-ods==0.6.0",
    "xlrd==1.2.0",
    "xlsx2csv==0.8.6",
    "pyexcel-xlsx==0.6.1",
    "webvtt-py==0.6.0",
    "polib==1.2.0",
    "Markdown==3.11.3",
    "markdown-it-py==4.0.0",
    "weblate==5.14.3",  # the only source distribution found shipping XLIFF files (6 of them)
)
KINDS = (".docx", ".pptx", ".xlsx", ".odt", ".odp")
SAMPLE = 15  # files per format, spread evenly over the sorted list of those found


@pytest.fixture(scope="session")
def sdists(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sdists")
    names = ",".join(requirement.split("==")[0] for requirement in SDISTS)
    subprocess.run(  # sources of these, not of their build tools, which may come as wheels
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", names, "-d", str(folder), *SDISTS],
        check=True,
        timeout=600,
    )
    for archive in folder.glob("*.tar.gz"):
        with tarfile.open(archive) as tar:
            tar.extractall(folder, filter="data")
    return folder


@pytest.fixture(scope="session")
def fixtures(sdists: Path) -> list[Path]:
    found = sorted(path for path in sdists.rglob("*") if path.suffix in KINDS and path.is_file())
    assert len(found) > 100, "the source distributions should hold over a hundred office fixtures"
    return found


@pytest.fixture(scope="module")
def engine() -> Iterator[ApertiumEngine]:
    with ApertiumEngine() as apertium:
        yield apertium


def sample(folder: Path, fmt: DocumentFormat) -> list[Path]:
    found = sorted(
        path
        for path in folder.rglob("*")
        if path.suffix.lower() in fmt.extensions and path.is_file() and "__MACOSX" not in path.parts
    )
    return found if len(found) <= SAMPLE else [found[i * len(found) // SAMPLE] for i in range(SAMPLE)]


def test_no_real_office_document_is_taken_for_a_hostile_one(fixtures: list[Path]) -> None:
    refused = []
    for path in fixtures:
        try:
            check_package(path.read_bytes(), path.suffix)
        except DocumentError as exc:
            refused.append(f"{path.name}: {exc.message}")
    assert refused == []


# python-docx's par-hyperlinks.docx and par-rendered-page-breaks.docx crashed Transfuse 0.5.8's tf-extract
# (SIGSEGV: the line break before a pretty-printed hyperlink's first run), until wordruns.py cut hyperlinks.
def test_real_word_and_powerpoint_documents_convert_or_fail_as_documents(fixtures: list[Path]) -> None:
    for path in (path for path in fixtures if path.suffix in (".docx", ".pptx")):
        try:
            extract(path.read_bytes(), format_for(path.name)).discard()
        except DocumentError:
            continue  # no text, or a document Transfuse cannot read: that document's own error
        except EngineError as exc:  # pragma: no cover - the failure this test exists to catch
            pytest.fail(f"{path.name} failed as a fault of the service: {exc.message}")


# What must come through a translation unchanged, per format: each function reads the original and
# the translation with the format's own library and returns what must be equal.


def _word(data: bytes) -> object:
    document = docx.Document(BytesIO(data))
    return len(document.paragraphs), [(len(table.rows), len(table.columns)) for table in document.tables]


def _powerpoint(data: bytes) -> object:
    return [len(slide.shapes) for slide in pptx.Presentation(BytesIO(data)).slides]


def _excel(data: bytes) -> object:
    """Every sheet, and every cell: a number, date or formula as it was, a text still a text."""
    workbook = openpyxl.load_workbook(BytesIO(data))
    return {
        sheet.title: [
            (cell.coordinate, type(cell.value).__name__, cell.value if not isinstance(cell.value, str) else None)
            if not (isinstance(cell.value, str) and cell.value.startswith("="))
            else (cell.coordinate, "formula", cell.value)
            for row in sheet.iter_rows()
            for cell in row
            if cell.value is not None
        ]
        for sheet in workbook.worksheets
    }


def _opendocument(data: bytes) -> object:
    """Paragraphs and cells, with their values and formulas."""
    document = opendocument.load(BytesIO(data))
    cells = document.getElementsByType(TableCell)
    values = [
        (
            cell.attributes.get((OFFICENS, "value-type")),
            cell.attributes.get((OFFICENS, "value")),
            cell.attributes.get((TABLENS, "formula")),
        )
        for cell in cells
    ]
    return len(document.getElementsByType(P)), values


def _gettext(data: bytes) -> object:
    catalogue = polib.pofile(data.decode("utf-8"))
    return [(entry.msgctxt, entry.msgid, entry.msgid_plural, entry.obsolete) for entry in catalogue]


def _xliff(data: bytes) -> object:
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    units = [element for element in root.iter() if etree.QName(element).localname in ("trans-unit", "unit")]
    return [(unit.get("id"), len(unit.findall(".//{*}source"))) for unit in units]


def _timings(data: bytes) -> object:
    return [line.strip() for line in data.decode("utf-8-sig").splitlines() if "-->" in line]


def _markdown(data: bytes) -> object:
    """The blocks (headings, lists, code, tables...), code as it was, and every link's target (a link
    whose words the engine parts, "[Change Log](index.md)" as "[Registro](index.md) de
    [Cambio](index.md)", comes back as two links to one target)."""
    tokens = markdown_it.MarkdownIt("commonmark").enable("table").parse(data.decode("utf-8-sig"))
    blocks = [(token.type, token.tag) for token in tokens if token.type != "inline"]
    code = [token.content for token in tokens if token.type in ("fence", "code_block")]
    links = sorted(
        {
            str(child.attrs.get("href") or child.attrs.get("src"))
            for token in tokens
            for child in token.children or []
            if child.type in ("link_open", "image")
        }
    )
    return blocks, code, links


def _html(data: bytes) -> object:
    """Every link's and image's target (as a browser reads it: Transfuse writes `a b` as `a%20b`). A
    link whose words the engine parts with punctuation may come back as two links to one target."""
    page = html.document_fromstring(data)
    return sorted({unquote(str(value)) for value in page.xpath("//@href | //@src")})


def _paragraphs(data: bytes) -> object:
    return len(re.split(r"\n[ \t]*\n", data.decode("utf-8-sig").strip()))


KEPT: dict[str, Callable[[bytes], object]] = {
    "PlainText": _paragraphs,
    "HTML": _html,
    "Word": _word,
    "PowerPoint": _powerpoint,
    "Excel": _excel,
    "OpenDocumentText": _opendocument,
    "OpenDocumentPresentation": _opendocument,
    "OpenDocumentSpreadsheet": _opendocument,
    "SubRip": _timings,
    "WebVTT": _timings,
    "Gettext": _gettext,
    "Markdown": _markdown,
    "XLIFF": _xliff,
}


def test_every_format_has_its_check() -> None:
    assert set(KEPT) == {fmt.name for fmt in FORMATS}


@pytest.mark.parametrize(
    "fmt",
    FORMATS,
    ids=[fmt.name for fmt in FORMATS],
)
def test_real_documents_of_every_format_are_translated_whole_or_refused_as_documents(
    fmt: DocumentFormat, sdists: Path, engine: ApertiumEngine
) -> None:
    # Given up to 15 real files of the format
    paths = sample(sdists, fmt)
    assert paths, f"no real {fmt.name} file in the source distributions"
    translated, refused, faults = [], [], []
    for path in paths:
        data = path.read_bytes()
        # When each is taken apart, translated by Apertium and put back together
        try:
            document = extract(data, format_for(path.name))
            out = inject(document, engine.translate(document.segments, "en", "es"), target_language="es")
        except DocumentError as exc:
            refused.append(f"{path.name}: {exc.message}")  # no text, or a file its converter cannot read
            continue
        except Exception as exc:  # noqa: BLE001 - any other exception is what this test exists to catch
            faults.append(f"{path.relative_to(sdists)}: {type(exc).__name__}: {exc}")
            continue
        translated.append(path.name)
        # Then the translation re-opens with the format's own library, with nothing lost
        try:
            expected = KEPT[fmt.name](data)
        except Exception:  # noqa: BLE001 - a file its own library refuses (an external entity, a missing part)
            continue
        try:
            if KEPT[fmt.name](out) != expected:
                faults.append(f"{path.relative_to(sdists)}: not kept whole")
        except Exception as exc:  # noqa: BLE001
            faults.append(f"{path.relative_to(sdists)}: does not re-open: {type(exc).__name__}: {exc}")
    assert faults == []
    assert len(translated) >= len(paths) // 2, refused  # most real files have something to translate


def test_a_real_deck_without_a_slide_is_translated_through_its_properties_or_said_to_hold_no_text(
    sdists: Path, engine: ApertiumEngine
) -> None:
    """python-pptx's lyt-shapes.pptx holds layouts and no slide: Transfuse refused it ("XPath found
    zero a:p elements") as if it were broken."""
    # Given the real deck, whose only text a reader sees is its title
    data = next(sdists.rglob("lyt-shapes.pptx")).read_bytes()
    # Then it is translated, its title with it
    document = extract(data, format_for("lyt-shapes.pptx"))
    out = inject(document, engine.translate(document.segments, "en", "es"))
    assert pptx.Presentation(BytesIO(out)).core_properties.title == "Presentación"
    # And without a title, it is said in plain words to have nothing to translate
    deck = pptx.Presentation(BytesIO(data))
    deck.core_properties.title = ""
    untitled = BytesIO()
    deck.save(untitled)
    with pytest.raises(NoTranslatableText, match="has no text to translate") as refused:
        extract(untitled.getvalue(), format_for("lyt-shapes.pptx"))
    assert "XPath" not in refused.value.message
