"""Transfuse's converters as bounded children, with the real tf-extract / tf-inject: time and memory
limits with a clear error, abort at once, faults told apart from bad documents, no folder left."""

from __future__ import annotations

import os
import signal
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import docx
import pytest

from dragoman.abort import Aborted
from dragoman.errors import ConversionLimitExceeded, ConverterCrashed, UndecodableDocument
from dragoman.formats import transfuse
from dragoman.formats.documents import ExtractedDocument, extract, format_for, inject
from dragoman.formats.limits import DocumentLimits
from dragoman.formats.transfuse import sweep_stale_workdirs
from tests.hostile import one_long_word_html, slow_html
from tests.processes import children


@pytest.fixture
def temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary folder of this test's own, where the converters' work folders go."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def converters() -> dict[int, str]:
    """This process's children that are Transfuse converters (once their wrappers have exec'd)."""
    return {pid: name for pid, name in children(os.getpid()).items() if name.startswith("tf-")}


def wait_for_converter(name: str, timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid, found in converters().items():
            if found == name:
                return pid
        time.sleep(0.005)
    raise AssertionError(f"{name} never started")


def in_thread(work: Callable[[], object]) -> tuple[threading.Thread, list[BaseException]]:
    raised: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            raised.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, raised


def test_an_abort_kills_the_converter_at_once_and_leaves_nothing(temp: Path) -> None:
    abort = threading.Event()
    thread, raised = in_thread(lambda: extract(slow_html(), format_for("a.html"), should_abort=abort.is_set))
    child = wait_for_converter("tf-extract")
    # Ctrl-C semantics: the converter is in neither our process group nor our session
    assert os.getpgid(child) == child != os.getpgid(0)
    assert os.getsid(child) != os.getsid(0)
    abort.set()
    thread.join(30)
    assert [type(exc) for exc in raised] == [Aborted]
    assert converters() == {}
    assert list(temp.iterdir()) == []


def test_a_converter_past_its_time_limit_fails_the_document_with_a_clear_error(temp: Path) -> None:
    with pytest.raises(ConversionLimitExceeded, match=r"took more than 0\.5 s \(setting converter_seconds\)"):
        extract(slow_html(), format_for("a.html"), limits=DocumentLimits(converter_seconds=0.5))
    assert converters() == {}
    assert list(temp.iterdir()) == []


def test_without_the_word_check_the_quadratic_document_still_ends_at_the_time_limit(temp: Path) -> None:
    limits = DocumentLimits(max_word_characters=1_000_000, converter_seconds=1)
    with pytest.raises(ConversionLimitExceeded):
        extract(one_long_word_html(), format_for("word.html"), limits=limits)
    assert list(temp.iterdir()) == []


def test_a_converter_past_its_memory_limit_fails_the_document_with_a_clear_error(temp: Path) -> None:
    document = docx.Document()
    for number in range(20_000):
        document.add_paragraph(f"Paragraph {number}: the cat is black and the dog is white.")
    data = BytesIO()
    document.save(data)
    limits = DocumentLimits(converter_memory_bytes=64 * 1024 * 1024)
    with pytest.raises(ConversionLimitExceeded, match="needed more than 67108864 bytes of memory"):
        extract(data.getvalue(), format_for("big.docx"), limits=limits)
    assert list(temp.iterdir()) == []


# Not SIGINT: children are started with the terminal's signals blocked (dragoman.processes), so a
# Ctrl-C, even one meant for them, never ends a converter.
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_a_converter_killed_by_someone_else_is_a_converter_fault_not_a_bad_document(
    temp: Path, signum: signal.Signals
) -> None:
    thread, raised = in_thread(lambda: extract(slow_html(), format_for("a.html")))
    os.kill(wait_for_converter("tf-extract"), signum)
    thread.join(30)
    assert len(raised) == 1 and isinstance(raised[0], ConverterCrashed), raised
    assert raised[0].code == "ConverterCrashed"
    assert f"killed by {signum.name}" in raised[0].message
    assert list(temp.iterdir()) == []


def test_rebuilding_is_bounded_and_abortable_too(temp: Path) -> None:
    document: ExtractedDocument = extract(slow_html(words=40), format_for("a.html"))
    abort = threading.Event()
    thread, raised = in_thread(lambda: inject(document, document.segments, should_abort=abort.is_set))
    wait_for_converter("tf-inject")
    abort.set()
    thread.join(30)
    assert [type(exc) for exc in raised] == [Aborted]
    assert converters() == {}
    assert list(temp.iterdir()) == []


def test_a_document_the_converter_cannot_read_is_still_an_undecodable_document(temp: Path) -> None:
    data = BytesIO()
    with zipfile.ZipFile(data, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
    with pytest.raises(UndecodableDocument, match="could not be read"):
        extract(data.getvalue(), format_for("empty.docx"))
    assert list(temp.iterdir()) == []


def test_folders_left_by_a_dragoman_that_was_killed_are_swept(temp: Path) -> None:
    dead = temp / "dragoman-doc-999999999-abc"  # no such process
    mine = temp / f"dragoman-doc-{os.getpid()}-abc"
    living = temp / "dragoman-doc-1-abc"  # init: alive
    for folder in (dead, mine, living):
        (folder / "state").mkdir(parents=True)
    assert sweep_stale_workdirs() == 1
    assert sorted(temp.iterdir()) == sorted([mine, living])


def test_a_document_the_converter_crashes_on_fails_as_a_converter_fault_not_as_the_user_s_file() -> None:
    # Transfuse 0.5.8 segfaults on an ordinary python-docx paragraph with a tab (two texts in one run):
    # the file is fine; the crash is the converter's bug, reported with its own code.
    document = docx.Document()
    document.add_paragraph("Hello\tworld")
    out = BytesIO()
    document.save(out)
    with pytest.raises(ConverterCrashed, match=r"tf-extract crashed \(SIGSEGV\).*not in the document"):
        transfuse.extract(out.getvalue(), "docx", ".docx", "Word")
