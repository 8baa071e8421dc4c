"""`dragoman serve --log-format json` logs one `job.finished` record per job, when it reaches its final
state, with its status and counts as stable fields: real serve and CLI processes."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ENGLISH_PARAGRAPHS
from tests.processes import DRAGOMAN, environment, free_port

pytestmark = pytest.mark.slow

_JOB = re.compile(r"job (?:\x1b\[[0-9;]*m)*([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")
_FIELDS = {"status", "total", "succeeded", "failed", "cancelled", "characters_charged", "cancel_outcome"}


@contextlib.contextmanager
def serving_json(env: dict[str, str], log: Path) -> Iterator[None]:
    port = free_port()
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [DRAGOMAN, "serve", "--port", str(port), "--log-format", "json"], env=env, stdout=handle, stderr=handle
        )
    try:
        for _ in range(600):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            assert process.poll() is None, log.read_text()
            time.sleep(0.1)
        yield
    finally:
        process.terminate()
        process.wait(30)


def finished_records(log: Path, job_id: str) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    return [record for record in records if record.get("event") == "job.finished" and record["job_id"] == job_id]


def submit(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [DRAGOMAN, "translate", *args, "--to", "es", "--no-wait"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    found = _JOB.search(done.stdout)
    assert found, done.stdout
    return found.group(1)


def wait_logged(log: Path, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while not finished_records(log, job_id):
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.1)
    time.sleep(0.5)  # a second record, if one were written, would be there by now
    [record] = finished_records(log, job_id)
    return record


def test_serve_logs_each_job_once_when_it_ends_with_its_status_and_counts(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "en").mkdir(parents=True)
    (docs / "en" / "a.txt").write_text("The cat is black.\n")
    (docs / "en" / "b.txt").write_text("I like dogs.\n")
    (docs / "en" / "empty.txt").write_text("")
    many = docs / "many"
    many.mkdir()
    for number in range(40):
        (many / f"d{number:02}.txt").write_text("\n\n".join(ENGLISH_PARAGRAPHS * 20) + "\n")
    env = environment(tmp_path / "data", [docs], workers=2)
    log = tmp_path / "serve.log"
    with serving_json(env, log):
        mixed = submit(env, str(docs / "en"), "--out", str(docs / "out"))
        record = wait_logged(log, mixed)
        assert set(record) >= _FIELDS, record
        assert record["status"] == "partially_failed"
        assert (record["total"], record["succeeded"], record["failed"], record["cancelled"]) == (3, 2, 1, 0)
        assert record["characters_charged"] > 0 and record["cancel_outcome"] is None
        assert record["message"].startswith(f"job {mixed} finished: partially_failed · 2 succeeded, 1 failed")
        assert record["level"] == "INFO" and record["logger"] == "dragoman.events"
        events = [(r.get("event"), r.get("job_id")) for r in _records(log)]
        last_task = max(i for i, event in enumerate(events) if event == ("task.finished", mixed))
        assert events.index(("job.finished", mixed)) > last_task  # its last task's end is logged first

        cancelled = submit(env, str(many), "--out", str(docs / "out-many"))
        deadline = time.monotonic() + 60
        while not any(r.get("event") == "task.started" and r["job_id"] == cancelled for r in _records(log)):
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.05)
        done = subprocess.run([DRAGOMAN, "jobs", "cancel", cancelled], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        record = wait_logged(log, cancelled)  # serve's workers stop its running tasks: the end is serve's
        assert record["status"] == "cancelled" and record["cancel_outcome"] == "took_effect", record
        assert record["total"] == 40 and record["cancelled"] > 0, record
        assert record["succeeded"] + record["failed"] + record["cancelled"] == 40, record
        shown = subprocess.run(
            [DRAGOMAN, "jobs", "show", cancelled, "--json"], env=env, capture_output=True, text=True, timeout=60
        )
        summary = json.loads(shown.stdout)["job"]["summary"]
        assert summary["characters_charged"] == record["characters_charged"]
        assert summary["succeeded"] == record["succeeded"] and summary["cancelled"] == record["cancelled"]


def _records(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
