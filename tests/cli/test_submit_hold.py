"""A Ctrl-C while `dragoman translate` creates its job, with a `dragoman serve` on the same store:
real processes, a real signal to the command's process group (as a terminal sends it)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from dragoman.config import Settings
from dragoman.domain.specs import JobSpec, TaskSpec
from dragoman.holds import HOLDER_LABEL
from dragoman.planning import CLI_TENANT
from dragoman.service import Dragoman
from dragoman.storage.local import path_to_url
from tests.processes import DRAGOMAN, environment, serving

pytestmark = pytest.mark.slow

_JOB = re.compile(r"job (?:\x1b\[[0-9;]*m)*([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")
_DOCUMENTS = 2000


def _big_folder(folder: Path) -> None:
    folder.mkdir(parents=True)
    for number in range(_DOCUMENTS):
        (folder / f"d{number:04}.txt").write_text(f"The cat number {number} is black.\n")


def _until_line(process: subprocess.Popen[str], wanted: str) -> float:
    """Read the command's stdout until a line holds `wanted`; the moment it did."""
    assert process.stdout is not None
    for line in process.stdout:
        if wanted in line:
            return time.monotonic()
    raise AssertionError(f"the command ended before printing {wanted!r}")


def _translate(env: dict[str, str], source: Path, out: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [DRAGOMAN, "translate", str(source), "--to", "es", "--out", str(out), *extra],
        env={**env, "COLUMNS": "200"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )


def _show(env: dict[str, str], job_id: str) -> dict[str, object]:
    shown = subprocess.run(
        [DRAGOMAN, "jobs", "show", job_id, "--json"], env=env, capture_output=True, text=True, timeout=120
    )
    assert shown.returncode == 0, shown.stderr
    document: dict[str, object] = json.loads(shown.stdout)
    return document


def _job_count(database: Path) -> int:
    with contextlib.closing(sqlite3.connect(database, timeout=60)) as connection:
        return int(connection.execute("SELECT count(*) FROM jobs").fetchone()[0])


def _seconds_until_a_job_appears(env: dict[str, str], source: Path, out: Path, database: Path) -> float:
    """Submit `source` (--no-wait) and time, from the command's first line, when its job is committed."""
    before = _job_count(database)
    process = _translate(env, source, out, "--no-wait")
    began = _until_line(process, "preparing the job")
    while _job_count(database) == before:
        assert process.poll() is None, process.communicate()
        time.sleep(0.002)
    appeared = time.monotonic() - began
    process.communicate(timeout=120)
    return appeared


@pytest.mark.parametrize("extra", [(), ("--no-wait",)])  # red team: with --no-wait the press was ignored
def test_ctrl_c_while_the_job_is_created_never_lets_a_running_serve_start_any_of_it(
    tmp_path: Path, extra: tuple[str, ...]
) -> None:
    docs = tmp_path / "docs"
    _big_folder(docs / "big")
    env = environment(tmp_path / "data", [docs], workers=8)
    database = tmp_path / "data" / "dragoman.db"
    log = tmp_path / "serve.log"
    cancelled_as_created: list[str] = []
    with serving(env, log):
        # A job of the same documents, left to serve: its eight workers finish one and claim the next
        # many times a second, so a job claimable for even a few milliseconds has a task claimed.
        appears = _seconds_until_a_job_appears(env, docs / "big", docs / "busy", database)
        # Where a press lands depends on the machine's load: each attempt moves the next one later
        # when it came before the job was being created, earlier when it came after the job went on
        # (a bisection of the moments after the command's first line), until some landed inside.
        early, late = 0.0, appears * 1.5
        delay = appears * 0.9
        for attempt in range(16):
            out = docs / f"out{attempt}"
            process = _translate(env, docs / "big", out, *extra)
            began = _until_line(process, "preparing the job")
            time.sleep(max(0.0, began + delay - time.monotonic()))
            os.killpg(process.pid, signal.SIGINT)  # the terminal's Ctrl-C: the whole foreground group
            stdout, stderr = process.communicate(timeout=180)
            assert "Traceback" not in stderr, stderr
            assert process.returncode in (0, 130), stdout + stderr
            if "cancelled as it was created" not in stdout and "stopped before a job was created" not in stdout:
                # --no-wait: a press after the job went on changes nothing (red team: it exited 130, the job queued)
                assert not extra or process.returncode == 0, stdout + stderr
            if "cancelled as it was created" not in stdout:
                # pressed before planning ended (no job), or after the job went on (a plain cancel)
                if "stopped before a job was created" in stdout:
                    early = delay
                else:
                    late = delay
                delay = (early + late) / 2
                continue
            job_id = _JOB.search(stdout)
            assert job_id, stdout
            cancelled_as_created.append(job_id.group(1))
            assert process.returncode == 130
            job = _show(env, job_id.group(1))["job"]
            assert isinstance(job, dict)
            assert job["status"] == "cancelled", job
            assert job["summary"]["succeeded"] == 0 and job["summary"]["characters_charged"] == 0, job
            assert job["summary"]["cancelled"] == _DOCUMENTS, job
            assert not out.exists() or not any(out.rglob("*.txt")), "a document was translated"
            if len(cancelled_as_created) == 4:
                break
            delay += (late - delay) * 0.3  # closer to the job's creation: the moment most exposed
    assert cancelled_as_created, "no Ctrl-C landed while the job was being created; the test proved nothing"
    served = log.read_text()
    assert "of job" in served and "started" in served  # serve was working all along
    for cancelled in cancelled_as_created:
        assert f"of job {cancelled} started" not in served, f"serve started a task of {cancelled}"


def test_a_job_whose_submitter_died_before_deciding_is_cancelled_by_serve_and_a_live_ones_is_not(
    tmp_path: Path,
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The cat is black.\n")
    dead = subprocess.Popen(["true"])
    dead.wait()  # a pid that no longer runs: a submitter SIGKILLed before it released its job

    def held_by(holder: str, out: str) -> str:
        spec = JobSpec(
            tenant=CLI_TENANT,
            tasks=[TaskSpec(path_to_url(docs / "a.txt"), path_to_url(docs / out / "a.txt"), "en", "es")],
            labels={HOLDER_LABEL: holder},
        )
        return service.store.create_job(spec, validated=False).job.id

    with Dragoman.from_settings(Settings(data_dir=tmp_path / "data", roots=[docs])) as service:
        abandoned = held_by(f"{socket.gethostname()}:{dead.pid}", "out1")
        alive = held_by(f"{socket.gethostname()}:{os.getpid()}", "out2")
    env = environment(tmp_path / "data", [docs])
    log = tmp_path / "serve.log"
    with serving(env, log):
        deadline = time.monotonic() + 60
        while _status(env, abandoned) == "validating" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _status(env, abandoned) == "cancelled"
        assert _status(env, alive) == "validating"  # its submitter (this test) may still decide
    assert not (docs / "out1").exists() and not (docs / "out2").exists()
    assert f"job {abandoned} cancel_accepted" in log.read_text()


def _status(env: dict[str, str], job_id: str) -> object:
    job = _show(env, job_id)["job"]
    assert isinstance(job, dict)
    return job["status"]
