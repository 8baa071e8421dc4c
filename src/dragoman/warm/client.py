"""The `dragoman` command's side of warm start: hand the command to the helper, pass signals on to
the child that runs it, and end as the child ends. Loaded before anything else of Dragoman, so it
uses the standard library only, and little of it."""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]
import json
import os
import socket
import struct
import sys

from dragoman.warm import private_folder, socket_path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType
    from typing import Any

__all__ = ["INTERRUPTED", "RUN_HERE", "answering_helpers", "run", "start_helper"]

RUN_HERE = None  # `run`: the command runs in this process
INTERRUPTED = "interrupted"  # `run`: a Ctrl-C came before the child started the command; nothing ran
_CONNECT_SECONDS = 1.0  # a helper that takes no connections (stopped, hung, its backlog full): run here
_REPLY_SECONDS = 2.0  # the helper answers a command in this time (a fork: milliseconds), or the command runs here
# Passed on to the child as they come: a terminal's Ctrl-C and Ctrl-\, `kill`, a hang-up, a resize.
_PASSED_ON = ("SIGINT", "SIGQUIT", "SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGWINCH", "SIGCONT")


class _Outcome:
    start_helper = False  # no helper answered (or it was out of date): start one for the next command


outcome = _Outcome()


def run(pressed: Callable[[], bool]) -> int | str | None:
    """Run this command in a child of the helper. Returns its exit code (a negative number: the
    signal that ended it), INTERRUPTED if `pressed()` (a Ctrl-C) came before it started, or RUN_HERE
    when there is no usable helper (then `outcome.start_helper` says whether to start one)."""
    from dragoman.warm.context import Unusable, capture

    path = socket_path()
    if not private_folder(os.path.dirname(path)):
        return RUN_HERE
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    connection.settimeout(_CONNECT_SECONDS)
    try:
        connection.connect(path)
    except TimeoutError:  # a helper there, not answering: not replaced while its lock is held
        connection.close()
        return RUN_HERE
    except OSError:
        connection.close()
        outcome.start_helper = True
        return RUN_HERE
    try:
        if _peer_uid(connection) != os.getuid():
            return RUN_HERE
        try:
            context, fds = capture()
        except Unusable:
            return RUN_HERE
        connection.settimeout(_REPLY_SECONDS)
        reply = _Lines(connection)
        try:
            payload = json.dumps(context).encode()
            connection.sendall(struct.pack("!I", len(payload)) + payload)
            message = reply.next()  # descriptors go only to a helper that answers (`helper._accept`)
            if message is not None and message.get("ready"):
                socket.send_fds(connection, [b"F"], fds)
                message = reply.next()
        finally:
            os.close(fds[3])
        if message is None or "started" not in message:
            if message is not None and message.get("replace"):  # out of date: it retires
                outcome.start_helper = True
            return RUN_HERE
        return _follow(connection, reply, int(message["started"]), pressed)
    except (OSError, ValueError):
        return RUN_HERE
    finally:
        connection.close()


def _peer_uid(connection: socket.socket) -> int:
    return int(struct.unpack("3i", connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[1])


class _Lines:
    """JSON messages, one per line, from the helper or the child."""

    def __init__(self, connection: socket.socket) -> None:
        self._connection = connection
        self._buffer = b""

    def next(self) -> dict[str, Any] | None:
        while b"\n" not in self._buffer:
            chunk = self._connection.recv(4096)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        message: dict[str, Any] = json.loads(line)
        return message


def _follow(connection: socket.socket, reply: _Lines, pid: int, pressed: Callable[[], bool]) -> int | str | None:
    """Tell the child to go (unless Ctrl-C was pressed), pass signals on to it, and wait for its end."""
    try:
        child = os.pidfd_open(pid)
    except OSError:
        return RUN_HERE  # it is gone: nothing ran
    forward = _Forwarder(child)
    held = _signal.pthread_sigmask(_signal.SIG_BLOCK, [_signal.SIGINT])  # a press now waits for the forwarder
    try:
        if pressed():
            return INTERRUPTED  # no go-ahead: the child ends without running anything
        connection.sendall(b"g")
        forward.install()
    finally:
        _signal.pthread_sigmask(_signal.SIG_SETMASK, held)
    connection.settimeout(None)
    try:
        message = reply.next()
        while message is not None and "exit" not in message and "signal" not in message:
            message = reply.next()
    except OSError:
        message = None
    finally:
        forward.uninstall()
        os.close(child)
    if message is None:
        sys.stderr.write("dragoman: the command's process ended without an exit status\n")
        return 1
    if "signal" in message:
        return -int(message["signal"])
    return int(message["exit"])


class _Forwarder:
    """Signal handlers that pass each signal on to the child (through its pidfd: never to a reused
    pid). Ctrl-Z stops the child, then this process; on resuming, the child resumes too."""

    def __init__(self, child: int) -> None:
        self._child = child
        self._previous: dict[int, object] = {}

    def install(self) -> None:
        for name in (*_PASSED_ON, "SIGTSTP"):
            number = getattr(_signal, name)
            previous = _signal.getsignal(number)
            if previous == _signal.SIG_IGN:
                continue  # ignored here (nohup): ignored by the child too (`context.adopt`)
            self._previous[number] = previous
            _signal.signal(number, self._stop if name == "SIGTSTP" else self._pass_on)

    def uninstall(self) -> None:
        for number, previous in self._previous.items():
            _signal.signal(number, previous)

    def _send(self, number: int) -> None:
        try:  # noqa: SIM105  # contextlib is not loaded for this: the command's own start-up counts
            _signal.pidfd_send_signal(self._child, number)
        except OSError:  # it has ended
            pass

    def _pass_on(self, number: int, frame: FrameType | None) -> None:
        self._send(number)

    def _stop(self, number: int, frame: FrameType | None) -> None:
        self._send(_signal.SIGSTOP)
        _signal.signal(_signal.SIGTSTP, _signal.SIG_DFL)
        os.kill(os.getpid(), _signal.SIGTSTP)  # stops here until resumed (fg, SIGCONT)
        _signal.signal(_signal.SIGTSTP, self._stop)
        self._send(_signal.SIGCONT)


def start_helper() -> None:
    """Start a helper in the background for the commands to come (its own session, no terminal, its
    output nowhere): one that is starting or running already makes it end at once."""
    try:  # noqa: SIM105  # as above
        os.posix_spawn(
            sys.executable,
            # -c, as the `dragoman` script runs: the child's __main__ is then a command's (click names
            # the program from it: `python -m ...` would show in its usage lines)
            [sys.executable, "-P", "-c", "from dragoman.warm.helper import main; main()"],
            os.environ,
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
            ],
            setsid=True,
            setsigmask=[],
            setsigdef=[_signal.SIGTERM, _signal.SIGINT, _signal.SIGHUP, _signal.SIGPIPE],
        )
    except OSError:
        pass


def answering_helpers(folder: str) -> dict[str, int]:
    """The helpers in `folder` (`dragoman.warm.helper_folder()`) that take commands now: socket file
    name -> the helper's pid (from its lock file). For operators and tests: which run, to end them."""
    found: dict[str, int] = {}
    try:
        names = sorted(name for name in os.listdir(folder) if name.endswith(".sock"))
    except OSError:
        return found
    for name in names:
        path = os.path.join(folder, name)
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        probe.settimeout(_CONNECT_SECONDS)
        try:
            probe.connect(path)
            with open(path + ".lock") as lock:
                found[name] = int(lock.read())
        except (OSError, ValueError):
            continue
        finally:
            probe.close()
    return found
