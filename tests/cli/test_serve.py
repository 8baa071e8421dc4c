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
    # every line is a JSON object (red team: the banner and the warning were plain text among them)
    records = [json.loads(line) for line in stderr.splitlines()]
    [announced] = [record for record in records if record.get("event") == "serve.listening"]
    assert announced["url"] == f"http://127.0.0.1:{port}" and announced["data_dir"] == str(tmp_path / "data")
    assert f"Dragoman listening on http://127.0.0.1:{port}" in announced["message"]
    [warned] = [record for record in records if record.get("event") == "serve.default_keys"]
    assert warned["level"] == "WARNING" and "built-in keys" in warned["message"]
    assert any(record["message"] == "Application startup complete." for record in records)
    assert all({"time", "level", "logger", "message"} <= set(record) for record in records)
    assert not any("color_message" in record for record in records)  # uvicorn's copy with terminal colours
    assert "\x1b" not in stderr


def test_it_says_where_it_listens_and_warns_of_built_in_keys_in_plain_text(tmp_path: Path) -> None:
    env = environment(tmp_path / "data", [tmp_path])
    env.pop("DRAGOMAN_TENANTS", None)
    with serving(env, tmp_path / "server.log"):
        pass
    lines = (tmp_path / "server.log").read_text().splitlines()
    [announced] = [line for line in lines if line.startswith("Dragoman listening on")]
    assert str(tmp_path / "data") in announced
    assert any(line.startswith("warning: tenant default accepts the built-in keys") for line in lines)


def test_a_service_with_no_language_pair_says_so_as_it_starts(tmp_path: Path) -> None:
    # Red team: it started as if all was well, and every translation was then refused
    (tmp_path / "modes").mkdir()
    env = environment(tmp_path / "data", [tmp_path], DRAGOMAN_APERTIUM_MODES_DIR=str(tmp_path / "modes"))
    with serving(env, tmp_path / "server.log"):
        pass
    logged = (tmp_path / "server.log").read_text()
    assert f"warning: no language pairs are installed in {tmp_path / 'modes'} (DRAGOMAN_APERTIUM_MODES_DIR)" in logged


def test_an_address_not_of_this_machine_points_at_host_not_port(tmp_path: Path) -> None:
    env = environment(tmp_path / "data", [tmp_path])
    done = subprocess.run(
        [DRAGOMAN, "serve", "--host", "192.0.2.1", "--port", str(free_port())],  # TEST-NET-1: no one's address
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "cannot listen on 192.0.2.1:" in done.stderr and "--host (or DRAGOMAN_HOST)" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


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
