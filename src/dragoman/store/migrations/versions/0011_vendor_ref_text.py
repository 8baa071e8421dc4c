"""connector: a vendor's reference to a job is text of any length

- connector_jobs.vendor_ref: Text, not String(200). The azure and amazon vendors start one vendor job
  per target language and refer to them as JSON ({"es": "<id>", ...}); into five or more languages
  that is longer than 200 characters, which PostgreSQL refused after the vendor jobs had started.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("connector_jobs") as batch:
        batch.alter_column("vendor_ref", type_=sa.Text(), existing_type=sa.String(200), existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("connector_jobs") as batch:
        batch.alter_column("vendor_ref", type_=sa.String(200), existing_type=sa.Text(), existing_nullable=True)
