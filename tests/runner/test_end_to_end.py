"""A folder of real English documents through the runner into Spanish."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import docx

from dragoman.domain.states import TaskStatus
from dragoman.formats.documents import extract, format_for
from dragoman.planning import plan_local_job
from dragoman.service import Dragoman
from tests.conftest import wait_terminal, write_documents


def test_folder_of_txt_html_docx_into_spanish(service: Dragoman, docs: Path) -> None:
    # Given three documents of each format
    sources = write_documents(docs / "en", count=3)
    spec = plan_local_job(service.local, [docs / "en"], docs / "out", ["es"], "en")
    # When they are translated
    view = wait_terminal(service, service.submit(spec).job.id)
    # Then every task succeeded and the counters and the bill are exact
    assert view.status.value == "succeeded"
    assert view.summary.total == view.summary.succeeded == len(sources)
    expected = sum(extract(path.read_bytes(), format_for(path.name)).characters for path in sources)
    assert view.summary.characters_charged == expected
    tasks = service.tasks(view.job.id)
    assert all(task.status is TaskStatus.SUCCEEDED and task.progress == 1.0 for task in tasks)
    # and the outputs are Spanish with their structure kept
    out = docs / "out" / "es"
    assert (out / "doc0.txt").read_text().split("\n\n")[0] == "El gato es negro. Me gustan los perros."
    page = (out / "page0.html").read_text()
    assert "<h1>Buenos días</h1>" in page and "<b>negro</b>" in page
    word = docx.Document(BytesIO((out / "report0.docx").read_bytes()))
    assert word.paragraphs[0].text == "La casa roja"
    assert any(run.bold and run.text.strip() == "muy" for run in word.paragraphs[1].runs)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in sources)


def test_two_targets_and_bad_documents_fail_alone(service: Dragoman, docs: Path) -> None:
    (docs / "in").mkdir()
    (docs / "in" / "good.txt").write_text("I like dogs.\n")
    (docs / "in" / "empty.txt").write_text("")
    (docs / "in" / "binary.txt").write_bytes(bytes(range(256)))
    (docs / "in" / "notes.rtf").write_text("{\\rtf1 The cat}\n")
    (docs / "in" / "latin1.txt").write_bytes("The café".encode("latin-1"))
    spec = plan_local_job(service.local, [docs / "in"], docs / "out", ["es", "ca"], "en")
    view = wait_terminal(service, service.submit(spec).job.id)
    assert view.status.value == "partially_failed"
    assert (view.summary.succeeded, view.summary.failed) == (2, 8)
    errors = {(Path(t.source_url).name, t.error.code) for t in service.tasks(view.job.id) if t.error}
    assert errors == {
        ("empty.txt", "NoTranslatableText"),
        ("binary.txt", "UndecodableDocument"),
        ("notes.rtf", "UnsupportedFormat"),
        ("latin1.txt", "UndecodableDocument"),
    }
    assert (docs / "out" / "es" / "good.txt").read_text() == "Me gustan los perros.\n"
    assert (docs / "out" / "ca" / "good.txt").exists()
    assert view.summary.characters_charged == 2 * len("I like dogs.")


def test_a_huge_single_line_is_translated_and_the_service_goes_on(service: Dragoman, docs: Path) -> None:
    line = "The cat is black and I like dogs. " * 3000  # ~100 kB, no line break
    (docs / "huge.txt").write_text(line)
    spec = plan_local_job(service.local, [docs / "huge.txt"], docs / "out", ["es"], "en")
    view = wait_terminal(service, service.submit(spec).job.id, timeout=240)
    assert view.status.value == "succeeded"
    assert (docs / "out" / "es" / "huge.txt").read_text().count("perros") == 3000
