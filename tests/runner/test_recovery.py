"""Recovery decisions against real files: a task whose output was published before its worker died is
succeeded (billed once, never translated again); one that was not is run again or cancelled."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

from dragoman.config import Settings
from dragoman.domain.states import TaskStatus
from dragoman.planning import plan_local_job
from dragoman.service import Dragoman
from tests.conftest import wait_terminal

DEAD_OWNER = "some-other-host:1:dead"  # another host whose lease has run out


def start_orphan(tmp_path: Path, *, cancel: bool) -> tuple[Settings, str, str, Path]:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("I like dogs.\n")
    (docs / "b.txt").write_text("The cat is black.\n")
    settings = Settings(data_dir=tmp_path / "data", roots=[docs], workers=1)
    app = Dragoman.from_settings(settings)
    job_id = app.submit(plan_local_job(app.local, [docs / "a.txt"], docs / "out", ["es"], "en")).job.id
    claim = app.store.claim_next(DEAD_OWNER, timedelta(seconds=-1))  # its lease is already over
    assert claim is not None
    if cancel:
        app.cancel(job_id)
    app.close()
    return settings, job_id, claim.task.id, docs


def test_published_output_of_a_dead_worker_is_kept_and_billed_once(tmp_path: Path) -> None:
    settings, job_id, task_id, docs = start_orphan(tmp_path, cancel=False)
    app = Dragoman.from_settings(settings)
    target = docs / "out" / "es" / "a.txt"
    output = b"Me gustan los perros (published by the dead worker).\n"
    assert app.store.record_output(task_id, DEAD_OWNER, characters=12, output_sha256=hashlib.sha256(output).hexdigest())
    app.storage.for_tenant("default").publish(str(target), output)
    # the kill landed after the publishing link but before the temporary name was removed
    leftover = target.parent / f".{target.name}.0123456789abcdef.dragoman.part"
    leftover.write_bytes(output)
    app.close()

    with Dragoman.from_settings(settings, with_runner=True) as runner:
        view = wait_terminal(runner, job_id)
    assert view.status.value == "succeeded"
    assert view.summary.characters_charged == 12
    assert target.read_bytes() == output  # not translated again
    assert not leftover.exists()


def test_unpublished_work_of_a_dead_worker_runs_again(tmp_path: Path) -> None:
    settings, job_id, _, docs = start_orphan(tmp_path, cancel=False)
    (docs / "out" / "es").mkdir(parents=True)
    (docs / "out" / "es" / ".a.txt.123.dragoman.part").write_text("Me gust")  # its half-written file
    with Dragoman.from_settings(settings, with_runner=True) as runner:
        view = wait_terminal(runner, job_id)
        tasks = runner.tasks(job_id)
    assert view.status.value == "succeeded"
    assert sorted(p.name for p in (docs / "out" / "es").iterdir()) == ["a.txt"]
    assert (docs / "out" / "es" / "a.txt").read_text() == "Me gustan los perros.\n"
    assert tasks[0].status is TaskStatus.SUCCEEDED


def test_unpublished_work_of_a_cancelled_job_ends_cancelled(tmp_path: Path) -> None:
    settings, job_id, _, docs = start_orphan(tmp_path, cancel=True)
    with Dragoman.from_settings(settings, with_runner=True) as runner:
        view = wait_terminal(runner, job_id)
    assert view.status.value == "cancelled"
    assert view.summary.characters_charged == 0
    assert not (docs / "out").exists() or not any((docs / "out").rglob("*.txt"))
