"""Rule 7 for real: `dragoman serve` is SIGKILLed mid-job and started again."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import psycopg
import pytest

from dragoman.config import Settings
from dragoman.domain.jobs import JobView
from dragoman.domain.states import TaskStatus
from dragoman.formats.documents import extract, format_for
from dragoman.planning import plan_local_job
from dragoman.service import Dragoman
from tests.conftest import ENGLISH_PARAGRAPHS, wait_terminal
from tests.processes import environment, free_port, per_thread, serving, start_server

pytestmark = pytest.mark.slow


def setup_job(
    tmp_path: Path, documents: int = 30, database_url: str | None = None
) -> tuple[Dragoman, str, dict[str, str], Path]:
    docs = tmp_path / "docs"
    (docs / "in").mkdir(parents=True)
    for number in range(documents):
        text = "\n\n".join(" ".join(ENGLISH_PARAGRAPHS) * 3 for _ in range(12))
        (docs / "in" / f"doc{number:02}.txt").write_text(text + f"\n\nDocument {number}.\n")
    settings = Settings(data_dir=tmp_path / "data", roots=[docs], workers=2, database_url=database_url)
    client = Dragoman.from_settings(settings)  # no runner here: the server process does the work
    job_id = client.submit(plan_local_job(client.local, [docs / "in"], docs / "out", ["es"], "en")).job.id
    env = environment(tmp_path / "data", [docs])
    if database_url is not None:
        env["DRAGOMAN_DATABASE_URL"] = database_url
    return client, job_id, env, docs


def wait_until(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.01)


def stopped(pid: int) -> bool:
    """Every thread of the process is in the stopped state."""
    states = [stat[stat.rindex(")") + 2] for stat in per_thread(pid, "stat")]
    return all(state in "tT" for state in states)


def restart_and_wait(client: Dragoman, job_id: str, env: dict[str, str], log: Path, timeout: float) -> JobView:
    """Start `dragoman serve` again on the same store and wait until it has ended the job. It takes a
    port of its own: the killed server's may be taken meanwhile by another test's server."""
    with serving(env, log):
        return wait_terminal(client, job_id, timeout=timeout)


def freeze_outside_a_write(server: subprocess.Popen[bytes], database: Path) -> None:
    """SIGSTOP the server at a moment it holds no SQLite write lock (a frozen writer blocks everyone)."""
    for _ in range(100):
        server.send_signal(signal.SIGSTOP)
        wait_until(lambda: stopped(server.pid), timeout=10)  # SIGSTOP lands asynchronously
        probe = sqlite3.connect(database, timeout=0.2)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.rollback()
            return
        except sqlite3.OperationalError:
            server.send_signal(signal.SIGCONT)
            time.sleep(0.01)
        finally:
            probe.close()
    raise AssertionError("the server never let go of the write lock")


def freeze_outside_a_transaction(server: subprocess.Popen[bytes], database_url: str) -> None:
    """SIGSTOP the server at a moment none of its PostgreSQL sessions is inside a transaction (a frozen
    holder of a row lock blocks whoever needs that row, the successor's start-up recovery included)."""
    plain = database_url.replace("postgresql+psycopg://", "postgresql://")
    name = plain.rsplit("/", 1)[1]
    for _ in range(200):
        server.send_signal(signal.SIGSTOP)
        wait_until(lambda: stopped(server.pid), timeout=10)
        with psycopg.connect(plain, autocommit=True) as probe:
            busy = probe.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
                " AND state IN ('active', 'idle in transaction', 'idle in transaction (aborted)')",
                (name,),
            ).fetchone()
        if busy is not None and busy[0] == 0:
            return
        server.send_signal(signal.SIGCONT)
        time.sleep(0.01)
    raise AssertionError("the server was always inside a transaction")


