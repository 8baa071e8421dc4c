"""Alembic environment: always run with a connection handed over by `dragoman.store.database.upgrade`."""

from __future__ import annotations

from alembic import context

from dragoman.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
context.run_migrations()
