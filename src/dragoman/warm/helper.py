"""The warm-start helper (`dragoman.warm.client.start_helper` starts it): a fork server for `dragoman` commands.

It loads what commands load (the command line's libraries, SQLAlchemy, the formats, the engine's
code and the language model), listens on `socket_path()`, and for each command:

1. receives its context (`context.capture`), and refuses it (`{"refused": why}`) when a file it
   loaded has changed since (an upgrade: it then ends, and the next command starts a fresh helper);
   else it says `{"ready": true}` and receives the command's descriptors;
2. forks a child, which takes the context over (`context.adopt`), says `{"started": pid}`, waits
   for the command's go-ahead (a command interrupted meanwhile sends none, and nothing runs), and
   runs the command as `dragoman.launcher.main` runs it in a fresh process; then it says
   `{"exit": code}` and ends. It ends at once (SIGKILL, as a command's own process would with a
   `kill -9`) when the command goes away;
3. reaps the child, and says `{"signal": number}` if a signal ended it.

Single-threaded, so that forking is safe. One helper per socket: a lock file, held for the helper's
life, makes a second one started at the same moment end at once. It stops taking commands after
`idle_seconds()` without a command or child, on SIGTERM, when out of date, or when its socket file is
gone, and ends once its children have (`serve_forever`).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import selectors
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from dragoman.warm import helper_folder, idle_seconds, private_folder, socket_path

__all__ = ["main", "serve_forever"]

_HEADER = struct.Struct("!I")
_MAX_REQUEST = 4 << 20  # bytes: arguments and environment
_REQUEST_SECONDS = 5.0  # a command that connected sends its request in this time
_GO_SECONDS = 10.0  # a child waits this long for the command's go-ahead
_TICK_SECONDS = 0.5  # how often the helper looks at the time (idleness, SIGTERM)


def main() -> None:
    """Start unless a helper already runs on this socket; serve until idle."""
    # Nothing the first command had open stays open here: a lock it held (`flock cmd`), a pipe
    # whose reader waits for the end (`cmd 3>&1 | cat`).
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))
    folder = helper_folder()
    if not private_folder(folder):
        return
    path = socket_path()
    lock = os.open(path + ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return  # another helper runs, or is starting
    os.ftruncate(lock, 0)
    os.write(lock, f"{os.getpid()}\n".encode())  # a line: `cat *.lock` lists one pid a line
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    os.chdir("/")  # not the first command's folder: it stays unmountable and removable
    _preload()
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o600)
    listener.listen(64)

    bound = os.stat(path).st_ino

    def still_ours() -> bool:
        """Whether the socket file is still this helper's: a removed runtime folder (a logout's
        clean-up, `rm -rf`) or another helper bound in its place ends this one."""
        try:
            return os.stat(path).st_ino == bound
        except OSError:
            return False

    def retire() -> None:
        """Stop taking commands: the socket and the lock go now, so that a new helper can start
        while this one's children end."""
        if still_ours():
            with contextlib.suppress(OSError):
                os.unlink(path)
        listener.close()
        os.close(lock)

    serve_forever(listener, _loaded_files(), retire, still_ours, path + ".pipelines")


def _preload() -> None:
    """Import what commands use and load the language model: the work each command is spared."""
    import rich.console  # noqa: F401
    import rich.progress  # noqa: F401
    import sqlalchemy.dialects.sqlite  # noqa: F401
    import typer  # noqa: F401

    import dragoman.config  # noqa: F401
    import dragoman.engines.apertium  # noqa: F401
    import dragoman.formats.documents  # noqa: F401
    import dragoman.planning  # noqa: F401
    import dragoman.runner.pool  # noqa: F401
    import dragoman.service  # noqa: F401
    import dragoman.store.jobs  # noqa: F401
    from dragoman import processes
    from dragoman.config import load_settings
    from dragoman.engines import detect
    from dragoman.engines.apertium import derive_stages

    # Work every command would do again, done once here. Anything that fails is done again, and
    # reported, by the command that needs it.
    with contextlib.suppress(Exception):
        detect.preload_here()
    with contextlib.suppress(Exception):
        processes.find_tools()
    with contextlib.suppress(Exception):
        derive_stages(load_settings().apertium_modes_dir)
    import ctypes  # noqa: F401  # each child uses it (`_resume_when_orphaned`)

    import dragoman.launcher  # noqa: F401  # the child runs it
    import dragoman.warm.context  # noqa: F401
    from dragoman.cli.app import build_commands_once

    build_commands_once()


