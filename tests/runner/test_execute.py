"""How a running task's outcome is decided when something breaks while it is being stopped."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from dragoman.abort import AbortCheck, never_abort
from dragoman.config import Settings
from dragoman.domain.states import TaskStatus
from dragoman.engines.apertium import ApertiumEngine
from dragoman.errors import ConverterCrashed
from dragoman.planning import plan_local_job
from dragoman.runner.pool import InProcessRunner
from dragoman.service import Dragoman
from dragoman.storage.scopes import StorageScopes
from dragoman.store.database import open_database
from dragoman.store.jobs import JobStore
from tests.conftest import wait_for, wait_terminal


class DyingWhenStopped(ApertiumEngine):
    """An engine whose process dies of the same signal that stops its task (a terminal's Ctrl-C
    reaching a child): it raises a crash instead of Aborted once the task is asked to stop, or at once
    when `crash_anyway` is set."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.started = threading.Event()
        self.crash_anyway = False

    def translate(
        self, segments: Sequence[str], source: str, target: str, *, should_abort: AbortCheck = never_abort, **_: Any
    ) -> list[str]:
        self.started.set()
        if self.crash_anyway:
            raise ConverterCrashed("tf-inject was killed by SIGINT while rebuilding the document")
        wait_for(should_abort, timeout=30)
        raise ConverterCrashed("tf-inject was killed by SIGINT while rebuilding the document")


def service_with(tmp_path: Path, engine: ApertiumEngine) -> tuple[Dragoman, Path]:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("I like dogs.\n")
    settings = Settings(data_dir=tmp_path / "data", roots=[docs], workers=1)
    store = JobStore(open_database(settings.database))
    runner = InProcessRunner(store, engine, StorageScopes.from_settings(settings), workers=1)
    return Dragoman(store, engine, StorageScopes.from_settings(settings), runner, settings), docs


@pytest.mark.parametrize("crash_anyway", [False, True])
def test_a_task_that_breaks_while_being_cancelled_is_cancelled_and_one_that_breaks_on_its_own_failed(
    tmp_path: Path, crash_anyway: bool
) -> None:
    engine = DyingWhenStopped(Settings(data_dir=tmp_path / "data").apertium_modes_dir)
    engine.crash_anyway = crash_anyway
    service, docs = service_with(tmp_path, engine)
    with service:
        job_id = service.submit(plan_local_job(service.local, [docs], docs / "out", ["es"], "en")).job.id
        if not crash_anyway:
            assert engine.started.wait(30)
            service.cancel(job_id)
        view = wait_terminal(service, job_id)
        [task] = service.tasks(job_id)
    if crash_anyway:  # nobody stopped it: a converter fault fails the document
        assert view.status.value == "failed" and task.status is TaskStatus.FAILED
        assert task.error is not None and task.error.code == "ConverterCrashed"
    else:  # it broke because it was stopping: cancelled, unbilled, nothing written
        assert view.status.value == "cancelled" and task.status is TaskStatus.CANCELLED and task.error is None
        assert view.summary.characters_charged == 0
    assert not (docs / "out").exists() or not any((docs / "out").rglob("*.txt"))
