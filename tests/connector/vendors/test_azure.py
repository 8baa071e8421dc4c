"""The azure vendor against a real `dragoman serve`'s Azure front door, its documents in Azurite:
connector → official SDK → Dragoman, end to end. The served Dragoman has one worker, which a job
reading from a gated blob host holds while a test needs the vendor's jobs to wait (`held.py`)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from azure.ai.translation.document import DocumentTranslationClient
from azure.core.credentials import AzureKeyCredential
from azure.storage.blob import BlobServiceClient

from dragoman.config import Settings
from dragoman.connector.lifecycle import CancelRequest, ConnectorJobStatus
from dragoman.connector.service import Connector
from dragoman.connector.store import ConnectorJob, ItemStatus
from dragoman.connector.vendors.azure import AzureVendor, Options
from dragoman.connector.vendors.remote import decode_ref
from dragoman.errors import CancelRefused
from dragoman.service import Dragoman
from tests.api.azure.azurite import BlobWorld, connection_string, running_azurite
from tests.connector.vendors.held import Gate, Rest, gate, polled_until, until, worker_held
from tests.connector.vendors.validating import validating
from tests.processes import environment, free_port, serving

pytestmark = pytest.mark.slow

S = ConnectorJobStatus
KEY = "connector-azure-vendor-key"
TENANT = "acme"
VENDOR = "azure-test"


@dataclass
class World:
    url: str
    root: Path
    blobs: BlobWorld
    held: Gate
    options: dict[str, Any]  # the vendor's options, pointing at the served Dragoman
    store: Any  # the in-process connector's store (dragoman.connector.store.ConnectorStore)
    sdk: DocumentTranslationClient

    def connector(self, vendor: AzureVendor | None = None, **changed: Any) -> Connector:
        """An in-process connector whose vendor VENDOR reaches the served Dragoman (`changed` options)."""
        return Connector(self.store, {VENDOR: vendor or AzureVendor(VENDOR, Options(**{**self.options, **changed}))})

    def hold_worker(self, name: str) -> Any:
        return worker_held(self.url, KEY, self.held, self.root / "docs", name)

    def statuses(self, job: ConnectorJob) -> list[str]:
        assert job.vendor_ref is not None
        statuses = [self.sdk.get_translation_status(i).status for i in decode_ref(job.vendor_ref).values()]
        return [str(getattr(status, "value", status)) for status in statuses]

    def made(self, job: ConnectorJob) -> list[str]:
        """The ids of the Azure jobs (asked of the door itself) whose documents are `job`'s, sorted."""
        return sorted(
            {
                status.id
                for status in self.sdk.list_translation_statuses()
                for document in self.sdk.list_document_statuses(status.id)
                if f"/dragoman-connector/{job.id}/" in document.source_document_url
            }
        )

    def blob_names(self, container: str, job: ConnectorJob) -> list[str]:
        return [name for name in self.blobs.names(container) if name.startswith(f"dragoman-connector/{job.id}/")]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("azure-vendor")
    (root / "docs").mkdir()
    held = gate()
    try:
        with (
            running_azurite(root / "azurite") as blob_endpoint,
            BlobServiceClient.from_connection_string(connection_string(blob_endpoint)) as blob_service,
        ):
            port = free_port()
            blobs = BlobWorld(f"http://127.0.0.1:{port}", blob_endpoint, blob_service)
            options = {
                "endpoint": blobs.endpoint,
                "key": KEY,
                "source_container_url": blobs.container("source", "racwdl"),
                "target_container_url": blobs.container("target", "racwdl"),
                "retries": 0,
                "timeout_seconds": 20,
            }
            tenants = {TENANT: {"azure_keys": [KEY], "azure_blob_hosts": [blobs.host, held.host]}}
            env = environment(
                root / "data",
                [root / "docs"],
                workers=1,
                DRAGOMAN_TENANTS=json.dumps(tenants),
                # the served connector's own vendor: its Azure door, reached through the SDK
                DRAGOMAN_CONNECTOR_VENDORS=json.dumps({"azure-self": {"kind": "azure", **options}}),
                DRAGOMAN_CONNECTOR_POLL_SECONDS="0",
            )
            with (
                serving(env, root / "server.log", port) as url,
                Dragoman.from_settings(Settings(data_dir=root / "client", roots=[root / "docs"])) as service,
                DocumentTranslationClient(url, AzureKeyCredential(KEY)) as sdk,
            ):
                yield World(url, root, blobs, held, options, service.connector.store, sdk)
    finally:
        held.close()


def catalogue(connector: Connector, *ids: str) -> None:
    for entity_id in ids:
        connector.put_entity(TENANT, entity_id, "en", {"name": "The red house", "description": "I like dogs."})


