"""The `human` vendor's queue, durable in the state database (table `connector_human_jobs`, created by
migration 0008): one row per connector job handed to a human vendor.

A row holds the connector job's id (its primary key: a second `submit` finds the first), the tenant,
the vendor's name, the job's header as the agency reads it (name, languages, instructions, due date),
the queue state and cancel request (`human_rules`), the items frozen as sent (`[{id, entity, language,
fields: {name: [text, hash]}}]`), the uploaded translations (`{item id: {field: text}}`) and the target
languages delivered so far. Each change is one transaction that reads the row, asks `human_rules`
what the change makes of it, and writes the answer (the row is locked for it: SQLite's BEGIN
IMMEDIATE, PostgreSQL's SELECT ... FOR UPDATE).

Shapes: `QueuedJob` (frozen), `HumanQueue(engine)`: `add(record) -> QueuedJob` (idempotent),
`get(vendor, job_id, tenant=None) -> QueuedJob` (raises NotFound), `page(vendor, offset, limit) ->
(jobs, total)`, `change(vendor, job_id, decide, tenant=None, translations=None, language=None) ->
QueuedJob`; store failures raise StoreError.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    DateTime,
    Engine,
    Index,
    String,
    Table,
    Text,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from dragoman.connector.vendors.human_rules import QueueCancel, QueueState
from dragoman.errors import NotFound, StoreError
from dragoman.store.schema import metadata

__all__ = ["HumanQueue", "QueuedItem", "QueuedJob", "connector_human_jobs"]

connector_human_jobs = Table(
    "connector_human_jobs",
    metadata,
    Column("job_id", String(36), primary_key=True),  # the connector job's id
    Column("tenant", String(200), nullable=False),
    Column("vendor", String(64), nullable=False),
    Column("name", String(256), nullable=False),
    Column("source_language", String(35), nullable=False),
    Column("target_languages", JSON(), nullable=False),
    Column("instructions", Text(), nullable=False),
    Column("due_at", DateTime(), nullable=True),
    Column("state", String(16), nullable=False),
    Column("cancel_request", String(16), nullable=False),
    Column("items", JSON(), nullable=False),  # [{id, entity, language, fields: {name: [text, hash]}}]
    Column("translations", JSON(), nullable=False),  # {item id: {field: text}}
    Column("delivered_languages", JSON(), nullable=False),  # [language]
    Column("created_at", DateTime(), nullable=False),
    Column("updated_at", DateTime(), nullable=False),
    Index("ix_connector_human_jobs_vendor_created", "vendor", "created_at"),
)
T = connector_human_jobs


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class QueuedItem:
    """One connector item as sent: entity × target language, fields {name: (text, hash)}."""

    id: str
    entity: str
    language: str
    fields: Mapping[str, tuple[str, str]]


@dataclass(frozen=True, slots=True)
class QueuedJob:
    job_id: str
    tenant: str
    vendor: str
    name: str
    source_language: str
    target_languages: tuple[str, ...]
    state: QueueState
    cancel_request: QueueCancel
    items: tuple[QueuedItem, ...]
    created_at: datetime
    updated_at: datetime
    instructions: str = ""
    due_at: datetime | None = None
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    delivered_languages: tuple[str, ...] = ()


Decision = Callable[[QueuedJob], tuple[QueueState, QueueCancel]]


class HumanQueue:
    """The queue of every human vendor, in one state database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        try:
            with self._engine.begin() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise StoreError("the state database is unavailable or busy; try again") from exc

    def add(self, job: QueuedJob) -> QueuedJob:
        """Queue `job`; the one already queued under its id when there is one (a retried submit)."""
        try:
            with self._begin() as connection:
                found = _row(connection, job.job_id)
                if found is not None:
                    return found
                connection.execute(insert(T).values(**_values(job)))
        except StoreError as exc:
            if not isinstance(exc.__cause__, IntegrityError):
                raise
        return self.get(job.vendor, job.job_id)

    def get(self, vendor: str, job_id: str, tenant: str | None = None) -> QueuedJob:
        """The job `vendor` holds under `job_id` (and for `tenant`, when given). Raises NotFound."""
        with self._begin() as connection:
            found = _row(connection, job_id)
        if found is None or found.vendor != vendor or (tenant is not None and found.tenant != tenant):
            raise NotFound(f"vendor job {job_id} not found")
        return found

    def page(self, vendor: str, offset: int, limit: int) -> tuple[list[QueuedJob], int]:
        """`vendor`'s jobs, newest first, and how many it holds."""
        with self._begin() as connection:
            total = connection.execute(select(func.count()).select_from(T).where(T.c.vendor == vendor)).scalar_one()
            rows = connection.execute(
                select(T).where(T.c.vendor == vendor).order_by(T.c.created_at.desc(), T.c.job_id)
                .offset(offset).limit(limit)
            ).mappings()  # fmt: skip
            return [_job(row) for row in rows], int(total)

    def change(
        self,
        vendor: str,
        job_id: str,
        decide: Decision,
        *,
        tenant: str | None = None,
        translations: Mapping[str, Mapping[str, str]] | None = None,
        language: str | None = None,
    ) -> QueuedJob:
        """Apply `decide` (from the job as stored now to its new state and cancel request) in one
        transaction; with `translations` for `language`, that language's translations replace any
        uploaded before and it counts as delivered. Raises NotFound, and whatever `decide` raises."""
        with self._begin() as connection:
            job = _row(connection, job_id, lock=True)
            if job is None or job.vendor != vendor or (tenant is not None and job.tenant != tenant):
                raise NotFound(f"vendor job {job_id} not found")
            state, cancel = decide(job)
            values: dict[str, Any] = {"state": state.value, "cancel_request": cancel.value, "updated_at": utcnow()}
            if translations is not None and language is not None:
                mine = {item.id for item in job.items if item.language == language}
                kept = {item: fields for item, fields in job.translations.items() if item not in mine}
                values["translations"] = {**kept, **{item: dict(fields) for item, fields in translations.items()}}
                values["delivered_languages"] = sorted({*job.delivered_languages, language})
            connection.execute(update(T).where(T.c.job_id == job_id).values(**values))
            return _job_from(job, values)