def _loaded_files() -> dict[str, tuple[int, int]]:
    """Every source file loaded, with its modification time and size: a change means an upgrade."""
    files: dict[str, tuple[int, int]] = {}
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if not path:
            continue
        with contextlib.suppress(OSError):
            info = os.stat(path)
            files[path] = (info.st_mtime_ns, info.st_size)
    return files


def _changed(files: dict[str, tuple[int, int]]) -> bool:
    for path, (mtime, size) in files.items():
        try:
            info = os.stat(path)
        except OSError:
            return True
        if (info.st_mtime_ns, info.st_size) != (mtime, size):
            return True
    return False


@dataclass
class _Child:
    """A command's child: its pid and pidfd, the command's connection, and a pidfd on the command
    itself (the process at the other end of the connection)."""

    pid: int
    pidfd: int
    connection: socket.socket
    command: int | None
    context: dict[str, Any] | None = None  # of a command that runs documents: its spare's, next


def serve_forever(
    listener: socket.socket,
    files: dict[str, tuple[int, int]],
    retire: Callable[[], None],
    still_ours: Callable[[], bool] = lambda: True,
    recipes_path: str | None = None,
) -> None:
    """Accept commands and reap children. Once idle for `idle_seconds()` (no command, no child), on
    SIGTERM, on finding itself out of date, or once its socket file is no longer `still_ours()`, it
    retires (`retire`: no more commands), and ends when its children have. A command that ends
    (killed, even while stopped by Ctrl-Z) takes its child with it: SIGKILL, as its own process
    would have died.

    With `recipes_path` (the file where each command's child notes the engine pipelines it used),
    it keeps a spare child while no command runs: forked ahead, with those pipelines started and
    loaded (`_start_spare`), it runs the next command instead of a child forked then. It is ended
    when the helper retires."""
    told_to_stop: list[int] = []
    signal.signal(signal.SIGTERM, lambda number, _frame: told_to_stop.append(number))
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, None)
    children: dict[int, _Child] = {}  # by pid
    idle = idle_seconds()
    taking = True
    last_busy = time.monotonic()
    spare: _Spare | None = None
    spare_wanted = True  # at the start, and after each command: not again after one that died unused
    last_context: dict[str, Any] | None = None  # of the last command that ran documents
    while taking or children or spare is not None:
        if taking and spare is None and spare_wanted and not children:
            spare_wanted = False
            spare = _start_spare(listener, recipes_path, last_context)
            if spare is not None:
                selector.register(spare.pidfd, selectors.EVENT_READ, ("spare", spare.pid))
        events = selector.select(timeout=_TICK_SECONDS)
        for key, _mask in events:
            if key.data is None:
                started = _accept(listener, files, spare, recipes_path) if taking else False
                if spare is not None and isinstance(started, _Child) and started.pid == spare.pid:
                    selector.unregister(spare.pidfd)  # a command's child now, watched as one
                    spare.let_go()
                    spare = None
                if started is None:
                    taking = False  # out of date
                elif isinstance(started, _Child):
                    children[started.pid] = started
                    selector.register(started.pidfd, selectors.EVENT_READ, ("child", started.pid))
                    if started.command is not None:
                        selector.register(started.command, selectors.EVENT_READ, ("command", started.pid))
                continue
            what, pid = key.data
            if what == "spare":  # it ended before it was given a command
                if spare is not None and spare.pid == pid:
                    selector.unregister(spare.pidfd)
                    spare.end()
                    spare = None
                continue
            child = children.get(pid)
            if child is None:
                continue
            if what == "command":  # the command ended before its child
                selector.unregister(key.fd)
                with contextlib.suppress(OSError):
                    signal.pidfd_send_signal(child.pidfd, signal.SIGKILL)
                continue
            del children[pid]
            selector.unregister(child.pidfd)
            if child.command is not None:
                with contextlib.suppress(KeyError, ValueError):
                    selector.unregister(child.command)
            _reap(child)
            spare_wanted = True
            last_context = child.context or last_context
        if children or events:
            last_busy = time.monotonic()
        if taking and (told_to_stop or time.monotonic() - last_busy >= idle or not still_ours()):
            taking = False
        if not taking and listener.fileno() != -1:
            selector.unregister(listener)
            retire()
        if not taking and spare is not None:  # no command will take it
            selector.unregister(spare.pidfd)
            spare.end()
            spare = None
    selector.close()


