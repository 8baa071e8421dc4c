"""connector: automatic sending rules' runs (dragoman.connector.sender)

- connector_rule_runs: per tenant and rule, when it last ran, what it did, the job its latest run
  made (recorded before the job is created, so a run that crashed before sending leaves a draft the
  next run sends instead of making a second job), and the process running it now (a lease).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "connector_rule_runs",
        sa.Column("tenant", sa.String(200), primary_key=True),
        sa.Column("rule", sa.String(64), primary_key=True),
        sa.Column("last_run_at", sa.DateTime(), nullable=True),
        sa.Column("job_id", sa.String(36), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("connector_rule_runs")
