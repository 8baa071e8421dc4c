"""Commands that only read answer on a store that does not exist yet, and create nothing: no data
folder, no database file. Real processes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.processes import DRAGOMAN, environment

pytestmark = pytest.mark.slow

_UNKNOWN = "0123abcd-0000-4000-8000-000000000000"


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([DRAGOMAN, *args], env={**env, "COLUMNS": "200"}, capture_output=True, text=True, timeout=120)


def test_read_only_commands_on_a_fresh_store_answer_and_create_nothing(tmp_path: Path) -> None:
    data = tmp_path / "not yet" / "data"
    docs = tmp_path / "docs"
    docs.mkdir()
    env = environment(data, [docs])
    expected = [
        (["--help"], 0, "translate"),
        (["jobs", "--help"], 0, "list"),
        (["jobs", "list"], 0, "job"),
        (["jobs", "list", "--status", "running"], 0, "job"),
        (["jobs", "show", _UNKNOWN], 3, "not found"),
        (["jobs", "show", _UNKNOWN[:8], "--json"], 3, "not found"),
        (["jobs", "show", "1234"], 2, "too short"),
        (["jobs", "cancel", _UNKNOWN], 3, "not found"),
        (["jobs", "wait", _UNKNOWN], 3, "not found"),
        (["jobs", "retry", _UNKNOWN], 3, "not found"),
        (["languages"], 0, "en -> es"),
    ]
    for args, code, said in expected:
        done = run(env, *args)
        assert done.returncode == code, (args, done.stdout, done.stderr)
        assert said in done.stdout + done.stderr, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        assert not (tmp_path / "not yet").exists(), f"{args} created {sorted((tmp_path / 'not yet').rglob('*'))}"
    listed = run(env, "jobs", "list", "--json")
    assert listed.returncode == 0 and json.loads(listed.stdout) == []
    assert json.loads(run(env, "languages", "--json").stdout)
    assert not (tmp_path / "not yet").exists()

    # once a job was made, the same commands read the real store
    (docs / "a.txt").write_text("The cat is black.\n")
    made = run(env, "translate", str(docs / "a.txt"), "--to", "es", "--out", str(docs / "out"), "--json")
    assert made.returncode == 0, made.stderr
    job_id = json.loads(made.stdout)["job"]["id"]
    assert (data / "dragoman.db").exists()
    assert [job["id"] for job in json.loads(run(env, "jobs", "list", "--json").stdout)] == [job_id]
    assert run(env, "jobs", "show", job_id).returncode == 0