_MAX_RECIPES = 4  # pipelines a spare starts at most: those of the last command's language pairs
_MAX_RECIPES_BYTES = 64 * 1024


@dataclass
class _Spare:
    """A child forked ahead of the next command, with the engine pipelines the last command used
    started and loaded (`_start_spare`). Given a command (`take`), it runs it exactly as a child
    forked then would, and becomes that command's child."""

    pid: int
    pidfd: int
    channel: socket.socket  # the helper's end: the command's descriptors and context go through it

    def take(self, connection: socket.socket, context: dict[str, Any], fds: list[int]) -> bool:
        """Hand it the command's connection, descriptors and context; False (and it is killed, to be
        reaped as it ends) if it cannot take them: it has ended, is stopped (SIGSTOP: the command
        would wait for it), or is not listening."""
        try:
            with open(f"/proc/{self.pid}/stat", "rb") as stat:
                if stat.read().rsplit(b")", 1)[1].split()[0] in (b"T", b"t", b"Z", b"X"):
                    raise OSError("the spare is stopped or has ended")
            socket.send_fds(self.channel, [b"C"], [connection.fileno(), *fds])
            payload = json.dumps(context).encode()
            self.channel.sendall(_HEADER.pack(len(payload)) + payload)
        except OSError:
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            return False
        return True

    def let_go(self) -> None:
        """It runs a command now, watched as that command's child: the helper keeps nothing of it here."""
        os.close(self.pidfd)
        self.channel.close()

    def end(self) -> None:
        """Kill it (its pipelines die with it) and reap it."""
        with contextlib.suppress(OSError):
            signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        self.let_go()


_DOCUMENT_COMMANDS = (("translate",), ("jobs", "wait"), ("jobs", "retry"), ("connector",))


def _runs_documents(argv: Any) -> bool:
    """Whether a command line may run documents here, through the engine's pipelines (`translate`,
    `jobs wait`, ...): only such a command is given the spare; any other (`jobs list`) gets a child
    forked now, and the spare, its pipelines started, stays for the next."""
    if not isinstance(argv, list):
        return False
    words = tuple(str(argument) for argument in argv[1:] if not str(argument).startswith("-"))
    return any(words[: len(command)] == command for command in _DOCUMENT_COMMANDS)


def _start_spare(
    listener: socket.socket, recipes_path: str | None, circumstances: dict[str, Any] | None = None
) -> _Spare | None:
    """Fork a spare child that starts the pipelines noted at `recipes_path` (by the last command's
    child) in the `circumstances` of the last command that ran documents (its environment, soft
    limits and CPU affinity: the next command from the same shell has the same), or None when
    none are noted."""
    recipes = _read_recipes(recipes_path) if recipes_path is not None else []
    if not recipes:
        return None
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = os.fork()
    if pid == 0:  # the spare: never returns
        ours.close()
        _spare(theirs, listener, recipes, recipes_path, circumstances)
    theirs.close()
    return _Spare(pid, os.pidfd_open(pid), ours)


def _spare(
    channel: socket.socket,
    listener: socket.socket,
    recipes: list[Any],
    recipes_path: str | None,
    circumstances: dict[str, Any] | None,
) -> None:
    """The spare child: start the pipelines, wait for a command, run it, end (never returns). A
    helper that ends first closes the channel: the spare then ends without running anything."""

    def run() -> int:
        from dragoman.engines.apertium import start_ahead
        from dragoman.warm.context import take_circumstances

        if circumstances is not None:
            take_circumstances(circumstances)  # raises Unusable: the spare ends, and no command waits on it
        for recipe in recipes:
            with contextlib.suppress(Exception):  # the command starts its own, and says what is wrong
                start_ahead(recipe)
        fds: list[int] = []
        try:
            _data, fds, _flags, _address = socket.recv_fds(channel, 1, 5)
            context = _receive(channel) if len(fds) == 5 else None
        except (OSError, ValueError):
            context = None
        channel.close()
        if context is None:
            for fd in fds:
                os.close(fd)
            return 0
        return _run_command(socket.socket(fileno=fds[0]), context, fds[1:], recipes_path)

    _in_a_child(listener, {channel.fileno()}, run)


