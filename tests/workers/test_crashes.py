"""Workers that die, freeze, stop or are handed a task twice (issue 15, DESIGN §1 rules 7-9), with real
`dragoman worker` processes on PostgreSQL: whatever the moment, each document is published once,
whole, and billed once; a document that kills every worker that runs it ends failed."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import psycopg
import pytest

from dragoman.domain.states import TaskStatus
from tests.postgres import PostgresServer
from tests.test_crash_recovery import freeze_outside_a_transaction
from tests.workers.cluster import Cluster, RowLock, blocked_by, cluster, paragraphs, raw, wait_until
from tests.workers.fake_engine import KILL_MARKER, gate_marker

pytestmark = pytest.mark.slow


def held_on_a_worker(deployment: Cluster) -> tuple[subprocess.Popen[bytes], str]:
    """A worker (one task at a time) and a job of one document held running on it at gate "go"."""
    worker = deployment.worker(concurrency=1)
    job_id = one_held_document(deployment, "job", "go")
    wait_until(lambda: running_on(deployment, job_id, worker), what="the task running")
    return worker, job_id


def running_on(deployment: Cluster, job_id: str, worker: subprocess.Popen[bytes]) -> set[str]:
    """Ids of the job's tasks running under `worker`'s claim."""
    rows = raw(
        deployment.database_url,
        "SELECT id, lease_owner FROM tasks WHERE job_id = :job AND status = 'running'",
        job=job_id,
    )
    return {str(task_id) for task_id, owner in rows if str(owner).split(":")[1:2] == [str(worker.pid)]}


def output_recorded(deployment: Cluster, job_id: str) -> bool:
    rows = raw(deployment.database_url, "SELECT output_sha256 FROM tasks WHERE job_id = :job", job=job_id)
    return all(row[0] is not None for row in rows)


def one_held_document(deployment: Cluster, folder: str, gate: str) -> str:
    """A job of one document that waits at `gate` mid-translation; its id."""
    deployment.write(folder, {"held.txt": paragraphs(0, 2, gate_marker(gate), "The end.")})
    return deployment.submit(folder)


def test_a_worker_killed_mid_task_its_task_runs_again_elsewhere_once(tmp_path: Path, postgres: PostgresServer) -> None:
    with cluster(tmp_path, postgres.new_database()) as deployment:
        # Given a worker running the first of a job's documents (held mid-translation)
        first = deployment.worker(concurrency=1)
        deployment.write(
            "job", {f"doc{n}.txt": paragraphs(n, 3, gate_marker("go") if n == 0 else "") for n in range(4)}
        )
        job_id = deployment.submit("job")
        wait_until(lambda: running_on(deployment, job_id, first), what="a task running on the first worker")
        (killed,) = running_on(deployment, job_id, first)
        # When it is SIGKILLed and another worker starts
        deployment.kill(first)
        deployment.open_gate("go")
        deployment.worker(concurrency=2)
        # Then the killed task runs again there, and every document is published and billed once
        view = deployment.wait_terminal(job_id)
        assert view.status.value == "succeeded", view
        assert deployment.attempts(job_id)[killed] == 2
        deployment.check_outputs(job_id, "job")


def test_a_worker_killed_between_recording_its_output_and_publishing_it_runs_it_again(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    with cluster(tmp_path, postgres.new_database()) as deployment:
        # Given a worker translating a document, and the job's row locked by the test
        first, job_id = held_on_a_worker(deployment)
        lock = RowLock(deployment.database_url, job_id)
        try:
            lock.take()
            # When it has recorded what it will publish and waits to publish it (`JobStore.holding`
            # takes the job's row first), it is SIGKILLed there
            deployment.open_gate("go")
            wait_until(
                lambda: output_recorded(deployment, job_id) and bool(blocked_by(deployment.database_url, lock.pid)),
                what="the worker waiting to publish",
            )
            target = Path(deployment.service.tasks(job_id)[0].target_url.removeprefix("file://"))
            assert not target.exists()
            deployment.kill(first)
        finally:
            lock.release()
            lock.close()
        # Then the next worker finds nothing published: the task runs again, and is published once
        deployment.worker(concurrency=1)
        view = deployment.wait_terminal(job_id)
        assert view.status.value == "succeeded", view
        assert list(deployment.attempts(job_id).values()) == [2]
        deployment.check_outputs(job_id, "job")


def test_a_worker_killed_between_publishing_and_recording_its_outcome_leaves_it_succeeded_once(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    with cluster(tmp_path, postgres.new_database()) as deployment:
        # Given a worker translating a document, and a trigger (the test's own) that holds any task's
        # change from running to succeeded while the test holds an advisory lock
        first, job_id = held_on_a_worker(deployment)
        gate = OutcomeGate(deployment.database_url)
        try:
            # When it has published the document and waits to record that it succeeded, it is SIGKILLed
            deployment.open_gate("go")
            target = Path(deployment.service.tasks(job_id)[0].target_url.removeprefix("file://"))
            wait_until(
                lambda: target.exists() and bool(blocked_by(deployment.database_url, gate.pid)),
                what="the worker published, waiting to record it",
            )
            deployment.kill(first)
        finally:
            gate.close()
        # Then the next worker finds its document published: succeeded on its first attempt, billed once
        deployment.worker(concurrency=1)
        view = deployment.wait_terminal(job_id)
        assert view.status.value == "succeeded", view
        assert list(deployment.attempts(job_id).values()) == [1]
        deployment.check_outputs(job_id, "job")


class OutcomeGate:
    """A trigger on the test database that makes any task's change from running to succeeded wait
    for an advisory lock, held by this session until `close()` (which drops the trigger)."""

    KEY = 1515

    def __init__(self, database_url: str) -> None:
        self._connection = psycopg.connect(
            database_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
        )
        self._connection.execute(
            "CREATE FUNCTION test_outcome_gate() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN PERFORM pg_advisory_xact_lock({self.KEY}); RETURN NEW; END $$"
        )
        self._connection.execute(
            "CREATE TRIGGER test_outcome_gate BEFORE UPDATE ON tasks FOR EACH ROW "
            "WHEN (OLD.status = 'running' AND NEW.status = 'succeeded') EXECUTE FUNCTION test_outcome_gate()"
        )
        self._connection.execute(f"SELECT pg_advisory_lock({self.KEY})")
        self.pid = int(self._connection.execute("SELECT pg_backend_pid()").fetchone()[0])  # type: ignore[index]

    def close(self) -> None:
        self._connection.execute("DROP TRIGGER test_outcome_gate ON tasks")
        self._connection.execute("DROP FUNCTION test_outcome_gate()")
        self._connection.close()  # the advisory lock goes with the session


def test_a_task_delivered_again_while_its_first_run_is_alive_runs_once(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    with cluster(tmp_path, postgres.new_database()) as deployment:
        # Given a worker running a task
        first, job_id = held_on_a_worker(deployment)
        (task_id,) = running_on(deployment, job_id, first)
        # When its message is delivered again (a second message for it), to another worker
        raw(
            deployment.database_url,
            "INSERT INTO procrastinate_jobs (queue_name, task_name, queueing_lock, args) "
            "SELECT queue_name, task_name, queueing_lock, args FROM procrastinate_jobs WHERE queueing_lock = :task",
            task=task_id,
        )
        deployment.worker(concurrency=1)
        wait_until(
            lambda: not raw(deployment.database_url, "SELECT 1 FROM procrastinate_jobs WHERE status = 'todo'"),
            what="the second delivery taken",
        )
        deployment.open_gate("go")
        # Then the second delivery claimed nothing: the task ran once, published once, billed once
        view = deployment.wait_terminal(job_id)
        assert view.status.value == "succeeded", view
        assert deployment.attempts(job_id) == {task_id: 1}
        assert deployment.events("started") == {task_id: 1}
        deployment.check_outputs(job_id, "job")


def test_a_worker_frozen_past_its_lease_publishes_nothing_over_the_run_that_replaced_it(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    with cluster(tmp_path, postgres.new_database()) as deployment:
        # Given a worker running a task, frozen (SIGSTOP) mid-translation
        first, job_id = held_on_a_worker(deployment)
        (task_id,) = running_on(deployment, job_id, first)
        freeze_outside_a_transaction(first, deployment.database_url)
        try:
            # When its lease lapses, another worker runs the task again and publishes it,
            deployment.open_gate("go")
            deployment.worker(concurrency=1)
            view = deployment.wait_terminal(job_id)
            # and the frozen worker wakes up in the middle of its stale run
            first.send_signal(signal.SIGCONT)
            wait_until(lambda: "ended with status" in deployment.logs[0].read_text(), what="the stale run ended")
        finally:
            first.send_signal(signal.SIGCONT)
        # Then the stale run published nothing: one output, billed once, by the second attempt
        assert view.status.value == "succeeded", view
        assert deployment.attempts(job_id) == {task_id: 2}
        deployment.check_outputs(job_id, "job")
        assert deployment.service.get(job_id).summary == view.summary


def test_a_document_that_kills_every_worker_running_it_fails_after_three_attempts(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    with cluster(tmp_path, postgres.new_database()) as deployment:
        # Given two workers, restarted whenever one dies (as a supervisor would)
        workers = [deployment.worker(concurrency=1) for _ in range(2)]
        # When a job holds a document whose translation kills the process running it
        deployment.write("job", {f"doc{n}.txt": paragraphs(n, 2, KILL_MARKER if n == 1 else "") for n in range(3)})
        job_id = deployment.submit("job")

        def ended() -> bool:
            for number, worker in enumerate(workers):
                if worker.poll() is not None:
                    workers[number] = deployment.worker(concurrency=1)
            return deployment.check_counters(job_id).is_terminal

        wait_until(ended, timeout=120, what="the job's end")
        # Then that document failed (its worker lost on each of 3 attempts), the others succeeded
        view = deployment.check_outputs(job_id, "job")
        assert view.status.value == "partially_failed", view
        (poison,) = [task for task in deployment.service.tasks(job_id) if task.status is TaskStatus.FAILED]
        assert poison.error is not None and poison.error.code == "WorkerLost"
        assert deployment.attempts(job_id)[poison.id] == 3


def test_sigterm_stops_a_workers_tasks_at_a_safe_point_and_another_runs_them(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    with cluster(tmp_path, postgres.new_database()) as deployment:
        # Given a worker running two tasks, held mid-translation
        first = deployment.worker(concurrency=2)
        deployment.write("job", {f"doc{n}.txt": paragraphs(n, 2, gate_marker("go")) for n in range(2)})
        job_id = deployment.submit("job")
        wait_until(lambda: len(running_on(deployment, job_id, first)) == 2, what="both tasks running")
        # When it is sent SIGTERM
        first.send_signal(signal.SIGTERM)
        assert first.wait(60) == 0
        # Then its tasks went back to pending, and another worker runs them, each once
        released = deployment.events("released")
        assert len(released) == 2 and set(released.values()) == {1}
        view, tasks, _ = deployment.snapshot(job_id)
        assert {task.status for task in tasks} == {TaskStatus.PENDING}, view
        deployment.open_gate("go")
        deployment.worker(concurrency=2)
        view = deployment.wait_terminal(job_id)
        assert view.status.value == "succeeded", view
        assert set(deployment.attempts(job_id).values()) == {2}
        deployment.check_outputs(job_id, "job")
