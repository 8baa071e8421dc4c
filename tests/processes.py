"""Starting real `dragoman` processes for tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

DRAGOMAN = str(Path(sys.executable).parent / "dragoman")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(data: Path, roots: list[Path], workers: int = 2, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DRAGOMAN_DATA_DIR=str(data),
        DRAGOMAN_ROOTS=os.pathsep.join(map(str, roots)),
        DRAGOMAN_WORKERS=str(workers),
        **extra,
    )
    return env


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as handle:
        process = subprocess.Popen(
            [DRAGOMAN, "serve", "--port", str(port)], env=env, stdout=handle, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited early: {log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    process.wait()
    raise AssertionError("server did not start")


@contextmanager
def serving(env: dict[str, str], log: Path, port: int | None = None) -> Iterator[str]:
    """`dragoman serve` on the environment's store while the block runs; yields its base URL."""
    port = port or free_port()
    process = start_server(env, port, log)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(30)


def per_thread(pid: int, name: str) -> list[str]:
    """The file `name` (`children`, `stat`) of each live thread of process `pid`, from /proc: a thread
    that ends while they are read is left out (a pipeline's pump, a worker), not an error, and a
    process that has ended has none."""
    texts: list[str] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except (FileNotFoundError, ProcessLookupError):
        return texts
    for task in tasks:
        try:
            texts.append((task / name).read_text())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return texts


def children(pid: int) -> dict[int, str]:
    """Live (not yet reaped or zombie) child processes of `pid`, by name, from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] not in "ZX" and int(fields[1]) == pid:
            found[int(entry.name)] = stat[stat.index("(") + 1 : stat.rindex(")")]
    return found
