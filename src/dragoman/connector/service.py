"""The connector's operations: entities in, jobs out to a vendor, cancel, poll, import.

Decisions come from the pure modules (`lifecycle`, `languages`, `snapshots`); this module only
orders the steps so that nothing is lost:

- **Send** is an outbox: the job is recorded `sending` (and its items' languages In translation)
  before the vendor is called; the vendor's `submit` is idempotent by the job id, so a retry after a
  crash finds the vendor job it already made instead of making a second. A cancel that arrives
  while the vendor call is in flight wins: the job is cancelled at once, and when the call returns
  the vendor job is withdrawn.
- **Cancel** follows `lifecycle.decide_cancel`; a request to the vendor is recorded before the
  vendor is asked, and its answer is applied at a poll. A vendor job cancelled outside the
  connector (no request of ours) that finished some items is a delivery: those are imported (they
  are billed), the others end cancelled.
- **Import** settles each item once (a repeated import changes nothing), writing only the item's
  fields for its language, and ends the job `imported` or `imported_with_errors` with a per-item
  report (each failed item's error). Whatever the vendor, a translation holds markup only where its
  source did (`inline.confine`): a markup field's text is escaped, a plain field holding a tag fails.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dragoman.connector import inline
from dragoman.connector.languages import ItemEventKind, check_not_in_translation
from dragoman.connector.lifecycle import (
    CancelDecision,
    CancelRequest,
    ConnectorJobStatus,
    decide_cancel,
    send_retry_due,
    vendor_answer,
)
from dragoman.connector.snapshots import Snapshot, out_of_date, snapshot_for
from dragoman.connector.sources.base import SourceSystem
from dragoman.connector.store import ConnectorJob, ConnectorStore, Entity, Item, ItemStatus, JobHeader, utcnow
from dragoman.connector.validation import check_entity
from dragoman.connector.vendors import CancelAnswer, Vendor, VendorState
from dragoman.connector.writeback import WriteDecision, conflict_message, decide_write
from dragoman.errors import Conflict, Invalid, NotFound, ServiceError
from dragoman.planning import language, locale

__all__ = ["Connector", "SyncReport"]

S = ConnectorJobStatus
IMPORT_BATCH = 200  # items recorded per transaction of an import
CANCELLED_OUTSIDE = (
    "the vendor's job was cancelled outside the connector: what it finished before the cancel is imported "
    "(it is billed), the rest is cancelled"
)


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What one sync of a source system did: entities read, how many of them were new or changed,
    and the cursor it reached (the newest revision read)."""

    source: str
    read: int
    changed: int
    cursor: str | None


