"""what a succeeded document left untranslated

- tasks.warnings: JSON list of {"code", "message"}, each a part of the document the format's handler
  could not translate (an embedded object, a diagram...), recorded with the task's output; NULL: none.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tasks", sa.Column("warnings", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE tasks DROP COLUMN warnings")  # native DROP COLUMN: no table copy
