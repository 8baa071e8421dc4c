"""connector: source systems, target revisions, the receiver's per-job lease

- connector_entities.source: the source system an entity was read from (NULL: the embedded
  catalogue), so its translations are written back there;
- connector_items.target_revision: the revision of the entity's target-language version when the
  item was frozen (NULL: there was none), so an import can tell an editor's change from its own;
- connector_jobs.lease_owner, lease_until: the receiver holding a job (polling or importing it), so
  two receivers never work on one job at once;
- connector_sync: per tenant and source system, the cursor of the last sync (its newest revision).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("connector_entities", sa.Column("source", sa.String(64), nullable=True))
    op.add_column("connector_items", sa.Column("target_revision", sa.String(200), nullable=True))
    op.add_column("connector_jobs", sa.Column("lease_owner", sa.String(64), nullable=True))
    op.add_column("connector_jobs", sa.Column("lease_until", sa.DateTime(), nullable=True))
    op.create_table(
        "connector_sync",
        sa.Column("tenant", sa.String(200), primary_key=True),
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("cursor", sa.String(200), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("connector_sync")
    for table, column in (
        ("connector_jobs", "lease_until"),
        ("connector_jobs", "lease_owner"),
        ("connector_items", "target_revision"),
        ("connector_entities", "source"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")  # native DROP COLUMN: no table copy
