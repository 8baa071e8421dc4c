"""The human vendor (src/dragoman/connector/vendors/human.py) under the real connector and state
database: an agency's queue worked from the vendor's side while the connector sends, polls, cancels
and imports, including a cancel that arrives while the job is being sent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from dragoman.config import Settings
from dragoman.connector.lifecycle import CancelRequest, ConnectorJobStatus
from dragoman.connector.service import Connector
from dragoman.connector.store import ConnectorJob
from dragoman.connector.vendors.human import HumanVendor, agency_document, human_vendor
from dragoman.connector.vendors.human_rules import QueueCancel, QueueState
from dragoman.connector.xliff import XLIFF_1, XLIFF_2, XliffRefused
from dragoman.errors import CancelRefused, Conflict, Invalid, NotFound
from dragoman.service import Dragoman

S = ConnectorJobStatus
TENANT = "default"
SPANISH = {"The red chair": "La silla roja", "A chair to sit on.": "Una silla para sentarse.", "Lamp": "Lámpara"}
CATALAN = {"The red chair": "La cadira vermella", "A chair to sit on.": "Una cadira per seure.", "Lamp": "Llum"}


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Dragoman]:
    vendors = {"agency": {"kind": "human", "keys": ["agency-key"]}, "rival": {"kind": "human", "keys": ["rival-key"]}}
    settings = Settings(data_dir=tmp_path / "data", roots=[tmp_path / "docs"], connector_vendors=vendors)
    with Dragoman.from_settings(settings) as service:
        yield service


@pytest.fixture
def connector(service: Dragoman) -> Connector:
    connector = service.connector
    connector.put_entity(TENANT, "chair", "en", {"name": "The red chair", "description": "A chair to sit on."})
    connector.put_entity(TENANT, "lamp", "en", {"name": "Lamp"})
    return connector


def agency(connector: Connector, name: str = "agency") -> HumanVendor:
    return human_vendor(connector.vendors, name)


def sent(connector: Connector, *targets: str) -> ConnectorJob:
    job = connector.create_job(TENANT, "spring", "en", list(targets or ["es"]), "agency", ["chair", "lamp"])
    job = connector.send(TENANT, job.id)
    assert job.status is S.SENT, job.error
    return job


def translated(data: bytes, words: dict[str, str]) -> bytes:
    """The downloaded file with every target filled from `words`, as an agency's tool writes it."""
    root = etree.fromstring(data)
    namespace = XLIFF_1 if root.get("version") == "1.2" else XLIFF_2
    for source in root.iter(f"{{{namespace}}}source"):
        target = etree.Element(f"{{{namespace}}}target")
        target.text = words[source.text or ""]
        source.addnext(target)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def deliver(connector: Connector, job_id: str, language: str, words: dict[str, str], version: str = "1.2") -> None:
    _, data = agency(connector).download(job_id, language, version)
    agency(connector).upload(job_id, translated(data, words))


def test_the_agency_accepts_and_delivers_each_language_and_the_connector_imports_it(connector: Connector) -> None:
    job = sent(connector, "es", "ca")
    (queued,), total = agency(connector).jobs()
    assert total == 1 and queued.job_id == job.id and queued.state is QueueState.RECEIVED
    assert queued.target_languages == ("es", "ca") and agency_document(queued)["counts"] == {"items": 4, "units": 6}
    assert connector.poll(TENANT, job.id).status is S.SENT

    assert agency(connector).accept(job.id).state is QueueState.IN_PRODUCTION
    assert connector.poll(TENANT, job.id).status is S.IN_PRODUCTION
    deliver(connector, job.id, "es", SPANISH, "1.2")
    assert agency(connector).job(job.id).delivered_languages == ("es",)
    assert connector.poll(TENANT, job.id).status is S.IN_PRODUCTION  # Catalan is still to come
    deliver(connector, job.id, "ca", CATALAN, "2.0")
    assert agency(connector).job(job.id).state is QueueState.DELIVERED
    assert connector.poll(TENANT, job.id).status is S.READY_FOR_IMPORT

    assert connector.import_job(TENANT, job.id).status is S.IMPORTED
    chair = connector.store.entity(TENANT, "chair")
    assert chair.translations == {
        "es": {"name": "La silla roja", "description": "Una silla para sentarse."},
        "ca": {"name": "La cadira vermella", "description": "Una cadira per seure."},
    }
    assert chair.translated == {"es", "ca"} and chair.in_translation == frozenset()
    assert connector.store.entity(TENANT, "lamp").translations == {"es": {"name": "Lámpara"}, "ca": {"name": "Llum"}}


