"""The processors defaults are sized by: the process's own, within the configured maximum."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import dragoman.config
from dragoman.config import MAX_WORKERS, Settings


def test_a_process_bound_to_one_processor_runs_eight_tasks_at_once() -> None:
    # Red team 16: os.cpu_count() counts the machine's processors, not those a `taskset` or a
    # container's cpuset leaves the process.
    done = subprocess.run(
        [sys.executable, "-c", "from dragoman.config import Settings; print(Settings().workers)"],
        preexec_fn=lambda: os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}),
        env={**os.environ, "DRAGOMAN_DATA_DIR": "/nonexistent"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == "8"


def test_a_machine_with_more_processors_than_the_maximum_starts_at_the_maximum(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Red team 16: with 256 processors, processors + 1 (then) broke every command ("DRAGOMAN_WORKERS ... <= 256").
    monkeypatch.setattr(dragoman.config, "available_cpus", lambda: 300)
    assert Settings().workers == MAX_WORKERS
