"""the content connector's tables (dragoman.connector.schema)

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "connector_entities",
        sa.Column("tenant", sa.String(200), primary_key=True),
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("source_language", sa.String(35), nullable=False),
        sa.Column("revision", sa.String(200), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("translations", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "connector_jobs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("tenant", sa.String(200), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("source_language", sa.String(35), nullable=False),
        sa.Column("target_languages", sa.JSON(), nullable=False),
        sa.Column("vendor", sa.String(50), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("cancel_request", sa.String(16), nullable=False),
        sa.Column("vendor_ref", sa.String(200), nullable=True),
        sa.Column("send_attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("resubmits", sa.String(36), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_connector_jobs_tenant_created", "connector_jobs", ["tenant", "created_at"])
    op.create_index("ix_connector_jobs_status", "connector_jobs", ["status"])
    op.create_table(
        "connector_items",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("job_id", sa.String(36), sa.ForeignKey("connector_jobs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(200), nullable=False),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("revision", sa.String(200), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("delivered", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.UniqueConstraint("job_id", "entity", "language", name="uq_connector_items_job_entity_language"),
    )
    op.create_index("ix_connector_items_job_seq", "connector_items", ["job_id", "seq"])
    op.create_table(
        "connector_history",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("tenant", sa.String(200), nullable=False),
        sa.Column("entity", sa.String(200), nullable=False),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("job_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_connector_history_entity", "connector_history", ["tenant", "entity", "seq"])
    op.create_table(
        "connector_imports",
        sa.Column("tenant", sa.String(200), primary_key=True),
        sa.Column("entity", sa.String(200), primary_key=True),
        sa.Column("language", sa.String(35), primary_key=True),
        sa.Column("field", sa.String(200), primary_key=True),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("job_id", sa.String(36), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    for table in ("connector_imports", "connector_history", "connector_items", "connector_jobs", "connector_entities"):
        op.drop_table(table)
