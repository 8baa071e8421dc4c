"""The state database restarted under running workers, and a cancel that outlives every process
(issue 15, DESIGN §1 rule 7), with real `dragoman worker` processes on a PostgreSQL server of the
test's own (it is stopped and started)."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from dragoman.domain.states import TaskStatus
from tests.postgres import PostgresServer, postgres_server
from tests.test_crash_recovery import stopped
from tests.workers.cluster import Cluster, cluster, paragraphs, wait_until
from tests.workers.fake_engine import gate_marker

pytestmark = pytest.mark.slow


@pytest.fixture
def server() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test's own: restarting it disturbs no other test."""
    with postgres_server() as started:
        yield started


def freeze_all(deployment: Cluster) -> None:
    """SIGSTOP every worker at a moment none of the database's sessions is inside a transaction (a
    frozen holder of a lock would block everyone)."""
    plain = deployment.database_url.replace("postgresql+psycopg://", "postgresql://")
    live = [process for process in deployment.processes if process.poll() is None]
    for _ in range(200):
        for process in live:
            process.send_signal(signal.SIGSTOP)
        for process in live:
            wait_until(lambda process=process: stopped(process.pid), timeout=10)
        with psycopg.connect(plain, autocommit=True) as probe:
            busy = probe.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND state IN ('active', 'idle in transaction', 'idle in transaction (aborted)')"
            ).fetchone()
        if busy is not None and busy[0] == 0:
            return
        for process in live:
            process.send_signal(signal.SIGCONT)
        time.sleep(0.01)
    raise AssertionError("some worker was always inside a transaction")


def test_workers_carry_on_after_the_database_restarts_mid_job(tmp_path: Path, server: PostgresServer) -> None:
    with cluster(tmp_path, server.new_database(), segment_seconds=0.01) as deployment:
        # Given three workers half-way through a job
        workers = [deployment.worker(concurrency=2) for _ in range(3)]
        deployment.write("job", {f"doc{n:02}.txt": paragraphs(n, 6) for n in range(40)})
        job_id = deployment.submit("job")
        wait_until(lambda: deployment.service.get(job_id).summary.succeeded >= 8, what="some tasks done")
        # When PostgreSQL stops as a crash would, and starts again
        server.restart()
        # Then the workers reconnect and end the job: nothing lost, nothing published or billed twice
        view = deployment.wait_terminal(job_id, timeout=120)
        assert view.status.value == "succeeded", view
        deployment.check_outputs(job_id, "job")
        assert all(worker.poll() is None for worker in workers), "a worker did not survive the restart"
        # and they still take new work
        deployment.write("after", {"doc.txt": paragraphs(0, 2)})
        after = deployment.submit("after")
        assert deployment.wait_terminal(after).status.value == "succeeded"


def test_a_cancel_accepted_before_every_worker_and_the_database_died_is_honoured_after_restart(
    tmp_path: Path, server: PostgresServer
) -> None:
    with cluster(tmp_path, server.new_database()) as deployment:
        # Given two workers running a job's first documents (held mid-translation), the rest waiting
        for _ in range(2):
            deployment.worker(concurrency=2)
        deployment.write("job", {f"doc{n:02}.txt": paragraphs(n, 2, gate_marker("go")) for n in range(12)})
        job_id = deployment.submit("job")
        wait_until(lambda: deployment.service.get(job_id).summary.in_progress == 4, what="four tasks running")
        # When the workers are frozen (so the cancel cannot reach them), the job is cancelled,
        freeze_all(deployment)
        deployment.cancel(job_id)
        view, tasks, attempts = deployment.snapshot(job_id)
        assert view.status.value == "cancelling" and view.summary.in_progress == 4
        dropped = {task.id for task in tasks if task.status is TaskStatus.CANCELLED}
        assert len(dropped) == 8 and all(attempts[task_id] == 0 for task_id in dropped)
        # and then every worker is SIGKILLed and the database stops as a crash would, then all start again
        for process in deployment.processes:
            process.send_signal(signal.SIGKILL)
            process.wait()
        server.restart()
        deployment.open_gate("go")  # what runs now would finish
        for _ in range(2):
            deployment.worker(concurrency=2)
        # Then the cancel holds: no pending task ever started, the running ones end cancelled, unbilled
        view = deployment.wait_terminal(job_id)
        assert view.status.value == "cancelled", view
        assert view.summary.cancelled == 12 and view.summary.characters_charged == 0
        _, tasks, attempts = deployment.snapshot(job_id)
        assert all(attempts[task_id] == 0 for task_id in dropped)
        assert not set(deployment.events("started")) & dropped
        deployment.check_outputs(job_id, "job")
