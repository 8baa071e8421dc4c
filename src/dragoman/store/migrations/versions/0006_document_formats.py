"""document formats named by the request

- tasks.document_format: the format a request named for its documents (Amazon's ContentType), so a
  document is read as that format whatever its file name (`notes`, `episode.srt`); NULL: by file name.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tasks", sa.Column("document_format", sa.String(32), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE tasks DROP COLUMN document_format")  # native DROP COLUMN: no table copy
