"""Every child process Dragoman starts (document converters, engine pipeline stages) is started here,
one way, so that none can outlive or escape its owner:

- **Own session.** A child leads a new session (so a new process group, and no controlling
  terminal): a terminal's Ctrl-C, Ctrl-Z or hang-up reaches Dragoman, which decides what to stop;
  it never reaches the children directly, not even in the moment between fork and the new session
  (the spawner thread blocks those signals, and children inherit the mask).
- **Dies with Dragoman.** A child runs under `setpriv --pdeathsig KILL` (util-linux), so the kernel
  kills it when Dragoman dies, `kill -9` included. The kernel sends that signal when the *thread*
  that started the child ends, not the process, so every child is started from one long-lived
  thread of this module (the spawner), never from a worker or request thread that may come and go;
  and `start` returns only once the child has asked for that signal.
- **Bounded.** CPU seconds, address space and file size are set with `prlimit` (util-linux) before
  the program runs; core files are off.
- **Abortable at once.** `wait` asks `should_abort` every 10 ms and keeps a wall-clock deadline; on
  either it kills the child's whole process group and reaps it.
- **Batch work.** Children run under Linux's SCHED_BATCH policy (same nice value, same share of the
  CPU): a stage of an engine pipeline woken by the stage before it does not preempt it, so a
  pipeline of a dozen stages switches far less on a busy machine (2-4% less CPU for the same 1 MB
  of text on two cores; `bench/cli.py`'s 1 MB job went from 0.88 to 0.91 of raw `apertium`), and
  Dragoman's own threads (requests, cancels, bookkeeping) still preempt them at once. A Dragoman
  started under another policy by its operator (`chrt --idle`, real time) passes that policy on
  unchanged.

Without `setpriv` or `prlimit` (not Linux, or util-linux missing) children still get their own
session, their wall-clock deadline and abort; a warning says what is missing.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import math
import os
import select
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from queue import SimpleQueue
from typing import IO, Any

from dragoman.abort import AbortCheck, Aborted, never_abort

__all__ = [
    "Bounds",
    "Exit",
    "circumstances",
    "find_tools",
    "kill",
    "kill_group",
    "pid_alive",
    "runs_replaced_files",
    "start",
    "wait",
]

log = logging.getLogger("dragoman.processes")

POLL_SECONDS = 0.01  # how often a waiting caller asks whether to abort
_ARMING_SECONDS = 2.0  # at most this long for a child to arm its death signal

_Stream = int | IO[Any] | None


@dataclass(frozen=True, slots=True)
class Bounds:
    """Resource limits of one child. None leaves a limit as inherited."""

    cpu_seconds: float | None = None  # SIGXCPU at this many CPU seconds, SIGKILL one second later
    memory_bytes: int | None = None  # address space (RLIMIT_AS): allocations beyond it fail
    file_bytes: int | None = None  # largest file it may write (RLIMIT_FSIZE): SIGXFSZ beyond it


@dataclass(frozen=True, slots=True)
class Exit:
    """How a waited-for child ended: its exit status (minus the signal number if a signal ended it),
    and whether it was killed because its wall-clock time ran out."""

    returncode: int
    timed_out: bool = False

    @property
    def signal(self) -> signal.Signals | None:
        """The signal that ended the child, if one did."""
        if self.returncode >= 0:
            return None
        try:
            return signal.Signals(-self.returncode)
        except ValueError:
            return None


def start(
    argv: Sequence[str],
    *,
    bounds: Bounds = Bounds(),
    stdin: _Stream = None,
    stdout: _Stream = None,
    stderr: _Stream = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start `argv` as a child in its own session, killed if Dragoman dies, within `bounds`.

    Raises FileNotFoundError if the program is not installed, OSError if it cannot be started.
    """
    program = shutil.which(argv[0])
    if program is None:
        raise FileNotFoundError(errno.ENOENT, f"{argv[0]} is not installed", argv[0])
    command = [*_wrappers(bounds), program, *argv[1:]]
    process = _spawner.popen(
        command, stdin=stdin, stdout=stdout, stderr=stderr, cwd=cwd, start_new_session=True, bufsize=0
    )
    if command[0] == _tools().setpriv:
        _await_death_signal(process.pid)
    return process


