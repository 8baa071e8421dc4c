"""claims given back cleanly

- tasks.releases: how many of the task's claims (`attempts`) its runner gave back by stopping cleanly
  at a safe point (a shutdown, a Ctrl-C that stops waiting); the other claims were lost with their
  worker, and only those count towards failing the task as `WorkerLost` (lifecycle rule 7).

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tasks", sa.Column("releases", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    op.execute("ALTER TABLE tasks DROP COLUMN releases")  # native DROP COLUMN: no table copy
