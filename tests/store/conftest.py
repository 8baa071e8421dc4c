"""Every store test runs on both databases Dragoman supports: SQLite and a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dragoman.store.database import open_database
from dragoman.store.jobs import JobStore
from tests.postgres import PostgresServer


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.new_database()


@pytest.fixture
def store(database_url: str) -> Iterator[JobStore]:
    engine = open_database(database_url)
    yield JobStore(engine)
    engine.dispose()  # PostgreSQL connections are closed, not left to the garbage collector
