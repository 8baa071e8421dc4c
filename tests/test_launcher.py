"""The `dragoman` command as installed (scripts/dragoman, then dragoman.launcher): which Python it
runs, what it imports, and what it does with Ctrl-C and closed streams before any command runs."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

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