def wait(
    process: subprocess.Popen[bytes], *, seconds: float | None = None, should_abort: AbortCheck = never_abort
) -> Exit:
    """Wait for a child started by `start` to end, and reap it. Every 10 ms asks `should_abort`: once
    it says yes, kills the child's process group and raises dragoman.abort.Aborted. After `seconds`
    of wall-clock time kills it and returns an Exit with `timed_out` set. Whatever ends the wait
    (an exception included), the child and its process group are gone when this returns."""
    deadline = None if seconds is None else time.monotonic() + seconds
    try:
        with _exit_watch(process) as exited:
            while not exited(POLL_SECONDS):
                if should_abort():
                    raise Aborted()
                if deadline is not None and time.monotonic() >= deadline:
                    kill(process)
                    return Exit(process.returncode, timed_out=True)
        # The leader has ended but is not reaped yet, so its process group id cannot have been
        # reused: anything it left running in its group goes with it.
        kill_group(process)
        return Exit(process.wait())
    finally:
        kill(process)


def circumstances(argv_list: Sequence[Sequence[str]]) -> tuple[object, ...]:
    """What children `start`ed now with these argument lists would take from this process and the
    machine besides the arguments and bounds themselves: the whole environment, the soft resource
    limits, the CPU affinity, and each program and file they name as it is now (where PATH finds
    the program; each one's device, inode, size and modification time, so a file replaced by an
    upgrade differs). Children started under equal circumstances are started alike
    (`dragoman.engines.apertium.start_ahead` relies on it)."""
    import resource

    names = sorted(name for name in dir(resource) if name.startswith("RLIMIT_"))
    limits = tuple((name, resource.getrlimit(getattr(resource, name))[0]) for name in names)
    environment = tuple(sorted(os.environ.items()))
    return environment, limits, tuple(sorted(os.sched_getaffinity(0))), program_files(argv_list)


def program_files(argv_list: Sequence[Sequence[str]]) -> tuple[object, ...]:
    """Each program (where PATH finds it) and each file (an absolute argument) these argument lists
    name, as it is now: device, inode, size and modification time, None for one that is missing. A
    file an upgrade replaced (a new inode) or rewrote (a new size or time) differs."""
    files: list[object] = []
    for argv in argv_list:
        program = shutil.which(argv[0]) if argv else None
        files.append((program, _identity(program)))
        files.extend(_identity(argument) for argument in argv[1:] if argument.startswith("/"))
    return tuple(files)


def _identity(path: str | None) -> tuple[int, int, int, int] | None:
    if path is None:
        return None
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns


def runs_replaced_files(pid: int) -> bool:
    """Whether the running process `pid` runs a program or library whose file has been replaced or
    removed since it started (an upgrade): its memory maps name it "(deleted)". True also when
    the process cannot be read (gone)."""
    try:
        with open(f"/proc/{pid}/maps", "rb") as maps:
            return any(line.rstrip().endswith(b" (deleted)") for line in maps)
    except OSError:
        return True


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this machine (signal 0: nothing is sent)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def kill(process: subprocess.Popen[bytes]) -> None:
    """Kill a child's whole process group (SIGKILL) unless it was already reaped, then reap it."""
    if process.returncode is None:
        kill_group(process)
        process.wait()


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """Send SIGKILL to a child's process group, without waiting, unless the child was already reaped."""
    if process.returncode is None:  # never signal a reaped child's id: it may belong to another by now
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)


