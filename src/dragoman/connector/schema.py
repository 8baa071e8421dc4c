"""The connector's tables, in the store's metadata (migrations 0007, 0008 and 0010 create them).

- connector_entities: the embedded catalogue's entities (native id, source language, revision, fields);
- connector_jobs: connector jobs (lifecycle state, cancel request, the vendor's reference to it);
- connector_items: each job's frozen snapshots, one per entity × target language;
- connector_history: every item event (sent, imported, cancelled, failed), in order: the entities'
  language sets are recomputed from it (`connector.languages`);
- connector_imports: per entity × language × field, the source hash last imported (what to re-send);
- connector_sync: per tenant × source system, the cursor its last sync reached;
- connector_rule_runs: per tenant × automatic sending rule, its last run, the job its latest run
  made, and the process running it now (migration 0010).
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from dragoman.store.schema import metadata

__all__ = [
    "connector_entities",
    "connector_history",
    "connector_imports",
    "connector_items",
    "connector_jobs",
    "connector_rule_runs",
    "connector_sync",
]

connector_entities = Table(
    "connector_entities",
    metadata,
    Column("tenant", String(200), primary_key=True),
    Column("id", String(200), primary_key=True),  # the entity's native id in its source system
    Column("source_language", String(35), nullable=False),
    Column("revision", String(200), nullable=False),
    Column("fields", JSON(), nullable=False),  # {name: text}
    Column("translations", JSON(), nullable=False),  # {language: {name: text}}, as imported
    Column("source", String(64), nullable=True),  # the source system it was read from; NULL: the catalogue
    Column("created_at", DateTime(), nullable=False),
    Column("updated_at", DateTime(), nullable=False),
)

connector_jobs = Table(
    "connector_jobs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant", String(200), nullable=False),
    Column("name", String(256), nullable=False),
    Column("source_language", String(35), nullable=False),
    Column("target_languages", JSON(), nullable=False),
    Column("vendor", String(50), nullable=False),
    Column("instructions", Text(), nullable=False, default=""),
    Column("due_at", DateTime(), nullable=True),
    Column("status", String(24), nullable=False),
    Column("cancel_request", String(16), nullable=False),
    Column("vendor_ref", Text(), nullable=True),  # set once the vendor has the job (JSON for several)
    Column("send_attempts", Integer(), nullable=False, default=0),
    Column("error", Text(), nullable=True),
    Column("resubmits", String(36), nullable=True),  # the cancelled or refused job this one resubmits
    Column("lease_owner", String(64), nullable=True),  # the receiver working on it, until lease_until
    Column("lease_until", DateTime(), nullable=True),
    Column("created_at", DateTime(), nullable=False),
    Column("updated_at", DateTime(), nullable=False),
    Index("ix_connector_jobs_tenant_created", "tenant", "created_at"),
    Index("ix_connector_jobs_status", "status"),
)

connector_items = Table(
    "connector_items",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("job_id", String(36), ForeignKey("connector_jobs.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer(), nullable=False),
    Column("entity", String(200), nullable=False),
    Column("language", String(35), nullable=False),
    Column("revision", String(200), nullable=False),
    Column("fields", JSON(), nullable=False),  # {name: [source text, source hash]}
    Column("status", String(16), nullable=False),  # pending, sent, imported, failed, cancelled
    Column("delivered", JSON(), nullable=True),  # {name: translated text}
    Column("error", Text(), nullable=True),
    Column("target_revision", String(200), nullable=True),  # the target version's revision when frozen
    UniqueConstraint("job_id", "entity", "language", name="uq_connector_items_job_entity_language"),
    Index("ix_connector_items_job_seq", "job_id", "seq"),
)

connector_history = Table(
    "connector_history",
    metadata,
    Column("seq", Integer(), primary_key=True, autoincrement=True),
    Column("tenant", String(200), nullable=False),
    Column("entity", String(200), nullable=False),
    Column("language", String(35), nullable=False),
    Column("job_id", String(36), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("at", DateTime(), nullable=False),
    Index("ix_connector_history_entity", "tenant", "entity", "seq"),
)

connector_imports = Table(
    "connector_imports",
    metadata,
    Column("tenant", String(200), primary_key=True),
    Column("entity", String(200), primary_key=True),
    Column("language", String(35), primary_key=True),
    Column("field", String(200), primary_key=True),
    Column("hash", String(64), nullable=False),
    Column("job_id", String(36), nullable=False),
    Column("at", DateTime(), nullable=False),
)

connector_sync = Table(
    "connector_sync",
    metadata,
    Column("tenant", String(200), primary_key=True),
    Column("source", String(64), primary_key=True),
    Column("cursor", String(200), nullable=True),  # the newest revision the last sync saw
    Column("at", DateTime(), nullable=False),
)

connector_rule_runs = Table(
    "connector_rule_runs",
    metadata,
    Column("tenant", String(200), primary_key=True),
    Column("rule", String(64), primary_key=True),
    Column("last_run_at", DateTime(), nullable=True),  # when its latest run started
    Column("job_id", String(36), nullable=True),  # the job its latest run made, recorded before it was created
    Column("outcome", Text(), nullable=True),  # what its latest run did, in words
    Column("lease_owner", String(64), nullable=True),  # the process running it now, until lease_until
    Column("lease_until", DateTime(), nullable=True),
)