def _read_recipes(path: str) -> list[Any]:
    """The pipeline recipes noted at `path` (`_note_recipes`); [] if none, or not readable as such."""
    from dragoman.engines.apertium import PipelineRecipe

    try:
        with open(path, "rb") as file:
            noted = json.loads(file.read(_MAX_RECIPES_BYTES + 1)[:_MAX_RECIPES_BYTES])
        return [PipelineRecipe(item["stages"], item["memory_bytes"]) for item in noted[-_MAX_RECIPES:] if _recipe(item)]
    except (OSError, ValueError, TypeError, KeyError):
        return []


def _recipe(item: Any) -> bool:
    """Whether a noted item is a recipe: {"stages": [[str, ...], ...], "memory_bytes": int or null}."""
    stages, memory = item["stages"], item["memory_bytes"]
    return (
        isinstance(stages, list)
        and bool(stages)
        and all(isinstance(stage, list) and stage and all(isinstance(arg, str) for arg in stage) for stage in stages)
        and (memory is None or (isinstance(memory, int) and memory > 0))
    )


def _note_recipes(path: str) -> None:
    """Note, for the helper's next spare, the pipelines this command's engines used (nothing when it
    used none: a `jobs list` keeps what the last translation noted). Written whole or not at all."""
    from dragoman.engines.apertium import pipelines_used

    used = pipelines_used()[-_MAX_RECIPES:]
    if not used:
        return
    data = json.dumps([{"stages": recipe.stages, "memory_bytes": recipe.memory_bytes} for recipe in used]).encode()
    temporary = f"{path}.{os.getpid()}.part"
    with contextlib.suppress(OSError):
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _accept(
    listener: socket.socket,
    files: dict[str, tuple[int, int]],
    spare: _Spare | None = None,
    recipes_path: str | None = None,
) -> _Child | None | Literal[False]:
    """One command: its started child; False if the request was unusable; None if this helper is
    out of date (it refuses, and ends once its children have).

    The command sends its context, is told it is taken (`{"ready": true}`), and only then sends its
    descriptors: a helper that stops or hangs before that holds none of them (a pipe's reader would
    wait for its end as long)."""
    try:
        connection, _address = listener.accept()
    except OSError:
        return False
    fds: list[int] = []
    try:
        command, uid, _gid = struct.unpack("3i", connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
        if uid != os.getuid():
            connection.close()
            return False
        connection.settimeout(_REQUEST_SECONDS)
        context = _receive(connection)
        if _changed(files):
            with contextlib.suppress(OSError):
                _say(connection, {"refused": "Dragoman was upgraded", "replace": True})  # the command starts a new one
            connection.close()
            return None
        _say(connection, {"ready": True})
        _data, fds, _flags, _address = socket.recv_fds(connection, 1, 4)
        if len(fds) != 4:
            raise ValueError(f"{len(fds)} descriptors")
    except (OSError, ValueError) as exc:
        for fd in fds:
            os.close(fd)
        with contextlib.suppress(OSError):
            _say(connection, {"refused": f"unreadable request ({exc})"})
        connection.close()
        return False
    try:
        watched: int | None = os.pidfd_open(command)
    except OSError:  # gone already: its child sees the connection closed and ends
        watched = None
    connection.settimeout(None)
    documents = _runs_documents(context.get("argv"))
    if spare is not None and documents and spare.take(connection, context, fds):
        pid, pidfd = spare.pid, os.dup(spare.pidfd)
    else:
        pid = os.fork()
        if pid == 0:  # the child: never returns
            _child(connection, context, fds, listener, recipes_path)
        pidfd = os.pidfd_open(pid)
    for fd in fds:
        os.close(fd)
    circumstances = {key: context[key] for key in ("environ", "limits", "affinity")} if documents else None
    return _Child(pid, pidfd, connection, watched, circumstances)


def _receive(connection: socket.socket) -> dict[str, Any]:
    """The command's context: a 4-byte length, then that many bytes of JSON."""
    data = b""
    while len(data) < _HEADER.size:
        data += _recv_some(connection)
    (length,) = _HEADER.unpack_from(data)
    if length > _MAX_REQUEST:
        raise ValueError("too large")
    while len(data) < _HEADER.size + length:
        data += _recv_some(connection)
    context: dict[str, Any] = json.loads(data[_HEADER.size : _HEADER.size + length])
    return context


def _recv_some(connection: socket.socket) -> bytes:
    chunk = connection.recv(65536)
    if not chunk:
        raise ValueError("the command went away")
    return chunk


def _say(connection: socket.socket, message: dict[str, Any]) -> None:
    connection.sendall(json.dumps(message).encode() + b"\n")


def _reap(child: _Child) -> None:
    with contextlib.suppress(ChildProcessError):
        _pid, status = os.waitpid(child.pid, 0)
        if os.WIFSIGNALED(status):
            with contextlib.suppress(OSError):
                _say(child.connection, {"signal": os.WTERMSIG(status)})
    os.close(child.pidfd)
    if child.command is not None:
        os.close(child.command)
    child.connection.close()


def _child(
    connection: socket.socket,
    context: dict[str, Any],
    fds: list[int],
    listener: socket.socket,
    recipes_path: str | None = None,
) -> None:
    """Run one command in this forked child, then end the process (never returns)."""
    _in_a_child(listener, {connection.fileno(), *fds}, lambda: _run_command(connection, context, fds, recipes_path))


def _in_a_child(listener: socket.socket, kept: set[int], run: Callable[[], int]) -> None:
    """In a child just forked from the helper: leave the helper behind (its socket, the lock, other
    commands' connections: every descriptor but the standard streams and `kept`; its SIGTERM and
    SIGHUP handling), `run()`, and end the process with its exit code (never returns). An exception
    is printed and ends it with 1: nothing of the helper's may run in the child."""
    code = 1
    try:
        _resume_when_orphaned()
        listener.close()
        _close_all_but({0, 1, 2, *kept})
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        code = run()
    except BaseException:  # noqa: BLE001
        with contextlib.suppress(BaseException):
            import traceback

            traceback.print_exc()
        code = 1
    finally:
        os._exit(code)


def _resume_when_orphaned() -> None:
    """Have the kernel send this child SIGCONT if the helper dies (PR_SET_PDEATHSIG): a child
    stopped by Ctrl-Z whose command is then killed is otherwise ended by the helper; with the helper
    gone too, it resumes, sees its command gone, and ends (`_die_with_the_command`)."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGCONT))  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the helper died between fork and here
            os.kill(os.getpid(), signal.SIGCONT)


def _close_all_but(kept: set[int]) -> None:
    for name in os.listdir("/proc/self/fd"):
        number = int(name)
        if number not in kept:
            with contextlib.suppress(OSError):
                os.close(number)


def _run_command(
    connection: socket.socket, context: dict[str, Any], fds: list[int], recipes_path: str | None = None
) -> int:
    from dragoman import launcher
    from dragoman.warm.context import Unusable, adopt

    signal.signal(signal.SIGINT, signal.default_int_handler)  # as a fresh process's; `adopt` ignores it if need be
    try:
        adopt(context, fds)
    except Unusable as exc:
        _say(connection, {"refused": str(exc)})
        return 0
    from dragoman.cli.app import reset_consoles

    reset_consoles()  # made by the helper, for its own streams
    if signal.getsignal(signal.SIGINT) != signal.SIG_IGN:
        signal.signal(signal.SIGINT, launcher.note_press)  # a press passed on from the go-ahead is noted
    _say(connection, {"started": os.getpid()})
    connection.settimeout(_GO_SECONDS)
    try:
        go = connection.recv(1)
    except OSError:
        go = b""
    if go != b"g":
        return 0  # the command was interrupted, or went away: nothing ran
    connection.settimeout(None)
    threading.Thread(target=_die_with_the_command, args=(connection,), daemon=True).start()
    code = _exit_code(launcher.run)
    if recipes_path is not None:
        _note_recipes(recipes_path)
    with contextlib.suppress(OSError):
        _say(connection, {"exit": code})
    return code


def _die_with_the_command(connection: socket.socket) -> None:
    """End this child when the command goes away (its end of the connection closes)."""
    with contextlib.suppress(OSError):
        while connection.recv(4096):
            pass
    os.kill(os.getpid(), signal.SIGKILL)


def _exit_code(run: Any) -> int:
    """Run the command as Python runs a program: its exit code; a traceback and 1 for an exception.
    Then what Python does at exit: wait for the command's threads, run its exit handlers, flush."""
    code = 0
    try:
        run()
    except SystemExit as exc:
        code = _system_exit_code(exc)
    except BaseException:  # noqa: BLE001
        sys.excepthook(*sys.exc_info())
        code = 1
    with contextlib.suppress(BaseException):
        threading._shutdown()  # type: ignore[attr-defined]  # as the interpreter does at exit
    import atexit

    with contextlib.suppress(BaseException):
        atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BaseException):
            stream.flush()
    return code


def _system_exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code & 0xFF
    with contextlib.suppress(BaseException):
        print(exc.code, file=sys.stderr)
    return 1
