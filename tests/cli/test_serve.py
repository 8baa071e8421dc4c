"""`dragoman serve` as an operator starts it: a real process, a real port."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.processes import DRAGOMAN, environment, free_port, serving

pytestmark = pytest.mark.slow


def test_a_port_in_use_is_one_clear_line_and_nothing_starts(tmp_path: Path) -> None:
    env = environment(tmp_path / "data", [tmp_path])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [DRAGOMAN, "serve", "--port", str(port)], env=env, capture_output=True, text=True, timeout=60, check=False
        )
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and "in use" in done.stderr and "--port" in done.stderr
    assert "Application startup complete" not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


def test_it_says_where_it_listens_warns_of_built_in_keys_and_logs_json(tmp_path: Path) -> None:
    env = environment(tmp_path / "data", [tmp_path])
    env.pop("DRAGOMAN_TENANTS", None)  # the zero-configuration default tenant and its README keys
    port, log = free_port(), tmp_path / "server.log"
    process = subprocess.Popen(
        [DRAGOMAN, "serve", "--port", str(port), "--log-format", "json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        up = False
        for _ in range(600):
            with contextlib.suppress(httpx.HTTPError):
                up = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
            if up or process.poll() is not None:
                break
            time.sleep(0.1)
        assert up, process.stderr.read() if process.stderr else ""
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    log.write_text(stderr)
    lines = stderr.splitlines()
    [announced] = [line for line in lines if "Dragoman listening on" in line]
    assert f"http://127.0.0.1:{port}" in announced and str(tmp_path / "data") in announced
    assert any("warning:" in line and "built-in keys" in line for line in lines)
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert any(record["message"] == "Application startup complete." for record in records)
    assert all({"time", "level", "logger", "message"} <= set(record) for record in records)


def test_lifecycle_events_reach_the_log_with_their_ids(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("I like dogs.\n")
    env = environment(tmp_path / "data", [docs])
    log = tmp_path / "server.log"
    with serving(env, log) as url:
        translated = subprocess.run(
            [DRAGOMAN, "translate", str(docs / "a.txt"), "--to", "es", "--out", str(docs / "out"), "--no-wait"],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert translated.returncode == 0, translated.stderr
        job_id = translated.stdout.split("job ", 1)[1].split(":", 1)[0].strip().strip("[]*")
        for _ in range(300):
            if "finished: succeeded" in log.read_text():
                break
            time.sleep(0.1)
        assert httpx.get(f"{url}/health").status_code == 200
    text = log.read_text()
    assert "finished: succeeded" in text and " started: attempt 1" in text, text[-2000:]
    assert job_id[:8] in text
