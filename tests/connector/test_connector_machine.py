"""The connector (service, store, lifecycle, language sets) driven by random sequences of sends,
vendor outcomes (work started, languages delivered, cancels the vendor makes on its own, approvals
and refusals of cancel requests), cancels, polls, imports and crashes (a process dying inside a
send or an import, and a new process taking over), against a vendor scripted by the test.

After every step: a language is never both In translation and Translated; the sets are exactly
what the items imply (In translation: an item sent and not settled; Translated: imported once and
not in translation again); each job only moved along the lifecycle; nothing was imported for a
cancelled item; one vendor job per connector job; a cancelled job's vendor job is cancelled."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import select

from dragoman.config import Settings
from dragoman.connector.lifecycle import TRANSITIONS, ConnectorJobStatus
from dragoman.connector.schema import connector_history
from dragoman.connector.service import Connector
from dragoman.connector.store import ConnectorJob, ConnectorStore, ItemStatus
from dragoman.connector.vendors.base import CancelAnswer, Delivery, Vendor, VendorState, VendorStatus
from dragoman.errors import CancelRefused, Conflict, Invalid
from dragoman.service import Dragoman

S = ConnectorJobStatus
TENANT = "default"
ENTITIES = ["chair", "table", "lamp"]
LANGUAGES = ["es", "ca", "fr"]


class Crash(BaseException):
    """The process died here (nothing after this point in the call ran)."""


class ScriptedVendor(Vendor):
    """A vendor whose every move the test makes: its jobs, by reference, in memory."""

    name = "scripted"

    def __init__(self) -> None:
        self.jobs: dict[str, dict[str, object]] = {}  # ref -> state, cancel answer, languages done, connector job
        self.crash_after_create = False

    def submit(self, tenant: str, job: ConnectorJob) -> str:
        found = self.find(tenant, job)
        if found is not None:
            return found
        ref = f"v-{job.id}"
        self.jobs[ref] = {
            "state": VendorState.RECEIVED, "cancel": None, "done": set(), "job": job.id,
            "languages": {item.language for item in job.items}, "requested": False,
        }  # fmt: skip
        if self.crash_after_create:
            self.crash_after_create = False
            raise Crash
        return ref

    def find(self, tenant: str, job: ConnectorJob) -> str | None:
        ref = f"v-{job.id}"
        return ref if ref in self.jobs else None

    def poll(self, tenant: str, ref: str) -> VendorStatus:
        entry = self.jobs[ref]
        done = frozenset(entry["done"])  # type: ignore[arg-type]
        return VendorStatus(entry["state"], entry["cancel"], complete_languages=done)  # type: ignore[arg-type]

    def request_cancel(self, tenant: str, ref: str) -> None:
        self.jobs[ref]["requested"] = True

    def withdraw(self, tenant: str, ref: str) -> None:
        self.jobs[ref]["state"] = VendorState.CANCELLED

    def deliveries(self, tenant: str, ref: str, job: ConnectorJob) -> dict[str, Delivery]:
        done = self.jobs[ref]["done"]
        return {
            item.id: Delivery(fields={name: f"[{item.language}] {text}" for name, (text, _) in item.fields.items()})
            for item in job.items
            if item.language in done  # type: ignore[operator]
        }


class ConnectorMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="connector-machine-"))
        self.service = Dragoman.from_settings(Settings(data_dir=self.folder / "data", roots=[self.folder]))
        self.vendor = ScriptedVendor()
        self.connector = self._process()
        for number, entity in enumerate(ENTITIES):
            self.connector.put_entity(TENANT, entity, "en", {"name": f"Thing {number}", "description": "Text."})
        self.job_ids: list[str] = []
        self.seen: dict[str, S] = {}

    def _process(self) -> Connector:
        """A new process over the same state database (its leases are its own)."""
        return Connector(ConnectorStore(self.service.store._engine), {"scripted": self.vendor}, lease_seconds=0.001)

    def teardown(self) -> None:
        self.service.close()

    def _job(self, index: int) -> ConnectorJob:
        """One of the two newest jobs (work on a few jobs goes further along their lifecycle)."""
        return self.connector.store.job(TENANT, self.job_ids[-1 - index % min(2, len(self.job_ids))])

    def _ref(self, index: int) -> str | None:
        """The vendor's job for one of the two newest jobs, if it has one."""
        if not self.job_ids:
            return None
        ref = f"v-{self._job(index).id}"
        return ref if ref in self.vendor.jobs else None

    # --- the connector's users ------------------------------------------------------------------

    def _settled(self) -> bool:
        """Whether the newest job has ended (a new one may begin)."""
        if not self.job_ids:
            return True
        return self._job(0).status in (S.IMPORTED, S.IMPORTED_WITH_ERRORS, S.CANCELLED)

    @precondition(lambda self: self._settled() or self._job(0).status is S.DRAFT)
    @rule(
        entities=st.lists(st.sampled_from(ENTITIES), min_size=1, max_size=3, unique=True),
        languages=st.lists(st.sampled_from(LANGUAGES), min_size=1, max_size=3, unique=True),
    )
    def create(self, entities: list[str], languages: list[str]) -> None:
        try:
            job = self.connector.create_job(TENANT, "j", "en", languages, "scripted", entities)
        except (Invalid, Conflict):  # nothing to send, or an entity already in translation
            return
        self.job_ids.append(job.id)

    @precondition(lambda self: self.job_ids)
    @rule(index=st.integers(0, 1), crash=st.booleans())
    def send(self, index: int, crash: bool) -> None:
        job = self._job(index)
        self.vendor.crash_after_create = crash
        try:
            self.connector.send(TENANT, job.id)
        except Conflict:
            pass
        except Crash:
            self.connector = self._process()  # restarted; the job is left sending
        finally:
            self.vendor.crash_after_create = False

    @precondition(lambda self: self.job_ids)
    @rule(index=st.integers(0, 1), now=st.integers(0, 3))
    def cancel(self, index: int, now: int) -> None:
        if now:  # one time in four: cancels are rarer than the work they stop
            return
        with contextlib.suppress(CancelRefused):
            self.connector.cancel(TENANT, self._job(index).id)

    @precondition(lambda self: self.job_ids)
    @rule(index=st.integers(0, 1))
    def poll(self, index: int) -> None:
        self.connector.poll(TENANT, self._job(index).id)

    @precondition(lambda self: self.job_ids)
    @rule(index=st.integers(0, 1), crash_after=st.none() | st.integers(0, 4))
    def import_(self, index: int, crash_after: int | None) -> None:
        store = self.connector.store
        original = store.import_items
        calls = 0

        def dying(tenant: str, job_id: str, results: list[tuple[object, ...]], **options: Any) -> int:
            """Records the first `crash_after` items, then the process dies before the rest."""
            nonlocal calls
            if crash_after is not None and calls + len(results) > crash_after:
                kept = results[: max(0, crash_after - calls)]
                original(tenant, job_id, kept, **options)  # type: ignore[arg-type]
                raise Crash
            calls += len(results)
            return original(tenant, job_id, results, **options)  # type: ignore[arg-type]

        store.import_items = dying  # type: ignore[method-assign]
        try:
            self.connector.import_job(TENANT, self._job(index).id)
        except Conflict:
            pass
        except Crash:
            self.connector = self._process()
        finally:
            store.import_items = original  # type: ignore[method-assign]

    @rule()
    def resume(self) -> None:
        self.connector.resume_sends()

    # --- the vendor -----------------------------------------------------------------------------

    def _live(self, index: int) -> dict[str, object] | None:
        ref = self._ref(index)
        if ref is None:
            return None
        entry = self.vendor.jobs[ref]
        return None if entry["state"] in (VendorState.CANCELLED, VendorState.DELIVERED) else entry

    @rule(index=st.integers(0, 1))
    def vendor_starts(self, index: int) -> None:
        entry = self._live(index)
        if entry is not None:
            entry["state"] = VendorState.IN_PRODUCTION

    @rule(index=st.integers(0, 1), language=st.sampled_from(LANGUAGES))
    def vendor_delivers(self, index: int, language: str) -> None:
        entry = self._live(index)
        if entry is None:
            return
        done: set[str] = entry["done"]  # type: ignore[assignment]
        done.add(language)
        entry["state"] = VendorState.IN_PRODUCTION
        if done >= entry["languages"]:  # type: ignore[operator]
            entry["state"] = VendorState.DELIVERED
            if entry["requested"]:
                entry["cancel"] = CancelAnswer.REFUSED  # the work is done: too late

    @rule(index=st.integers(0, 1))
    def vendor_delivers_everything(self, index: int) -> None:
        entry = self._live(index)
        if entry is not None:
            for language in sorted(entry["languages"]):  # type: ignore[call-overload]
                self.vendor_delivers(index, language)

    @rule(index=st.integers(0, 1), approve=st.booleans())
    def vendor_answers(self, index: int, approve: bool) -> None:
        entry = self._live(index)
        if entry is None or not entry["requested"] or entry["cancel"] is not None:
            return
        entry["cancel"] = CancelAnswer.APPROVED if approve else CancelAnswer.REFUSED
        if approve:
            entry["state"] = VendorState.CANCELLED
        else:
            entry["state"] = VendorState.IN_PRODUCTION

    @rule(index=st.integers(0, 1), now=st.integers(0, 3))
    def vendor_cancels_on_its_own(self, index: int, now: int) -> None:
        entry = self._live(index) if not now else None
        if entry is not None:
            entry["state"] = VendorState.CANCELLED

    # --- what must always hold ------------------------------------------------------------------

    def _jobs(self) -> list[ConnectorJob]:
        return [self.connector.store.job(TENANT, job_id) for job_id in self.job_ids]

    @invariant()
    def language_sets_are_what_the_items_imply(self) -> None:
        jobs = self._jobs()
        for entity in ENTITIES:
            sets = self.connector.store.entity(TENANT, entity)
            assert not sets.in_translation & sets.translated
            items = [item for job in jobs for item in job.items if item.entity == entity]
            in_translation = {item.language for item in items if item.status == ItemStatus.SENT}
            imported = {item.language for item in items if item.status == ItemStatus.IMPORTED}
            assert sets.in_translation == in_translation, (entity, sets, in_translation)
            live = [item.language for item in items if item.status == ItemStatus.SENT]
            assert len(live) == len(set(live)), (entity, live)  # one live item per entity and language
            assert sets.translated == imported - in_translation, (entity, sets, imported)

    @invariant()
    def jobs_move_only_along_the_lifecycle(self) -> None:
        for job in self._jobs():
            before = self.seen.get(job.id, S.DRAFT)
            assert job.status is before or job.status in reachable(before), (before, job.status)
            self.seen[job.id] = job.status

    @invariant()
    def nothing_is_imported_for_a_cancelled_item(self) -> None:
        with self.service.store._engine.connect() as connection:
            rows = connection.execute(select(connector_history)).all()
        imported = {(row.job_id, row.entity, row.language) for row in rows if row.kind == "imported"}
        for job in self._jobs():
            for item in job.items:
                if item.status == ItemStatus.CANCELLED:
                    assert (job.id, item.entity, item.language) not in imported
                    assert item.delivered is None
        counts: dict[tuple[str, str, str], int] = {}
        for row in rows:
            if row.kind in ("imported", "failed"):
                key = (row.job_id, row.entity, row.language)
                counts[key] = counts.get(key, 0) + 1
        assert all(count == 1 for count in counts.values()), counts  # each item settled once

    @invariant()
    def one_vendor_job_per_job_and_cancelled_jobs_are_cancelled_there(self) -> None:
        by_job: dict[str, int] = {}
        for entry in self.vendor.jobs.values():
            by_job[entry["job"]] = by_job.get(entry["job"], 0) + 1  # type: ignore[index]
        assert all(count == 1 for count in by_job.values())
        for job in self._jobs():
            entry = self.vendor.jobs.get(f"v-{job.id}")
            if job.status is S.CANCELLED and entry is not None and job.status is not S.SENDING:
                assert entry["state"] is VendorState.CANCELLED, (job.id, entry)


def reachable(status: S) -> set[S]:
    seen, todo = set(), [status]
    while todo:
        for following in TRANSITIONS[todo.pop()]:
            if following not in seen:
                seen.add(following)
                todo.append(following)
    return seen


ConnectorMachine.TestCase.settings = settings(
    max_examples=80, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
test_connector_machine = ConnectorMachine.TestCase
