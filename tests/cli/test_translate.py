"""`dragoman translate` and the formats it reads: its help names every one, and a file with no
extension is recognised by its content, end to end. Real processes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import docx
import pytest

from dragoman.formats.documents import FORMATS
from tests.conftest import write_documents
from tests.processes import DRAGOMAN, environment

pytestmark = pytest.mark.slow


def test_the_help_names_every_format_read(tmp_path: Path) -> None:
    env = {**environment(tmp_path / "data", [tmp_path]), "COLUMNS": "200"}
    shown = subprocess.run([DRAGOMAN, "translate", "--help"], env=env, capture_output=True, text=True, timeout=60)
    words = set(shown.stdout.replace("(", " ").replace(")", " ").replace(",", " ").split())
    missing = [extension for fmt in FORMATS for extension in fmt.extensions if extension not in words]
    assert not missing, shown.stdout


def test_files_with_no_extension_are_translated_as_what_their_content_is(tmp_path: Path) -> None:
    # Given a folder of documents none of whose names says what it is
    docs = tmp_path / "docs"
    (docs / "in").mkdir(parents=True)
    (docs / "in" / "notes").write_text("The cat is black.\n")
    (docs / "in" / "page").write_text("<!DOCTYPE html><html><body><p>The cat is <b>black</b>.</p></body></html>")
    (docs / "in" / "episode").write_text("1\n00:00:01,000 --> 00:00:02,000\nThe cat is black.\n")
    word = write_documents(tmp_path / "made", count=1, paragraphs=1)[2]
    (docs / "in" / "report").write_bytes(word.read_bytes())
    (docs / "in" / "legacy").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "WordDocument".encode("utf-16-le"))
    env = {**environment(tmp_path / "data", [docs]), "COLUMNS": "200"}
    # When the folder is translated
    done = subprocess.run(
        [DRAGOMAN, "translate", str(docs / "in"), "--to", "es", "--out", str(docs / "out"), "--json"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    # Then each is translated as what it is, and the legacy .doc fails saying what to do
    assert done.returncode == 1, done.stderr
    tasks = {Path(task["source"]).name: task for task in json.loads(done.stdout)["tasks"]}
    assert tasks["legacy"]["status"] == "failed" and tasks["legacy"]["error"]["code"] == "UnsupportedFormat"
    assert "legacy Word 97-2003 .doc file" in tasks["legacy"]["error"]["message"]
    out = docs / "out" / "es"
    assert (out / "notes").read_text() == "El gato es negro.\n"
    assert "<b>negro</b>" in (out / "page").read_text()
    assert "00:00:01,000 --> 00:00:02,000\nEl gato es negro." in (out / "episode").read_text()
    assert docx.Document(str(out / "report")).paragraphs[0].text == "La casa roja"


def test_a_command_runs_its_own_job_and_leaves_the_others_to_their_runners(tmp_path: Path) -> None:
    # Red team 2026-12-01: a `translate` also ran a --no-wait job's documents (17 s instead of 2), and
    # killing such commands failed another job's documents as lost workers
    env = environment(tmp_path / "data", [tmp_path])
    for name in ("queued", "mine"):
        (tmp_path / name).mkdir()
        for number in range(3):
            (tmp_path / name / f"d{number}.txt").write_text("The cat is black.\n")

    def translate(name: str, *more: str) -> subprocess.CompletedProcess[str]:
        command = [DRAGOMAN, "translate", str(tmp_path / name), "--to", "es", "--out", str(tmp_path / f"out-{name}")]
        return subprocess.run([*command, *more], env=env, capture_output=True, text=True, timeout=180)

    assert translate("queued", "--no-wait").returncode == 0
    assert translate("mine", "--quiet").returncode == 0
    jobs = {job["status"]: job for job in _jobs(env)}
    assert set(jobs) == {"queued", "succeeded"}, jobs  # the --no-wait job waits for a service or `jobs wait`
    assert not (tmp_path / "out-queued").exists() or not any((tmp_path / "out-queued").rglob("*.txt"))
    wait = [DRAGOMAN, "jobs", "wait", jobs["queued"]["id"], "--quiet"]
    waited = subprocess.run(wait, env=env, capture_output=True, text=True, timeout=180)
    assert waited.returncode == 0, waited.stderr
    assert len(list((tmp_path / "out-queued").rglob("*.txt"))) == 3


def _jobs(env: dict[str, str]) -> list[dict[str, Any]]:
    listed = subprocess.run([DRAGOMAN, "jobs", "list", "--json"], env=env, capture_output=True, text=True, timeout=60)
    return list(json.loads(listed.stdout))
