"""connector: the human vendor's queue (dragoman.connector.vendors.human_store)

- connector_human_jobs: one row per connector job handed to a `human` vendor (a translation agency):
  its queue state and cancel request, the items as sent, the uploaded translations.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "connector_human_jobs",
        sa.Column("job_id", sa.String(36), primary_key=True),
        sa.Column("tenant", sa.String(200), nullable=False),
        sa.Column("vendor", sa.String(64), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("source_language", sa.String(35), nullable=False),
        sa.Column("target_languages", sa.JSON(), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("cancel_request", sa.String(16), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("translations", sa.JSON(), nullable=False),
        sa.Column("delivered_languages", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_connector_human_jobs_vendor_created", "connector_human_jobs", ["vendor", "created_at"])


def downgrade() -> None:
    op.drop_table("connector_human_jobs")
