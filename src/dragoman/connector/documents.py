"""The connector's records as JSON documents: what the REST API answers (`api/connector/models.py`
describes the same shapes for OpenAPI), what `dragoman connector ... --json` prints and what an
entity export holds. One vocabulary for every interface, so a script can move between them.

Shapes (times are ISO 8601 UTC ending in `Z`; language sets are sorted lists):
- entity: `{id, source_language, revision, fields: {name: text}, translations: {language: {name:
  text}}, in_translation: [language], translated: [language]}`;
- job: `{id, name, status, cancel_request, source_language, target_languages, vendor, instructions,
  due_at, created_at, updated_at, vendor_ref, send_attempts, error, resubmits, actions: [action],
  counts: {items, entities, pending, sent, imported, failed, cancelled}}`, and with its items
  `items: [item]`;
- item (one entity × one target language, the import report's line): `{id, entity, language,
  revision, status, fields: {name: {source, hash}}, translation: {name: text} | null, error}`;
- source system: `{name, kind, cursor, synced_at}` (cursor and time of its last sync, null before
  the first); a sync's report: `{source, read, changed, cursor}`;
- automatic sending rule: `{name, source, select, source_language, target_languages, vendor,
  every_seconds, job_name, instructions, due_days, last_run_at, next_run_at, job_id, outcome}`
  (`select`: "all", "changed" or `{field, equals}`; `job_id`: the latest job a run made); a rule's
  run: `{rule, ran_at, synced: sync report | null, job: job | null, resumed, outcome}`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from dragoman.connector.lifecycle import actions
from dragoman.connector.store import ConnectorJob, Entity, Item, ItemStatus

if TYPE_CHECKING:
    from dragoman.connector.rule_runs import RuleRunState
    from dragoman.connector.rules import Rule
    from dragoman.connector.sender import RuleRun
    from dragoman.connector.service import SyncReport

__all__ = [
    "ITEM_STATUSES",
    "entity_document",
    "entity_page",
    "item_document",
    "job_document",
    "job_page",
    "rule_document",
    "rule_run_document",
    "source_document",
    "sync_document",
    "timestamp",
]

ITEM_STATUSES = (ItemStatus.PENDING, ItemStatus.SENT, ItemStatus.IMPORTED, ItemStatus.FAILED, ItemStatus.CANCELLED)


def timestamp(moment: datetime | None) -> str | None:
    """A stored (naive UTC) time as ISO 8601 ending in `Z`."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def entity_document(entity: Entity) -> dict[str, Any]:
    return {
        "id": entity.id,
        "source_language": entity.source_language,
        "revision": entity.revision,
        "fields": dict(entity.fields),
        "translations": {language: dict(values) for language, values in sorted(entity.translations.items())},
        "in_translation": sorted(entity.in_translation),
        "translated": sorted(entity.translated),
    }


def item_document(item: Item) -> dict[str, Any]:
    return {
        "id": item.id,
        "entity": item.entity,
        "language": item.language,
        "revision": item.revision,
        "status": item.status,
        "fields": {name: {"source": text, "hash": digest} for name, (text, digest) in item.fields.items()},
        "translation": dict(item.delivered) if item.delivered is not None else None,
        "error": item.error,
    }


def job_document(job: ConnectorJob, *, with_items: bool = True) -> dict[str, Any]:
    """A job; `with_items`: its items too (a job's page lists jobs without them)."""
    counts = {status: 0 for status in ITEM_STATUSES}
    for item in job.items:
        counts[item.status] = counts.get(item.status, 0) + 1
    document: dict[str, Any] = {
        "id": job.id,
        "name": job.name,
        "status": job.status.value,
        "cancel_request": job.cancel_request.value,
        "source_language": job.source_language,
        "target_languages": list(job.target_languages),
        "vendor": job.vendor,
        "instructions": job.instructions,
        "due_at": timestamp(job.due_at),
        "created_at": timestamp(job.created_at),
        "updated_at": timestamp(job.updated_at),
        "vendor_ref": job.vendor_ref,
        "send_attempts": job.send_attempts,
        "error": job.error,
        "resubmits": job.resubmits,
        "actions": sorted(action.value for action in actions(job.status, job.cancel_request)),
        "counts": {"items": len(job.items), "entities": len({item.entity for item in job.items}), **counts},
    }
    if with_items:
        document["items"] = [item_document(item) for item in job.items]
    return document


def entity_page(entities: list[Entity], total: int, offset: int, limit: int) -> dict[str, Any]:
    """A page of entities: `{entities: [entity], total, offset, limit}`."""
    return {"entities": [entity_document(entity) for entity in entities], **_paging(total, offset, limit)}


def job_page(jobs: list[ConnectorJob], total: int, offset: int, limit: int) -> dict[str, Any]:
    """A page of jobs, without their items: `{jobs: [job], total, offset, limit}`."""
    return {"jobs": [job_document(job, with_items=False) for job in jobs], **_paging(total, offset, limit)}


def _paging(total: int, offset: int, limit: int) -> dict[str, int]:
    return {"total": total, "offset": offset, "limit": limit}


def source_document(name: str, kind: str, cursor: str | None, synced_at: datetime | None) -> dict[str, Any]:
    """A source system and where its last sync reached."""
    return {"name": name, "kind": kind, "cursor": cursor, "synced_at": timestamp(synced_at)}


def sync_document(report: SyncReport) -> dict[str, Any]:
    return {"source": report.source, "read": report.read, "changed": report.changed, "cursor": report.cursor}


def rule_document(name: str, rule: Rule, state: RuleRunState | None) -> dict[str, Any]:
    """A rule as configured, and its record (`state`, None: never run)."""
    last = state.last_run_at if state else None
    return {
        "name": name,
        "source": rule.source,
        "select": rule.select if isinstance(rule.select, str) else rule.select.model_dump(),
        "source_language": rule.source_language,
        "target_languages": list(rule.target_languages),
        "vendor": rule.vendor,
        "every_seconds": rule.every_seconds,
        "job_name": rule.job_prefix(name),
        "instructions": rule.instructions,
        "due_days": rule.due_days,
        "last_run_at": timestamp(last),
        "next_run_at": timestamp(last + timedelta(seconds=rule.every_seconds) if last else None),
        "job_id": state.job_id if state else None,
        "outcome": state.outcome if state else None,
    }


def rule_run_document(run: RuleRun) -> dict[str, Any]:
    return {
        "rule": run.rule,
        "ran_at": timestamp(run.ran_at),
        "synced": sync_document(run.synced) if run.synced else None,
        "job": job_document(run.job) if run.job else None,
        "resumed": run.resumed,
        "outcome": run.outcome,
    }
