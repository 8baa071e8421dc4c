"""Table definitions. Alembic migrations create them; queries in `jobs.py` use them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from dragoman.domain.specs import location_identity

_LIVE = "status IN ('pending', 'running')"

__all__ = ["glossaries", "glossary_digest", "jobs", "metadata", "runners", "target_key", "tasks"]

metadata = MetaData()

jobs = Table(
    "jobs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant", String(200), nullable=False, index=True),
    Column("name", String(256), nullable=True),
    Column("created_at", DateTime(), nullable=False, index=True),
    Column("updated_at", DateTime(), nullable=False),
    Column("validated", Boolean(), nullable=False),
    Column("cancel_requested", Boolean(), nullable=False, default=False),
    Column("cancel_requested_at", DateTime(), nullable=True),
    Column("error_code", String(100), nullable=True),
    Column("error_message", Text(), nullable=True),
    Column("labels", JSON(), nullable=False, default=dict),
    # The status derived from the tasks (domain.derive_status), rewritten in every transaction that
    # changes a task or the job, so lists can filter on it in SQL. Never written from anywhere else.
    Column("status", String(20), nullable=False),
    # The task counters (domain.Summary), rewritten in the same transactions, so that reading a job
    # or a page of jobs is one indexed query with no aggregation.
    Column("n_pending", Integer(), nullable=False, default=0),
    Column("n_running", Integer(), nullable=False, default=0),
    Column("n_succeeded", Integer(), nullable=False, default=0),
    Column("n_failed", Integer(), nullable=False, default=0),
    Column("n_cancelled", Integer(), nullable=False, default=0),
    Column("characters_charged", Integer(), nullable=False, default=0),
    Column("origin", String(20), nullable=False),  # the front door the job came through
    Column("client_token", String(200), nullable=True),  # idempotency token, unique per tenant
    Column("request_digest", String(64), nullable=True),  # what the token was first used for
    Column("details", JSON(), nullable=True),  # front-door facts echoed back (names, configs)
    Column("finalized_at", DateTime(), nullable=True),  # when its front door's end-of-job output was written
    Column("end_output", Boolean(), nullable=False, default=False),  # its front door promises such output
    Column("output_error_code", String(100), nullable=True),  # that output was given up on, and why
    Column("output_error_message", Text(), nullable=True),
    Column("finalize_attempts", Integer(), nullable=False, default=0),
    Column("claimed_at", DateTime(), nullable=True),  # when a task of it was last claimed (fair turns)
    Index("ix_jobs_tenant_created", "tenant", "created_at", "id"),
    Index("ix_jobs_tenant_status", "tenant", "status"),
    Index("ix_jobs_status", "status"),  # the active jobs, for fair claims
    Index("uq_jobs_tenant_client_token", "tenant", "client_token", unique=True),
)

tasks = Table(
    "tasks",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("job_id", String(36), ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer(), nullable=False),
    Column("source_url", Text(), nullable=False),
    Column("target_url", Text(), nullable=False),
    Column("source_language", String(35), nullable=False),
    Column("target_language", String(35), nullable=False),
    Column("status", String(16), nullable=False),
    Column("characters", Integer(), nullable=True),
    Column("output_sha256", String(64), nullable=True),
    Column("warnings", JSON(), nullable=True),  # [{"code", "message"}]: what the document left untranslated
    Column("progress", Float(), nullable=False, default=0.0),
    Column("error_code", String(100), nullable=True),
    Column("error_message", Text(), nullable=True),
    Column("lease_owner", String(200), nullable=True),
    Column("lease_expires_at", DateTime(), nullable=True),
    Column("attempts", Integer(), nullable=False, default=0),  # claims, each one's number its fencing token
    Column("releases", Integer(), nullable=False, default=0, server_default="0"),  # claims given back cleanly
    Column("created_at", DateTime(), nullable=False),
    Column("updated_at", DateTime(), nullable=False),
    Column("started_at", DateTime(), nullable=True),
    Column("finished_at", DateTime(), nullable=True),
    Column("glossary_digest", String(64), nullable=True),  # the job's glossary (table glossaries) it applies
    # target_key: SHA-256 of the target in its one spelling. No two live tasks share one (rule 9).
    Column("target_key", String(64), nullable=True),
    Column("document_format", String(32), nullable=True),  # TaskSpec.document_format
    UniqueConstraint("job_id", "seq", name="uq_tasks_job_seq"),
    Index("ix_tasks_job_status", "job_id", "status"),
    Index("ix_tasks_claim", "status", "created_at", "seq"),
    Index("ix_tasks_job_pending", "job_id", "status", "seq"),  # a job's next pending task, for claims
    Index(
        "uq_tasks_live_target",
        "target_key",
        unique=True,
        sqlite_where=text(_LIVE),
        postgresql_where=text(_LIVE),
    ),
)

# The service runners working on this store (`dragoman serve`), each with its last heartbeat: a
# fresh one means a service runs here (`dragoman.heartbeat`). Removed when it stops cleanly.
runners = Table(
    "runners",
    metadata,
    Column("owner", String(200), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("host", String(255), nullable=False),
    Column("pid", Integer(), nullable=False),
    Column("started_at", DateTime(), nullable=False),
    Column("beat_at", DateTime(), nullable=False),
    Index("ix_runners_kind_beat", "kind", "beat_at"),
)

# Dashboard sign-ins (web/signin.py): the cookie holds a random token, the table its SHA-256, so a
# sign-out (a deleted row) ends a session for good, and a key taken away ends the sessions it opened.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # SHA-256 of the cookie's token
    Column("kind", String(10), nullable=False),  # tenant or vendor
    Column("name", String(200), nullable=False),
    Column("key_digest", String(64), nullable=False),  # HMAC of the key it signed in with
    Column("created_at", DateTime(), nullable=False),
    Column("expires_at", DateTime(), nullable=False),
    Index("ix_web_sessions_expires", "expires_at"),
)

# A job's glossaries, each stored once: [[source term, target term], ...] as checked at submission.
glossaries = Table(
    "glossaries",
    metadata,
    Column("job_id", String(36), ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True),
    Column("digest", String(64), primary_key=True),
    Column("pairs", JSON(), nullable=False),
)


def target_key(target_url: str) -> str:
    """The key a task's target (already in its one spelling) is indexed under: its identity, so two
    SAS tokens for one blob are one target."""
    return hashlib.sha256(location_identity(target_url).encode()).hexdigest()


def glossary_digest(pairs: Iterable[Sequence[str]]) -> str:
    """The name a glossary is stored under: SHA-256 of its pairs as compact JSON."""
    return hashlib.sha256(json.dumps([list(pair) for pair in pairs], separators=(",", ":")).encode()).hexdigest()
