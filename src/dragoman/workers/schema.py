"""Procrastinate's tables in the state database, and Dragoman's indexes over them: made once, by
whichever process starts first (under an advisory lock), before any message is sent.

Shape: `ensure(engine)`. Source: Procrastinate 3.10's `procrastinate/sql/schema.sql`.
"""

from __future__ import annotations

from procrastinate.schema import SchemaManager
from sqlalchemy import Engine, text

__all__ = ["ensure"]

_LOCK = 0x6472_6167_6F6D_616E  # "dragoman": one setup at a time, whoever starts first
# Messages by the job whose tasks they ring for (a cancel drops or stops them all), and by task
# (the reconciliation looks for a task's live message), among live messages only.
_INDEXES = (
    "CREATE INDEX IF NOT EXISTS dragoman_messages_by_job ON procrastinate_jobs ((args->>'job_id')) "
    "WHERE status IN ('todo', 'doing')",
    "CREATE INDEX IF NOT EXISTS dragoman_messages_by_task ON procrastinate_jobs (queueing_lock) "
    "WHERE status IN ('todo', 'doing')",
)


def ensure(engine: Engine) -> None:
    """Create Procrastinate's schema in the database `engine` opens (PostgreSQL) unless it is there,
    then Dragoman's indexes over it."""
    with engine.begin() as connection:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})
        if connection.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar() is None:
            connection.exec_driver_sql(SchemaManager.get_schema().replace("%", "%%"))
        for statement in _INDEXES:
            connection.exec_driver_sql(statement)
