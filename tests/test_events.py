"""Operators can follow every job in the log: one line per lifecycle event, naming its ids."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pytest

from dragoman.config import Settings
from dragoman.errors import CancelRefused
from dragoman.planning import plan_local_job
from dragoman.service import Dragoman
from tests.conftest import ENGLISH_PARAGRAPHS, wait_for, wait_terminal
from tests.runner.test_recovery import DEAD_OWNER, start_orphan


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "dragoman.events"]


def test_a_job_and_its_tasks_are_logged_from_submission_to_their_end(
    service: Dragoman, docs: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (docs / "a.txt").write_text("I like dogs.\n")
    caplog.set_level(logging.INFO, logger="dragoman.events")
    view = service.submit(plan_local_job(service.local, [docs / "a.txt"], docs / "out", ["es", "ca"], "en"))
    job_id = view.job.id
    wait_terminal(service, job_id)
    with pytest.raises(CancelRefused):
        service.cancel(job_id)
    task_ids = [task.id for task in service.tasks(job_id)]
    logged = lines(caplog)
    assert f"job {job_id} submitted: 2 tasks" in logged
    for task_id in task_ids:
        assert any(line.startswith(f"task {task_id} of job {job_id} started") for line in logged), logged
        assert f"task {task_id} of job {job_id} finished: succeeded" in logged
    assert any(line.startswith(f"job {job_id} cancel_refused") for line in logged)
    records = [record for record in caplog.records if record.name == "dragoman.events"]
    assert all(getattr(record, "job_id", None) == job_id for record in records)  # for JSON logs: fields too


def test_an_accepted_cancel_and_a_recovered_task_are_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="dragoman.events")
    settings, job_id, task_id, _ = start_orphan(tmp_path, cancel=True)
    with Dragoman.from_settings(settings, with_runner=True) as runner:
        wait_terminal(runner, job_id)
    logged = lines(caplog)
    assert any(line.startswith(f"job {job_id} cancel_accepted: cancelling") for line in logged), logged
    assert any(line.startswith(f"task {task_id} of job {job_id} recovered") for line in logged), logged


def test_a_task_stopped_by_a_shutdown_is_logged_released_not_finished(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "long.txt").write_text("\n\n".join(ENGLISH_PARAGRAPHS * 200) + "\n")
    caplog.set_level(logging.INFO, logger="dragoman.events")
    settings = Settings(data_dir=tmp_path / "data", roots=[docs], workers=1)
    with Dragoman.from_settings(settings, with_runner=True) as service:
        job_id = service.submit(plan_local_job(service.local, [docs], docs / "out", ["es"], "en")).job.id
        wait_for(lambda: any(" started" in line for line in lines(caplog)))
    # leaving the block stopped the runner at the task's next safe point
    [task] = Dragoman.from_settings(settings).tasks(job_id)
    logged = lines(caplog)
    assert task.status.value == "pending"
    assert any(line.startswith(f"task {task.id} of job {job_id} released") for line in logged), logged
    assert not any("finished: pending" in line for line in logged)


def test_a_cancel_that_lost_the_race_is_said_so_in_the_finished_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Red team, issue 11 §6: the text log said "cancel_accepted: cancelling" then "finished:
    # succeeded", and only the JSON field told that the cancel lost the race
    settings, job_id, task_id, docs = start_orphan(tmp_path, cancel=False)
    app = Dragoman.from_settings(settings)
    output = b"Me gustan los perros.\n"
    assert app.store.record_output(task_id, DEAD_OWNER, characters=12, output_sha256=hashlib.sha256(output).hexdigest())
    app.storage.for_tenant("default").publish(str(docs / "out" / "es" / "a.txt"), output)
    assert app.cancel(job_id).status.value == "cancelling"  # its one document runs, already published
    app.close()
    caplog.set_level(logging.INFO, logger="dragoman.events")
    with Dragoman.from_settings(settings, with_runner=True) as runner:
        assert wait_terminal(runner, job_id).status.value == "succeeded"
    [finished] = [line for line in lines(caplog) if line.startswith(f"job {job_id} finished")]
    assert finished.startswith(f"job {job_id} finished: succeeded")
    assert "the cancel lost the race" in finished
