"""Each document's source language settled when it runs: detected, already the target (delivered
unchanged, not billed: lifecycle rule 5), not detected (that document fails, the rest go on), or
named wrongly on the command line (that document fails). Real runner, real Apertium."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from dragoman.domain.states import TaskStatus
from dragoman.formats.documents import extract, format_for
from dragoman.planning import plan_local_job
from dragoman.service import Dragoman
from tests.conftest import wait_terminal

ENGLISH = b"The house is red.  \r\nI like dogs and cats.\r\n"  # odd spacing and line ends: kept byte for byte
SPANISH = "El gato es negro. Me gustan los perros."
CATALAN = "M'agraden els gossos i els gats."


def characters(path: Path) -> int:
    return extract(path.read_bytes(), format_for(path.name)).characters


def test_a_mixed_batch_normalised_to_english(service: Dragoman, docs: Path) -> None:
    # Given documents in three languages, and one with no language in it
    source = docs / "mixed"
    source.mkdir()
    (source / "en.txt").write_bytes(ENGLISH)
    (source / "en.html").write_bytes(b"<p>The house   is <b>red</b>.</p>\n<p>I like dogs.</p>\n")
    (source / "es.txt").write_text(SPANISH)
    (source / "ca.txt").write_text(CATALAN)
    (source / "numbers.txt").write_text("12345 67890 !!!")
    # When all of them are asked for in English, the source detected per document
    spec = plan_local_job(service.local, [source], docs / "out", ["en"], "auto")
    view = wait_terminal(service, service.submit(spec).job.id)
    # Then the English ones are delivered unchanged and not billed, the others translated and billed
    out = docs / "out" / "en"
    assert (out / "en.txt").read_bytes() == ENGLISH
    assert (out / "en.html").read_bytes() == (source / "en.html").read_bytes()
    assert (out / "es.txt").read_text().startswith("The cat is black.")
    assert "dogs" in (out / "ca.txt").read_text()
    tasks = {Path(task.source_url).name: task for task in service.tasks(view.job.id)}
    assert tasks["en.txt"].billed_characters == tasks["en.html"].billed_characters == 0
    assert tasks["es.txt"].billed_characters == characters(source / "es.txt")
    assert view.summary.characters_charged == characters(source / "es.txt") + characters(source / "ca.txt")
    # and the document whose language cannot be told fails alone, saying so
    failed = tasks["numbers.txt"]
    assert failed.status is TaskStatus.FAILED and failed.error is not None
    assert failed.error.code == "LanguageNotDetected" and "name the source language" in failed.error.message
    assert not (out / "numbers.txt").exists()
    assert view.status.value == "partially_failed" and view.summary.succeeded == 4


def test_a_source_named_as_the_target_is_delivered_unchanged(service: Dragoman, docs: Path) -> None:
    (docs / "a.txt").write_bytes(ENGLISH)
    spec = plan_local_job(service.local, [docs / "a.txt"], docs / "out", ["en", "es"], "en")
    view = wait_terminal(service, service.submit(spec).job.id)
    assert view.status.value == "succeeded"
    assert (docs / "out" / "en" / "a.txt").read_bytes() == ENGLISH
    assert (docs / "out" / "es" / "a.txt").read_text().startswith("La casa es roja.")
    assert view.summary.characters_charged == characters(docs / "a.txt")  # the Spanish one only


def test_a_wrongly_named_source_fails_on_the_command_line_and_is_translated_as_told_elsewhere(
    service: Dragoman, docs: Path
) -> None:
    # Given an English and a Catalan document, both said to be Catalan
    source = docs / "said-catalan"
    source.mkdir()
    (source / "english.txt").write_text("The house is red and the garden behind it is very big.")
    (source / "catalan.txt").write_text("La casa és vermella i el jardí del darrere és molt gran.")
    spec = plan_local_job(service.local, [source], docs / "cli", ["es"], "ca")
    # When the command line's job runs
    view = wait_terminal(service, service.submit(spec).job.id)
    # Then the English one fails with a clear code, unbilled, and the Catalan one is translated
    tasks = {Path(task.source_url).name: task for task in service.tasks(view.job.id)}
    wrong = tasks["english.txt"]
    assert wrong.status is TaskStatus.FAILED and wrong.error is not None
    assert wrong.error.code == "SourceLanguageMismatch" and "'en'" in wrong.error.message
    assert tasks["catalan.txt"].status is TaskStatus.SUCCEEDED
    assert view.summary.characters_charged == characters(source / "catalan.txt")
    # and a protocol front door's job translates as told, as Azure and Amazon do
    told = dataclasses.replace(plan_local_job(service.local, [source], docs / "door", ["es"], "ca"), origin="azure")
    assert wait_terminal(service, service.submit(told).job.id).status.value == "succeeded"
