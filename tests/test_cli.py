"""The `dragoman` command, run as a user would: a real process, real files, real signals."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pexpect
import pytest

from tests.conftest import ENGLISH_PARAGRAPHS, write_documents
from tests.processes import DRAGOMAN, environment

pytestmark = pytest.mark.slow


def run(env: dict[str, str], *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DRAGOMAN, *args], env={**env, "COLUMNS": "200"}, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "docs").mkdir()
    return environment(tmp_path / "data", [tmp_path / "docs"])


def test_translate_a_folder_then_list_show_and_cancel(tmp_path: Path, env: dict[str, str]) -> None:
    docs = tmp_path / "docs"
    write_documents(docs / "en", count=1)
    result = run(env, "translate", str(docs / "en"), "--to", "es", "--to", "ca", "--out", str(docs / "out"))
    assert result.returncode == 0, result.stderr + result.stdout
    assert "succeeded" in result.stdout and "characters billed" in result.stdout
    assert "negro" in (docs / "out" / "es" / "doc0.txt").read_text()
    assert (docs / "out" / "ca" / "report0.docx").exists()
    job_id = result.stdout.split()[1].rstrip(":")

    listed = run(env, "jobs", "list")
    assert job_id in listed.stdout and "succeeded" in listed.stdout
    shown = run(env, "jobs", "show", job_id)
    assert shown.returncode == 0 and shown.stdout.count("succeeded") >= 6
    refused = run(env, "jobs", "cancel", job_id)
    assert refused.returncode == 4 and "can no longer be cancelled" in refused.stderr
    missing = run(env, "jobs", "show", "nope")
    assert missing.returncode == 3 and "not found" in missing.stderr


def test_languages_lists_installed_pairs(env: dict[str, str]) -> None:
    result = run(env, "languages")
    assert result.returncode == 0
    assert "en -> es" in result.stdout and "en -> ca" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["translate", "/etc/hostname", "--to", "es", "--out", "{docs}/out"], "outside the allowed storage roots"),
        (["translate", "{docs}/missing.txt", "--to", "es", "--out", "{docs}/out"], "does not exist"),
        (["translate", "{docs}/a.txt", "--to", "xx", "--out", "{docs}/out"], "no installed engine"),
    ],
)
def test_bad_input_is_a_clear_error(tmp_path: Path, env: dict[str, str], args: list[str], message: str) -> None:
    (tmp_path / "docs" / "a.txt").write_text("I like dogs.")
    result = run(env, *[arg.format(docs=tmp_path / "docs") for arg in args])
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_from_auto_detects_each_document_and_a_wrong_from_fails_its_document(
    tmp_path: Path, env: dict[str, str]
) -> None:
    docs = tmp_path / "docs"
    (docs / "mixed").mkdir()
    (docs / "mixed" / "english.txt").write_text("The house is red and the garden behind it is very big.\n")
    (docs / "mixed" / "spanish.txt").write_text("El gato es negro. Me gustan los perros.\n")
    # --from auto: each document's language is detected; the Spanish one is already in the target
    auto = run(env, "translate", str(docs / "mixed"), "--from", "auto", "--to", "es", "--out", str(docs / "auto"))
    assert auto.returncode == 0, auto.stderr + auto.stdout
    assert (docs / "auto" / "es" / "english.txt").read_text().startswith("La casa es roja")
    assert (docs / "auto" / "es" / "spanish.txt").read_bytes() == (docs / "mixed" / "spanish.txt").read_bytes()
    english_characters = len("The house is red and the garden behind it is very big.")
    assert f"characters billed │ {english_characters}" in auto.stdout  # the unchanged Spanish one is free
    # --from ca on English text: that document fails with a clear code instead of billing nonsense
    wrong = run(
        env, "translate", str(docs / "mixed" / "english.txt"), "--from", "ca", "--to", "es", "--out", str(docs / "ca")
    )
    assert wrong.returncode == 1, wrong.stderr + wrong.stdout
    assert "SourceLanguageMismatch" in wrong.stdout and "'en'" in wrong.stdout
    assert "characters billed │ 0" in wrong.stdout and not (docs / "ca" / "es" / "english.txt").exists()


def test_bad_configuration_is_a_clear_error(env: dict[str, str]) -> None:
    result = run({**env, "DRAGOMAN_WORKERS": "many"}, "jobs", "list")
    assert result.returncode == 1
    assert "workers" in result.stderr and "Traceback" not in result.stderr


def translating_many(tmp_path: Path, env: dict[str, str], documents: int) -> tuple[subprocess.Popen[str], Path]:
    """`dragoman translate` of many documents, running, with its first output written."""
    docs = tmp_path / "docs" / "many"
    docs.mkdir()
    for number in range(documents):
        (docs / f"d{number:02}.txt").write_text("\n\n".join(ENGLISH_PARAGRAPHS * 20) + "\n")
    process = subprocess.Popen(
        [DRAGOMAN, "translate", str(docs), "--to", "es", "--out", str(tmp_path / "docs" / "out")],
        env={**env, "COLUMNS": "200"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out_dir = tmp_path / "docs" / "out" / "es"
    deadline = time.monotonic() + 60
    while not (out_dir.exists() and any(out_dir.iterdir())) and time.monotonic() < deadline:
        time.sleep(0.05)
    return process, out_dir


def test_ctrl_c_cancels_the_job_and_prints_the_summary(tmp_path: Path, env: dict[str, str]) -> None:
    process, out_dir = translating_many(tmp_path, env, documents=60)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert "cancelling" in stdout
    assert "cancelled" in stdout and "took effect" in stdout
    written = len([p for p in out_dir.iterdir() if not p.name.startswith(".")])
    assert 0 < written < 60
    assert not [p for p in out_dir.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("gap", [0.0, 0.02])
def test_a_second_ctrl_c_stops_waiting_without_a_traceback(tmp_path: Path, env: dict[str, str], gap: float) -> None:
    process, out_dir = translating_many(tmp_path, env, documents=40)
    process.send_signal(signal.SIGINT)
    time.sleep(gap)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert "Traceback" not in stderr and "Traceback" not in stdout, stderr
    # Whichever the second Ctrl-C caught, the job's cancel stands and nothing is half-written.
    assert process.returncode in (0, 130), stderr
    assert "cancelling" in stdout  # however quick the second press, the first one's cancel was sent whole
    assert not [p for p in out_dir.iterdir() if p.name.startswith(".")]
    shown = run(env, "jobs", "list")
    assert "cancel" in shown.stdout


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.2])
def test_ctrl_c_at_a_terminal_right_after_the_job_is_created_cancels_it(
    tmp_path: Path, env: dict[str, str], delay: float
) -> None:
    # Reproduction (2026 red team, tmux): Ctrl-C as soon as "job ...: N document translation(s)"
    # appeared landed before the cancel handler was installed: the command exited 130 saying a
    # cancel would be honoured, but none was sent, and the job was left queued for anyone to run.
    docs = tmp_path / "docs" / "twenty"
    write_documents(docs, count=20)
    terminal = pexpect.spawn(
        DRAGOMAN,
        ["translate", str(docs), "--to", "es", "--to", "ca", "--out", str(tmp_path / "docs" / "out")],
        env={**env, "COLUMNS": "200"},
        encoding="utf-8",
        timeout=120,
    )
    terminal.expect(r"job (?:\x1b\[[0-9;]*m)*([0-9a-f-]{36})")  # the id may be in bold
    job_id = terminal.match.group(1)
    time.sleep(delay)
    terminal.sendintr()  # the terminal's own Ctrl-C: SIGINT to the whole foreground process group
    terminal.expect(pexpect.EOF)
    terminal.close()
    assert "Traceback" not in terminal.before
    assert terminal.exitstatus in (0, 1), terminal.before  # a cancel took effect (or lost the race): not 130
    headline = run(env, "jobs", "show", job_id).stdout.splitlines()[0]  # job ID: STATUS · counts
    assert f"job {job_id}: cancelled" in headline or f"job {job_id}: succeeded" in headline, headline
    assert " 0 failed," in headline and " 0 running, 0 waiting" in headline, headline
