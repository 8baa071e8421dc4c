"""what the front doors need: derived status and counters stored for reads, glossaries, origin, idempotency

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


_JOB_COLUMNS = (
    sa.Column("status", sa.String(20), nullable=False, server_default="queued"),
    sa.Column("n_pending", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("n_running", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("n_succeeded", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("n_failed", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("n_cancelled", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("characters_charged", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("origin", sa.String(20), nullable=False, server_default="cli"),
    sa.Column("client_token", sa.String(200), nullable=True),
    sa.Column("request_digest", sa.String(64), nullable=True),
    sa.Column("details", sa.JSON(), nullable=True),
)


def upgrade() -> None:
    # Plain ADD COLUMN and CREATE INDEX only: a batch ("copy and move") migration would DROP the jobs
    # table, and with foreign keys on, SQLite would cascade that drop to every task.
    for column in _JOB_COLUMNS:
        op.add_column("jobs", column)
    op.create_index("ix_jobs_tenant_created", "jobs", ["tenant", "created_at", "id"])
    op.create_index("ix_jobs_tenant_status", "jobs", ["tenant", "status"])
    op.create_index("uq_jobs_tenant_client_token", "jobs", ["tenant", "client_token"], unique=True)
    op.add_column("tasks", sa.Column("glossary", sa.JSON(), nullable=True))
    _store_derived_statuses()


def _store_derived_statuses() -> None:
    """Jobs created before this revision get their stored status and counters from the domain's rules."""
    from datetime import UTC, datetime

    from dragoman.domain.jobs import ErrorInfo, Job, Summary, derive_status
    from dragoman.domain.states import TaskStatus

    bind = op.get_bind()
    counts: dict[str, dict[TaskStatus, int]] = {}
    charged: dict[str, int] = {}
    for job_id, status, number, characters in bind.execute(
        sa.text("SELECT job_id, status, count(*), sum(coalesce(characters, 0)) FROM tasks GROUP BY job_id, status")
    ):
        counts.setdefault(job_id, {})[TaskStatus(status)] = number
        if status == TaskStatus.SUCCEEDED.value:
            charged[job_id] = int(characters or 0)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    rows = bind.execute(sa.text("SELECT id, tenant, validated, cancel_requested, error_code, error_message FROM jobs"))
    for job_id, tenant, validated, cancel_requested, error_code, error_message in rows.all():
        error = ErrorInfo(error_code, error_message or "") if error_code else None
        job = Job(job_id, tenant, epoch, epoch, bool(validated), bool(cancel_requested), error)
        summary = Summary.from_counts(counts.get(job_id, {}), charged.get(job_id, 0))
        bind.execute(
            sa.text(
                "UPDATE jobs SET status = :status, n_pending = :p, n_running = :r, n_succeeded = :s, n_failed = :f,"
                " n_cancelled = :c, characters_charged = :chars WHERE id = :id"
            ),
            {
                "status": derive_status(job, summary).value,
                "p": summary.not_yet_started,
                "r": summary.in_progress,
                "s": summary.succeeded,
                "f": summary.failed,
                "c": summary.cancelled,
                "chars": summary.characters_charged,
                "id": job_id,
            },
        )


def downgrade() -> None:
    for index in ("uq_jobs_tenant_client_token", "ix_jobs_tenant_status", "ix_jobs_tenant_created"):
        op.drop_index(index, table_name="jobs")
    op.execute("ALTER TABLE tasks DROP COLUMN glossary")  # native DROP COLUMN: no table copy
    for column in _JOB_COLUMNS:
        op.execute(f"ALTER TABLE jobs DROP COLUMN {column.name}")