def test_each_language_uploaded_is_imported_at_the_next_poll_while_the_job_is_in_production(
    connector: Connector,
) -> None:
    job = sent(connector, "es", "ca")
    deliver(connector, job.id, "es", SPANISH)  # uploaded without accepting first: work has started
    polled = connector.poll(TENANT, job.id)
    assert polled.status is S.IN_PRODUCTION  # Catalan is still to come
    assert {(item.entity, item.language): item.status for item in polled.items} == {
        ("chair", "es"): "imported", ("lamp", "es"): "imported", ("chair", "ca"): "sent", ("lamp", "ca"): "sent",
    }  # fmt: skip
    chair = connector.store.entity(TENANT, "chair")
    assert chair.translations == {"es": {"name": "La silla roja", "description": "Una silla para sentarse."}}
    assert chair.translated == {"es"} and chair.in_translation == {"ca"}
    assert connector.poll(TENANT, job.id).items == polled.items  # polled again: imported once
    deliver(connector, job.id, "ca", CATALAN)
    assert connector.poll(TENANT, job.id).status is S.READY_FOR_IMPORT
    imported = connector.import_job(TENANT, job.id)
    assert imported.status is S.IMPORTED and {item.status for item in imported.items} == {"imported"}
    chair = connector.store.entity(TENANT, "chair")
    assert chair.translated == {"es", "ca"} and chair.translations["ca"]["name"] == "La cadira vermella"


def test_a_second_submit_finds_the_first_and_find_only_looks(connector: Connector) -> None:
    job = sent(connector)
    vendor = agency(connector)
    assert vendor.submit(TENANT, connector.store.job(TENANT, job.id)) == job.id
    assert vendor.jobs()[1] == 1
    assert vendor.find(TENANT, job) == job.id
    assert vendor.find("another-tenant", job) is None
    draft = connector.create_job(TENANT, "later", "en", ["ca"], "agency", ["lamp"])
    assert vendor.find(TENANT, draft) is None and vendor.jobs()[1] == 1


def test_a_language_is_replaced_until_the_last_one_arrives_then_nothing_more_is_taken(connector: Connector) -> None:
    job = sent(connector, "es", "ca")
    deliver(connector, job.id, "es", {key: value.upper() for key, value in SPANISH.items()})
    deliver(connector, job.id, "es", SPANISH)  # a second go at Spanish, before Catalan
    deliver(connector, job.id, "ca", CATALAN)
    with pytest.raises(Conflict, match="delivered"):
        deliver(connector, job.id, "ca", CATALAN)
    connector.poll(TENANT, job.id)
    connector.import_job(TENANT, job.id)
    assert connector.store.entity(TENANT, "lamp").translations["es"] == {"name": "Lámpara"}


def test_a_refused_upload_changes_nothing(connector: Connector) -> None:
    job = sent(connector)
    vendor = agency(connector)
    _, data = vendor.download(job.id)
    vendor.accept(job.id)
    before = vendor.job(job.id)
    with pytest.raises(XliffRefused) as refused:
        vendor.upload(job.id, translated(data, {**SPANISH, "Lamp": " "}))
    assert refused.value.problems == ["unit 'lamp/name': its target is empty"]
    assert vendor.job(job.id) == before and before.translations == {} and before.delivered_languages == ()
    assert connector.poll(TENANT, job.id).status is S.IN_PRODUCTION


def test_a_draft_cancelled_never_reaches_the_agency(connector: Connector) -> None:
    job = connector.create_job(TENANT, "spring", "en", ["es"], "agency", ["chair"])
    assert connector.cancel(TENANT, job.id).status is S.CANCELLED
    assert agency(connector).jobs() == ([], 0)
    with pytest.raises(NotFound):
        agency(connector).job(job.id)


class CancelledWhileSending(HumanVendor):
    """The agency's queue, where a cancel of the job arrives while its submit is in flight."""

    connector: Connector

    def submit(self, tenant: str, job: ConnectorJob) -> str:
        ref = super().submit(tenant, job)
        assert self.connector.cancel(tenant, job.id).status is S.CANCELLED  # the connector cancels on its own
        return ref


def test_a_cancel_while_sending_withdraws_what_reached_the_agency(connector: Connector) -> None:
    real = agency(connector)
    racing = CancelledWhileSending(real.name, real.options, real.queue)
    racing.connector = connector
    connector.vendors["agency"] = racing
    job = connector.create_job(TENANT, "spring", "en", ["es"], "agency", ["chair"])
    assert connector.send(TENANT, job.id).status is S.CANCELLED
    queued = real.job(job.id)
    assert queued.state is QueueState.CANCELLED  # the agency sees it cancelled: it works on none of it
    assert agency_document(queued)["actions"] == []
    with pytest.raises(Conflict, match="cancelled"):
        real.download(job.id)
    with pytest.raises(Conflict):
        real.accept(job.id)
    chair = connector.store.entity(TENANT, "chair")
    assert chair.in_translation == frozenset() and chair.translated == frozenset()


def test_a_cancel_the_agency_approves_cancels_the_job_at_the_next_poll(connector: Connector) -> None:
    job = sent(connector)
    vendor = agency(connector)
    vendor.accept(job.id)
    assert connector.cancel(TENANT, job.id).cancel_request is CancelRequest.REQUESTED
    assert vendor.job(job.id).cancel_request is QueueCancel.REQUESTED
    assert connector.poll(TENANT, job.id).status is S.IN_PRODUCTION  # not answered yet
    assert connector.store.entity(TENANT, "chair").in_translation == {"es"}
    assert vendor.approve_cancel(job.id).state is QueueState.CANCELLED
    after = connector.poll(TENANT, job.id)
    assert (after.status, after.cancel_request) == (S.CANCELLED, CancelRequest.APPROVED)
    assert connector.store.entity(TENANT, "chair").in_translation == frozenset()
    with pytest.raises(CancelRefused):
        vendor.refuse_cancel(job.id)


