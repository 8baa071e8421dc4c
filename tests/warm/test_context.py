"""A forked child takes over the context of the command it stands in for (`dragoman.warm.context`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# Run as "the command": capture its context, then fork a child that first leaves that context (as a
# helper's child has its helper's) and then adopts the captured one; both print what they see.
SCRIPT = r"""
import json, os, resource, signal, sys
from dragoman.warm.context import adopt, capture

def seen():
    umask = os.umask(0)
    os.umask(umask)
    return {
        "cwd": os.getcwd(),
        "umask": umask,
        "variable": os.environ.get("WARM_TEST"),
        "nofile": list(resource.getrlimit(resource.RLIMIT_NOFILE)),
        "nice": os.getpriority(os.PRIO_PROCESS, 0),
        "affinity": sorted(os.sched_getaffinity(0)),
        "hup_ignored": signal.getsignal(signal.SIGHUP) == signal.SIG_IGN,
        "argv": sys.argv[1:],
        "stdout_encoding": sys.stdout.encoding,
    }

context, fds = capture()
mine = seen()
child = os.fork()
if child == 0:
    os.chdir("/")
    os.umask(0)
    os.environ["WARM_TEST"] = "the helper's"  # its environment, but the standing of the same (`warm.standing`)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    os.sched_setaffinity(0, range(os.cpu_count()))
    spare = [os.dup(fd) for fd in fds]  # as received over the socket: other numbers
    adopt(context, spare)
    print(json.dumps({"child": seen()}), flush=True)
    os._exit(0)
os.waitpid(child, 0)
print(json.dumps({"command": mine}), flush=True)
"""


def test_the_child_sees_the_command_folder_environment_limits_and_signals(tmp_path: Path) -> None:
    folder = tmp_path / "here"
    folder.mkdir()

    def become_the_command() -> None:
        import resource
        import signal

        os.umask(0o027)
        os.nice(3)
        resource.setrlimit(resource.RLIMIT_NOFILE, (321, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
        os.sched_setaffinity(0, {0})
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # nohup

    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, "translate", "a b.txt"],
        cwd=folder,
        env={**os.environ, "WARM_TEST": "the command's", "PYTHONIOENCODING": "latin-1"},
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=become_the_command,  # noqa: PLW1509 - the test's own child, before it execs Python
        check=True,
    )
    assert done.stderr == ""
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    command = next(line["command"] for line in lines if "command" in line)
    child = next(line["child"] for line in lines if "child" in line)
    assert command["cwd"] == str(folder) and command["umask"] == 0o027 and command["nofile"][0] == 321
    assert command["affinity"] == [0] and command["hup_ignored"] and command["stdout_encoding"] == "iso8859-1"
    assert child == command
