"""The connector end to end with the local vendor: Dragoman's own batch jobs, run by a real runner
with Apertium, over the embedded catalogue."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dragoman.abort import Aborted
from dragoman.config import Settings
from dragoman.connector.lifecycle import CancelRequest, ConnectorJobStatus
from dragoman.connector.service import Connector
from dragoman.connector.store import ConnectorJob, ConnectorStore, ItemStatus
from dragoman.connector.vendors import LocalVendor, Vendor, VendorStatus
from dragoman.domain.states import JobStatus, TaskStatus
from dragoman.errors import CancelRefused, Conflict, Invalid, ServiceError
from dragoman.service import Dragoman
from tests.conftest import wait_for

S = ConnectorJobStatus
TENANT = "default"


def connector_for(service: Dragoman, vendor: Vendor | None = None) -> Connector:
    local = vendor or LocalVendor(service)
    return Connector(ConnectorStore(service.store._engine), {"local": local})


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Dragoman]:
    settings = Settings(data_dir=tmp_path / "data", roots=[tmp_path / "docs"], workers=2)
    with Dragoman.from_settings(settings, with_runner=True) as service:
        yield service


@pytest.fixture
def stopped(tmp_path: Path) -> Iterator[Dragoman]:
    """A service whose batch jobs wait: nothing runs them (a vendor that has not started)."""
    settings = Settings(data_dir=tmp_path / "data", roots=[tmp_path / "docs"], workers=2)
    with Dragoman.from_settings(settings) as service:
        yield service


def catalogue(connector: Connector) -> None:
    connector.put_entity(TENANT, "chair", "en", {"name": "The red house", "description": "I like dogs."})
    connector.put_entity(TENANT, "table", "en", {"name": "The cat is black.", "sku": ""})


def until(connector: Connector, job_id: str, status: ConnectorJobStatus) -> ConnectorJob:
    def reached() -> bool:
        return connector.poll(TENANT, job_id).status is status

    wait_for(reached, timeout=60)
    return connector.store.job(TENANT, job_id)


def test_the_happy_path_sends_translates_and_imports_per_language(running: Dragoman) -> None:
    connector = connector_for(running)
    catalogue(connector)
    job = connector.create_job(TENANT, "spring catalogue", "en", ["es", "ca"], "local", ["chair", "table"])
    assert job.status is S.DRAFT and len(job.items) == 4  # 2 entities × 2 languages; the empty sku is not sent
    assert connector.store.entity(TENANT, "chair").in_translation == frozenset()
    sent = connector.send(TENANT, job.id)
    assert sent.status is S.SENT and sent.vendor_ref is not None
    assert connector.store.entity(TENANT, "chair").in_translation == {"es", "ca"}
    until(connector, job.id, S.READY_FOR_IMPORT)
    imported = connector.import_job(TENANT, job.id)
    assert imported.status is S.IMPORTED and all(item.status == ItemStatus.IMPORTED for item in imported.items)
    chair = connector.store.entity(TENANT, "chair")
    assert chair.translations["es"] == {"name": "La casa roja", "description": "Me gustan los perros."}
    assert chair.in_translation == frozenset() and chair.translated == {"es", "ca"}
    assert connector.store.entity(TENANT, "table").translations["es"] == {"name": "El gato es negro."}
    # importing again changes nothing
    assert connector.import_job(TENANT, job.id) == connector.store.job(TENANT, job.id) == imported
    # nothing changed since: nothing to send; one field changed: only it is sent, and only where needed
    with pytest.raises(Invalid, match="nothing to translate"):
        connector.create_job(TENANT, "again", "en", ["es"], "local", ["chair"])
    connector.put_entity(TENANT, "chair", "en", {"name": "The red house", "description": "The cat is black."})
    again = connector.create_job(TENANT, "again", "en", ["es"], "local", ["chair", "table"])
    assert [(item.entity, sorted(item.fields)) for item in again.items] == [("chair", ["description"])]


def test_a_cancel_while_sending_is_guaranteed_and_nothing_runs_at_the_vendor(stopped: Dragoman) -> None:
    class Held(LocalVendor):
        """A vendor whose submit is still in flight when the cancel comes."""

        def __init__(self, service: Dragoman) -> None:
            super().__init__(service)
            self.entered, self.release = threading.Event(), threading.Event()

        def submit(self, tenant: str, job: ConnectorJob) -> str:
            self.entered.set()
            assert self.release.wait(30)
            return super().submit(tenant, job)

    vendor = Held(stopped)
    connector = connector_for(stopped, vendor)
    catalogue(connector)
    job = connector.create_job(TENANT, "to cancel", "en", ["es"], "local", ["chair", "table"])
    sending = threading.Thread(target=connector.send, args=(TENANT, job.id))
    sending.start()
    assert vendor.entered.wait(30)
    assert connector.store.job(TENANT, job.id).status is S.SENDING
    assert connector.store.entity(TENANT, "chair").in_translation == {"es"}
    cancelled = connector.cancel(TENANT, job.id)  # on the connector's own: no vendor answer needed
    assert cancelled.status is S.CANCELLED
    assert connector.store.entity(TENANT, "chair").in_translation == frozenset()
    vendor.release.set()
    sending.join(30)
    after = connector.store.job(TENANT, job.id)
    assert after.status is S.CANCELLED and after.vendor_ref is not None
    batch = stopped.get(after.vendor_ref)
    assert batch.status.value == "cancelled" and batch.summary.succeeded == 0  # withdrawn: nothing ran
    assert all(item.status == ItemStatus.CANCELLED for item in after.items)


def test_a_cancel_request_the_vendor_approves_cancels_the_job(stopped: Dragoman) -> None:
    connector = connector_for(stopped)
    catalogue(connector)
    job = connector.send(TENANT, connector.create_job(TENANT, "j", "en", ["es"], "local", ["chair"]).id)
    requested = connector.cancel(TENANT, job.id)
    assert requested.status is S.SENT and requested.cancel_request is CancelRequest.REQUESTED  # a request
    polled = connector.poll(TENANT, job.id)  # the answer comes with the next poll
    assert polled.status is S.CANCELLED and polled.cancel_request is CancelRequest.APPROVED
    chair = connector.store.entity(TENANT, "chair")
    assert chair.in_translation == frozenset() and chair.translated == frozenset() and chair.translations == {}
    resubmitted = connector.resubmit(TENANT, job.id)
    assert resubmitted.status is S.DRAFT and resubmitted.resubmits == job.id


def test_a_cancel_request_the_vendor_refuses_leaves_the_job_in_production_then_imported(running: Dragoman) -> None:
    connector = connector_for(running)
    catalogue(connector)
    job = connector.send(TENANT, connector.create_job(TENANT, "j", "en", ["es"], "local", ["chair"]).id)
    assert job.vendor_ref is not None
    wait_for(lambda: running.get(job.vendor_ref or "").is_terminal)  # the vendor delivered everything
    connector.cancel(TENANT, job.id)
    refused = connector.poll(TENANT, job.id)
    # refused (work had started: in production), and, the work being done, delivered at the same poll
    assert refused.cancel_request is CancelRequest.REFUSED
    assert refused.status in (S.IN_PRODUCTION, S.READY_FOR_IMPORT)
    with pytest.raises(CancelRefused, match="refused|delivered"):
        connector.cancel(TENANT, job.id)
    until(connector, job.id, S.READY_FOR_IMPORT)
    assert connector.import_job(TENANT, job.id).status is S.IMPORTED
    chair = connector.store.entity(TENANT, "chair")
    assert chair.translated == {"es"} and chair.translations["es"]["name"] == "La casa roja"


def test_a_cancelled_resend_gives_the_language_back_to_translated(running: Dragoman) -> None:
    connector = connector_for(running)
    catalogue(connector)
    first = connector.send(TENANT, connector.create_job(TENANT, "one", "en", ["es"], "local", ["chair"]).id)
    until(connector, first.id, S.READY_FOR_IMPORT)
    connector.import_job(TENANT, first.id)
    connector.put_entity(TENANT, "chair", "en", {"name": "The red house", "description": "The cat is black."})
    second = connector.create_job(TENANT, "two", "en", ["es"], "local", ["chair"])
    connector.send(TENANT, second.id)
    with pytest.raises(Conflict, match="already in translation"):  # one live job per entity and language
        connector.create_job(TENANT, "three", "en", ["es"], "local", ["chair"])
    assert connector.store.entity(TENANT, "chair").in_translation == {"es"}
    connector.cancel(TENANT, second.id)
    answered = (S.CANCELLED, S.IN_PRODUCTION, S.READY_FOR_IMPORT)  # refused and, done, delivered at once

    def vendor_answered() -> bool:  # in production with the request open is no answer yet: a wait that took it
        job = connector.poll(TENANT, second.id)  # for a refusal then waited for a delivery that was cancelled
        return job.status in answered and job.cancel_request is not CancelRequest.REQUESTED

    wait_for(vendor_answered)
    chair = connector.store.entity(TENANT, "chair")
    if connector.store.job(TENANT, second.id).status is S.CANCELLED:
        assert chair.in_translation == frozenset() and chair.translated == {"es"}  # back, from history
    else:  # the vendor had finished first: refused, then imported
        until(connector, second.id, S.READY_FOR_IMPORT)
        connector.import_job(TENANT, second.id)
        assert connector.store.entity(TENANT, "chair").translated == {"es"}


def test_bad_requests_change_nothing(running: Dragoman) -> None:
    connector = connector_for(running)
    catalogue(connector)
    for targets, vendor, entities, message in (
        (["en"], "local", ["chair"], "cannot also be a target"),
        (["es"], "nobody", ["chair"], "unknown vendor"),
        ([], "local", ["chair"], "at least one target"),
        (["es"], "local", [], "at least one entity"),
        (["zz-!!"], "local", ["chair"], "not a language code"),
    ):
        with pytest.raises(Invalid, match=message):
            connector.create_job(TENANT, "bad", "en", targets, vendor, entities)
    assert connector.store.jobs(TENANT) == []


def test_a_vendor_that_fails_leaves_the_send_failed_and_a_retry_sends_once(stopped: Dragoman) -> None:
    class Flaky(LocalVendor):
        failures = 1

        def submit(self, tenant: str, job: ConnectorJob) -> str:
            if self.failures:
                self.failures -= 1
                raise Conflict("the vendor is down for maintenance")
            return super().submit(tenant, job)

        def poll(self, tenant: str, ref: str) -> VendorStatus:
            return super().poll(tenant, ref)

    connector = connector_for(stopped, Flaky(stopped))
    catalogue(connector)
    job = connector.create_job(TENANT, "j", "en", ["es"], "local", ["chair"])
    failed = connector.send(TENANT, job.id)
    assert failed.status is S.SEND_FAILED and failed.error == "the vendor is down for maintenance"
    assert connector.store.entity(TENANT, "chair").in_translation == {"es"}  # still on its way
    sent = connector.send(TENANT, job.id)
    assert sent.status is S.SENT and sent.send_attempts == 2
    assert len(stopped.list_jobs()) == 1  # one vendor job


def test_two_drafts_of_one_entity_and_language_are_never_both_sent(stopped: Dragoman) -> None:
    connector = connector_for(stopped)
    catalogue(connector)
    first = connector.create_job(TENANT, "first", "en", ["es"], "local", ["chair"])
    second = connector.create_job(TENANT, "second", "en", ["es", "ca"], "local", ["chair"])  # drafts are not live
    connector.send(TENANT, first.id)
    with pytest.raises(Conflict, match="chair is already in translation into es"):
        connector.send(TENANT, second.id)
    refused = connector.store.job(TENANT, second.id)
    assert refused.status is S.DRAFT and {item.status for item in refused.items} == {ItemStatus.PENDING}  # unchanged
    assert connector.store.entity(TENANT, "chair").in_translation == {"es"}
    connector.cancel(TENANT, first.id)
    connector.poll(TENANT, first.id)  # the vendor approves: the language is free again
    assert connector.send(TENANT, second.id).status is S.SENT


def test_a_draft_that_went_out_of_date_is_not_sent(stopped: Dragoman) -> None:
    connector = connector_for(stopped)
    catalogue(connector)
    # an entity changed after the draft froze it: its old text would be sent
    stale = connector.create_job(TENANT, "stale", "en", ["es"], "local", ["chair"])
    connector.put_entity(TENANT, "chair", "en", {"name": "The cat is black.", "description": "I like dogs."})
    with pytest.raises(Conflict, match=r"out of date.*'chair' \(revision 1, now 2\)"):
        connector.send(TENANT, stale.id)
    assert connector.store.job(TENANT, stale.id).status is S.DRAFT
    assert connector.store.entity(TENANT, "chair").in_translation == frozenset()  # nothing went live
    connector.cancel(TENANT, stale.id)
    fresh = connector.create_job(TENANT, "fresh", "en", ["es"], "local", ["chair"])
    assert fresh.items[0].fields["name"][0] == "The cat is black."


def test_a_draft_whose_fields_another_job_translated_meanwhile_is_not_sent_again(running: Dragoman) -> None:
    connector = connector_for(running)
    catalogue(connector)
    first = connector.create_job(TENANT, "first", "en", ["es"], "local", ["table"])
    second = connector.create_job(TENANT, "second", "en", ["es"], "local", ["table"])
    connector.send(TENANT, first.id)
    until(connector, first.id, S.READY_FOR_IMPORT)
    connector.import_job(TENANT, first.id)
    with pytest.raises(Conflict, match="translated as they are by another job meanwhile: 'table' into es"):
        connector.send(TENANT, second.id)  # it would be translated, and paid for, twice


@pytest.mark.parametrize(
    ("entity_id", "fields", "problem"),
    [
        ("nul\x00x", {"name": "x"}, "control character (U+0000)"),
        ("new\nline", {"name": "x"}, "control character (U+000A)"),
        ("..", {"name": "x"}, "cannot be an entity id"),
        ("ok", {"na\x0bme": "x"}, "field name 'na\\x0bme' of entity 'ok' holds a control character"),
        ("ok", {"name": "bell\x07"}, "character no vendor can be sent (U+0007, at 4)"),
    ],
)
def test_ids_names_and_texts_no_vendor_can_be_sent_are_refused_up_front(
    stopped: Dragoman, entity_id: str, fields: dict[str, str], problem: str
) -> None:
    """An agency's XLIFF download crashed on them (XML cannot hold most control characters)."""
    connector = connector_for(stopped)
    with pytest.raises(Invalid) as refused:
        connector.put_entity(TENANT, entity_id, "en", fields)
    assert problem in refused.value.message
    assert connector.store.entity_page(TENANT)[1] == 0
    # tabs, newlines and carriage returns in a text are fine
    connector.put_entity(TENANT, "ok", "en", {"name": "a\tb\r\nc"})


