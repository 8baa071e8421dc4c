"""Cancels at random moments: every run keeps docs/lifecycle.md's invariants, and what is on disk is exactly
the succeeded tasks' outputs: no partial file, nothing for a cancelled task."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from dragoman.config import Settings
from dragoman.domain.states import TaskStatus
from dragoman.errors import CancelRefused
from dragoman.formats.documents import extract, format_for
from dragoman.planning import plan_local_job
from dragoman.service import Dragoman
from tests.conftest import ENGLISH_PARAGRAPHS, wait_terminal
from tests.postgres import PostgresServer

RUNS = 12


def make_batch(folder: Path, count: int, rng: random.Random) -> None:
    folder.mkdir(parents=True)
    for number in range(count):
        paragraphs = [rng.choice(ENGLISH_PARAGRAPHS) * rng.randint(1, 6) for _ in range(rng.randint(2, 12))]
        (folder / f"doc{number:03}.txt").write_text("\n\n".join(paragraphs) + "\n")


@pytest.mark.parametrize("seed", [7, 1234])
def test_random_cancels_keep_every_invariant(service: Dragoman, docs: Path, seed: int) -> None:
    random_cancels(service, docs, seed)


def test_random_cancels_keep_every_invariant_on_postgresql(
    settings: Settings, docs: Path, postgres: PostgresServer
) -> None:
    on_postgres = settings.model_copy(update={"database_url": postgres.new_database()})
    with Dragoman.from_settings(on_postgres, with_runner=True) as service:
        random_cancels(service, docs, seed=99)


def random_cancels(service: Dragoman, docs: Path, seed: int) -> None:
    """Jobs cancelled at random moments, one after another: each ends with docs/lifecycle.md's invariants."""
    rng = random.Random(seed)
    outcomes: set[str] = set()
    for run in range(RUNS):
        source, out = docs / f"run{run}" / "in", docs / f"run{run}" / "out"
        make_batch(source, 30, rng)
        spec = plan_local_job(service.local, [source], out, ["es", "ca"], "en")
        job_id = service.submit(spec).job.id
        time.sleep(rng.uniform(0.0, 1.0))
        try:
            accepted = service.cancel(job_id)
            assert accepted.summary.not_yet_started == 0
        except CancelRefused:
            pass  # the job had already finished: a refused cancel changes nothing
        view = wait_terminal(service, job_id)
        outcomes.add(view.status.value)
        tasks = service.tasks(job_id)
        summary = view.summary
        assert summary.total == len(tasks) == 60
        assert summary.unfinished == 0
        succeeded = [task for task in tasks if task.status is TaskStatus.SUCCEEDED]
        cancelled = [task for task in tasks if task.status is TaskStatus.CANCELLED]
        assert len(succeeded) + len(cancelled) == 60, [t.error for t in tasks if t.error]
        assert view.status.value == ("cancelled" if cancelled else "succeeded")
        expected_characters = sum(
            extract(Path(task.source_url.removeprefix("file://")).read_bytes(), format_for(task.source_url)).characters
            for task in succeeded
        )
        assert summary.characters_charged == expected_characters
        on_disk = {str(path) for path in out.rglob("*") if path.is_file()}
        hidden = {str(path) for path in out.rglob(".*")}
        assert not hidden, f"partial files left: {hidden}"
        assert on_disk == {task.target_url.removeprefix("file://") for task in succeeded}
    assert "cancelled" in outcomes