def _row(connection: Connection, job_id: str, *, lock: bool = False) -> QueuedJob | None:
    query = select(T).where(T.c.job_id == job_id)
    if lock and connection.dialect.name == "postgresql":
        query = query.with_for_update()
    row = connection.execute(query).mappings().first()
    return None if row is None else _job(row)


def _values(job: QueuedJob) -> dict[str, Any]:
    return {
        "job_id": job.job_id, "tenant": job.tenant, "vendor": job.vendor, "name": job.name,
        "source_language": job.source_language, "target_languages": list(job.target_languages),
        "instructions": job.instructions, "due_at": job.due_at, "state": job.state.value,
        "cancel_request": job.cancel_request.value,
        "items": [
            {"id": item.id, "entity": item.entity, "language": item.language,
             "fields": {name: [text, digest] for name, (text, digest) in item.fields.items()}}
            for item in job.items
        ],
        "translations": {item: dict(fields) for item, fields in job.translations.items()},
        "delivered_languages": list(job.delivered_languages), "created_at": job.created_at,
        "updated_at": job.updated_at,
    }  # fmt: skip


def _job(row: RowMapping) -> QueuedJob:
    return QueuedJob(
        job_id=row["job_id"], tenant=row["tenant"], vendor=row["vendor"], name=row["name"],
        source_language=row["source_language"], target_languages=tuple(row["target_languages"]),
        state=QueueState(row["state"]), cancel_request=QueueCancel(row["cancel_request"]),
        items=tuple(
            QueuedItem(item["id"], item["entity"], item["language"],
                       {name: (pair[0], pair[1]) for name, pair in item["fields"].items()})
            for item in row["items"]
        ),
        created_at=row["created_at"], updated_at=row["updated_at"], instructions=row["instructions"],
        due_at=row["due_at"], translations=row["translations"],
        delivered_languages=tuple(row["delivered_languages"]),
    )  # fmt: skip


def _job_from(job: QueuedJob, values: Mapping[str, Any]) -> QueuedJob:
    return replace(
        job,
        state=QueueState(values["state"]),
        cancel_request=QueueCancel(values["cancel_request"]),
        updated_at=values["updated_at"],
        translations=values.get("translations", job.translations),
        delivered_languages=tuple(values.get("delivered_languages", job.delivered_languages)),
    )
