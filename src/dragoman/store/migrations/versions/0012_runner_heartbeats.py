"""runner heartbeats: which `dragoman serve` processes run on this store

- runners: one row per running service runner (its owner id, its kind, host and pid), with the
  moment of its last heartbeat; removed when it stops cleanly, stale when it died.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runners",
        sa.Column("owner", sa.String(200), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("beat_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_runners_kind_beat", "runners", ["kind", "beat_at"])


def downgrade() -> None:
    op.drop_index("ix_runners_kind_beat", table_name="runners")
    op.drop_table("runners")
