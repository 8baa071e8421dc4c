"""Warm start: short `dragoman` commands run in a process forked from a helper that has already
loaded Dragoman, instead of loading it again (about 0.5 s of imports and the language model).

How (a fork server, as Android's zygote or Ruby's Spring):
- `helper`: started in the background by a `dragoman` command that found none, it loads the
  command line's libraries and the language model, then waits on a Unix socket readable by this
  user only. For each command it forks a child, which takes over the command's standard streams,
  folder, environment, limits and signal settings, and runs the command exactly as a fresh process
  would. It ends after IDLE_SECONDS without a command, or at once when a file it loaded changed
  (an upgrade), so a command never runs stale code.
- `client`: the `dragoman` command itself. It hands its command to the helper, passes the signals
  it gets (Ctrl-C, SIGTERM, a hang-up, Ctrl-Z) on to the child, and ends as the child ends, with its
  exit code. It dies, the child dies (as a command killed with `kill -9` does).
- `context`: what a forked child takes over from the command it runs. What it cannot take on (the
  cgroup, namespaces, privileges, nice value, hard limits, Python's start-up environment: the
  `standing()`) chooses the helper's socket instead: each standing has helpers of its own.

`serve` and `worker` always run in their own process: they run for long, and belong in the cgroup,
limits and process tree their operator started them in. `DRAGOMAN_WARM_START=off` turns warm start
off (and stops using a running helper).
"""

from __future__ import annotations

import os
import sys

__all__ = [
    "IDLE_SECONDS",
    "enabled",
    "helper_folder",
    "idle_seconds",
    "private_folder",
    "setting_problem",
    "socket_path",
    "standing",
]

IDLE_SECONDS = 600.0  # a helper without a command for this long ends (DRAGOMAN_WARM_START_IDLE)
_OFF = {"0", "off", "false", "no"}
_ON = {"", "1", "on", "true", "yes"}


def setting_problem() -> str | None:
    """What is wrong with the warm start's settings, naming the variable, or None: a value that is
    neither on nor off (DRAGOMAN_WARM_START), an idle time that is not a number of seconds above 0
    (DRAGOMAN_WARM_START_IDLE). Read by each command, which refuses to run with one (the helper,
    which has no one to tell, keeps its defaults)."""
    value = os.environ.get("DRAGOMAN_WARM_START", "")
    if value.strip().lower() not in _ON | _OFF:
        return f"DRAGOMAN_WARM_START: {value!r} is neither on nor off (on, off, 1, 0, true, false, yes, no)"
    idle = os.environ.get("DRAGOMAN_WARM_START_IDLE")
    if idle is not None:
        try:
            seconds = float(idle)
        except ValueError:
            seconds = float("nan")
        if not seconds > 0 or seconds == float("inf"):
            return f"DRAGOMAN_WARM_START_IDLE: {idle!r} is not a number of seconds above 0 (the default is 600)"
    return None


_OWN_PROCESS = {"serve", "worker"}  # commands that never run in a forked child


def enabled(arguments: list[str]) -> bool:
    """Whether this command line may run warm: warm start is not turned off, and the command is one
    that runs briefly (not `serve` or `worker`)."""
    if os.environ.get("DRAGOMAN_WARM_START", "").strip().lower() in _OFF:
        return False
    command = next((argument for argument in arguments if not argument.startswith("-")), None)
    return command not in _OWN_PROCESS


def idle_seconds() -> float:
    """How long a helper waits for a command before it ends: DRAGOMAN_WARM_START_IDLE, else IDLE_SECONDS."""
    try:
        return max(1.0, float(os.environ["DRAGOMAN_WARM_START_IDLE"]))
    except (KeyError, ValueError):
        return IDLE_SECONDS


def helper_folder() -> str:
    """The folder of this user's helpers: `$XDG_RUNTIME_DIR/dragoman`, else `/tmp/dragoman-<uid>`.
    Created readable by this user only."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime):
        return os.path.join(runtime, "dragoman")
    return f"/tmp/dragoman-{os.getuid()}"  # noqa: S108  # checked to be this user's, mode 0700 (`private_folder`)


def socket_path() -> str:
    """The helper's socket for this Python, this installation of Dragoman, and this process's
    standing (`standing()`): another virtualenv or checkout has its own helper, and so has a command
    started in another cgroup, namespace, with other privileges, priority or hard limits. A helper
    is started by a command of its standing, so a child forked from it runs as the command would."""
    import zlib

    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    key = "\0".join([os.path.realpath(sys.executable), package, sys.version, *standing()])
    return os.path.join(helper_folder(), f"warm-{zlib.crc32(key.encode()):08x}.sock")


_STATUS_FIELDS = ("Groups", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp")


def standing() -> list[str]:
    """What a forked child cannot take on from its command, and must therefore share with the helper
    it is forked from: the cgroup (a terminal tab's own scope, `systemd-run --scope`, a container);
    every namespace (`unshare -n`: no network); groups, capabilities, no_new_privs and seccomp
    (`setpriv`); the nice value; the hard resource limits; the environment Python read as it started
    (PYTHONPATH and the other PYTHON* variables, the locale) ("" where Linux does not say)."""
    import resource

    found: list[str] = []
    for path in ("/proc/self/cgroup", "/proc/self/status"):
        try:
            with open(path) as file:
                text = file.read()
        except OSError:
            text = ""
        if path.endswith("status"):
            text = "\n".join(line for line in text.splitlines() if line.split(":", 1)[0] in _STATUS_FIELDS)
        found.append(text)
    try:
        kinds = sorted(os.listdir("/proc/self/ns"))
    except OSError:
        kinds = []
    for kind in kinds:
        try:
            found.append(f"{kind}={os.readlink(f'/proc/self/ns/{kind}')}")
        except OSError:
            found.append(f"{kind}=")
    found.append(f"gid={os.getgid()} nice={os.getpriority(os.PRIO_PROCESS, 0)}")
    # What Python read as it started, and cannot read again: its import path (PYTHONPATH: a
    # DRAGOMAN_ENGINE module of the user's), its flags, and the locale its file names are encoded in.
    found.append(
        "\0".join(
            f"{name}={value}"
            for name, value in sorted(os.environ.items())
            if name.startswith("PYTHON") or name in ("LANG", "LC_ALL", "LC_CTYPE")
        )
    )
    found.append(
        " ".join(
            f"{name}={resource.getrlimit(getattr(resource, name))[1]}"
            for name in sorted(dir(resource))
            if name.startswith("RLIMIT_")
        )
    )
    return found


def private_folder(folder: str) -> bool:
    """Make `folder` if missing (mode 0700); whether it is a real folder owned by this user that no
    one else may enter (else no helper is used or started there)."""
    import stat

    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return False
    try:
        info = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077
