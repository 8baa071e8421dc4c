"""when a job's end-of-job output (Amazon's details files) was written

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("finalized_at", sa.DateTime(), nullable=True))
    # Jobs that finished before this revision are not finalized again.
    op.execute("UPDATE jobs SET finalized_at = updated_at WHERE status IN ('succeeded', 'partially_failed', "
               "'failed', 'cancelled', 'invalid')")  # fmt: skip


def downgrade() -> None:
    op.execute("ALTER TABLE jobs DROP COLUMN finalized_at")  # native DROP COLUMN: no table copy