def assert_disk_matches(client: Dragoman, job_id: str, docs: Path) -> None:
    tasks = client.tasks(job_id)
    on_disk = {str(p) for p in (docs / "out").rglob("*") if p.is_file()}
    assert not [p for p in on_disk if Path(p).name.startswith(".")], "a half-written file was left"
    succeeded = [t for t in tasks if t.status is TaskStatus.SUCCEEDED]
    assert on_disk == {t.target_url.removeprefix("file://") for t in succeeded}
    expected = sum(
        extract(Path(t.source_url.removeprefix("file://")).read_bytes(), format_for(t.source_url)).characters
        for t in succeeded
    )
    assert client.get(job_id).summary.characters_charged == expected


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_killed_mid_job_the_job_completes_after_restart(
    tmp_path: Path, database: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("postgres").new_database() if database == "postgresql" else None
    client, job_id, env, docs = setup_job(tmp_path, database_url=url)
    port = free_port()
    server = start_server(env, port, tmp_path / "server.log")
    wait_until(lambda: client.get(job_id).summary.succeeded >= 3 and client.get(job_id).summary.in_progress >= 1)
    server.send_signal(signal.SIGKILL)
    server.wait()
    before = client.get(job_id)
    assert before.summary.in_progress >= 1, "the kill should leave tasks running with no worker"
    assert not before.is_terminal

    view = restart_and_wait(client, job_id, env, tmp_path / "server.log", timeout=180)
    assert view.status.value == "succeeded"
    assert view.summary.succeeded == 30
    assert_disk_matches(client, job_id, docs)
    client.close()


def test_cancel_accepted_just_before_the_kill_is_honoured_after_restart(tmp_path: Path) -> None:
    client, job_id, env, docs = setup_job(tmp_path)
    port = free_port()
    server = start_server(env, port, tmp_path / "server.log")
    wait_until(lambda: client.get(job_id).summary.succeeded >= 2 and client.get(job_id).summary.in_progress >= 1)
    freeze_outside_a_write(server, tmp_path / "data" / "dragoman.db")  # so the cancel cannot reach it
    accepted = client.cancel(job_id)
    server.send_signal(signal.SIGKILL)
    server.wait()
    assert accepted.status.value == "cancelling"

    view = restart_and_wait(client, job_id, env, tmp_path / "server.log", timeout=120)
    assert view.status.value == "cancelled"
    assert view.summary.not_yet_started == view.summary.in_progress == 0
    assert view.summary.cancelled >= accepted.summary.cancelled
    assert_disk_matches(client, job_id, docs)


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_runner_frozen_past_its_lease_publishes_nothing_over_its_successor(
    tmp_path: Path, database: str, request: pytest.FixtureRequest
) -> None:
    # Given a server working on a job with a one-second lease
    url = request.getfixturevalue("postgres").new_database() if database == "postgresql" else None
    client, job_id, env, docs = setup_job(tmp_path, documents=12, database_url=url)
    env.update(DRAGOMAN_LEASE_SECONDS="1", DRAGOMAN_RECOVERY_SECONDS="0.2")
    first = start_server(env, free_port(), tmp_path / "first.log")
    wait_until(lambda: client.get(job_id).summary.succeeded >= 2 and client.get(job_id).summary.in_progress >= 1)
    # When it is frozen (SIGSTOP) mid-task, a second server takes its tasks over once their leases lapse,
    if database == "sqlite":
        freeze_outside_a_write(first, tmp_path / "data" / "dragoman.db")
    else:
        assert url is not None
        freeze_outside_a_transaction(first, url)
    frozen = {task.id for task in client.tasks(job_id) if task.status is TaskStatus.RUNNING}
    servers = [first]
    try:
        second = start_server(env, free_port(), tmp_path / "second.log")
        servers.append(second)
        wait_until(lambda: not frozen & {t.id for t in client.tasks(job_id) if t.status is TaskStatus.RUNNING})
        # and the first one wakes up in the middle of its stale work
        first.send_signal(signal.SIGCONT)
        view = wait_terminal(client, job_id, timeout=180)
    finally:
        for server in servers:
            server.send_signal(signal.SIGCONT)
            server.terminate()
            server.wait(30)
    # Then every document was published once, by whoever held it, and billed once; none failed
    assert view.status.value == "succeeded", [t.error for t in client.tasks(job_id) if t.error]
    assert view.summary.succeeded == 12
    assert_disk_matches(client, job_id, docs)
    client.close()
