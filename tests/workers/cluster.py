"""Many machines on one for tests: `dragoman worker` processes (and, where wanted, a `dragoman serve
--no-runner` API node) on a PostgreSQL state database, the fake engine (`tests.workers.fake_engine`)
in every process, and the checks of DESIGN §1 read from the store and the disk."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from sqlalchemy import select, text

from dragoman.config import Settings
from dragoman.domain.jobs import JobView, Summary, Task
from dragoman.domain.states import JobStatus, TaskStatus
from dragoman.formats.documents import extract, format_for
from dragoman.planning import OUTPUT_MARKER
from dragoman.runner.translate import translate_document
from dragoman.service import Dragoman
from dragoman.store.jobs import _job_from_row, _summary_from_row, _task_from_row
from dragoman.store.schema import jobs, tasks
from tests.processes import DRAGOMAN, environment
from tests.workers.fake_engine import UpperEngine

REPOSITORY = Path(__file__).resolve().parents[2]
ENGINE = "tests.workers.fake_engine:make"
LEASE_SECONDS = "3"
RECOVERY_SECONDS = "0.3"


def wait_until(predicate: Callable[[], bool], timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached in {timeout} s")
        time.sleep(0.01)


def paragraphs(number: int, count: int, *extra: str) -> str:
    """A small English document of `count` paragraphs (each one segment), numbered, then `extra`."""
    body = [f"Document {number}, paragraph {k}: the cat is black and the house is big." for k in range(count)]
    return "\n\n".join([*body, *extra]) + "\n"


@dataclass
class Cluster:
    """A deployment in a temporary folder: its documents under `docs`, its state in `database_url`."""

    root: Path
    database_url: str
    segment_seconds: float = 0.0
    engine: str = ENGINE  # `apertium` for the real one
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.docs = self.root / "docs"
        self.gates = self.root / "gates"
        for folder in (self.docs / "in", self.gates):
            folder.mkdir(parents=True, exist_ok=True)
        self.env = environment(
            self.root / "data",
            [self.docs],
            DRAGOMAN_QUEUE="procrastinate",
            DRAGOMAN_DATABASE_URL=self.database_url,
            DRAGOMAN_ENGINE=self.engine,
            DRAGOMAN_LEASE_SECONDS=LEASE_SECONDS,
            DRAGOMAN_RECOVERY_SECONDS=RECOVERY_SECONDS,
            DRAGOMAN_TEST_SEGMENT_SECONDS=str(self.segment_seconds),
            DRAGOMAN_TEST_GATES=str(self.gates),
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")])),
        )
        settings = Settings(
            data_dir=self.root / "data",
            roots=[self.docs],
            database_url=self.database_url,
            queue="procrastinate",
            engine=self.engine,
        )
        self.service = Dragoman.from_settings(settings)  # no runner: the workers run everything

    # --- processes ----------------------------------------------------------------------------

    def worker(self, concurrency: int = 1, **extra: str) -> subprocess.Popen[bytes]:
        """Start `dragoman worker --concurrency N --log-format json`, logging to a file of its own."""
        log = self.root / f"worker{len(self.logs)}.log"
        self.logs.append(log)
        env = {**self.env, **extra}
        with log.open("ab") as handle:
            process = subprocess.Popen(
                [DRAGOMAN, "worker", "--concurrency", str(concurrency), "--log-format", "json"],
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                cwd=REPOSITORY,
            )
        self.processes.append(process)
        return process

    def cli(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [DRAGOMAN, *argv], env=self.env, capture_output=True, text=True, timeout=120, cwd=REPOSITORY
        )
        if check and done.returncode != 0:
            raise AssertionError(f"dragoman {' '.join(argv)} exited {done.returncode}: {done.stderr}")
        return done

    def submit(self, folder: str, targets: tuple[str, ...] = ("es",)) -> str:
        """`dragoman translate docs/<folder> --to ... --no-wait --json`; the job's id."""
        done = self.cli(
            "translate", str(self.docs / "in" / folder), "--to", ",".join(targets), "--out", str(self.out(folder)),
            "--no-wait", "--json",
        )  # fmt: skip
        return str(json.loads(done.stdout)["job"]["id"])

    def cancel(self, job_id: str) -> str:
        """`dragoman jobs cancel ID`: what it printed."""
        return self.cli("jobs", "cancel", job_id).stdout

    def out(self, folder: str) -> Path:
        return self.docs / "out" / folder

    def write(self, folder: str, documents: dict[str, str]) -> None:
        where = self.docs / "in" / folder
        where.mkdir(parents=True, exist_ok=True)
        for name, body in documents.items():
            (where / name).write_text(body, encoding="utf-8")

    def open_gate(self, name: str) -> None:
        (self.gates / name).touch()

    def kill(self, process: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
        process.send_signal(sig)
        process.wait(60)

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)
                process.terminate()
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.service.close()

    # --- reading the state --------------------------------------------------------------------

    def snapshot(self, job_id: str) -> tuple[JobView, list[Task], dict[str, int]]:
        """The job, its tasks and each task's attempts, read in one snapshot (REPEATABLE READ)."""
        engine = self.service.store._engine.execution_options(isolation_level="REPEATABLE READ")
        with engine.connect() as connection, connection.begin():
            row = connection.execute(select(jobs).where(jobs.c.id == job_id)).one()
            rows = connection.execute(select(tasks).where(tasks.c.job_id == job_id).order_by(tasks.c.seq)).all()
        view = JobView(_job_from_row(row), _summary_from_row(row))
        return view, [_task_from_row(item) for item in rows], {item.id: item.attempts for item in rows}

    def check_counters(self, job_id: str) -> JobView:
        """Rule 6 at this read: the job's counters are its tasks' states, and add up; its status is the
        one the domain derives; its bill is its succeeded tasks' characters."""
        view, found, _ = self.snapshot(job_id)
        counted = Summary.of(found)
        assert view.summary == counted, (view.summary, counted)
        assert view.summary.total == len(found)
        return view

    def wait_terminal(self, job_id: str, timeout: float = 90.0, every_poll: bool = True) -> JobView:
        """Poll until the job ends, checking the counters at every poll."""
        deadline = time.monotonic() + timeout
        while True:
            view = self.check_counters(job_id) if every_poll else self.service.get(job_id)
            if view.is_terminal:
                return view
            if time.monotonic() > deadline:
                raise AssertionError(f"job {job_id} did not end in {timeout} s: {view.status} {view.summary}")
            time.sleep(0.02)

    def check_outputs(self, job_id: str, folder: str) -> JobView:
        """Every succeeded task's document is at its target, whole (the fake engine's translation of its
        source), exactly once; no other task left anything, and no temporary file is left. What was
        billed is the succeeded tasks' source characters, once."""
        view = self.check_counters(job_id)
        found = self.service.tasks(job_id)
        out = self.out(folder)
        on_disk = (
            {path for path in out.rglob("*") if path.is_file() and path.name != OUTPUT_MARKER}
            if out.exists()
            else set()
        )
        assert not [path for path in on_disk if path.name.startswith(".")], "a temporary file was left"
        succeeded = [task for task in found if task.status is TaskStatus.SUCCEEDED]
        assert on_disk == {Path(task.target_url.removeprefix("file://")) for task in succeeded}
        billed = 0
        for task in succeeded:
            source = Path(task.source_url.removeprefix("file://")).read_bytes()
            fmt = format_for(task.source_url)
            output = Path(task.target_url.removeprefix("file://")).read_bytes()
            if self.engine == ENGINE:
                expected = translate_document(UpperEngine(), source, fmt, task.source_language, task.target_language)
                assert output == expected.output
            else:  # whole: as many paragraphs as its source
                assert output.count(b"\n\n") == source.count(b"\n\n") and output != source
            billed += extract(source, fmt).characters
            assert task.characters == extract(source, fmt).characters
        assert view.summary.characters_charged == billed
        return view

    def events(self, kind: str) -> Counter[str]:
        """task id -> how many `task.<kind>` events every worker's log holds for it."""
        counted: Counter[str] = Counter()
        for log in self.logs:
            for line in log.read_text(errors="replace").splitlines():
                if not line.startswith("{"):
                    continue
                record = json.loads(line)
                if record.get("event") == f"task.{kind}":
                    counted[record["task_id"]] += 1
        return counted

    def attempts(self, job_id: str) -> dict[str, int]:
        return self.snapshot(job_id)[2]