class Connector:
    """The content connector over one state database and a set of vendors by name."""

    def __init__(
        self,
        store: ConnectorStore,
        vendors: Mapping[str, Vendor],
        sources: Mapping[str, SourceSystem] | None = None,
        *,
        lease_seconds: float = 120.0,
    ) -> None:
        """`lease_seconds`: how long a process that polls or imports a job holds it before another
        may take it over (after a crash, say)."""
        self.store = store
        self.vendors = dict(vendors)
        self.sources = dict(sources or {})
        self.owner = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"  # who holds a job's lease
        self.lease_seconds = lease_seconds

    # --- source systems -------------------------------------------------------------------------

    def source(self, tenant: str, name: str) -> SourceSystem:
        """The source system `name` of `tenant`. Raises NotFound."""
        found = self.sources.get(name)
        if found is None or found.tenant != tenant:
            raise NotFound(f"no source system {name!r}")
        return found

    def sync(self, tenant: str, name: str, *, full: bool = False) -> SyncReport:
        """Read the entities of source system `name` changed since its last sync (every entity with
        `full`) into the connector, each at the source's revision. Raises NotFound, SourceSystemError
        (the sync stops; what was read stays, and the next sync reads the rest again)."""
        source = self.source(tenant, name)
        since = None if full else self.store.sync_cursor(tenant, name)
        cursor, read, changed = since, 0, 0
        for entity in source.changed(since):
            before = self._known_revision(tenant, entity.id)
            self.store.put_entity(
                tenant,
                entity.id,
                language(entity.source_language),
                entity.fields,
                revision=entity.revision,
                source=name,
            )
            read += 1
            changed += before != entity.revision
            cursor = entity.revision if cursor is None or entity.revision > cursor else cursor
        self.store.set_sync_cursor(tenant, name, cursor)
        return SyncReport(name, read, changed, cursor)

    def _known_revision(self, tenant: str, entity_id: str) -> str | None:
        try:
            return self.store.entity(tenant, entity_id).revision
        except NotFound:
            return None

    def _fresh(self, tenant: str, entity: Entity) -> Entity:
        """`entity` as its source system holds it now (mirrored first); the catalogue's as it is."""
        if entity.source is None:
            return entity
        now = self.source(tenant, entity.source).read(entity.id)
        return self.store.put_entity(
            tenant, entity.id, language(now.source_language), now.fields, revision=now.revision, source=entity.source
        )

    # --- entities -----------------------------------------------------------------------------

    def put_entity(self, tenant: str, entity_id: str, source_language: str, fields: Mapping[str, str]) -> Entity:
        """Create or update an entity of the embedded catalogue. Raises Invalid, or Conflict for an
        entity read from a source system (it is changed there)."""
        check_entity(entity_id, fields)
        return self.store.put_entity(tenant, entity_id, language(source_language), fields)

    # --- jobs ---------------------------------------------------------------------------------

    def create_job(
        self,
        tenant: str,
        name: str,
        source_language: str,
        target_languages: Sequence[str],
        vendor: str,
        entity_ids: Sequence[str],
        *,
        only: Mapping[str, Collection[str]] | None = None,
        **options: Any,
    ) -> ConnectorJob:
        """A draft job: for each entity × target language, a frozen snapshot of the fields changed
        since they were last imported into that language (a language with nothing to send is left
        out for that entity). Raises Invalid (unknown vendor or entity, a target that is the source or
        that the vendor does not translate into, nothing to translate) or Conflict (an entity already in
        translation into a target).
        `only`: per entity, the targets to freeze for it (others are left out for it: the automatic
        sender's selection). `options`: JobHeader's instructions, due_at, resubmits, id."""
        if vendor not in self.vendors:
            raise Invalid(f"unknown vendor {vendor!r}; known: {', '.join(sorted(self.vendors))}")
        source = language(source_language)
        targets = list(dict.fromkeys(locale(target) for target in target_languages))
        if not targets:
            raise Invalid("name at least one target language")
        if any(language(target) == source for target in targets):
            raise Invalid(f"the source language {source} cannot also be a target")
        self.vendors[vendor].check_languages(source, targets)
        if not entity_ids:
            raise Invalid("name at least one entity")
        wanted = list(dict.fromkeys(entity_ids))
        sets = self.store.language_sets(tenant, wanted)
        known = self.store.entities_by_id(tenant, wanted)
        imported_for = self.store.imported_for(tenant, wanted)
        snapshots: list[Snapshot] = []
        for entity_id in wanted:
            if entity_id not in known:
                raise NotFound(f"no entity {entity_id!r}")
            entity = self._fresh(tenant, known[entity_id])
            if entity.source_language != source:
                raise Invalid(f"entity {entity_id!r} is in {entity.source_language}, not {source}")
            for target in targets:
                if only is not None and target not in only.get(entity_id, ()):
                    continue
                imported = imported_for.get(entity_id, {}).get(target, {})
                snapshot = snapshot_for(entity_id, entity.revision, entity.fields, target, imported)
                if snapshot is None:
                    continue
                if entity_id in sets:
                    check_not_in_translation(sets[entity_id], entity_id, target)
                if entity.source is not None:  # the target version as it is, to tell an editor's change at import
                    version = self.source(tenant, entity.source).target(entity_id, target)
                    snapshot = replace(snapshot, target_revision=version.revision if version else None)
                snapshots.append(snapshot)
        if not snapshots:
            raise Invalid("nothing to translate: every field of these entities is already translated as it is")
        header = JobHeader(name or "connector job", source, tuple(targets), vendor, **options)
        return self.store.create_job(tenant, header, snapshots)

    def resubmit(self, tenant: str, job_id: str) -> ConnectorJob:
        """A new draft for a cancelled job (or one whose cancel the vendor refused after it ended),
        linked to it, over the same entities and languages as they are now. Raises Conflict."""
        old = self.store.job(tenant, job_id)
        if old.status is not S.CANCELLED and old.cancel_request is not CancelRequest.REFUSED:
            raise Conflict(
                f"only a cancelled job, or one whose cancel was refused, is resubmitted (this one is {old.status})"
            )
        entities = list(dict.fromkeys(item.entity for item in old.items))
        return self.create_job(
            tenant, old.name, old.source_language, old.target_languages, old.vendor, entities,
            instructions=old.instructions, due_at=old.due_at, resubmits=old.id,
        )  # fmt: skip

    def send(self, tenant: str, job_id: str) -> ConnectorJob:
        """Send a draft, retry a failed send, or finish a send that a crash interrupted (a job left
        `sending` whose lease no process holds): see the module's docstring. A vendor that cannot
        take it now leaves the job `send_failed`, with why; sending it again retries. Raises Conflict
        (another process is sending it now, or the job is past sending)."""
        job = self.store.job(tenant, job_id)
        if job.status is S.DRAFT:
            self._check_draft_current(tenant, job)
        if job.status is not S.SENDING:
            first = job.status is S.DRAFT
            job = self.store.change(
                tenant, job_id, expect={S.DRAFT, S.SEND_FAILED}, status=S.SENDING,
                item_event=ItemEventKind.SENT if first else None, send_attempts=job.send_attempts + 1,
            )  # fmt: skip
            if job.status is not S.SENDING:
                raise Conflict(f"the job is {job.status}; only a draft or a failed send is sent")
        if not self.store.lease(tenant, job_id, self.owner, self.lease_seconds):
            raise Conflict(f"another process is sending this job now; {self._lease_hint()}")
        try:
            return self._submit(tenant, job)
        finally:
            self.store.release(tenant, job_id, self.owner)

    def _check_draft_current(self, tenant: str, job: ConnectorJob) -> None:
        """Raise Conflict when a draft froze what is no longer so: an entity changed since (the draft
        would send its old text), or every field of an item was imported as it is meanwhile (by
        another job: it would be translated and paid for twice). A new job freezes what is now."""
        ids = list(dict.fromkeys(item.entity for item in job.items))
        revisions = {entity_id: entity.revision for entity_id, entity in self.store.entities_by_id(tenant, ids).items()}
        frozen = [
            (item.entity, item.language, item.revision, {name: digest for name, (_, digest) in item.fields.items()})
            for item in job.items
        ]
        changed, done = out_of_date(frozen, revisions, self.store.imported_for(tenant, ids))
        if changed or done:
            reasons = []
            if changed:
                reasons.append(f"changed since this draft was made: {', '.join(changed)}")
            if done:
                reasons.append(f"translated as they are by another job meanwhile: {', '.join(done[:10])}")
            raise Conflict(
                "the draft is out of date; cancel it and create a new job for what is to translate now ("
                + "; ".join(reasons)
                + ")"
            )

    def _submit(self, tenant: str, job: ConnectorJob) -> ConnectorJob:
        vendor = self.vendors[job.vendor]
        try:
            ref = vendor.submit(tenant, job)
        except ServiceError as exc:
            return self.store.change(tenant, job.id, expect={S.SENDING}, status=S.SEND_FAILED, error=exc.message)
        after = self.store.change(tenant, job.id, expect={S.SENDING}, status=S.SENT, vendor_ref=ref, error=None)
        if after.status is S.CANCELLED:  # cancelled while the vendor call was in flight: take it back
            vendor.withdraw(tenant, ref)
            after = self.store.change(tenant, job.id, vendor_ref=ref)
        return after

    def resume_sends(self) -> int:
        """Finish every send a crash interrupted (jobs left `sending` that no process holds); how many
        were sent (or failed to send) now. Each is idempotent at the vendor: no second vendor job."""
        resumed = 0
        for tenant, job_id in self.store.jobs_in(S.SENDING):
            try:
                self.send(tenant, job_id)
                resumed += 1
            except Conflict:  # being sent by a live process, or moved on meanwhile
                continue
        return resumed

    def retry_failed_sends(self, attempts: int, first_wait: float) -> int:
        """Send again, on their own, the jobs whose send failed, as `lifecycle.send_retry_due` says
        (at most `attempts` attempts, waiting `first_wait` seconds, then twice that...); how many were
        tried. A job the vendor still cannot take stays `send_failed`, with why."""
        tried = 0
        now = utcnow()
        for tenant, job_id in self.store.jobs_in(S.SEND_FAILED):
            job = self.store.job(tenant, job_id, with_items=False)
            if job.status is not S.SEND_FAILED or not send_retry_due(
                job.send_attempts, job.updated_at, now, attempts, first_wait
            ):
                continue
            try:
                self.send(tenant, job_id)
                tried += 1
            except Conflict:  # moved on meanwhile, or another process sends it
                continue
        return tried

    def cancel(self, tenant: str, job_id: str) -> ConnectorJob:
        """Cancel on the connector's own while nothing or not all reached the vendor (the job ends
        cancelled, and what reached the vendor is withdrawn, by the sending process when its vendor
        call returns, or now when no process is sending it); once sent, record a request and ask the
        vendor, whose answer a later poll applies. Raises CancelRefused."""
        job = self.store.job(tenant, job_id)
        decision = decide_cancel(job.status, job.cancel_request)
        if decision is CancelDecision.REQUEST_VENDOR:
            job = self.store.change(
                tenant, job_id, expect={S.SENT, S.IN_PRODUCTION}, cancel_request=CancelRequest.REQUESTED
            )
            if job.cancel_request is CancelRequest.REQUESTED and job.vendor_ref is not None:
                self.vendors[job.vendor].request_cancel(tenant, job.vendor_ref)
            return job
        job = self.store.change(
            tenant, job_id, expect={job.status}, status=S.CANCELLED, item_event=ItemEventKind.CANCELLED
        )
        if job.status is not S.CANCELLED:  # it moved meanwhile (sent, say): decide again
            return self.cancel(tenant, job_id)
        if decision is CancelDecision.WITHDRAW:
            self._withdraw(tenant, job)
        return job

    def _lease_hint(self) -> str:
        return (
            f"if that process stopped, the job is free {self.lease_seconds:g} s after it last worked on it "
            "(DRAGOMAN_CONNECTOR_LEASE_SECONDS): try again then"
        )

    def _withdraw(self, tenant: str, job: ConnectorJob) -> None:
        """Take back what reached the vendor of a job cancelled while sending or after a failed send
        (which may have started some languages' vendor jobs). A live sending process holds the job's
        lease and withdraws when its call returns; without one (it crashed, or the send failed), the
        vendor is asked what of the job reached it (`Vendor.find`)."""
        vendor = self.vendors[job.vendor]
        if job.vendor_ref is not None:
            vendor.withdraw(tenant, job.vendor_ref)
            return
        if not self.store.lease(tenant, job.id, self.owner, self.lease_seconds):
            return  # the sender is alive: it sees the cancel when its vendor call returns
        try:
            ref = vendor.find(tenant, job)
            if ref is not None:
                vendor.withdraw(tenant, ref)
                self.store.change(tenant, job.id, vendor_ref=ref)
        except ServiceError as exc:  # the job stays cancelled: what the vendor holds of it is never imported
            self.store.change(tenant, job.id, error=f"the vendor could not be asked what reached it: {exc.message}")
        finally:
            self.store.release(tenant, job.id, self.owner)

    def poll(self, tenant: str, job_id: str, *, with_items: bool = True) -> ConnectorJob:
        """Ask the vendor where a sent job stands and apply it: a cancel request's answer, work
        started, delivery, or a cancel the vendor made on its own; and import the items of each
        target language the vendor has finished while others are still in work. Under the job's
        lease: while another process works on the job, the job is returned as it is. The job comes
        back with its items unless `with_items` is False (a receiver's round over jobs of many items
        reads none of them unless it imports)."""
        job = self.store.job(tenant, job_id, with_items=False)
        held = job.status in (S.SENT, S.IN_PRODUCTION) and job.vendor_ref is not None
        if held and self.store.lease(tenant, job_id, self.owner, self.lease_seconds):
            try:
                job = self._poll(tenant, job)
            finally:
                self.store.release(tenant, job_id, self.owner)
        return self.store.job(tenant, job_id) if with_items else job

    def _poll(self, tenant: str, job: ConnectorJob) -> ConnectorJob:
        """`poll` for a job read without its items, under its lease; the job as it ends, without items."""
        job_id, ref = job.id, job.vendor_ref
        assert ref is not None
        status = self.vendors[job.vendor].poll(tenant, ref)
        if job.cancel_request is CancelRequest.REQUESTED and status.cancel is not None:
            new_status, request = vendor_answer(
                job.status, job.cancel_request, approved=status.cancel is CancelAnswer.APPROVED
            )
            job = self.store.change(
                tenant, job_id, expect={job.status}, status=new_status, cancel_request=request,
                item_event=ItemEventKind.CANCELLED if new_status is S.CANCELLED else None, with_items=False,
            )  # fmt: skip
            if job.status is S.CANCELLED:
                return job
        if status.state is VendorState.CANCELLED:
            if self._finished_before_cancel(tenant, job_id, ref):  # cancelled at the vendor, not by us
                return self.store.change(
                    tenant, job_id, expect={S.SENT, S.IN_PRODUCTION}, status=S.READY_FOR_IMPORT,
                    error=CANCELLED_OUTSIDE, with_items=False,
                )  # fmt: skip
            return self.store.change(
                tenant, job_id, expect={S.SENT, S.IN_PRODUCTION}, status=S.CANCELLED,
                item_event=ItemEventKind.CANCELLED, with_items=False,
            )  # fmt: skip
        if status.state is VendorState.IN_PRODUCTION and job.status is S.SENT:
            job = self.store.change(tenant, job_id, expect={S.SENT}, status=S.IN_PRODUCTION, with_items=False)
        if status.state is VendorState.IN_PRODUCTION and status.complete_languages:
            finished = set(status.complete_languages) & self.store.live_languages(job_id)
            if finished:  # read the items only when some are to import
                self._import_items(tenant, self.store.job(tenant, job_id), finished)
        if status.state is VendorState.DELIVERED:
            job = self.store.change(
                tenant, job_id, expect={S.SENT, S.IN_PRODUCTION}, status=S.READY_FOR_IMPORT, with_items=False
            )
        return job

    def _finished_before_cancel(self, tenant: str, job_id: str, ref: str) -> bool:
        """Whether a job its vendor cancelled with no request of ours (someone cancelled the vendor's
        job itself: the batch job from the dashboard's Jobs page or `dragoman jobs cancel`, the Azure or
        Amazon job at the vendor) holds items the vendor finished before the cancel took effect. That
        work is done and billed: it is imported like a delivery whose other items were cancelled."""
        job = self.store.job(tenant, job_id)
        if not any(item.status == ItemStatus.SENT for item in job.items):
            return False
        deliveries = self.vendors[job.vendor].deliveries(tenant, ref, job)
        return any(
            item.status == ItemStatus.SENT and (found := deliveries.get(item.id)) is not None and found.error is None
            for item in job.items
        )

    def import_job(self, tenant: str, job_id: str) -> ConnectorJob:
        """Import a delivered job: each sent item once, its fields written for its language; the job
        ends imported, or imported_with_errors naming each failed item. A job imported already is
        answered as it is (nothing is written twice). Raises Conflict (the job is not delivered, or
        another process is importing it now), SourceSystemError (the source system
        failed: what was imported stays imported, and importing again does the rest)."""
        job = self.store.job(tenant, job_id)
        if job.status in (S.IMPORTED, S.IMPORTED_WITH_ERRORS):
            return job  # imported already (by `dragoman serve`'s receiver, say): importing again changes nothing
        if job.status is not S.READY_FOR_IMPORT or job.vendor_ref is None:
            raise Conflict(f"the job is {job.status}; only a delivered job (ready_for_import) is imported")
        if not self.store.lease(tenant, job_id, self.owner, self.lease_seconds):
            raise Conflict(f"another process is importing or polling this job now; {self._lease_hint()}")
        try:
            self._import_items(tenant, job, None)
            settled = self.store.job(tenant, job_id)
            failed = any(item.status in (ItemStatus.FAILED, ItemStatus.CANCELLED) for item in settled.items)
            return self.store.change(
                tenant, job_id, expect={S.READY_FOR_IMPORT}, status=S.IMPORTED_WITH_ERRORS if failed else S.IMPORTED
            )
        finally:
            self.store.release(tenant, job_id, self.owner)

    def _import_items(self, tenant: str, job: ConnectorJob, languages: set[str] | None) -> int:
        """Import each sent item of `job` (of `languages` only, when given) once; how many were
        settled now. Recorded IMPORT_BATCH items per transaction; an item whose entity lives in a
        source system is written there first (a crash between the write and the record is
        recognised at the next import: `writeback`). The caller holds the job's lease."""
        pending = [
            item for item in job.items
            if item.status == ItemStatus.SENT and (languages is None or item.language in languages)
        ]  # fmt: skip
        if not pending or job.vendor_ref is None:
            return 0
        deliveries = self.vendors[job.vendor].deliveries(tenant, job.vendor_ref, job)
        owners = {
            entity_id: entity.source
            for entity_id, entity in self.store.entities_by_id(tenant, [item.entity for item in pending]).items()
        }
        settled = 0
        batch: list[tuple[Item, Mapping[str, str] | None, str | None]] = []
        cancelled = {item_id for item_id, delivery in deliveries.items() if delivery.cancelled}
        for item in pending:
            delivery = deliveries.get(item.id)
            if delivery is None:
                batch.append((item, None, "the vendor delivered nothing for it"))
            else:
                missing = sorted(set(item.fields) - set(delivery.fields or {}))
                error = delivery.error or (f"fields not delivered: {', '.join(missing)}" if missing else None)
                translation, refused = _confined(item, delivery.fields or {})
                error = error or refused
                if error is None and owners.get(item.entity) is not None:
                    try:
                        error = self._write_back(tenant, owners[item.entity] or "", item, translation)
                    except NotFound as exc:  # deleted in the source system since: this item fails alone
                        error = exc.message
                    except ServiceError:  # the source system is down: what is written is recorded first
                        if batch:
                            settled += self.store.import_items(tenant, job.id, batch, cancelled=cancelled)
                        raise
                batch.append((item, None if error else translation, error))
            if len(batch) >= IMPORT_BATCH:
                settled += self.store.import_items(tenant, job.id, batch, cancelled=cancelled)
                batch = []
        if batch:
            settled += self.store.import_items(tenant, job.id, batch, cancelled=cancelled)
        return settled

    def _write_back(self, tenant: str, source_name: str, item: Item, translation: Mapping[str, str]) -> str | None:
        """Write an item's translation into its entity's source system `source_name`, as
        `writeback.decide_write` decides; the conflict that stopped it, if any. (The catalogue's
        entities are written by the store when the item is recorded.) Raises SourceSystemError (the
        item stays to import)."""
        source = self.source(tenant, source_name)
        now = source.target(item.entity, item.language)
        decision = decide_write(
            item.target_revision, now.revision if now else None, now.fields if now else None, translation
        )
        if decision is WriteDecision.CONFLICT:
            return conflict_message(item.language, item.target_revision, now.revision if now else None)
        if decision is WriteDecision.WRITE:
            source.write(item.entity, item.language, translation)
        return None


def _confined(item: Item, delivered: Mapping[str, str]) -> tuple[dict[str, str], str | None]:
    """The item's delivered fields as they may be written, whatever the vendor: a markup field's text
    escaped and only its source's own tags kept as tags (`inline.confine`); and why the item fails
    instead, if a plain field came back holding a tag."""
    translation: dict[str, str] = {}
    refused: list[str] = []
    for name, text in delivered.items():
        if name not in item.fields:
            continue
        try:
            translation[name] = inline.confine(item.fields[name][0], text)
        except inline.MarkupAdded as exc:
            refused.append(f"{name}: {exc}")
    return translation, "; ".join(refused) or None
