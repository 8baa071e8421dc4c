"""Real office documents nobody here wrote: the test fixtures that python-docx, python-pptx and
openpyxl ship in their source distributions (fetched from PyPI once per test session). None may be
refused by the hostile-document checks, and none may fail as a fault of the service."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from dragoman.errors import DocumentError, EngineError
from dragoman.formats.documents import extract, format_for
from dragoman.formats.screening import check_package

pytestmark = pytest.mark.slow

SDISTS = ("python-docx==1.2.0", "python-pptx==1.0.2", "openpyxl==3.1.5")
KINDS = (".docx", ".pptx", ".xlsx", ".odt", ".odp")


@pytest.fixture(scope="session")
def fixtures(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("sdists")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--no-binary",
            ":all:",
            "-d",
            str(folder),
            *SDISTS,
        ],
        check=True,
        timeout=300,
    )
    for archive in folder.glob("*.tar.gz"):
        with tarfile.open(archive) as tar:
            tar.extractall(folder, filter="data")
    found = sorted(path for path in folder.rglob("*") if path.suffix in KINDS and path.is_file())
    assert len(found) > 100, "the source distributions should hold over a hundred office fixtures"
    return found


def test_no_real_office_document_is_taken_for_a_hostile_one(fixtures: list[Path]) -> None:
    refused = []
    for path in fixtures:
        try:
            check_package(path.read_bytes(), path.suffix)
        except DocumentError as exc:
            refused.append(f"{path.name}: {exc.message}")
    assert refused == []


def test_real_word_and_powerpoint_documents_convert_or_fail_as_documents(fixtures: list[Path]) -> None:
    for path in (path for path in fixtures if path.suffix in (".docx", ".pptx")):
        try:
            extract(path.read_bytes(), format_for(path.name)).discard()
        except DocumentError:
            continue  # no text, or a document Transfuse cannot read: that document's own error
        except EngineError as exc:  # pragma: no cover - the failure this test exists to catch
            pytest.fail(f"{path.name} failed as a fault of the service: {exc.message}")