def test_a_vendor_that_could_not_take_a_job_gets_it_again_on_its_own_up_to_a_cap(stopped: Dragoman) -> None:
    class Flaky(LocalVendor):
        """A vendor that is down for its first `down` submits."""

        def __init__(self, service: Dragoman, down: int) -> None:
            super().__init__(service)
            self.down, self.calls = down, 0

        def submit(self, tenant: str, job: ConnectorJob) -> str:
            self.calls += 1
            if self.calls <= self.down:
                raise ServiceError("the vendor is down for maintenance")
            return super().submit(tenant, job)

    vendor = Flaky(stopped, down=2)
    connector = connector_for(stopped, vendor)
    catalogue(connector)
    job = connector.create_job(TENANT, "flaky", "en", ["es"], "local", ["chair"])
    assert connector.send(TENANT, job.id).status is S.SEND_FAILED
    assert connector.retry_failed_sends(attempts=3, first_wait=0) == 1  # attempt 2: still down
    failed = connector.store.job(TENANT, job.id)
    assert failed.status is S.SEND_FAILED and failed.send_attempts == 2 and "maintenance" in (failed.error or "")
    assert connector.retry_failed_sends(attempts=3, first_wait=3600) == 0  # not due yet
    assert connector.retry_failed_sends(attempts=3, first_wait=0) == 1  # attempt 3: taken
    sent = connector.store.job(TENANT, job.id)
    assert sent.status is S.SENT and sent.send_attempts == 3 and sent.error is None

    always_down = Flaky(stopped, down=100)
    capped = connector_for(stopped, always_down)
    other = capped.create_job(TENANT, "capped", "en", ["es"], "local", ["table"])
    capped.send(TENANT, other.id)
    for _ in range(5):
        capped.retry_failed_sends(attempts=3, first_wait=0)
    assert always_down.calls == 3 and capped.store.job(TENANT, other.id).status is S.SEND_FAILED


