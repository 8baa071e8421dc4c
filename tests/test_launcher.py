"""The `dragoman` command as installed (scripts/dragoman, then dragoman.launcher): which Python it
runs, what it imports, and what it does with Ctrl-C and closed streams before any command runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pexpect
import pytest

from tests.conftest import ENGLISH_PARAGRAPHS
from tests.processes import DRAGOMAN

VERSION = f"dragoman {version('dragoman')}\n"


def test_files_in_the_current_folder_are_never_imported_in_place_of_modules(tmp_path: Path) -> None:
    # Red team: the script ran Python with -c, which put the current folder first on the import path:
    # a uuid.py, typer.py or secrets.py there was run by every command started in that folder.
    for name in ("uuid", "typer", "secrets", "dragoman", "json"):
        (tmp_path / f"{name}.py").write_text("raise SystemExit('imported from the current folder')\n")
    done = subprocess.run([DRAGOMAN, "--version"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, VERSION, "")


def test_a_link_to_the_command_runs_its_own_python_whatever_is_beside_the_link(tmp_path: Path) -> None:
    # Red team: a link in a folder holding another python3 (/usr/local/bin, say) ran that Python,
    # which has no Dragoman: ModuleNotFoundError.
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "python3").symlink_to(Path(sys.base_prefix) / "bin" / "python3")
    (folder / "dragoman").symlink_to(DRAGOMAN)
    chained = tmp_path / "chained"
    chained.symlink_to(folder / "dragoman")
    for command in (folder / "dragoman", chained):
        done = subprocess.run([str(command), "--version"], capture_output=True, text=True, timeout=60)
        assert (done.returncode, done.stdout) == (0, VERSION), done.stderr


def test_a_closed_standard_output_or_error_is_no_traceback(tmp_path: Path) -> None:
    # Red team: `dragoman languages >&-` failed at import (rich asked a missing stdout isatty()).
    for closed in (1, 2):
        done = subprocess.run(
            [DRAGOMAN, "languages"],
            env={**os.environ, "DRAGOMAN_DATA_DIR": str(tmp_path / "data")},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if closed == 2 else None,
            stderr=subprocess.PIPE if closed == 1 else None,
            text=True,
            timeout=60,
            preexec_fn=lambda fd=closed: os.close(fd),  # noqa: PLW0108 - the stream closed in the child only
        )
        assert done.returncode == 0, (closed, done.stdout, done.stderr)
        assert "Traceback" not in (done.stdout or "") + (done.stderr or "")


# Run in a pseudo-terminal as its foreground process group: `dragoman ... | READER` started by a
# shell-like parent that itself ignores Ctrl-C and prints dragoman's exit code, so that Ctrl-C reaches
# both ends of the pipe at once, as it does in a terminal.
_PIPELINE = """
import signal, subprocess, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
default = lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)
command = subprocess.Popen(sys.argv[2:], stdout=subprocess.PIPE, preexec_fn=default)
reader = subprocess.Popen(sys.argv[1].split(), stdin=command.stdout, preexec_fn=default)
command.stdout.close()
reader.wait()
print("STATUS", command.wait())
"""


def _translating_into_a_pipe(tmp_path: Path, reader: str) -> tuple[pexpect.spawn, Path]:
    docs = tmp_path / "docs"
    docs.mkdir()
    for number in range(40):
        (docs / f"d{number:02}.txt").write_text("\n\n".join(ENGLISH_PARAGRAPHS * 12) + "\n")
    out = tmp_path / "out"
    env = {**os.environ, "DRAGOMAN_DATA_DIR": str(tmp_path / "data"), "DRAGOMAN_ROOTS": str(tmp_path)}
    terminal = pexpect.spawn(
        sys.executable,
        ["-c", _PIPELINE, reader, DRAGOMAN, "translate", str(docs), "--to", "es", "--out", str(out)],
        env=env,
        encoding="utf-8",
        timeout=300,
    )
    return terminal, out


def _job_of(tmp_path: Path) -> dict[str, Any]:
    env = {**os.environ, "DRAGOMAN_DATA_DIR": str(tmp_path / "data"), "DRAGOMAN_ROOTS": str(tmp_path)}
    listed = subprocess.run([DRAGOMAN, "jobs", "list", "--json"], env=env, capture_output=True, text=True, timeout=60)
    (job,) = json.loads(listed.stdout)
    return job  # type: ignore[no-any-return]


def test_ctrl_c_with_the_output_piped_cancels_and_exits_130(tmp_path: Path) -> None:
    # Red team: `dragoman translate ... | cat`: the same Ctrl-C ended cat, printing the summary failed
    # on the closed pipe, and the command exited 1 instead of 130.
    terminal, out = _translating_into_a_pipe(tmp_path, "cat")
    deadline = time.monotonic() + 120
    while not (out / "es").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    terminal.sendintr()
    terminal.expect(r"STATUS (-?\d+)")
    assert terminal.match.group(1) == "130", terminal.before
    job = _job_of(tmp_path)
    assert job["status"] == "cancelled" and job["summary"]["failed"] == 0, job
    written = sorted(path.name for path in (out / "es").iterdir())
    assert len(written) == job["summary"]["succeeded"] and not [name for name in written if name.startswith(".")]


def test_a_reader_that_stops_reading_leaves_no_job_behind(tmp_path: Path) -> None:
    # Red team: `dragoman translate ... | head -1` exited 1 at once and left its job queued, with no one
    # to run it until a `dragoman serve` did, later. Now the job is followed to its end, unread.
    terminal, out = _translating_into_a_pipe(tmp_path, "head -1")
    terminal.expect(r"STATUS (-?\d+)")
    assert terminal.match.group(1) == "0", terminal.before
    job = _job_of(tmp_path)
    assert job["status"] == "succeeded" and job["summary"]["succeeded"] == 40, job
    assert len(list((out / "es").iterdir())) == 40


def test_output_that_cannot_be_written_changes_nothing(tmp_path: Path) -> None:
    # Red team 17: a full disk (/dev/full) or a terminal gone without a hang-up (EIO) gave a traceback
    # and exit 1, though the job succeeded.
    (tmp_path / "a.txt").write_text("I like dogs.\n")
    env = {**os.environ, "DRAGOMAN_DATA_DIR": str(tmp_path / "data"), "DRAGOMAN_ROOTS": str(tmp_path)}
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [DRAGOMAN, "translate", str(tmp_path / "a.txt"), "--to", "es", "--out", str(tmp_path / "out")],
            env=env,
            stdout=full,
            stderr=full,
            timeout=120,
        )
    assert done.returncode == 0
    assert (tmp_path / "out" / "es" / "a.txt").read_text() == "Me gustan los perros.\n"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DRAGOMAN_WARM_START", "maybe"),  # red team: taken as on
        ("DRAGOMAN_WARM_START_IDLE", "abc"),  # red team: silently 600 s
        ("DRAGOMAN_WARM_START_IDLE", "-5"),  # red team: silently 1 s
        ("DRAGOMAN_WARM_START_IDLE", "nan"),
    ],
)
def test_a_warm_start_setting_that_means_nothing_is_named_and_nothing_runs(
    tmp_path: Path, variable: str, value: str
) -> None:
    env = {**os.environ, variable: value, "DRAGOMAN_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run([DRAGOMAN, "jobs", "list"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: invalid configuration: {variable}: {value!r} ")
    assert "Traceback" not in done.stderr and not (tmp_path / "data").exists()


@pytest.mark.parametrize("value", ["on", "off", "OFF", "1", "0", ""])
def test_warm_start_on_and_off_in_their_usual_spellings_run(value: str) -> None:
    env = {**os.environ, "DRAGOMAN_WARM_START": value}
    done = subprocess.run([DRAGOMAN, "--version"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("dragoman "), done.stderr