def test_a_cancel_the_agency_refuses_goes_on_to_delivery_and_import(connector: Connector) -> None:
    job = sent(connector)
    vendor = agency(connector)
    connector.cancel(TENANT, job.id)
    queued = vendor.refuse_cancel(job.id)
    assert (queued.state, queued.cancel_request) == (QueueState.IN_PRODUCTION, QueueCancel.REFUSED)
    after = connector.poll(TENANT, job.id)
    assert (after.status, after.cancel_request) == (S.IN_PRODUCTION, CancelRequest.REFUSED)
    with pytest.raises(CancelRefused):
        connector.cancel(TENANT, job.id)
    deliver(connector, job.id, "es", SPANISH)
    assert connector.poll(TENANT, job.id).status is S.READY_FOR_IMPORT
    assert connector.import_job(TENANT, job.id).status is S.IMPORTED
    assert connector.store.entity(TENANT, "chair").translated == {"es"}


def test_a_cancel_asked_once_the_agency_delivered_is_refused(connector: Connector) -> None:
    job = sent(connector)
    deliver(connector, job.id, "es", SPANISH)  # the connector has not polled yet
    assert connector.cancel(TENANT, job.id).cancel_request is CancelRequest.REQUESTED
    assert agency(connector).job(job.id).cancel_request is QueueCancel.REFUSED
    after = connector.poll(TENANT, job.id)
    assert (after.status, after.cancel_request) == (S.READY_FOR_IMPORT, CancelRequest.REFUSED)


def test_delivering_while_a_cancel_waits_answers_it_refused(connector: Connector) -> None:
    job = sent(connector)
    connector.cancel(TENANT, job.id)
    deliver(connector, job.id, "es", SPANISH)
    assert agency(connector).job(job.id).cancel_request is QueueCancel.REFUSED
    assert connector.poll(TENANT, job.id).status is S.READY_FOR_IMPORT


def test_a_vendor_sees_and_acts_on_none_of_another_vendor_s_jobs(connector: Connector) -> None:
    job = sent(connector)
    rival = agency(connector, "rival")
    assert rival.jobs() == ([], 0)
    for act in (rival.job, rival.download, rival.accept, rival.approve_cancel, rival.refuse_cancel):
        with pytest.raises(NotFound, match="not found"):
            act(job.id)
    with pytest.raises(NotFound):
        rival.upload(job.id, b"<xliff/>")
    assert agency(connector).job(job.id).state is QueueState.RECEIVED


def test_a_field_no_xliff_file_can_carry_fails_the_send_saying_which(connector: Connector) -> None:
    # The catalogue refuses such a text up front; one stored before it did still reaches the vendor
    connector.store.put_entity(TENANT, "bell", "en", {"name": "Ring\x07"})
    job = connector.create_job(TENANT, "bell", "en", ["es"], "agency", ["bell"])
    failed = connector.send(TENANT, job.id)
    assert failed.status is S.SEND_FAILED
    assert failed.error == "field 'name' of entity 'bell' holds U+0007, a character an XLIFF file cannot carry"
    assert agency(connector).jobs()[1] == 0


def test_a_download_names_a_language_when_the_job_has_several(connector: Connector) -> None:
    job = sent(connector, "es", "ca")
    with pytest.raises(Invalid, match="translated into es, ca: name one language"):
        agency(connector).download(job.id)
    with pytest.raises(Invalid, match="not translated into 'fr'"):
        agency(connector).download(job.id, "fr")
    name, data = agency(connector).download(job.id, "CA", "2.0")
    assert name == f"{job.id}.ca.xliff20.xlf" and b'trgLang="ca"' in data


def test_the_xliff_version_option_is_what_a_download_gives_by_default(tmp_path: Path) -> None:
    vendors = {"agency": {"kind": "human", "keys": ["k"], "xliff_version": "2.0"}}
    settings = Settings(data_dir=tmp_path / "data", roots=[tmp_path / "docs"], connector_vendors=vendors)
    with Dragoman.from_settings(settings) as service:
        connector = service.connector
        connector.put_entity(TENANT, "lamp", "en", {"name": "Lamp"})
        job = connector.send(TENANT, connector.create_job(TENANT, "n", "en", ["es"], "agency", ["lamp"]).id)
        assert b'version="2.0"' in agency(connector).download(job.id)[1]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, "keys: Field required"),
        ({"keys": []}, "keys: List should have at least 1 item"),
        ({"keys": ["k"], "xliff_version": "1.1"}, "xliff_version: Input should be '1.2' or '2.0'"),
        ({"keys": ["k"], "url": "x"}, "url: Extra inputs are not permitted"),
    ],
)
def test_a_human_vendor_s_options_are_checked_when_the_settings_load(options: dict[str, object], expected: str) -> None:
    with pytest.raises(ValueError, match=expected):
        Settings(connector_vendors={"agency": {"kind": "human", **options}})
