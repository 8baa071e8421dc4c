"""`dragoman jobs cancel` of a job whose command was killed outright (`kill -9`), no service running
on the store: the cancel is exact at once. The dead command's running documents are settled as a
runner's recovery settles them (cancelled, or succeeded when their translation was published), not
left `cancelling` until some runner looks at the store. Real processes."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.processes import DRAGOMAN, environment

pytestmark = pytest.mark.slow

SENTENCE = "The government announced new measures to improve public health in the city. "


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([DRAGOMAN, *args], env=env, capture_output=True, text=True, timeout=180)


def test_cancel_after_the_command_was_killed_settles_its_running_documents(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for number in range(6):  # large enough that documents are running when the command is killed
        (docs / f"doc{number}.txt").write_text((SENTENCE * 12 + "\n\n") * 250)
    out = tmp_path / "out"
    env = environment(tmp_path / "data", [tmp_path], workers=2)
    command = subprocess.Popen(
        [DRAGOMAN, "translate", str(docs), "--to", "es", "--out", str(out), "--quiet"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        job = _running_job(env)
    finally:
        command.send_signal(signal.SIGKILL)  # as `kill -9 PID`: no clean-up of any kind
        command.wait(30)
    killed = json.loads(run(env, "jobs", "show", job, "--json").stdout)
    assert killed["job"]["summary"]["in_progress"] >= 1, killed  # left running by the dead command

    cancelled = run(env, "jobs", "cancel", job, "--json")
    assert cancelled.returncode == 0, cancelled.stderr
    answer = json.loads(cancelled.stdout)
    summary = answer["summary"]
    assert answer["status"] in ("cancelled", "partially_failed", "succeeded"), answer  # ended, not cancelling
    assert summary["in_progress"] == 0 and summary["not_yet_started"] == 0, summary
    assert summary["failed"] == 0, summary  # a worker lost once is not a failure

    shown = json.loads(run(env, "jobs", "show", job, "--json").stdout)
    succeeded = {Path(task["target"]) for task in shown["tasks"] if task["status"] == "succeeded"}
    written = {path for path in out.rglob("*") if path.is_file() and path.name != ".dragoman-translations"}
    assert written == succeeded  # nothing half-written, nothing of a cancelled document
    assert summary["succeeded"] == len(succeeded)


def _running_job(env: dict[str, str], timeout: float = 120.0) -> str:
    """The id of the command's job once one of its documents is running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listed = run(env, "jobs", "list", "--json")
        jobs = json.loads(listed.stdout) if listed.returncode == 0 and listed.stdout.strip() else []
        if jobs and jobs[0]["summary"]["in_progress"] >= 1:
            return str(jobs[0]["id"])
        time.sleep(0.2)
    raise AssertionError("no document of the job started")
