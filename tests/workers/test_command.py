"""`dragoman worker` as an operator starts it: its defaults, and the queues it is told to serve."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from tests.postgres import PostgresServer
from tests.processes import DRAGOMAN
from tests.workers.cluster import REPOSITORY, cluster, wait_until

pytestmark = pytest.mark.slow


def test_a_worker_starts_with_one_task_per_core_by_default_and_refuses_a_pair_nothing_translates(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    with cluster(tmp_path, postgres.new_database(), engine="apertium") as world:
        refused = subprocess.run(
            [DRAGOMAN, "worker", "--queue", "en-xx"], env=world.env, capture_output=True, text=True, timeout=60
        )
        assert refused.returncode == 2 and "no installed pair translates en-xx" in refused.stderr
        log = tmp_path / "default.log"
        with log.open("wb") as handle:
            process = subprocess.Popen(
                [DRAGOMAN, "worker", "--queue", "EN-ES", "--queue", "auto-ca"],
                env=world.env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                cwd=REPOSITORY,
            )
        try:
            wait_until(lambda: "Starting worker" in log.read_text(), what="the worker to start")
            assert "at a time · en-es, auto-ca" in log.read_text()
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(30) == 0