@contextmanager
def cluster(root: Path, database_url: str, segment_seconds: float = 0.0, engine: str = ENGINE) -> Iterator[Cluster]:
    made = Cluster(root, database_url, segment_seconds, engine)
    try:
        yield made
    finally:
        made.close()


# --- holding a job's row, to stop a worker at an exact point -------------------------------------


class RowLock:
    """A session of the test's own that takes the job's row lock (SELECT ... FOR UPDATE) and holds it
    until released: a worker's publication (`JobStore.holding`) waits for that lock, so a worker can
    be caught between recording its output and publishing it."""

    def __init__(self, database_url: str, job_id: str) -> None:
        self._connection = psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://"))
        self.pid = int(self._connection.execute("SELECT pg_backend_pid()").fetchone()[0])  # type: ignore[index]
        self._connection.commit()
        self._job_id = job_id

    def take(self) -> None:
        self._connection.execute("SELECT id FROM jobs WHERE id = %s FOR UPDATE", (self._job_id,))

    def release(self) -> None:
        self._connection.rollback()

    def close(self) -> None:
        self._connection.close()


def blocked_by(database_url: str, pid: int) -> set[int]:
    """Backends (PostgreSQL pids) waiting for a lock that backend `pid` holds."""
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as probe:
        rows = probe.execute(
            "SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", (pid,)
        ).fetchall()
    return {int(row[0]) for row in rows}


def job_status_at_end(view: JobView) -> JobStatus:
    return view.status


def raw(database_url: str, statement: str, **binds: object) -> list[tuple[object, ...]]:
    """A statement on the state database, outside the store (its rows)."""
    from sqlalchemy import create_engine

    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            result = connection.execute(text(statement), binds)
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()
