"""`translate --no-wait` warns exactly when no `dragoman serve` runs on its store: the probe reads the
heartbeat serve's runner writes into the state database, not whatever answers on DRAGOMAN_PORT.
Real serve and CLI processes."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from dragoman.heartbeat import BEAT_SECONDS, FRESH_SECONDS
from tests.processes import DRAGOMAN, environment, free_port, serving, start_server

pytestmark = pytest.mark.slow

WARNING = "no `dragoman serve` or `dragoman worker` runs on this store"


def submit(env: dict[str, str], docs: Path, step: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [DRAGOMAN, "translate", str(docs / "a.txt"), "--to", "es", "--out", str(docs / f"out-{step}"),
         "--no-wait"],
        env={**env, "COLUMNS": "200"}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done


def test_no_wait_warns_exactly_when_no_serve_runs_on_its_store(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The cat is black.\n")
    port = free_port()
    env = {**environment(tmp_path / "data", [docs]), "DRAGOMAN_PORT": str(port)}

    alone = submit(env, docs, "alone")
    assert WARNING in alone.stderr and f"DRAGOMAN_DATA_DIR={tmp_path / 'data'}" in alone.stderr, alone.stderr
    assert "dragoman jobs wait" in alone.stderr

    # a service on the configured port, but on another store: it will never run this job
    elsewhere = environment(tmp_path / "other data", [docs])
    with serving(elsewhere, tmp_path / "elsewhere.log", port):
        assert WARNING in submit(env, docs, "elsewhere").stderr

    # a service on this store, listening on another port than the command's DRAGOMAN_PORT
    with serving(env, tmp_path / "here.log", free_port()):
        served = submit(env, docs, "here")
        assert WARNING not in served.stderr and "warning" not in served.stderr, served.stderr
    assert WARNING in submit(env, docs, "stopped").stderr  # stopped cleanly: it says so at once

    # killed outright: its last heartbeat goes stale, and the warning comes back
    process = start_server(env, free_port(), tmp_path / "killed.log")
    assert WARNING not in submit(env, docs, "killed").stderr
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    time.sleep(FRESH_SECONDS + BEAT_SECONDS)
    assert WARNING in submit(env, docs, "stale").stderr
