"""What a forked child shares with the command it runs (warm start), as a fresh process would.

`capture()` (in the `dragoman` command): a JSON-ready dict and the file descriptors to pass along
(standard input, output, error, and the current folder). `adopt(context, fds)` (in the child): take
them over. Raises Unusable when the child cannot be an exact stand-in for the command: another user,
or another standing (`dragoman.warm.standing`: cgroup, namespaces, privileges, nice value, hard
limits, Python's start-up environment), which a helper's socket is chosen by, so that this is a
check; or a current folder that cannot be opened. The command then runs in its own process instead.

Taken over: standard streams (their encodings as the command's Python chose them), current folder
(by descriptor, so a folder renamed meanwhile is still the one), environment, umask, soft resource
limits, CPU affinity, ignored and blocked signals, arguments, time zone, locale and temp folder.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing is not loaded: this runs in the `dragoman` command before anything else
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Unusable", "adopt", "capture", "take_circumstances"]

_SIGNALS = ("SIGHUP", "SIGINT", "SIGQUIT", "SIGTERM", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGUSR1", "SIGUSR2", "SIGPIPE")


class Unusable(Exception):
    """This command cannot run in a forked child; the message says why."""


def _limits() -> dict[str, list[int]]:
    import resource

    return {
        name: list(resource.getrlimit(getattr(resource, name))) for name in dir(resource) if name.startswith("RLIMIT_")
    }


def _stream(*candidates: Any) -> dict[str, Any]:
    """The encoding Python chose for a standard stream (one the command started without, opened on
    /dev/null by the launcher, has none of its own: UTF-8 then)."""
    for stream in candidates:
        encoding = getattr(stream, "encoding", None)
        if isinstance(encoding, str):
            return {"encoding": encoding, "errors": getattr(stream, "errors", None) or "strict"}
    return {"encoding": "utf-8", "errors": "strict"}


def capture() -> tuple[dict[str, Any], list[int]]:
    """This process's context, and the descriptors to pass: 0, 1, 2 and the current folder. Raises
    Unusable if the current folder cannot be opened (deleted, or not readable)."""
    import _signal  # type: ignore[import-not-found]

    from dragoman.warm import standing

    try:
        folder = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise Unusable(f"the current folder cannot be opened: {exc.strerror}") from None
    mask = os.umask(0)
    os.umask(mask)
    ignored = [name for name in _SIGNALS if _signal.getsignal(getattr(_signal, name)) == _signal.SIG_IGN]
    blocked = sorted(int(number) for number in _signal.pthread_sigmask(_signal.SIG_BLOCK, []))
    context = {
        "argv": sys.argv,
        "environ": dict(os.environ),
        "umask": mask,
        "uid": os.getuid(),
        "standing": standing(),
        "limits": _limits(),
        "affinity": sorted(os.sched_getaffinity(0)),
        "ignored": ignored,
        "blocked": blocked,
        "streams": [
            _stream(sys.__stdin__, sys.stdin),
            _stream(sys.__stdout__, sys.stdout),
            _stream(sys.__stderr__, sys.stderr),
        ],
    }
    return context, [0, 1, 2, folder]


def adopt(context: dict[str, Any], fds: list[int]) -> None:
    """Become the command's stand-in (in a child of the helper, before the command runs). Raises
    Unusable, having changed nothing the command would see, if that cannot be exact."""
    import signal

    _check_same(context)
    _take_limits(context)
    stdin, stdout, stderr, folder = fds
    os.fchdir(folder)
    os.close(folder)
    for given, number in ((stdin, 0), (stdout, 1), (stderr, 2)):
        if given != number:
            os.dup2(given, number)
            os.close(given)
    os.umask(context["umask"])
    os.environ.clear()
    os.environ.update(context["environ"])
    import tempfile
    import time

    tempfile.tempdir = None  # found again from TMPDIR: the helper's was found from its own
    time.tzset()
    try:
        import locale

        locale.setlocale(locale.LC_CTYPE, "")
    except Exception:  # noqa: BLE001  # the command's own Python would have fallen back the same way
        pass
    _take_streams(context["streams"])
    sys.argv = list(context["argv"])
    for name in context["ignored"]:
        signal.signal(getattr(signal, name), signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_SETMASK, context["blocked"])


def take_circumstances(context: dict[str, Any]) -> None:
    """Take on what processes started from here inherit of the command whose `context` this is:
    its environment, soft limits and CPU affinity (a warm start's spare, which starts the next
    command's engine pipelines ahead as the last command would have, `dragoman.warm.helper`).
    Raises Unusable if the limits cannot be."""
    _take_limits(context)
    os.environ.clear()
    os.environ.update(context["environ"])


def _check_same(context: dict[str, Any]) -> None:
    """The helper's socket is chosen by this same standing (`dragoman.warm.standing`): a mismatch
    here means a helper that is not what its socket says."""
    from dragoman.warm import standing

    if context["uid"] != os.getuid():
        raise Unusable("the helper runs as another user")
    if context["standing"] != standing():
        raise Unusable("the helper runs with another cgroup, namespace, privileges, priority or limits")


def _take_limits(context: dict[str, Any]) -> None:
    """Take on the command's soft limits and CPU affinity (its hard limits and nice value are the
    helper's: they are part of the standing), or raise Unusable if one cannot be. The affinity is
    each thread's own on Linux: it is set for every thread, so that children started from one that
    already runs (a spare's process-starting thread, `dragoman.processes`) get it too."""
    import resource

    wanted = {name: tuple(value) for name, value in context["limits"].items() if hasattr(resource, name)}
    try:
        for name, limit in wanted.items():
            resource.setrlimit(getattr(resource, name), limit)
        for thread in os.listdir("/proc/self/task"):  # every thread's: a spare's (`helper`) run already
            os.sched_setaffinity(int(thread), context["affinity"])
    except (OSError, ValueError) as exc:
        raise Unusable(f"the command's limits cannot be taken on: {exc}") from None


def _take_streams(streams: list[dict[str, Any]]) -> None:
    """Standard streams over descriptors 0, 1, 2, in the encodings the command's Python chose, and
    buffered as Python buffers them (output line by line on a terminal, error always)."""
    import io

    def text(number: int, spec: dict[str, Any], mode: str) -> io.TextIOWrapper:
        stream = open(number, mode, encoding=spec["encoding"], errors=spec["errors"], closefd=False)  # noqa: SIM115
        assert isinstance(stream, io.TextIOWrapper)
        stream.reconfigure(line_buffering=number == 2 or (mode == "w" and stream.isatty()), write_through=number == 2)
        return stream

    stdin, stdout, stderr = streams
    sys.stdin = sys.__stdin__ = text(0, stdin, "r")  # type: ignore[misc]
    sys.stdout = sys.__stdout__ = text(1, stdout, "w")  # type: ignore[misc]
    sys.stderr = sys.__stderr__ = text(2, stderr, "w")  # type: ignore[misc]
