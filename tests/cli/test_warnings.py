"""A document translated with parts left untranslated succeeds, and the command line says what was
left: in the summary, in `jobs show`, and in `--json`. A real process."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.office import chart_deck
from tests.processes import DRAGOMAN, environment

pytestmark = pytest.mark.slow


def test_the_summary_jobs_show_and_json_say_what_a_document_left_untranslated(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "en").mkdir(parents=True)
    (docs / "en" / "deck.pptx").write_bytes(chart_deck())
    (docs / "en" / "notes.txt").write_text("The cat is black.\n")
    env = {**environment(tmp_path / "data", [docs]), "COLUMNS": "200"}

    def run(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([DRAGOMAN, *arguments], env=env, capture_output=True, text=True, timeout=300)

    done = run("translate", str(docs / "en"), "--to", "es", "--out", str(docs / "out"))
    assert done.returncode == 0, done.stderr  # every document succeeded
    assert "deck.pptx: the categories and series names of 1 chart are not translated" in done.stdout
    assert "notes.txt:" not in done.stdout
    job_id = next(line.split()[1].rstrip(":") for line in done.stdout.splitlines() if line.startswith("job "))
    shown = run("jobs", "show", job_id[:8])
    assert shown.returncode == 0 and "warning: the categories and series names of 1 chart" in shown.stdout
    listed = json.loads(run("jobs", "show", job_id, "--json").stdout)["tasks"]
    tasks = {Path(task["source"]).name: task for task in listed}
    assert [warning["code"] for warning in tasks["deck.pptx"]["warnings"]] == ["ChartDataNotTranslated"]
    assert tasks["notes.txt"]["warnings"] == []