def test_the_served_connector_sends_to_its_own_azure_door_and_imports(world: World) -> None:
    rest = Rest(world.url, KEY)
    job = rest.happy_path("azure-self")
    assert job["counts"]["items"] == 4 and all(item["status"] == "imported" for item in job["items"])
    chair = rest.call("GET", "/entities/chair")
    assert chair["translations"]["es"] == {"name": "La casa roja", "description": "Me gustan los perros."}
    assert set(chair["translations"]["ca"]) == {"name", "description"}
    assert chair["translations"]["ca"]["name"] not in ("", "The red house")
    assert chair["translated"] == ["ca", "es"] and chair["in_translation"] == []
    assert rest.call("GET", "/entities/table")["translations"]["es"] == {"name": "El gato es negro."}
    # one Azure job per language, each over its own folder of the source container
    assert sorted(decode_ref(job["vendor_ref"])) == ["ca", "es"]
    names = [name for name in world.blobs.names("target") if name.startswith(f"dragoman-connector/{job['id']}/")]
    assert len(names) == 6  # (2 + 1 fields) × 2 languages


def test_a_cancel_while_sending_withdraws_what_reached_the_vendor(world: World) -> None:
    class Held(AzureVendor):
        """Its submit has made the Azure jobs and not yet returned when the cancel comes."""

        def __init__(self) -> None:
            super().__init__(VENDOR, Options(**world.options))
            self.made, self.release = threading.Event(), threading.Event()

        def submit(self, tenant: str, job: ConnectorJob) -> str:
            ref = super().submit(tenant, job)
            self.made.set()
            assert self.release.wait(60)
            return ref

    vendor = Held()
    connector = world.connector(vendor)
    catalogue(connector, "withdrawn")
    job = connector.create_job(TENANT, "to cancel", "en", ["es", "ca"], VENDOR, ["withdrawn"])
    outcome: list[object] = []
    with world.hold_worker("withdraw"):  # the Azure jobs wait: nothing of them runs
        sending = threading.Thread(target=lambda: outcome.append(connector.send(TENANT, job.id)))
        sending.start()
        assert vendor.made.wait(60)
        assert connector.store.job(TENANT, job.id).status is S.SENDING
        assert connector.cancel(TENANT, job.id).status is S.CANCELLED  # on the connector's own
        assert connector.store.entity(TENANT, "withdrawn").in_translation == frozenset()
        vendor.release.set()
        sending.join(60)
        after = connector.store.job(TENANT, job.id)
        assert after.status is S.CANCELLED and after.vendor_ref is not None and len(outcome) == 1
        until(lambda: world.statuses(after) == ["Canceled", "Canceled"])  # withdrawn before it started
    assert all(item.status == ItemStatus.CANCELLED for item in after.items)
    assert world.blob_names("target", after) == []  # nothing was translated


def test_a_cancel_request_azure_takes_before_the_work_is_done_is_approved(world: World) -> None:
    connector = world.connector()
    catalogue(connector, "approved")
    with world.hold_worker("approve"):
        job = connector.send(TENANT, connector.create_job(TENANT, "j", "en", ["es", "ca"], VENDOR, ["approved"]).id)
        assert job.status is S.SENT and world.statuses(job) == ["NotStarted", "NotStarted"]
        requested = connector.cancel(TENANT, job.id)
        assert requested.status is S.SENT and requested.cancel_request is CancelRequest.REQUESTED
        cancelled = polled_until(connector, TENANT, job.id, S.CANCELLED)
    assert cancelled.cancel_request is CancelRequest.APPROVED and world.statuses(cancelled) == ["Canceled"] * 2
    entity = connector.store.entity(TENANT, "approved")
    assert entity.in_translation == frozenset() and entity.translated == frozenset()
    assert world.blob_names("target", cancelled) == []


def test_a_cancel_request_after_azure_delivered_is_refused_and_the_job_imported(world: World) -> None:
    connector = world.connector()
    catalogue(connector, "refused")
    job = connector.send(TENANT, connector.create_job(TENANT, "j", "en", ["es", "ca"], VENDOR, ["refused"]).id)
    until(lambda: world.statuses(job) == ["Succeeded", "Succeeded"])  # the vendor finished the work
    assert connector.store.job(TENANT, job.id).status is S.SENT  # not polled yet: the connector does not know
    assert connector.cancel(TENANT, job.id).cancel_request is CancelRequest.REQUESTED
    refused = connector.poll(TENANT, job.id)
    assert refused.cancel_request is CancelRequest.REFUSED
    assert refused.status in (S.IN_PRODUCTION, S.READY_FOR_IMPORT)
    with pytest.raises(CancelRefused):
        connector.cancel(TENANT, job.id)
    polled_until(connector, TENANT, job.id, S.READY_FOR_IMPORT)
    assert connector.import_job(TENANT, job.id).status is S.IMPORTED
    entity = connector.store.entity(TENANT, "refused")
    assert entity.translated == {"es", "ca"} and entity.translations["es"]["name"] == "La casa roja"


