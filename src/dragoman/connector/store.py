"""The connector's records: entities of the embedded catalogue, connector jobs and their frozen items,
the item history the language sets are computed from, and the hashes last imported.

Every state change of a job is one transaction that also appends the history it implies, so the
language sets (`connector.languages`) read after any crash are exactly what was decided before it.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from dragoman.connector.languages import (
    ItemEvent,
    ItemEventKind,
    LanguageSets,
    check_not_in_translation,
    language_sets,
)
from dragoman.connector.lifecycle import CancelRequest, ConnectorJobStatus, transition
from dragoman.connector.schema import (
    connector_entities,
    connector_history,
    connector_imports,
    connector_items,
    connector_jobs,
    connector_sync,
)
from dragoman.connector.snapshots import Snapshot
from dragoman.errors import Conflict, NotFound, StoreError

__all__ = ["ConnectorJob", "ConnectorStore", "Entity", "Item", "ItemStatus", "JobHeader"]


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class Entity:
    """A content item of the embedded catalogue: its native id, source language, revision and fields,
    the translations imported into it per language, and its language sets."""

    id: str
    source_language: str
    revision: str
    fields: Mapping[str, str]
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    in_translation: frozenset[str] = frozenset()
    translated: frozenset[str] = frozenset()
    source: str | None = None  # the source system it is read from; None: the embedded catalogue


class ItemStatus:
    PENDING = "pending"  # in a draft: nothing sent
    SENT = "sent"
    IMPORTED = "imported"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    entity: str
    language: str
    revision: str
    fields: Mapping[str, tuple[str, str]]  # name -> (source text, source hash)
    status: str
    delivered: Mapping[str, str] | None = None
    error: str | None = None
    target_revision: str | None = None  # the target version's revision in the source system when frozen


@dataclass(frozen=True, slots=True)
class JobHeader:
    """What a connector job is asked to be, besides its items."""

    name: str
    source_language: str
    target_languages: tuple[str, ...]
    vendor: str
    instructions: str = ""
    due_at: datetime | None = None
    resubmits: str | None = None  # the cancelled or refused job this one resubmits
    id: str | None = None  # the job's id, chosen before it is created (the automatic sender's); None: a new one


@dataclass(frozen=True, slots=True)
class ConnectorJob:
    id: str
    tenant: str
    name: str
    source_language: str
    target_languages: tuple[str, ...]
    vendor: str
    status: ConnectorJobStatus
    cancel_request: CancelRequest
    created_at: datetime
    updated_at: datetime
    instructions: str = ""
    due_at: datetime | None = None
    vendor_ref: str | None = None
    send_attempts: int = 0
    error: str | None = None
    resubmits: str | None = None
    items: tuple[Item, ...] = ()


class ConnectorStore:
    """Connector records in the service's state database (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        try:
            with self._engine.begin() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise StoreError("the state database is unavailable or busy; try again") from exc

    # --- entities -----------------------------------------------------------------------------

    def put_entity(
        self,
        tenant: str,
        entity_id: str,
        source_language: str,
        fields: Mapping[str, str],
        *,
        revision: str | None = None,
        source: str | None = None,
    ) -> Entity:
        """Create or update an entity. In the embedded catalogue (`source` None) its revision is the
        count of its versions ("1", "2", ...), bumped only when its fields change; an entity read
        from a source system keeps that system's `revision`. Raises Conflict when the entity belongs
        to another source system than `source` (the catalogue included)."""
        now = utcnow()
        with self._begin() as connection:
            row = _entity_row(connection, tenant, entity_id)
            if row is not None and row.source != source:
                owner = f"the source system {row.source!r}" if row.source else "the embedded catalogue"
                raise Conflict(f"entity {entity_id!r} belongs to {owner}; it is changed there")
            if row is None:
                connection.execute(
                    insert(connector_entities).values(
                        tenant=tenant, id=entity_id, source_language=source_language, revision=revision or "1",
                        fields=dict(fields), translations={}, source=source, created_at=now, updated_at=now,
                    )
                )  # fmt: skip
            elif (
                dict(row.fields) != dict(fields)
                or row.source_language != source_language
                or (revision is not None and revision != row.revision)
            ):
                connection.execute(
                    update(connector_entities)
                    .where(connector_entities.c.tenant == tenant, connector_entities.c.id == entity_id)
                    .values(
                        source_language=source_language,
                        fields=dict(fields),
                        revision=revision or str(int(row.revision) + 1),
                        updated_at=now,
                    )
                )
        return self.entity(tenant, entity_id)

    def sync_cursor(self, tenant: str, source: str) -> str | None:
        """The newest revision the last sync of `source` saw for `tenant` (None: never synced)."""
        with self._begin() as connection:
            cursor: str | None = connection.execute(
                select(connector_sync.c.cursor).where(
                    connector_sync.c.tenant == tenant, connector_sync.c.source == source
                )
            ).scalar()
        return cursor

    def set_sync_cursor(self, tenant: str, source: str, cursor: str | None) -> None:
        with self._begin() as connection:
            connection.execute(
                delete(connector_sync).where(connector_sync.c.tenant == tenant, connector_sync.c.source == source)
            )
            connection.execute(insert(connector_sync).values(tenant=tenant, source=source, cursor=cursor, at=utcnow()))

    def sync_states(self, tenant: str) -> dict[str, tuple[str | None, datetime]]:
        """Source system name -> (the cursor its last sync reached, when that sync ended), for every
        source `tenant` has synced."""
        with self._begin() as connection:
            rows = connection.execute(select(connector_sync).where(connector_sync.c.tenant == tenant)).all()
        return {row.source: (row.cursor, row.at) for row in rows}

    def imported(self, tenant: str) -> dict[str, dict[str, dict[str, str]]]:
        """Entity -> language -> field -> the source hash last imported, for every entity of `tenant`."""
        with self._begin() as connection:
            rows = connection.execute(
                select(
                    connector_imports.c.entity, connector_imports.c.language, connector_imports.c.field,
                    connector_imports.c.hash,
                ).where(connector_imports.c.tenant == tenant)
            ).all()  # fmt: skip
        found: dict[str, dict[str, dict[str, str]]] = {}
        for row in rows:
            found.setdefault(row.entity, {}).setdefault(row.language, {})[row.field] = row.hash
        return found

    def entities_by_id(self, tenant: str, entity_ids: Sequence[str]) -> dict[str, Entity]:
        """The entities of `entity_ids` that exist, by id, without their language sets (read in
        slices of 500 ids). For many entities at once: one query per slice, not one per entity."""
        found: dict[str, Entity] = {}
        with self._begin() as connection:
            for start in range(0, len(entity_ids), 500):
                rows = connection.execute(
                    select(connector_entities).where(
                        connector_entities.c.tenant == tenant,
                        connector_entities.c.id.in_(list(entity_ids[start : start + 500])),
                    )
                ).all()
                for row in rows:
                    found[row.id] = _entity(row, LanguageSets())
        return found

    def imported_for(self, tenant: str, entity_ids: Sequence[str]) -> dict[str, dict[str, dict[str, str]]]:
        """Entity -> language -> field -> the source hash last imported, for `entity_ids`."""
        found: dict[str, dict[str, dict[str, str]]] = {}
        with self._begin() as connection:
            for start in range(0, len(entity_ids), 500):
                rows = connection.execute(
                    select(
                        connector_imports.c.entity, connector_imports.c.language, connector_imports.c.field,
                        connector_imports.c.hash,
                    ).where(
                        connector_imports.c.tenant == tenant,
                        connector_imports.c.entity.in_(list(entity_ids[start : start + 500])),
                    )
                ).all()  # fmt: skip
                for row in rows:
                    found.setdefault(row.entity, {}).setdefault(row.language, {})[row.field] = row.hash
        return found

    def entity(self, tenant: str, entity_id: str) -> Entity:
        """Raises NotFound."""
        with self._begin() as connection:
            row = _entity_row(connection, tenant, entity_id)
            if row is None:
                raise NotFound(f"no entity {entity_id!r}")
            sets = self._sets(connection, tenant, [entity_id]).get(entity_id, LanguageSets())
        return _entity(row, sets)

    def entities(self, tenant: str) -> list[Entity]:
        with self._begin() as connection:
            rows = connection.execute(
                select(connector_entities)
                .where(connector_entities.c.tenant == tenant)
                .order_by(connector_entities.c.id)
            ).all()
            sets = self._sets(connection, tenant, None)
        return [_entity(row, sets.get(row.id, LanguageSets())) for row in rows]

    def language_sets(self, tenant: str, entity_ids: Sequence[str] | None = None) -> dict[str, LanguageSets]:
        with self._begin() as connection:
            return self._sets(connection, tenant, entity_ids)

    @staticmethod
    def _sets(connection: Connection, tenant: str, entity_ids: Sequence[str] | None) -> dict[str, LanguageSets]:
        columns = (connector_history.c.entity, connector_history.c.language, connector_history.c.job_id,
                   connector_history.c.kind)  # fmt: skip
        if entity_ids is None:
            rows = connection.execute(
                select(*columns).where(connector_history.c.tenant == tenant).order_by(connector_history.c.seq)
            ).all()
        else:  # in slices of 500 ids; each entity's events stay in order
            wanted = list(dict.fromkeys(entity_ids))
            rows = []
            for start in range(0, len(wanted), 500):
                rows += connection.execute(
                    select(*columns)
                    .where(
                        connector_history.c.tenant == tenant,
                        connector_history.c.entity.in_(wanted[start : start + 500]),
                    )
                    .order_by(connector_history.c.seq)
                ).all()
        return language_sets(ItemEvent(row.entity, row.language, row.job_id, ItemEventKind(row.kind)) for row in rows)

    # --- jobs ---------------------------------------------------------------------------------

    def create_job(self, tenant: str, header: JobHeader, snapshots: Sequence[Snapshot]) -> ConnectorJob:
        """A draft job holding one pending item per snapshot, in one transaction."""
        job_id, now = header.id or str(uuid.uuid4()), utcnow()
        with self._begin() as connection:
            connection.execute(
                insert(connector_jobs).values(
                    id=job_id, tenant=tenant, name=header.name, source_language=header.source_language,
                    target_languages=list(header.target_languages), vendor=header.vendor,
                    instructions=header.instructions, due_at=header.due_at, status=ConnectorJobStatus.DRAFT.value,
                    cancel_request=CancelRequest.NONE.value, send_attempts=0, resubmits=header.resubmits,
                    created_at=now, updated_at=now,
                )
            )  # fmt: skip
            connection.execute(
                insert(connector_items),
                [
                    {
                        "id": str(uuid.uuid4()), "job_id": job_id, "seq": seq, "entity": snapshot.entity,
                        "language": snapshot.language, "revision": snapshot.revision,
                        "fields": {name: list(pair) for name, pair in snapshot.fields.items()},
                        "status": ItemStatus.PENDING, "target_revision": snapshot.target_revision,
                    }
                    for seq, snapshot in enumerate(snapshots)
                ],
            )  # fmt: skip
        return self.job(tenant, job_id)

    def job(self, tenant: str, job_id: str, *, with_items: bool = True) -> ConnectorJob:
        """The job, with its items unless `with_items` is False (then `items` is empty: for a
        status check of a job of many items). Raises NotFound."""
        with self._begin() as connection:
            return self._job(connection, tenant, job_id, with_items)

    def live_languages(self, job_id: str) -> set[str]:
        """The target languages of the job's items that are sent and not yet settled."""
        with self._begin() as connection:
            return set(
                connection.execute(
                    select(connector_items.c.language)
                    .where(connector_items.c.job_id == job_id, connector_items.c.status == ItemStatus.SENT)
                    .distinct()
                ).scalars()
            )

    def jobs(self, tenant: str, limit: int = 50) -> list[ConnectorJob]:
        with self._begin() as connection:
            ids = connection.execute(
                select(connector_jobs.c.id)
                .where(connector_jobs.c.tenant == tenant)
                .order_by(connector_jobs.c.created_at.desc(), connector_jobs.c.id)
                .limit(limit)
            ).scalars()
            return [self._job(connection, tenant, job_id) for job_id in list(ids)]

    def live_jobs(self, *, with_delivered: bool = False) -> list[tuple[str, str]]:
        """(tenant, job id) of every job a vendor holds and that has not ended: what the receiver polls;
        `with_delivered`: those waiting to be imported too."""
        states = [ConnectorJobStatus.SENT, ConnectorJobStatus.IN_PRODUCTION]
        if with_delivered:
            states.append(ConnectorJobStatus.READY_FOR_IMPORT)
        live = [status.value for status in states]
        with self._begin() as connection:
            rows = connection.execute(
                select(connector_jobs.c.tenant, connector_jobs.c.id).where(connector_jobs.c.status.in_(live))
            ).all()
        return [(row.tenant, row.id) for row in rows]

    def jobs_in(self, status: ConnectorJobStatus) -> list[tuple[str, str]]:
        """(tenant, job id) of every job in `status`, oldest first."""
        with self._begin() as connection:
            rows = connection.execute(
                select(connector_jobs.c.tenant, connector_jobs.c.id)
                .where(connector_jobs.c.status == status.value)
                .order_by(connector_jobs.c.created_at)
            ).all()
        return [(row.tenant, row.id) for row in rows]

    @classmethod
    def _check_not_in_translation(cls, connection: Connection, tenant: str, job_id: str) -> None:
        """Raise Conflict when an item of this draft is already in translation through another job
        (two drafts of one entity and language, the other sent first): one live item per entity and
        language. The entities' rows are locked first, so two sends racing decide one after the other."""
        pending = connection.execute(
            select(connector_items.c.entity, connector_items.c.language).where(
                connector_items.c.job_id == job_id, connector_items.c.status == ItemStatus.PENDING
            )
        ).all()
        entities = sorted({row.entity for row in pending})
        if not entities:
            return
        connection.execute(
            select(connector_entities.c.id)
            .where(connector_entities.c.tenant == tenant, connector_entities.c.id.in_(entities))
            .with_for_update()
        ).all()
        sets = cls._sets(connection, tenant, entities)
        for row in pending:
            if row.entity in sets:
                check_not_in_translation(sets[row.entity], row.entity, row.language)

    def lease(self, tenant: str, job_id: str, owner: str, seconds: float) -> bool:
        """Take (or renew) the job's lease for `owner` for `seconds`: True unless another owner holds
        an unexpired one. One statement, so two processes racing for a job never both win."""
        now = utcnow()
        with self._begin() as connection:
            taken = connection.execute(
                update(connector_jobs)
                .where(
                    connector_jobs.c.tenant == tenant,
                    connector_jobs.c.id == job_id,
                    or_(
                        connector_jobs.c.lease_owner.is_(None),
                        connector_jobs.c.lease_owner == owner,
                        connector_jobs.c.lease_until.is_(None),
                        connector_jobs.c.lease_until < now,
                    ),
                )
                .values(lease_owner=owner, lease_until=now + timedelta(seconds=seconds))
            ).rowcount
        return bool(taken)

    def release(self, tenant: str, job_id: str, owner: str) -> None:
        """Give the job's lease back, if `owner` holds it."""
        with self._begin() as connection:
            connection.execute(
                update(connector_jobs)
                .where(
                    connector_jobs.c.tenant == tenant,
                    connector_jobs.c.id == job_id,
                    connector_jobs.c.lease_owner == owner,
                )
                .values(lease_owner=None, lease_until=None)
            )

    # --- pages, for the REST API and the command line -----------------------------------------

    def entity_page(self, tenant: str, offset: int = 0, limit: int = 50) -> tuple[list[Entity], int]:
        """Up to `limit` entities from the `offset`-th, by id, with their language sets; and how many
        the tenant has in all."""
        with self._begin() as connection:
            total = connection.execute(
                select(func.count()).select_from(connector_entities).where(connector_entities.c.tenant == tenant)
            ).scalar_one()
            rows = connection.execute(
                select(connector_entities)
                .where(connector_entities.c.tenant == tenant)
                .order_by(connector_entities.c.id)
                .offset(offset)
                .limit(limit)
            ).all()
            sets = self._sets(connection, tenant, [row.id for row in rows]) if rows else {}
        return [_entity(row, sets.get(row.id, LanguageSets())) for row in rows], int(total)

    def job_page(self, tenant: str, offset: int = 0, limit: int = 50) -> tuple[list[ConnectorJob], int]:
        """Up to `limit` jobs from the `offset`-th, newest first, with their items; and how many the
        tenant has in all."""
        with self._begin() as connection:
            total = connection.execute(
                select(func.count()).select_from(connector_jobs).where(connector_jobs.c.tenant == tenant)
            ).scalar_one()
            ids = connection.execute(
                select(connector_jobs.c.id)
                .where(connector_jobs.c.tenant == tenant)
                .order_by(connector_jobs.c.created_at.desc(), connector_jobs.c.id)
                .offset(offset)
                .limit(limit)
            ).scalars()
            return [self._job(connection, tenant, job_id) for job_id in list(ids)], int(total)

    def job_ids_starting_with(self, tenant: str, prefix: str, limit: int = 10) -> list[str]:
        """Ids of the tenant's jobs that start with `prefix` (as written, dashes included), at most `limit`."""
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        with self._begin() as connection:
            return list(
                connection.execute(
                    select(connector_jobs.c.id)
                    .where(connector_jobs.c.tenant == tenant, connector_jobs.c.id.like(pattern, escape="\\"))
                    .order_by(connector_jobs.c.id)
                    .limit(limit)
                ).scalars()
            )

    @staticmethod
    def _job(connection: Connection, tenant: str, job_id: str, with_items: bool = True) -> ConnectorJob:
        row = connection.execute(
            select(connector_jobs).where(connector_jobs.c.tenant == tenant, connector_jobs.c.id == job_id)
        ).first()
        if row is None:
            raise NotFound(f"no connector job {job_id!r}")
        items: Sequence[Any] = ()
        if with_items:
            items = connection.execute(
                select(connector_items).where(connector_items.c.job_id == job_id).order_by(connector_items.c.seq)
            ).all()
        return ConnectorJob(
            id=row.id, tenant=row.tenant, name=row.name, source_language=row.source_language,
            target_languages=tuple(row.target_languages), vendor=row.vendor,
            status=ConnectorJobStatus(row.status), cancel_request=CancelRequest(row.cancel_request),
            created_at=row.created_at, updated_at=row.updated_at, instructions=row.instructions,
            due_at=row.due_at, vendor_ref=row.vendor_ref, send_attempts=row.send_attempts, error=row.error,
            resubmits=row.resubmits, items=tuple(_item(item) for item in items),
        )  # fmt: skip

    def change(
        self,
        tenant: str,
        job_id: str,
        *,
        expect: Iterable[ConnectorJobStatus] | None = None,
        status: ConnectorJobStatus | None = None,
        cancel_request: CancelRequest | None = None,
        item_event: ItemEventKind | None = None,
        with_items: bool = True,
        **values: Any,
    ) -> ConnectorJob:
        """Change a job in one transaction: its status (along the lifecycle; raises InvalidTransition),
        its cancel request, other columns (`values`), and, with `item_event`, every live item of it:
        SENT marks pending items sent, CANCELLED and FAILED end sent ones; each appends its history.
        With `expect`, the job is returned unchanged when its status is not one of them (a concurrent
        change won). The job is returned with its items unless `with_items` is False. Raises NotFound."""
        with self._begin() as connection:
            row = connection.execute(
                select(connector_jobs.c.status)
                .where(connector_jobs.c.tenant == tenant, connector_jobs.c.id == job_id)
                .with_for_update()
            ).first()
            if row is None:
                raise NotFound(f"no connector job {job_id!r}")
            current = ConnectorJobStatus(row.status)
            if expect is not None and current not in set(expect):
                return self._job(connection, tenant, job_id, with_items)
            changes: dict[str, Any] = {"updated_at": utcnow(), **values}
            if status is not None and status is not current:
                changes["status"] = transition(current, status).value
            if cancel_request is not None:
                changes["cancel_request"] = cancel_request.value
            connection.execute(update(connector_jobs).where(connector_jobs.c.id == job_id).values(**changes))
            if item_event is not None:
                self._item_event(connection, tenant, job_id, item_event)
            return self._job(connection, tenant, job_id, with_items)

    @classmethod
    def _item_event(cls, connection: Connection, tenant: str, job_id: str, kind: ItemEventKind) -> None:
        source = ItemStatus.PENDING if kind is ItemEventKind.SENT else ItemStatus.SENT
        if kind is ItemEventKind.SENT:
            cls._check_not_in_translation(connection, tenant, job_id)
        target = {
            ItemEventKind.SENT: ItemStatus.SENT,
            ItemEventKind.CANCELLED: ItemStatus.CANCELLED,
            ItemEventKind.FAILED: ItemStatus.FAILED,
        }[kind]
        rows = connection.execute(
            select(connector_items.c.entity, connector_items.c.language)
            .where(connector_items.c.job_id == job_id, connector_items.c.status == source)
            .order_by(connector_items.c.seq)
        ).all()
        connection.execute(
            update(connector_items)
            .where(connector_items.c.job_id == job_id, connector_items.c.status == source)
            .values(status=target)
        )
        if kind is ItemEventKind.CANCELLED:  # a draft's items were never sent: they just end
            connection.execute(
                update(connector_items)
                .where(connector_items.c.job_id == job_id, connector_items.c.status == ItemStatus.PENDING)
                .values(status=ItemStatus.CANCELLED)
            )
        now = utcnow()
        if rows:
            connection.execute(
                insert(connector_history),
                [
                    {"tenant": tenant, "entity": row.entity, "language": row.language, "job_id": job_id,
                     "kind": kind.value, "at": now}
                    for row in rows
                ],
            )  # fmt: skip

    def import_items(
        self,
        tenant: str,
        job_id: str,
        results: Sequence[tuple[Item, Mapping[str, str] | None, str | None]],
        *,
        cancelled: Collection[str] = (),
    ) -> int:
        """Record items' imports in one transaction, each once: (item, translation, error). A
        translation is written into its entity (per language, only the item's fields), with its
        hashes as last imported, and its history; with an error, the item failed (or, its id in
        `cancelled`, was cancelled: the vendor's job was cancelled before it was translated) and
        nothing is written. How many were settled now (an item already settled, by a repeated or
        concurrent import, is left as it is)."""
        now = utcnow()
        settled = 0
        with self._begin() as connection:
            for item, translation, error in results:
                ended = ItemStatus.CANCELLED if error and item.id in cancelled else ItemStatus.FAILED
                settled += self._import_one(connection, tenant, job_id, item, translation, error, now, ended)
        return settled

    @staticmethod
    def _import_one(
        connection: Connection,
        tenant: str,
        job_id: str,
        item: Item,
        translation: Mapping[str, str] | None,
        error: str | None,
        now: datetime,
        ended: str = ItemStatus.FAILED,
    ) -> bool:
        """Settle one item: imported, or with an error `ended` (failed or cancelled)."""
        settled = connection.execute(
            update(connector_items)
            .where(connector_items.c.id == item.id, connector_items.c.status == ItemStatus.SENT)
            .values(
                status=ended if error else ItemStatus.IMPORTED,
                delivered=dict(translation) if translation is not None else None,
                error=error,
            )
        ).rowcount
        if not settled:
            return False
        if error is None and translation is not None:
            row = connection.execute(
                select(connector_entities.c.translations).where(
                    connector_entities.c.tenant == tenant, connector_entities.c.id == item.entity
                )
            ).first()
            if row is not None:
                translations = {language: dict(values) for language, values in (row.translations or {}).items()}
                translations.setdefault(item.language, {}).update(translation)
                connection.execute(
                    update(connector_entities)
                    .where(connector_entities.c.tenant == tenant, connector_entities.c.id == item.entity)
                    .values(translations=translations)
                )
            connection.execute(
                delete(connector_imports).where(
                    connector_imports.c.tenant == tenant,
                    connector_imports.c.entity == item.entity,
                    connector_imports.c.language == item.language,
                    connector_imports.c.field.in_(list(item.fields)),
                )
            )
            connection.execute(
                insert(connector_imports),
                [
                    {"tenant": tenant, "entity": item.entity, "language": item.language, "field": name,
                     "hash": digest, "job_id": job_id, "at": now}
                    for name, (_, digest) in item.fields.items()
                ],
            )  # fmt: skip
        kind = ItemEventKind.IMPORTED
        if error:
            kind = ItemEventKind.CANCELLED if ended == ItemStatus.CANCELLED else ItemEventKind.FAILED
        connection.execute(
            insert(connector_history).values(
                tenant=tenant, entity=item.entity, language=item.language, job_id=job_id, kind=kind.value, at=now
            )
        )
        return True


def _entity_row(connection: Connection, tenant: str, entity_id: str) -> Any:
    return connection.execute(
        select(connector_entities).where(connector_entities.c.tenant == tenant, connector_entities.c.id == entity_id)
    ).first()


def _entity(row: Any, sets: LanguageSets) -> Entity:
    return Entity(
        id=row.id,
        source_language=row.source_language,
        revision=row.revision,
        fields=dict(row.fields),
        translations={language: dict(values) for language, values in (row.translations or {}).items()},
        in_translation=frozenset(sets.in_translation),
        translated=frozenset(sets.translated),
        source=row.source,
    )


def _item(row: Any) -> Item:
    return Item(
        id=row.id,
        entity=row.entity,
        language=row.language,
        revision=row.revision,
        fields={name: (pair[0], pair[1]) for name, pair in row.fields.items()},
        status=row.status,
        delivered=dict(row.delivered) if row.delivered is not None else None,
        error=row.error,
        target_revision=row.target_revision,
    )
