"""The runners working on a store, by heartbeat (`dragoman.heartbeat` decides what is fresh).

Shapes: `beat(owner, kind)` records a heartbeat (a row per owner, made on the first beat);
`forget(owner)` removes it when the runner stops cleanly; `latest_beat(kind)` is the newest
heartbeat of a kind of runner, or None. Errors: StoreError when the database is unavailable.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime

from sqlalchemy import Engine, delete, func, insert, select, update

from dragoman.store.jobs import map_db_errors, utcnow
from dragoman.store.schema import runners

__all__ = ["RunnerRegistry"]


class RunnerRegistry:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reader = engine.execution_options(readonly=True)

    def beat(self, owner: str, kind: str) -> None:
        """Record that `owner`, a runner of `kind` on this host and process, is alive now."""
        now = utcnow()
        with map_db_errors(), self._engine.begin() as connection:
            updated = connection.execute(update(runners).where(runners.c.owner == owner).values(beat_at=now)).rowcount
            if not updated:
                connection.execute(
                    insert(runners).values(
                        owner=owner, kind=kind, host=socket.gethostname(), pid=os.getpid(), started_at=now, beat_at=now
                    )
                )

    def forget(self, owner: str) -> None:
        """The runner stopped: it no longer says it runs."""
        with map_db_errors(), self._engine.begin() as connection:
            connection.execute(delete(runners).where(runners.c.owner == owner))

    def latest_beat(self, kind: str) -> datetime | None:
        """The newest heartbeat of any runner of `kind` (naive UTC), or None if there is none."""
        with map_db_errors(), self._reader.connect() as connection, connection.begin():
            return connection.execute(select(func.max(runners.c.beat_at)).where(runners.c.kind == kind)).scalar()