def test_a_wrong_key_or_an_unreachable_endpoint_fails_the_send_saying_where_and_a_retry_sends(world: World) -> None:
    catalogue(world.connector(), "retried")
    job = world.connector().create_job(TENANT, "j", "en", ["es"], VENDOR, ["retried"])
    failed = world.connector(key="not-the-key").send(TENANT, job.id)
    assert failed.status is S.SEND_FAILED and failed.vendor_ref is None
    assert failed.error is not None and "DRAGOMAN_CONNECTOR_VENDORS at azure-test.key" in failed.error
    assert "not-the-key" not in failed.error and "sig=" not in failed.error
    unreachable = world.connector(endpoint=f"http://127.0.0.1:{free_port()}").send(TENANT, job.id)
    assert unreachable.status is S.SEND_FAILED and unreachable.send_attempts == 2
    assert unreachable.error is not None and "cannot be reached" in unreachable.error
    assert "DRAGOMAN_CONNECTOR_VENDORS at azure-test.endpoint" in unreachable.error
    # nothing lost: the same items, still in translation; the settings fixed, a retry sends them
    assert [item.status for item in unreachable.items] == [ItemStatus.SENT]
    assert world.connector().store.entity(TENANT, "retried").in_translation == {"es"}
    connector = world.connector()
    assert connector.send(TENANT, job.id).status is S.SENT
    polled_until(connector, TENANT, job.id, S.READY_FOR_IMPORT)
    assert connector.import_job(TENANT, job.id).status is S.IMPORTED
    assert connector.store.entity(TENANT, "retried").translations["es"]["name"] == "La casa roja"


def test_a_submit_again_after_a_crash_between_start_and_marker_finds_the_job_it_made(world: World) -> None:
    vendor = AzureVendor(VENDOR, Options(**world.options))
    connector = world.connector(vendor)
    catalogue(connector, "twice")
    job = connector.send(TENANT, connector.create_job(TENANT, "j", "en", ["es", "ca"], VENDOR, ["twice"]).id)
    assert job.vendor_ref is not None
    source = world.blobs.service.get_container_client("source")
    for language in ("es", "ca"):  # the crash: each Azure job made, its id never written to the marker
        name = f"dragoman-connector/{job.id}/{language}.vendor-job.json"
        marker = json.loads(source.download_blob(name).readall())
        source.upload_blob(name, json.dumps({"since": marker["since"]}).encode(), overwrite=True)
    assert vendor.submit(TENANT, job) == job.vendor_ref  # found by its documents' folder
    assert vendor.submit(TENANT, job) == job.vendor_ref  # and by the marker, written again
    assert world.made(job) == sorted(decode_ref(job.vendor_ref).values())  # one Azure job per language, no more
    assert len(world.blob_names("source", job)) == 2 * 2 + 2  # 2 fields × 2 languages, and 2 markers


def test_a_document_azure_fails_fails_its_item_alone_with_azures_message(world: World) -> None:
    connector = world.connector()
    catalogue(connector, "half-a", "half-b")
    job = connector.create_job(TENANT, "j", "en", ["es"], VENDOR, ["half-a", "half-b"])
    source = world.blobs.service.get_container_client("source")
    with world.hold_worker("lost"):  # the job waits; meanwhile one of its documents disappears
        job = connector.send(TENANT, job.id)
        lost = next(item for item in job.items if item.entity == "half-a")
        source.delete_blob(f"dragoman-connector/{job.id}/es/{lost.id}/0.txt")  # its `description`
    polled_until(connector, TENANT, job.id, S.READY_FOR_IMPORT)
    imported = connector.import_job(TENANT, job.id)
    assert imported.status is S.IMPORTED_WITH_ERRORS
    failed = next(item for item in imported.items if item.entity == "half-a")
    assert failed.status == ItemStatus.FAILED and failed.error is not None
    assert failed.error.startswith("description: ") and failed.error.endswith("0.txt does not exist")
    assert connector.store.entity(TENANT, "half-b").translations["es"]["name"] == "La casa roja"
    assert connector.store.entity(TENANT, "half-a").translated == frozenset()


class CrashingAfterStart(AzureVendor):
    """The process dies once an Azure job is started, before its id is written to the marker."""

    def _start(self, clients: Any, folder: str, source: str, language: str) -> str:
        super()._start(clients, folder, source, language)
        raise SystemExit("crash")


