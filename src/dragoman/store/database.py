"""Connecting to the state database: SQLite (WAL) by default, PostgreSQL by URL, migrated on open."""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

__all__ = ["DURABLE", "HEAD_REVISION", "EMPTY_DATABASE", "database_exists", "open_database", "upgrade", "writer"]

log = logging.getLogger("dragoman.store")

EMPTY_DATABASE = "sqlite://"  # in memory: what a read-only command reads when the store does not exist

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration's revision (tests/store/test_migrations.py checks it is Alembic's head): a
# database already there opens without loading Alembic, which costs a command-line run about 0.1 s.
HEAD_REVISION = "0015"


def open_database(url: str, *, connections: int = 10) -> Engine:
    """An engine for `url`, with the schema migrated to the newest revision, that keeps up to
    `connections` open (one per task a runner runs at once, and some for readers; twice that while
    many wait at once)."""
    engine = _create(url, connections)
    upgrade(engine)
    return engine


def writer(engine: Engine, *, wait_seconds: float = 60.0) -> Engine:
    """The engine a store writes through: for a SQLite file, one connection of its own, which the
    process's writers take in turn (waiting at most `wait_seconds`, as long as SQLite's own busy
    timeout); else `engine` itself.

    SQLite lets one writer in at a time anyway. Writers that each take a pooled connection queue in
    SQLite's busy handler, which sleeps (1 ms, then 2, 5, ... up to 100 ms) rather than wakes when
    the lock frees, and each finds its connection's page cache stale (another connection wrote
    last) and reads the changed pages again. On one connection a writer is woken as soon as the one
    before it is done, and the cache stays warm: a job of many small documents spends about a
    tenth less CPU on its store. Other processes on the same file still meet at SQLite's lock."""
    database = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    if not database or database == ":memory:":
        return engine
    one = create_engine(
        engine.url,
        connect_args={"check_same_thread": False, "timeout": wait_seconds},
        pool_size=1,
        max_overflow=0,
        pool_timeout=wait_seconds,
    )
    _configure_sqlite(one)
    return one


def database_exists(url: str) -> bool:
    """Whether the state database at `url` may exist already: False only for a SQLite file that is
    not there and could be made (its nearest existing folder is a folder). A server's database
    (PostgreSQL), a URL that cannot be read and a path under a file count as existing: opening them
    creates nothing, and reports what is wrong with them."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return True
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return True
    path = Path(parsed.database)
    if path.exists():
        return True
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    return not ancestor.is_dir()


def _create(url: str, connections: int = 10) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # a server's connections are shared by every process: at most 10 are kept open when idle
        return create_engine(url, pool_pre_ping=True, pool_size=min(10, connections), max_overflow=connections)
    pool: dict[str, int] = {}  # in memory (a read-only command's empty store): SQLAlchemy's one-connection pool
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        pool = {"pool_size": connections, "max_overflow": connections}
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 60}, **pool)
    _configure_sqlite(engine)
    return engine


DURABLE = "dragoman_durable"
"""Execution option: False for a transaction whose commit need not survive a power cut or an
operating-system crash (it survives the process's own death either way). Such a commit does not
wait for the database's log to reach the disk (SQLite: `synchronous=NORMAL` in WAL mode;
PostgreSQL: `synchronous_commit = off`). Both logs are sequential: a lost commit takes every later
one with it, and the next durable commit makes every earlier one durable too. So a transaction may
use it only when losing it, and everything after it, leaves a state recovery already settles, as a
crash just before it would (`JobStore` says which)."""
_SYNCHRONOUS = "dragoman_synchronous"


def _configure_sqlite(engine: Engine) -> None:
    """WAL, full sync (unless a transaction is not `DURABLE`), foreign keys and a busy timeout on every
    connection; BEGIN IMMEDIATE for writers."""

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin() emit our own BEGIN: pysqlite's implicit transactions would take the
        # write lock too late and let two writers deadlock on upgrade.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get("readonly", False):
            connection.exec_driver_sql("BEGIN")
            return
        # A transaction that may be lost to a power cut (see DURABLE) commits without syncing
        # the log; SQLite takes the level only between transactions, so it is set before BEGIN.
        level = "FULL" if options.get(DURABLE, True) else "NORMAL"
        info = connection.connection.info
        if info.get(_SYNCHRONOUS, "FULL") != level:
            connection.exec_driver_sql(f"PRAGMA synchronous={level}")
            info[_SYNCHRONOUS] = level
        # Writers take the lock up front so a read-then-write transaction never fails half way.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def upgrade(engine: Engine) -> None:
    """Run Alembic to head, one process at a time; nothing (and no Alembic import) when the
    database is at HEAD_REVISION already. One log line says what was done (Alembic's own, a line
    per migration and per plugin, are left out)."""
    before = _revision(engine)
    if before == HEAD_REVISION:
        return
    logging.getLogger("alembic").setLevel(logging.WARNING)  # before its import, which logs its plugins
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with _sqlite_file_lock(engine), engine.begin() as connection:
        if engine.url.get_backend_name() == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(424242)"))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    done = f"upgraded from revision {before} to {HEAD_REVISION}" if before else f"created (revision {HEAD_REVISION})"
    event = "store.created" if before is None else "store.upgraded"
    log.info("state database %s %s", engine.url.render_as_string(hide_password=True), done, extra={"event": event})


def _revision(engine: Engine) -> str | None:
    """The database's Alembic revision, or None (a new database, or one Alembic never stamped)."""
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        return None


class _sqlite_file_lock:
    """Serialises migrations of one SQLite file across processes (PostgreSQL uses an advisory lock)."""

    def __init__(self, engine: Engine) -> None:
        database = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
        self._path = f"{database}.migrate-lock" if database and database != ":memory:" else None
        self._fd: int | None = None

    def __enter__(self) -> None:
        if self._path is not None:
            self._fd = os.open(self._path, os.O_CREAT | os.O_RDWR, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
