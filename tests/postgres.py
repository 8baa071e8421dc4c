"""A throwaway PostgreSQL server for tests: Debian's binaries, a cluster in a temporary folder.

`make test` installs the `postgresql` package; its binaries are used directly (no system cluster
is touched). PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres`
user the package creates.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg

from tests.processes import free_port

__all__ = ["PostgresServer", "postgres_server"]


def _binaries() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda path: int(path.parent.parent.name))
    if not found:
        raise RuntimeError("PostgreSQL's server binaries are missing: run `make test`, which installs them")
    return found[-1].parent


class PostgresServer:
    def __init__(self, port: int, control: Callable[..., None] | None = None) -> None:
        self.port = port
        self._control = control  # pg_ctl ACTION ARGS... on this server's cluster

    def stop(self) -> None:
        """Stop the server at once, as a crash would (`pg_ctl stop -m immediate`): every session is cut."""
        self._pg_ctl("stop", "-m", "immediate")

    def start(self) -> None:
        """Start it again on the same port and data, once it accepts connections."""
        self._pg_ctl("start")

    def restart(self) -> None:
        """Stop it as a crash would, and start it again on the same port and data."""
        self.stop()
        self.start()

    def _pg_ctl(self, action: str, *args: str) -> None:
        if self._control is None:
            raise RuntimeError("this server is not one this process started")
        self._control(action, *args)

    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def new_database(self) -> str:
        """A fresh, empty database on the server, as a SQLAlchemy URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    binaries = _binaries()
    folder = Path(tempfile.mkdtemp(prefix="dragoman-pg-"))
    data = folder / "data"
    account = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
    if account is not None:
        os.chown(folder, account.pw_uid, account.pw_gid)

    def run(program: str, *args: str | Path, check: bool = True) -> None:
        """A PostgreSQL program, as the `postgres` user when we are root."""
        subprocess.run(
            [binaries / program, *args],
            check=check,
            capture_output=True,
            user=account.pw_uid if account else None,
            group=account.pw_gid if account else None,
            extra_groups=[] if account else None,
        )

    port = free_port()
    run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"

    def control(action: str, *args: str) -> None:
        run("pg_ctl", "-D", data, "-o", options, "-l", folder / "log", "-w", action, *args)

    control("start")
    try:
        yield PostgresServer(port, control)
    finally:
        run("pg_ctl", "-D", data, "-m", "immediate", "stop", check=False)
        shutil.rmtree(folder, ignore_errors=True)