def test_a_cancel_with_no_live_sender_after_a_crash_finds_and_cancels_the_jobs_it_started(world: World) -> None:
    class Crashing(AzureVendor):
        """The process dies once the Azure jobs are made, before the connector records them."""

        def submit(self, tenant: str, job: ConnectorJob) -> str:
            super().submit(tenant, job)
            raise SystemExit("crash")

    connector = world.connector(Crashing(VENDOR, Options(**world.options)))
    catalogue(connector, "crashed")
    job = connector.create_job(TENANT, "j", "en", ["es", "ca"], VENDOR, ["crashed"])
    with world.hold_worker("crashed"):  # the Azure jobs wait: nothing of them runs
        with pytest.raises(SystemExit):
            connector.send(TENANT, job.id)
        crashed = world.store.job(TENANT, job.id)
        assert crashed.status is S.SENDING and crashed.vendor_ref is None
        made = world.made(crashed)
        assert len(made) == 2
        # ca's marker as a crash between the start and the marker's last write leaves it: found by search
        source = world.blobs.service.get_container_client("source")
        name = f"dragoman-connector/{job.id}/ca.vendor-job.json"
        since = json.loads(source.download_blob(name).readall())["since"]
        source.upload_blob(name, json.dumps({"since": since}).encode(), overwrite=True)
        fresh = world.connector()  # another process, after the crash: no process holds the job
        assert fresh.cancel(TENANT, job.id).status is S.CANCELLED
        after = world.store.job(TENANT, job.id)
        assert after.vendor_ref is not None and sorted(decode_ref(after.vendor_ref).values()) == made
        assert sorted(decode_ref(after.vendor_ref)) == ["ca", "es"] and after.error is None
        until(lambda: world.statuses(after) == ["Canceled", "Canceled"])  # withdrawn before it started
    assert fresh.poll(TENANT, job.id).status is S.CANCELLED
    assert all(item.status == ItemStatus.CANCELLED for item in after.items)
    assert world.blob_names("target", after) == []  # nothing was translated
    assert world.made(after) == made  # the find started none


def test_a_retry_never_starts_a_second_job_while_azure_is_still_validating_the_first(world: World) -> None:
    with validating(world.url) as proxy:
        through = {**world.options, "endpoint": proxy.url, "timeout_seconds": 2}
        connector = world.connector(CrashingAfterStart(VENDOR, Options(**through)))
        catalogue(connector, "validating")
        job = connector.create_job(TENANT, "j", "en", ["es"], VENDOR, ["validating"])
        with world.hold_worker("validating"):
            proxy.hiding.set()
            with pytest.raises(SystemExit):
                connector.send(TENANT, job.id)
            proxy.hiding.clear()
            [made] = world.made(job)
            assert proxy.hidden == {made}  # the job lists no document yet: it cannot be told to be this one's
            retried = world.connector(AzureVendor(VENDOR, Options(**through))).send(TENANT, job.id)
            assert retried.status is S.SEND_FAILED and retried.vendor_ref is None
            assert retried.error is not None and "still validating" in retried.error and made in retried.error
            assert world.made(job) == [made]  # no second job
            proxy.hidden.clear()  # Azure has validated it: its documents are listed
            sent = world.connector(AzureVendor(VENDOR, Options(**through))).send(TENANT, job.id)
            assert sent.status is S.SENT and sent.vendor_ref is not None
            assert decode_ref(sent.vendor_ref) == {"es": made}
        connector = world.connector()
        polled_until(connector, TENANT, job.id, S.READY_FOR_IMPORT)
        assert connector.import_job(TENANT, job.id).status is S.IMPORTED
    assert world.made(job) == [made]
    assert world.store.entity(TENANT, "validating").translations["es"]["name"] == "La casa roja"


def test_a_cancel_after_a_crash_waits_for_a_job_still_validating_and_withdraws_it(world: World) -> None:
    with validating(world.url) as proxy:
        through = {**world.options, "endpoint": proxy.url}
        connector = world.connector(CrashingAfterStart(VENDOR, Options(**through)))
        catalogue(connector, "awaited")
        job = connector.create_job(TENANT, "j", "en", ["es"], VENDOR, ["awaited"])
        with world.hold_worker("awaited"):
            proxy.hiding.set()
            with pytest.raises(SystemExit):
                connector.send(TENANT, job.id)
            proxy.hiding.clear()
            [made] = world.made(job)
            validated = threading.Timer(2.0, proxy.hidden.clear)  # Azure validates it a moment later
            validated.start()
            try:
                cancelled = world.connector(AzureVendor(VENDOR, Options(**through))).cancel(TENANT, job.id)
            finally:
                validated.join()
            assert cancelled.status is S.CANCELLED
            after = world.store.job(TENANT, job.id)
            assert after.vendor_ref is not None and decode_ref(after.vendor_ref) == {"es": made}
            until(lambda: world.statuses(after) == ["Canceled"])
    assert world.blob_names("target", after) == [] and world.made(after) == [made]
