"""The worker pool: a busy worker reports a task and claims the next in one transaction, and a
graceful stop hands back every task it holds, including one claimed in that last transaction."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from dragoman.config import Settings
from dragoman.domain.states import TaskStatus
from dragoman.planning import plan_local_job
from dragoman.service import Dragoman
from tests.conftest import ENGLISH_PARAGRAPHS, wait_for, wait_terminal


def test_a_stop_mid_job_leaves_nothing_running_and_a_restart_finishes_each_document_once(
    settings: Settings, docs: Path
) -> None:
    sources = docs / "in"
    sources.mkdir()
    for number in range(30):
        (sources / f"d{number:02}.txt").write_text("\n\n".join(ENGLISH_PARAGRAPHS * 8) + "\n")
    out = docs / "out"

    app = Dragoman.from_settings(settings, with_runner=True)
    app.start()
    job_id = app.submit(plan_local_job(app.local, [sources], out, ["es"], "en")).job.id
    deadline = time.monotonic() + 60
    while app.get(job_id).summary.succeeded < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    app.close()  # stops at the tasks' safe points

    tasks = app.tasks(job_id)
    assert not [task for task in tasks if task.status is TaskStatus.RUNNING]
    stopped = app.get(job_id).summary
    assert stopped.succeeded >= 3 and stopped.not_yet_started > 0  # stopped mid-job
    written = {path.name for path in (out / "es").iterdir()}
    assert written == {Path(task.target_url).name for task in tasks if task.status is TaskStatus.SUCCEEDED}

    with Dragoman.from_settings(settings, with_runner=True) as again:
        view = wait_terminal(again, job_id)
        finished = again.tasks(job_id)
    assert view.status.value == "succeeded" and view.summary.succeeded == 30
    assert view.summary.characters_charged == sum(task.characters or 0 for task in finished)
    assert sorted(path.name for path in (out / "es").iterdir()) == sorted(p.name for p in sources.iterdir())


def test_a_one_line_job_is_not_stuck_behind_a_large_one(tmp_path: Path) -> None:
    # Given a runner with one worker busy on a job of many documents
    docs = tmp_path / "docs"
    (docs / "big").mkdir(parents=True)
    for number in range(40):
        (docs / "big" / f"doc{number:02}.txt").write_text(" ".join(ENGLISH_PARAGRAPHS) + f"\n\nDocument {number}.\n")
    (docs / "small").mkdir()
    (docs / "small" / "one.txt").write_text("The cat is black.\n")
    settings = Settings(data_dir=tmp_path / "data", roots=[docs], workers=1)
    with Dragoman.from_settings(settings, with_runner=True) as app:
        big = app.submit(plan_local_job(app.local, [docs / "big"], docs / "out", ["es"], "en")).job.id
        wait_for(lambda: app.get(big).summary.in_progress == 1)
        # When a one-line job is submitted after it
        small = app.submit(plan_local_job(app.local, [docs / "small"], docs / "out-small", ["es"], "en")).job.id
        # Then it is done while the large job still has most of its documents to go
        wait_terminal(app, small)
        assert app.get(big).summary.not_yet_started >= 30
        wait_terminal(app, big)


def test_a_stop_gives_its_claims_back_as_not_lost(settings: Settings, docs: Path) -> None:
    # Red team: tasks handed back by clean stops (three `jobs wait` stopped by Ctrl-C) counted as workers
    # lost, so that one later crash failed a healthy document as WorkerLost.
    sources = docs / "in"
    sources.mkdir()
    for number in range(12):
        (sources / f"d{number:02}.txt").write_text("\n\n".join(ENGLISH_PARAGRAPHS * 8) + "\n")
    app = Dragoman.from_settings(settings, with_runner=True)
    app.start()
    job_id = app.submit(plan_local_job(app.local, [sources], docs / "out", ["es"], "en")).job.id
    wait_for(lambda: app.get(job_id).summary.in_progress > 0)
    app.close()  # stops at the tasks' safe points, handing them back
    claims = [app.store.claim_task(task.id, "next-runner", timedelta(minutes=1)) for task in app.tasks(job_id)]
    taken = [claim for claim in claims if claim is not None]
    assert any(claim.attempt == 2 for claim in taken), taken  # claimed before, by the runner that stopped
    assert {claim.lost for claim in taken} == {1}  # and yet none was lost before this claim
