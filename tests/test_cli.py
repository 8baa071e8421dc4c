"""The `dragoman` command, run as a user would: a real process, real files, real signals."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pexpect
import pytest

from dragoman.config import Settings
from dragoman.service import Dragoman
from tests.conftest import ENGLISH_PARAGRAPHS, write_documents
from tests.hostile import odt, pptx
from tests.processes import DRAGOMAN, children, environment

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
    assert process.returncode == 130, stderr  # cancelled by its own Ctrl-C: a script must not go on
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
    # cancelled by this Ctrl-C (130), or the cancel lost the race (0); never 1: nothing failed
    assert terminal.exitstatus in (0, 130), terminal.before
    headline = run(env, "jobs", "show", job_id).stdout.splitlines()[0]  # job ID: STATUS · counts
    assert f"job {job_id}: cancelled" in headline or f"job {job_id}: succeeded" in headline, headline
    assert " 0 failed," in headline and " 0 running, 0 waiting" in headline, headline


def mixed_documents(folder: Path, count: int) -> None:
    """`count` documents of each format the CLI takes: txt, html, docx (write_documents), pptx, odt."""
    write_documents(folder, count=count, paragraphs=6)
    for number in range(count):
        sentence = " ".join(ENGLISH_PARAGRAPHS[(number + k) % len(ENGLISH_PARAGRAPHS)] for k in range(6))
        (folder / f"slides{number}.pptx").write_bytes(pptx(sentence))
        (folder / f"letter{number}.odt").write_bytes(odt(sentence))


def descendants(pid: int) -> list[int]:
    found = list(children(pid))
    for child in list(found):
        found += descendants(child)
    return found


def group_of(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:  # ended meanwhile
        return None


def check_job_invariants(data_dir: Path, roots: list[Path], job_id: str, out: Path) -> list[str]:
    """DESIGN §1 after a job ended: no task failed or left running; exactly the succeeded tasks' outputs
    are on disk, whole (no part files); billing is the succeeded tasks' characters. Returns statuses."""
    with Dragoman.from_settings(Settings(data_dir=data_dir, roots=roots)) as service:
        view = service.get(job_id)
        tasks = service.tasks(job_id)
    statuses = [task.status.value for task in tasks]
    assert view.is_terminal and set(statuses) <= {"succeeded", "cancelled"}, [
        (task.source_url, task.status, task.error) for task in tasks if task.status.value != "succeeded"
    ]
    written = {path for path in out.rglob("*") if path.is_file()}
    succeeded = {Path(unquote(urlsplit(task.target_url).path)) for task in tasks if task.status.value == "succeeded"}
    assert written == succeeded
    assert view.summary.characters_charged == sum(task.billed_characters for task in tasks)
    return statuses


def test_ctrl_c_at_random_moments_in_a_terminal_cancels_and_never_fails_a_document(
    tmp_path: Path, env: dict[str, str]
) -> None:
    # Reproduction (2026 red team, tmux): Ctrl-C reaches the terminal's whole foreground process group;
    # Transfuse's converters died of it and 8 of 12 runs over .docx files recorded documents as failed
    # ("could not be read: exit code -2") instead of cancelled, and the command exited 0.
    docs = tmp_path / "docs" / "mixed"
    mixed_documents(docs, count=4)
    chance = random.Random(20261130)
    outcomes: list[int] = []
    for attempt in range(6):
        out = tmp_path / "docs" / f"out{attempt}"
        terminal = pexpect.spawn(
            DRAGOMAN,
            ["translate", str(docs), "--to", "es", "--to", "ca", "--out", str(out)],
            env={**env, "COLUMNS": "120"},
            encoding="utf-8",
            codec_errors="replace",
            timeout=180,
        )
        terminal.expect(r"job (?:\x1b\[[0-9;]*m)*([0-9a-f-]{36})")
        job_id = terminal.match.group(1)
        moment = time.monotonic() + chance.uniform(0.0, 2.5)
        while time.monotonic() < moment:  # no child (converter, pipeline stage) in the terminal's group
            assert not [pid for pid in descendants(terminal.pid) if group_of(pid) == terminal.pid]
            time.sleep(0.02)
        terminal.sendintr()  # the terminal's Ctrl-C: SIGINT to the whole foreground process group
        terminal.expect(pexpect.EOF)
        terminal.wait()  # its exit status (close() would signal a process still exiting)
        assert "Traceback" not in terminal.before, terminal.before
        statuses = check_job_invariants(tmp_path / "data", [tmp_path / "docs"], job_id, out)
        cancelled = "cancelled" in statuses
        assert terminal.exitstatus == (130 if cancelled else 0), (terminal.signalstatus, statuses)
        outcomes.append(terminal.exitstatus)
    assert 130 in outcomes  # the seed makes some presses land while documents were still running


def test_ctrl_c_in_the_first_moment_creates_no_job_and_exits_130(tmp_path: Path, env: dict[str, str]) -> None:
    write_documents(tmp_path / "docs" / "few", count=1)
    terminal = pexpect.spawn(
        DRAGOMAN,
        ["translate", str(tmp_path / "docs" / "few"), "--to", "es", "--out", str(tmp_path / "docs" / "out")],
        env={**env, "COLUMNS": "120"},
        encoding="utf-8",
        timeout=60,
    )
    time.sleep(0.05)  # still importing: before any job can exist
    terminal.sendintr()
    terminal.expect(pexpect.EOF)
    terminal.close()
    assert terminal.exitstatus == 130, terminal.before
    assert "Traceback" not in terminal.before and len(terminal.before.strip().splitlines()) == 1, terminal.before
    listed = run(env, "jobs", "list", "--json")
    assert listed.returncode == 0 and json.loads(listed.stdout) == [], listed.stdout
    assert not (tmp_path / "docs" / "out").exists()
