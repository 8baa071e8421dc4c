"""Dashboard sessions in the state database (`schema.web_sessions`), so every `dragoman serve` of a
deployment knows them and a sign-out ends one for good.

Shapes: `open(token_hash, kind, name, key_digest, hours)`, `find(token_hash) -> SessionRow | None`
(None once it ended or expired), `close(token_hash)`. Errors: StoreError.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, delete, insert, select

from dragoman.store.jobs import map_db_errors, utcnow
from dragoman.store.schema import web_sessions

__all__ = ["SessionRow", "WebSessions"]


@dataclass(frozen=True, slots=True)
class SessionRow:
    kind: str
    name: str
    key_digest: str


class WebSessions:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reader = engine.execution_options(readonly=True)

    def open(self, token_hash: str, kind: str, name: str, key_digest: str, hours: float) -> None:
        """Record a new session; expired ones are removed on the way."""
        now = utcnow()
        with map_db_errors(), self._engine.begin() as connection:
            connection.execute(delete(web_sessions).where(web_sessions.c.expires_at < now))
            connection.execute(
                insert(web_sessions).values(
                    id=token_hash,
                    kind=kind,
                    name=name,
                    key_digest=key_digest,
                    created_at=now,
                    expires_at=now + timedelta(hours=hours),
                )
            )

    def find(self, token_hash: str) -> SessionRow | None:
        with map_db_errors(), self._reader.connect() as connection, connection.begin():
            row = connection.execute(
                select(web_sessions.c.kind, web_sessions.c.name, web_sessions.c.key_digest).where(
                    web_sessions.c.id == token_hash, web_sessions.c.expires_at > utcnow()
                )
            ).first()
        return None if row is None else SessionRow(row.kind, row.name, row.key_digest)

    def close(self, token_hash: str) -> None:
        with map_db_errors(), self._engine.begin() as connection:
            connection.execute(delete(web_sessions).where(web_sessions.c.id == token_hash))
