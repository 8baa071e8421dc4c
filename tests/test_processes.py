"""Bounded child processes, with real programs: session, death with the parent (threads included),
abort and deadline reaching the whole process group, resource limits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from dragoman import processes
from dragoman.abort import Aborted


def state(pid: int) -> str | None:
    """The process's state letter, or None once it is gone (a zombie nobody reaps counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    letter = stat[stat.rindex(")") + 2]
    return None if letter in "ZX" else letter


def wait_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while state(pid) is not None:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid and state(int(entry.name)) is not None:
                    members.append(int(entry.name))
            except ProcessLookupError:
                continue
    return members


def group_emptied(pgid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while group_members(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_a_child_has_its_own_session_so_a_terminal_signal_never_reaches_it() -> None:
    child = processes.start(["sleep", "30"])
    try:
        assert os.getsid(child.pid) == child.pid != os.getsid(0)
        assert os.getpgid(child.pid) == child.pid != os.getpgid(0)
        os.killpg(os.getpgid(0), 0)  # our own group exists; a Ctrl-C to it would not include the child
    finally:
        processes.kill(child)
    assert state(child.pid) is None


SIGNALLED_GROUP = """
import os, signal, threading, time
from dragoman import processes
signal.signal(signal.SIGINT, lambda signum, frame: None)  # as the CLI counts Ctrl-C presses
ended = []
def start_children():
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        ended.append(processes.wait(processes.start(["true"])).signal)
thread = threading.Thread(target=start_children)
thread.start()
while thread.is_alive():
    os.killpg(0, signal.SIGINT)  # the terminal's Ctrl-C: to the whole foreground process group
    time.sleep(0.0005)
print(len(ended), sum(1 for sig in ended if sig is not None))
"""


def test_a_terminal_signal_sent_while_a_child_is_being_started_never_reaches_it() -> None:
    # Reproduction: a child is in its parent's process group from fork until it makes its own
    # session; a Ctrl-C in that window killed it (a converter "killed by SIGINT": a failed document).
    result = subprocess.run(
        [sys.executable, "-c", SIGNALLED_GROUP], capture_output=True, text=True, timeout=60, start_new_session=True
    )
    started, signalled = map(int, result.stdout.split())
    assert started > 50, result.stderr
    assert signalled == 0, f"{signalled} of {started} children were killed by the group's signal"


def test_a_child_outlives_the_short_lived_thread_that_asked_for_it() -> None:
    # PR_SET_PDEATHSIG fires when the *thread* that forked the child ends: workers and request threads
    # come and go, so children are forked by the module's own long-lived thread.
    started: list[subprocess.Popen[bytes]] = []
    thread = threading.Thread(target=lambda: started.append(processes.start(["sleep", "30"])))
    thread.start()
    thread.join()
    time.sleep(0.3)  # a SIGKILL from the thread's end would have landed by now
    child = started[0]
    try:
        assert child.poll() is None, "the child died with the thread that asked for it"
    finally:
        processes.kill(child)


HELPER = """
import sys, threading
from dragoman import processes
def start():
    print(processes.start(["sleep", "60"]).pid, flush=True)
thread = threading.Thread(target=start)
thread.start()
thread.join()
sys.stdin.read()
"""


def test_children_die_with_dragoman_even_when_it_is_killed_outright() -> None:
    with subprocess.Popen(
        [sys.executable, "-c", HELPER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True
    ) as parent:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert state(child) is not None
        parent.send_signal(signal.SIGKILL)
    assert wait_gone(child), "the child outlived its killed parent"


def test_an_abort_kills_the_whole_process_group_and_reaps_it() -> None:
    child = processes.start(["sh", "-c", "sleep 60 & sleep 60; wait"])
    time.sleep(0.2)
    assert len(group_members(child.pid)) == 3  # the shell and its two sleeps
    calls = 0

    def abort_on_third_ask() -> bool:
        nonlocal calls
        calls += 1
        return calls >= 3

    with pytest.raises(Aborted):
        processes.wait(child, should_abort=abort_on_third_ask)
    assert calls == 3
    assert child.returncode == -signal.SIGKILL
    assert group_emptied(child.pid)  # the other members were sent SIGKILL with it; they end in a moment


def test_a_deadline_kills_the_child_and_says_so() -> None:
    child = processes.start(["sleep", "60"])
    ended = processes.wait(child, seconds=0.2)
    assert ended.timed_out and ended.signal is signal.SIGKILL
    assert state(child.pid) is None


def test_what_a_finished_child_left_in_its_group_goes_with_it() -> None:
    child = processes.start(["sh", "-c", "sleep 60 & echo started"], stdout=subprocess.DEVNULL)
    ended = processes.wait(child, seconds=10)
    assert ended == processes.Exit(0)
    assert group_emptied(child.pid)


def test_cpu_time_is_limited() -> None:
    child = processes.start(["sh", "-c", "while :; do :; done"], bounds=processes.Bounds(cpu_seconds=1))
    ended = processes.wait(child, seconds=30)
    assert not ended.timed_out
    assert ended.signal is signal.SIGXCPU


def test_memory_is_limited() -> None:
    allocate = [sys.executable, "-c", "bytearray(1024 * 1024 * 1024)"]
    child = processes.start(allocate, bounds=processes.Bounds(memory_bytes=256 * 1024 * 1024), stderr=subprocess.PIPE)
    assert child.stderr is not None
    with child.stderr:
        errors = child.stderr.read()
    assert processes.wait(child, seconds=30).returncode == 1
    assert b"MemoryError" in errors


def test_a_missing_program_is_reported_as_not_installed() -> None:
    with pytest.raises(FileNotFoundError, match="not installed"):
        processes.start(["dragoman-no-such-program"])


def test_a_process_whose_program_file_was_replaced_is_told_apart(tmp_path: Path) -> None:
    # An upgrade replaces a program's file (a new inode under the same name): a process started
    # before still runs the old one, and a pipeline started ahead with it must not be used.
    program = tmp_path / "sleep"
    program.write_bytes(Path("/bin/sleep").read_bytes())
    program.chmod(0o755)
    child = processes.start([str(program), "30"])
    try:
        deadline = time.monotonic() + 10
        while os.readlink(f"/proc/{child.pid}/exe") != str(program) and time.monotonic() < deadline:
            time.sleep(0.01)  # its bounding wrappers exec it
        assert not processes.runs_replaced_files(child.pid)
        before = processes.circumstances([[str(program), "30"]])
        replacement = tmp_path / "sleep.new"
        replacement.write_bytes(program.read_bytes())
        replacement.chmod(0o755)
        replacement.replace(program)
        assert processes.runs_replaced_files(child.pid)
        assert processes.circumstances([[str(program), "30"]]) != before  # the file named differs too
    finally:
        processes.kill(child)
    assert processes.runs_replaced_files(child.pid)  # gone: nothing to take either


def test_children_run_as_batch_work_and_dragoman_itself_does_not() -> None:
    child = processes.start(["sleep", "30"])
    try:
        assert os.sched_getscheduler(child.pid) == os.SCHED_BATCH
        assert os.sched_getparam(child.pid).sched_priority == 0
    finally:
        processes.kill(child)
    assert os.sched_getscheduler(0) == os.SCHED_OTHER  # the calling thread is left as it was


POLICY = """
import os
from dragoman import processes
child = processes.start(["sleep", "30"])
print(os.sched_getscheduler(child.pid), flush=True)
processes.kill(child)
"""


def test_a_policy_the_operator_chose_is_passed_on_unchanged() -> None:
    # `chrt --idle 0 dragoman serve`: its children must not be raised to batch, above idle
    ran = subprocess.run(
        ["chrt", "--idle", "0", sys.executable, "-c", POLICY], capture_output=True, text=True, timeout=60, check=True
    )
    assert int(ran.stdout) == os.SCHED_IDLE, ran.stderr
