"""hardening: one live task per target, glossaries stored once per job, bounded end-of-job output

- tasks.target_key: SHA-256 of the task's target in its one spelling; a partial unique index keeps
  two live (pending or running) tasks, of any job and any tenant, from sharing a target (rule 9).
- glossaries: a job's glossaries, each stored once and named by its digest from tasks.glossary_digest
  (a 2 MB glossary over 300 documents was stored 300 times); tasks.glossary goes.
- jobs.end_output / output_error_* / finalize_attempts: the end-of-job output a front door promises,
  and how often it was tried; a job that owes it reads as not ended, and fails after bounded tries.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from dragoman.store.schema import glossary_digest, target_key

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_LIVE = "status IN ('pending', 'running')"
_JOB_COLUMNS: tuple[sa.Column[object], ...] = (
    sa.Column("end_output", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("output_error_code", sa.String(100), nullable=True),
    sa.Column("output_error_message", sa.Text(), nullable=True),
    sa.Column("finalize_attempts", sa.Integer(), nullable=False, server_default="0"),
)


def upgrade() -> None:
    # Plain ADD COLUMN / CREATE: no batch table copy (see 0002).
    for column in _JOB_COLUMNS:
        op.add_column("jobs", column)
    op.execute("UPDATE jobs SET end_output = true WHERE origin = 'aws'")
    op.add_column("tasks", sa.Column("target_key", sa.String(64), nullable=True))
    op.add_column("tasks", sa.Column("glossary_digest", sa.String(64), nullable=True))
    op.create_table(
        "glossaries",
        sa.Column("job_id", sa.String(36), sa.ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("pairs", sa.JSON(), nullable=False),
    )
    bind = op.get_bind()
    seen: set[tuple[str, str]] = set()
    live: set[str] = set()
    for task_id, job_id, target_url, status, glossary in bind.execute(
        sa.text("SELECT id, job_id, target_url, status, glossary FROM tasks ORDER BY created_at, seq")
    ).all():
        key: str | None = target_key(target_url)
        if status in ("pending", "running"):
            if key in live:  # two live tasks on one target from before this rule: the later one is not keyed
                key = None
            else:
                live.add(target_key(target_url))
        digest = None
        if glossary:
            pairs = json.loads(glossary) if isinstance(glossary, str) else glossary
            digest = glossary_digest(pairs)
            if (job_id, digest) not in seen:
                seen.add((job_id, digest))
                bind.execute(
                    sa.text("INSERT INTO glossaries (job_id, digest, pairs) VALUES (:job, :digest, :pairs)").bindparams(
                        sa.bindparam("pairs", type_=sa.JSON())
                    ),
                    {"job": job_id, "digest": digest, "pairs": pairs},
                )
        bind.execute(
            sa.text("UPDATE tasks SET target_key = :key, glossary_digest = :digest WHERE id = :id"),
            {"key": key, "digest": digest, "id": task_id},
        )
    op.create_index(
        "uq_tasks_live_target",
        "tasks",
        ["target_key"],
        unique=True,
        sqlite_where=sa.text(_LIVE),
        postgresql_where=sa.text(_LIVE),
    )
    op.execute("ALTER TABLE tasks DROP COLUMN glossary")  # native DROP COLUMN: no table copy


def downgrade() -> None:
    op.add_column("tasks", sa.Column("glossary", sa.JSON(), nullable=True))
    bind = op.get_bind()
    for job_id, digest, pairs in bind.execute(sa.text("SELECT job_id, digest, pairs FROM glossaries")).all():
        bind.execute(
            sa.text("UPDATE tasks SET glossary = :pairs WHERE job_id = :job AND glossary_digest = :digest").bindparams(
                sa.bindparam("pairs", type_=sa.JSON())
            ),
            {"pairs": json.loads(pairs) if isinstance(pairs, str) else pairs, "job": job_id, "digest": digest},
        )
    op.drop_index("uq_tasks_live_target", table_name="tasks")
    op.drop_table("glossaries")
    op.execute("ALTER TABLE tasks DROP COLUMN glossary_digest")
    op.execute("ALTER TABLE tasks DROP COLUMN target_key")
    for column in _JOB_COLUMNS:
        op.execute(f"ALTER TABLE jobs DROP COLUMN {column.name}")