def test_a_batch_job_cancelled_outside_the_connector_imports_what_it_finished_and_billed(
    running: Dragoman, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a connector job whose Spanish document is translated while its Catalan one is held running
    held, catalan_started = threading.Event(), threading.Event()
    translate = running.engine.translate

    def holding(segments: Any, source: str, target: str, **options: Any) -> list[str]:
        if target == "ca":
            catalan_started.set()
            while not held.wait(0.02):
                if options["should_abort"]():
                    raise Aborted()
        return translate(segments, source, target, **options)

    monkeypatch.setattr(running.engine, "translate", holding)
    connector = connector_for(running)
    catalogue(connector)
    job = connector.send(TENANT, connector.create_job(TENANT, "j", "en", ["es", "ca"], "local", ["chair", "table"]).id)
    assert job.vendor_ref is not None
    tasks = {task.target_language: task for task in running.tasks(job.vendor_ref, tenant=TENANT)}
    wait_for(lambda: catalan_started.is_set())
    wait_for(lambda: running.task(job.vendor_ref, tasks["es"].id, tenant=TENANT).status is TaskStatus.SUCCEEDED)

    # When someone cancels the batch job itself (the dashboard's Jobs page, `dragoman jobs cancel`)
    running.cancel(job.vendor_ref, tenant=TENANT)
    wait_for(lambda: running.get(job.vendor_ref, tenant=TENANT).status is JobStatus.CANCELLED)
    ended = {task.target_language: task for task in running.tasks(job.vendor_ref, tenant=TENANT)}
    assert ended["es"].billed_characters > 0  # the Spanish document is finished and billed
    assert ended["ca"].status is TaskStatus.CANCELLED and ended["ca"].billed_characters == 0

    # Then the connector imports what was finished (and billed), and the rest ends cancelled
    polled = connector.poll(TENANT, job.id)
    assert polled.status is S.READY_FOR_IMPORT and polled.cancel_request is CancelRequest.NONE
    assert polled.error is not None and "cancelled outside the connector" in polled.error
    imported = connector.import_job(TENANT, job.id)
    assert imported.status is S.IMPORTED_WITH_ERRORS
    by_language = {(item.entity, item.language): item for item in imported.items}
    assert {key: item.status for key, item in by_language.items()} == {
        ("chair", "es"): ItemStatus.IMPORTED, ("table", "es"): ItemStatus.IMPORTED,
        ("chair", "ca"): ItemStatus.CANCELLED, ("table", "ca"): ItemStatus.CANCELLED,
    }  # fmt: skip
    assert by_language["chair", "ca"].error == "the batch job was cancelled before this document was translated"
    chair = connector.store.entity(TENANT, "chair")
    assert chair.translations == {"es": {"name": "La casa roja", "description": "Me gustan los perros."}}
    assert chair.translated == {"es"} and chair.in_translation == frozenset()
    held.set()


def test_a_batch_job_cancelled_outside_before_anything_finished_cancels_the_connector_job(stopped: Dragoman) -> None:
    connector = connector_for(stopped)
    catalogue(connector)
    job = connector.send(TENANT, connector.create_job(TENANT, "j", "en", ["es"], "local", ["chair"]).id)
    assert job.vendor_ref is not None
    stopped.cancel(job.vendor_ref, tenant=TENANT)  # nothing ran: nothing is billed, nothing to import
    polled = connector.poll(TENANT, job.id)
    assert polled.status is S.CANCELLED and all(item.status == ItemStatus.CANCELLED for item in polled.items)
    assert connector.store.entity(TENANT, "chair").in_translation == frozenset()
