"""Warm start end to end: real `dragoman` commands, a real helper, real signals (`dragoman.warm`)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pexpect
import pytest

from dragoman.warm import enabled
from dragoman.warm.client import answering_helpers
from tests.conftest import end_helpers, write_documents
from tests.processes import DRAGOMAN, environment, per_thread


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A store, documents, and a runtime folder of this test's own: its own helper, ended after it."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "run").mkdir()
    yield environment(tmp_path / "data", [tmp_path / "docs"], XDG_RUNTIME_DIR=str(tmp_path / "run"))
    end_helpers(tmp_path / "run" / "dragoman")


def run(env: dict[str, str], *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([DRAGOMAN, *args], env={**env, **extra}, capture_output=True, text=True, timeout=120)


def helper_pid(env: dict[str, str], timeout: float = 60.0) -> int:
    """The pid of the helper once it takes commands (started by a first command if none runs)."""
    folder = Path(env["XDG_RUNTIME_DIR"]) / "dragoman"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answering = helpers(env)
        if answering:
            return next(iter(answering.values()))
        if not folder.exists():
            run(env, "languages")
        time.sleep(0.05)
    raise AssertionError("no helper took commands")


def children(pid: int) -> list[int]:
    return [int(child) for text in per_thread(pid, "children") for child in text.split()]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until(predicate, what: str, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached: {what}")
        time.sleep(0.02)


def translating(tmp_path: Path, env: dict[str, str], **options: Any) -> subprocess.Popen[str]:
    """`dragoman translate` of the folder docs/in into Spanish, started (with Popen's `options`),
    its output read by the caller."""
    return subprocess.Popen(
        [DRAGOMAN, "translate", str(tmp_path / "docs" / "in"), "--to", "es", "--out", str(tmp_path / "docs" / "out")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **options,
    )


def test_a_command_runs_in_a_child_of_the_helper_and_says_and_ends_as_it_would_alone(
    tmp_path: Path, env: dict[str, str]
) -> None:
    helper = helper_pid(env)
    write_documents(tmp_path / "docs" / "in", count=10)
    with translating(tmp_path, env) as command:
        wait_until(lambda: children(helper) or command.poll() is not None, "the helper forks the command's child")
        assert children(helper), "the command did not run in the helper"
        out, err = command.communicate(timeout=120)
    assert command.returncode == 0, out + err
    assert len(list((tmp_path / "docs" / "out" / "es").iterdir())) == 30
    # the same words and exit codes as a command run in its own process
    for args in (["languages", "--json"], ["jobs", "show", "nosuchjob"], ["translate", "x.txt", "--to", "es"]):
        warm, alone = run(env, *args), run(env, *args, DRAGOMAN_WARM_START="off")
        assert (warm.returncode, warm.stdout, warm.stderr) == (alone.returncode, alone.stdout, alone.stderr), args
    assert helper_pid(env) == helper  # the same helper served them all


def test_killing_the_command_ends_the_child_that_runs_it_and_its_processes(tmp_path: Path, env: dict[str, str]) -> None:
    helper = helper_pid(env)
    write_documents(tmp_path / "docs" / "in", count=30)
    command = subprocess.Popen(
        [DRAGOMAN, "translate", str(tmp_path / "docs" / "in"), "--to", "es", "--out", str(tmp_path / "docs" / "out")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until(lambda: children(helper) and children(children(helper)[0]), "the child starts its processes")
    (child,) = children(helper)
    its_processes = children(child)
    command.kill()  # kill -9: no chance to pass anything on
    command.wait()
    wait_until(lambda: not alive(child), "the child ends with its command", timeout=10)
    wait_until(lambda: not any(alive(pid) for pid in its_processes), "its pipelines and converters end", timeout=10)
    assert alive(helper)
    # And when its child was stopped (Ctrl-Z, then `kill -9 %1`): the helper ends the child itself
    command = subprocess.Popen(
        [DRAGOMAN, "translate", str(tmp_path / "docs" / "in"), "--to", "ca", "--out", str(tmp_path / "docs" / "out")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until(lambda: bool(children(helper)), "the second command's child starts")
    (child,) = children(helper)
    os.kill(child, signal.SIGSTOP)
    command.kill()
    command.wait()
    wait_until(lambda: not alive(child), "the stopped child ends with its command", timeout=10)


def test_a_child_killed_with_sigkill_ends_its_command_by_sigkill(tmp_path: Path, env: dict[str, str]) -> None:
    # Red team 2026-12-01: `kill -9` of the child made the command print a traceback (a handler
    # cannot be set for SIGKILL) and exit 1, which says "documents failed"
    helper = helper_pid(env)
    write_documents(tmp_path / "docs" / "in", count=30)
    with translating(tmp_path, env) as command:
        wait_until(lambda: children(helper) and children(children(helper)[0]), "the child starts its processes")
        (child,) = children(helper)
        os.kill(child, signal.SIGKILL)
        out, err = command.communicate(timeout=60)
    assert command.returncode == -signal.SIGKILL, (command.returncode, out, err)
    assert "Traceback" not in err, err


def test_ctrl_z_in_a_shell_stops_the_child_too_and_fg_resumes_it(tmp_path: Path, env: dict[str, str]) -> None:
    helper = helper_pid(env)
    write_documents(tmp_path / "docs" / "in", count=20)
    shell = pexpect.spawn(
        "bash", ["--norc", "--noprofile", "-i"], env={**env, "PS1": "$ "}, encoding="utf-8", timeout=120
    )
    shell.expect_exact("$ ")
    shell.sendline(f"{DRAGOMAN} translate {tmp_path / 'docs' / 'in'} --to es --out {tmp_path / 'docs' / 'out'}")
    shell.expect("document translation")
    (child,) = children(helper)
    shell.sendcontrol("z")  # the terminal's SIGTSTP, to the job's process group
    shell.expect("Stopped")
    # stopped with its command (a moment later: every thread stops), not translating behind the prompt
    wait_until(lambda: state(child) == "T", "the child stops", timeout=5)
    time.sleep(0.5)
    assert state(child) == "T"
    shell.sendline("fg")
    shell.expect("characters billed")
    shell.expect_exact("$ ")
    shell.sendline("echo rc=$?")
    shell.expect(r"rc=(\d+)")
    assert shell.match.group(1) == "0"
    shell.sendline("exit")
    shell.expect(pexpect.EOF)
    assert len(list((tmp_path / "docs" / "out" / "es").iterdir())) == 60


def state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def test_a_helper_whose_code_changed_hands_over_to_a_new_one(tmp_path: Path, env: dict[str, str]) -> None:
    # The changed file is a module of this test's own that every Python of its environment loads
    # (`sitecustomize`, on its PYTHONPATH), not one of Dragoman's: changing one of those retired the
    # helpers of the tests running beside this one, which then failed for want of theirs.
    site = tmp_path / "site"
    site.mkdir()
    module = site / "sitecustomize.py"
    module.write_text("# loaded at start by every Python of this test's environment\n")
    env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))}
    old = helper_pid(env)
    (tmp_path / "docs" / "a.txt").write_text("The cat is black.\n")
    before = module.stat()
    os.utime(module, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))  # as an upgrade does
    docs = tmp_path / "docs"
    done = run(env, "translate", str(docs / "a.txt"), "--to", "es", "--out", str(docs / "o"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "docs" / "o" / "es" / "a.txt").read_text() == "El gato es negro.\n"
    wait_until(lambda: not alive(old), "the old helper ends", timeout=20)
    assert helper_pid(env) != old  # the command started a new one


def test_an_idle_helper_ends_and_off_starts_none(tmp_path: Path, env: dict[str, str]) -> None:
    idle = {**env, "DRAGOMAN_WARM_START_IDLE": "1"}
    helper = helper_pid(idle)
    wait_until(lambda: not alive(helper), "an idle helper ends", timeout=20)
    assert not list((tmp_path / "run" / "dragoman").glob("*.sock"))
    assert run(env, "languages", DRAGOMAN_WARM_START="off").returncode == 0
    time.sleep(1)
    assert not list((tmp_path / "run" / "dragoman").glob("*.sock"))


def test_commands_at_once_each_get_a_child_of_their_own(tmp_path: Path, env: dict[str, str]) -> None:
    helper_pid(env)
    (tmp_path / "docs" / "a.txt").write_text("I like dogs.\n")
    commands = [
        subprocess.Popen(
            [DRAGOMAN, "translate", str(tmp_path / "docs/a.txt"), "--to", "es", "--out", str(tmp_path / f"docs/o{n}")],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for n in range(4)
    ]
    for command in commands:
        out, _ = command.communicate(timeout=120)
        assert command.returncode == 0, out
    assert {(tmp_path / "docs" / f"o{n}" / "es" / "a.txt").read_text() for n in range(4)} == {"Me gustan los perros.\n"}


def test_serve_and_worker_always_run_in_their_own_process() -> None:
    assert not enabled(["serve", "--port", "8080"]) and not enabled(["worker"])
    assert enabled(["translate", "a.txt", "--to", "es"]) and enabled(["jobs", "list"])


def helpers(env: dict[str, str]) -> dict[str, int]:
    """Socket name -> pid of each helper that takes commands now."""
    return answering_helpers(str(Path(env["XDG_RUNTIME_DIR"]) / "dragoman"))


def test_the_helper_keeps_nothing_the_first_command_had_open(tmp_path: Path, env: dict[str, str]) -> None:
    # Red team 19: `flock -n lock dragoman ...` left the lock held by the helper for 10 minutes, and
    # `{ dragoman languages 3>&1 >/dev/null; } | cat` waited as long for the end of its pipe.
    reader, writer = os.pipe()
    started = time.monotonic()
    subprocess.run([DRAGOMAN, "languages"], env=env, stdout=subprocess.DEVNULL, pass_fds=[writer], timeout=60)
    os.close(writer)
    helper_pid(env)  # the command started a helper, which is running now
    assert os.read(reader, 1) == b""  # end of the pipe: no one else holds it
    assert time.monotonic() - started < 30
    os.close(reader)


def test_a_command_with_its_own_temp_folder_reads_and_writes_there(tmp_path: Path, env: dict[str, str]) -> None:
    # Red team 19: the helper's temp folder (one of the default storage roots) stood for every command's
    helper_pid(env)
    temp = tmp_path / "own-temp"
    temp.mkdir()
    (temp / "a.txt").write_text("The dog is big.\n")
    defaults = {name: value for name, value in env.items() if name != "DRAGOMAN_ROOTS"}
    done = run(defaults, "translate", str(temp / "a.txt"), "--to", "es", "--out", str(temp / "out"), TMPDIR=str(temp))
    assert done.returncode == 0, done.stderr
    assert (temp / "out" / "es" / "a.txt").read_text() == "El perro es grande.\n"


def test_commands_started_with_other_privileges_or_priority_get_a_helper_of_their_own(
    tmp_path: Path, env: dict[str, str]
) -> None:
    # Red team 19: a command run with capabilities dropped and no_new_privs (`setpriv`), or without
    # network (`unshare -n`), ran in a child of a helper that had them; a `nice` first command made
    # every later one run cold.
    normal = helper_pid(env)
    for prefix in (["setpriv", "--no-new-privs", "--"], ["nice", "-n", "5"]):
        for _ in range(2):
            done = subprocess.run([*prefix, DRAGOMAN, "languages"], env=env, capture_output=True, timeout=60)
            assert done.returncode == 0, done.stderr
            time.sleep(1)
        wait_until(lambda: len(helpers(env)) >= 2, "a second helper", timeout=30)
    by_pid = set(helpers(env).values())
    assert normal in by_pid and len(by_pid) == 3
    status = {pid: Path(f"/proc/{pid}/status").read_text() for pid in by_pid}
    assert sum("NoNewPrivs:\t1" in text for text in status.values()) == 1
    assert sorted(os.getpriority(os.PRIO_PROCESS, pid) for pid in by_pid) == sorted(
        [os.getpriority(os.PRIO_PROCESS, 0)] * 2 + [os.getpriority(os.PRIO_PROCESS, 0) + 5]
    )


def test_a_helper_that_does_not_answer_costs_a_command_little(tmp_path: Path, env: dict[str, str]) -> None:
    # Red team 19: a stopped helper cost each command 5 s, and once its backlog was full, forever
    helper = helper_pid(env)
    os.kill(helper, signal.SIGSTOP)
    try:
        started = time.monotonic()
        assert run(env, "languages").returncode == 0
        assert time.monotonic() - started < 10
    finally:
        os.kill(helper, signal.SIGCONT)


def test_a_helper_whose_socket_folder_is_removed_ends(tmp_path: Path, env: dict[str, str]) -> None:
    # Red team 19: after `rm -rf $XDG_RUNTIME_DIR/dragoman` the old helper stayed, beside a new one
    helper = helper_pid(env)
    for path in (tmp_path / "run" / "dragoman").iterdir():
        path.unlink()
    (tmp_path / "run" / "dragoman").rmdir()
    wait_until(lambda: not alive(helper), "the helper ends", timeout=20)


def spare_of(helper: int, env: dict[str, str]) -> tuple[int, set[int]] | None:
    """The helper's spare child and its pipelines' stages once all are started, while no command
    runs: the one child with processes of its own, as many as the pipelines noted for the spares
    (the `.pipelines` file beside the helper's socket) have stages."""
    expected = -1
    for noted in (Path(env["XDG_RUNTIME_DIR"]) / "dragoman").glob("*.pipelines"):
        with contextlib.suppress(OSError, ValueError):
            expected = sum(len(recipe["stages"]) for recipe in json.loads(noted.read_text()))
    for child in children(helper):
        with contextlib.suppress(OSError):
            stages = set(children(child))
            if stages and len(stages) == expected:
                return child, stages
    return None


def spare_after_a_translation(
    tmp_path: Path, env: dict[str, str], documents: int = 1, **extra: str
) -> tuple[int, int, set[int]]:
    """`documents` English texts in docs/in (0a.txt, 1a.txt, ...), the first translated through the
    helper (with the `extra` environment): (the helper, the spare it then starts, its pipeline's stages)."""
    docs = tmp_path / "docs"
    helper = helper_pid(env)
    (docs / "in").mkdir(parents=True, exist_ok=True)
    for number in range(documents):
        (docs / "in" / f"{number}a.txt").write_text("The cat is black.\n\n" * 40)
    first = run(env, "translate", str(docs / "in" / "0a.txt"), "--to", "es", "--out", str(docs / "first"), **extra)
    assert first.returncode == 0, first.stderr
    wait_until(lambda: spare_of(helper, env) is not None, "a spare child starts the pipeline the translation used")
    spare, stages = spare_of(helper, env)  # type: ignore[misc]
    return helper, spare, stages


def translated_by(tmp_path: Path, env: dict[str, str], spare: int) -> set[int]:
    """Run `translating` to its successful end: every process the spare had meanwhile."""
    seen: set[int] = set()
    with translating(tmp_path, env) as command:
        while command.poll() is None:
            with contextlib.suppress(OSError):
                seen |= set(children(spare))
            time.sleep(0.001)
        out, err = command.communicate()
    assert command.returncode == 0, out + err
    return seen


def test_after_a_translation_a_spare_child_waits_with_its_pipeline_started_for_the_next(
    tmp_path: Path, env: dict[str, str]
) -> None:
    docs = tmp_path / "docs"
    helper, spare, stages = spare_after_a_translation(tmp_path, env)
    # A command that runs no documents gets a child of its own: the spare and its pipeline stay.
    assert run(env, "jobs", "list").returncode == 0
    assert spare_of(helper, env) == (spare, stages)
    # The next translation runs in the spare, on the pipeline started ahead: no stage is started.
    seen = translated_by(tmp_path, env, spare)
    assert "gato" in (docs / "out" / "es" / "0a.txt").read_text()
    assert seen and seen <= stages
    wait_until(lambda: not alive(spare), "the spare ends with its command")
    wait_until(lambda: not any(alive(pid) for pid in stages), "and its pipeline with it", timeout=10)
    wait_until(lambda: (spare_of(helper, env) or (spare,))[0] != spare, "a new spare for the next")
    new_spare, new_stages = spare_of(helper, env)  # type: ignore[misc]
    os.kill(helper, signal.SIGTERM)  # the helper retires: no command will take the spare
    for pid in (helper, new_spare, *new_stages):
        wait_until(lambda pid=pid: not alive(pid), f"{pid} ends with the helper", timeout=10)  # type: ignore[misc]


def test_a_spare_ends_with_its_command_or_its_helper_killed_with_sigkill(tmp_path: Path, env: dict[str, str]) -> None:
    docs = tmp_path / "docs"
    helper, spare, stages = spare_after_a_translation(tmp_path, env, documents=40)
    with translating(tmp_path, env) as command:  # runs in the spare
        wait_until(lambda: any((docs / "out").rglob("*.txt")), "the command translates")
        command.kill()  # kill -9: the command's child, the spare, ends, and its pipeline
        command.wait()
    for pid in (spare, *stages):
        wait_until(lambda pid=pid: not alive(pid), f"{pid} ends with the command", timeout=10)  # type: ignore[misc]
    wait_until(lambda: spare_of(helper, env) is not None, "a new spare")
    spare, stages = spare_of(helper, env)  # type: ignore[misc]
    os.kill(helper, signal.SIGKILL)  # the helper dies: its spare, waiting for a command, ends, and its pipeline
    for pid in (spare, *stages):
        wait_until(lambda pid=pid: not alive(pid), f"{pid} ends with the helper", timeout=10)  # type: ignore[misc]


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs to tell affinities apart")
def test_a_command_run_in_a_spare_gives_its_cpu_affinity_to_the_processes_it_starts(
    tmp_path: Path, env: dict[str, str]
) -> None:
    # Red team 2026-12-01: `taskset -c 0 dragoman translate` run in a spare started its own pipeline
    # (the spare's was started with every CPU) from the spare's process-starting thread, which still
    # had the helper's affinity: the stages ran on every CPU.
    _helper, spare, ahead = spare_after_a_translation(tmp_path, env, documents=30)
    cpu = min(os.sched_getaffinity(0))
    affinities: dict[int, str] = {}
    # as `taskset -c` starts it
    with translating(tmp_path, env, preexec_fn=lambda: os.sched_setaffinity(0, {cpu})) as command:
        while command.poll() is None:
            with contextlib.suppress(OSError):
                for pid in set(children(spare)) - ahead:
                    status = Path(f"/proc/{pid}/status").read_text()
                    affinities[pid] = status.split("Cpus_allowed_list:")[1].split()[0]
            time.sleep(0.005)
        out, err = command.communicate()
    assert command.returncode == 0, out + err
    assert affinities and set(affinities.values()) == {str(cpu)}, affinities


def test_a_stopped_spare_is_not_given_a_command(tmp_path: Path, env: dict[str, str]) -> None:
    # Red team 2026-12-01: with its spare stopped (SIGSTOP), the next translate waited 2 s for the
    # spare to answer, then ran in its own process. It now gets a child forked for it at once.
    helper, spare, stages = spare_after_a_translation(tmp_path, env)
    os.kill(spare, signal.SIGSTOP)
    forked: set[int] = set()
    with translating(tmp_path, env) as command:
        while command.poll() is None:
            with contextlib.suppress(OSError):
                forked |= set(children(helper)) - {spare}
                # the `dragoman` script finds its Python with `$(readlink ...)`: a subshell, then readlink
                started_here = {Path(f"/proc/{pid}/comm").read_text().strip() for pid in children(command.pid)}
                assert started_here <= {"sh", "readlink"}, f"the command runs in its own process: {started_here}"
            time.sleep(0.002)
        out, err = command.communicate(timeout=120)
    assert command.returncode == 0, out + err
    assert forked, "the command did not run in a child of the helper"
    for pid in (spare, *stages):  # killed, as no command will take it
        wait_until(lambda pid=pid: not alive(pid), f"{pid} ends", timeout=10)  # type: ignore[misc]


def test_the_spare_starts_its_pipeline_in_the_last_translations_environment(
    tmp_path: Path, env: dict[str, str]
) -> None:
    # Red team 2026-12-01: the spare started its pipeline in the helper's own environment, that of
    # the command that started the helper. After a `cd` (PWD), or from a shell started by a script
    # (SHLVL), no later command could take it until the helper ended.
    helper = helper_pid(env)  # started by a command without the variable below
    _helper, spare, stages = spare_after_a_translation(tmp_path, env, FROM_A_SCRIPT="1")
    assert helper == _helper
    seen = translated_by(tmp_path, {**env, "FROM_A_SCRIPT": "1"}, spare)
    assert seen and seen <= stages  # its pipeline, started ahead in that environment, translated