class _ExitWatch:
    """Whether a child has ended, without reaping it: a pidfd when the kernel has them."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process
        self._fd: int | None = None
        with contextlib.suppress(AttributeError, OSError):
            self._fd = os.pidfd_open(process.pid)
        self._poll = select.poll()
        if self._fd is not None:
            self._poll.register(self._fd, select.POLLIN)

    def __call__(self, timeout: float) -> bool:
        if self._fd is None:  # no pidfd: reap with a short wait (the group can then not be swept)
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                return False
            return True
        return bool(self._poll.poll(max(1, math.ceil(timeout * 1000))))

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)


@contextlib.contextmanager
def _exit_watch(process: subprocess.Popen[bytes]) -> Iterator[_ExitWatch]:
    watch = _ExitWatch(process)
    try:
        yield watch
    finally:
        watch.close()


def _await_death_signal(pid: int) -> None:
    """Return once the child has gone past `setpriv` (which asks for the death signal, then execs
    the next program): from then on it dies with us. Only Dragoman dying during `start` itself could
    orphan a child, a window of about a millisecond."""
    deadline = time.monotonic() + _ARMING_SECONDS
    while time.monotonic() < deadline:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return  # gone already
        if stat[stat.index("(") + 1 : stat.rindex(")")] != "setpriv" or stat[stat.rindex(")") + 2] in "ZX":
            return
        time.sleep(0.0002)


# --- wrappers ---------------------------------------------------------------------------------


def _wrappers(bounds: Bounds) -> list[str]:
    """`setpriv --pdeathsig KILL -- prlimit ... --` as far as they are installed."""
    tools = _tools()
    command: list[str] = []
    if tools.setpriv:
        command += [tools.setpriv, "--pdeathsig", "KILL", "--"]
    if tools.prlimit:
        limits = ["--core=0"]
        if bounds.cpu_seconds is not None:
            soft = max(1, math.ceil(bounds.cpu_seconds))
            limits.append(f"--cpu={soft}:{soft + 1}")
        if bounds.memory_bytes is not None:
            limits.append(f"--as={bounds.memory_bytes}")
        if bounds.file_bytes is not None:
            limits.append(f"--fsize={bounds.file_bytes}")
        command += [tools.prlimit, *limits, "--"]
    return command


@dataclass(frozen=True, slots=True)
class _Tools:
    setpriv: str | None
    prlimit: str | None


_tools_found: _Tools | None = None


def find_tools() -> None:
    """Find and try setpriv and prlimit now (two process starts), once for the process and those it
    forks (a warm-start helper), instead of at the first child each of them starts."""
    _tools()


def _tools() -> _Tools:
    global _tools_found
    if _tools_found is None:
        setpriv = _working([shutil.which("setpriv"), "--pdeathsig", "KILL", "--", "true"])
        prlimit = _working([shutil.which("prlimit"), "--core=0", "--", "true"])
        missing = [name for name, path in (("setpriv", setpriv), ("prlimit", prlimit)) if path is None]
        if missing:
            log.warning(
                "%s not usable: child processes are not %s",
                " and ".join(missing),
                "killed when Dragoman dies" if setpriv is None else "resource-limited",
                extra={"action": "start_child"},
            )
        _tools_found = _Tools(setpriv, prlimit)
    return _tools_found


def _working(probe: list[str | None]) -> str | None:
    """The tool's path if the probe command runs and succeeds."""
    if probe[0] is None:
        return None
    try:
        result = subprocess.run(
            [str(part) for part in probe], capture_output=True, timeout=10, check=False, start_new_session=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return probe[0] if result.returncode == 0 else None


# --- the spawner thread -----------------------------------------------------------------------


_TERMINAL_SIGNALS = {signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP, signal.SIGHUP}


class _Spawner:
    """Starts children from one thread that lives as long as the process (see the module's note on
    PDEATHSIG). A caller hands over the arguments and waits for the Popen object."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: SimpleQueue[tuple[list[str], dict[str, Any], Future[subprocess.Popen[bytes]]]] = SimpleQueue()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def popen(self, command: list[str], **options: Any) -> subprocess.Popen[bytes]:
        if threading.current_thread() is self._thread:
            return subprocess.Popen(command, **options)
        future: Future[subprocess.Popen[bytes]] = Future()
        self._queue.put((command, options, future))
        self._ensure_thread()
        return future.result()

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or self._pid != os.getpid():  # not started, or we are a fork
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="dragoman-spawner", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        # A child is in this process's group from fork until it makes its own session: a terminal's
        # Ctrl-C (Ctrl-\, Ctrl-Z, hang-up) landing then would reach it. Blocked in this thread, such a
        # signal stays blocked in the child, which inherits the mask (and is only ever ended by SIGKILL).
        signal.pthread_sigmask(signal.SIG_BLOCK, _TERMINAL_SIGNALS)
        _schedule_as_batch()  # this thread's policy is what the children it forks start with
        while True:
            command, options, future = self._queue.get()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(subprocess.Popen(command, **options))
            except BaseException as exc:  # handed to the caller, who raises it
                future.set_exception(exc)


def _schedule_as_batch() -> None:
    """SCHED_BATCH for the calling thread (Linux: a policy is per thread, and a fork inherits the
    forking thread's), unless it runs under another policy than the default SCHED_OTHER: an
    operator's choice is kept. Nothing where the policy cannot be read or set."""
    try:
        if os.sched_getscheduler(0) == os.SCHED_OTHER:
            os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    except (AttributeError, OSError):  # not Linux, or a sandbox that refuses it
        return


_spawner = _Spawner()
