"""fair claims: jobs take turns at the workers

- jobs.claimed_at: when a task of the job was last claimed;
- ix_jobs_status: the active jobs, among which a claim picks the one with the fewest running tasks,
  served least recently;
- ix_tasks_job_pending: that job's next pending task, in submission order.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("claimed_at", sa.DateTime(), nullable=True))
    op.create_index("ix_jobs_status", "jobs", ["status"])
    op.create_index("ix_tasks_job_pending", "tasks", ["job_id", "status", "seq"])


def downgrade() -> None:
    op.drop_index("ix_tasks_job_pending", table_name="tasks")
    op.drop_index("ix_jobs_status", table_name="jobs")
    op.execute("ALTER TABLE jobs DROP COLUMN claimed_at")  # native DROP COLUMN: no table copy
