"""The amazon vendor against a real `dragoman serve`'s Amazon door, its documents in moto's S3 server:
connector → boto3 → Dragoman, end to end. The served Dragoman has one worker, which a job reading
from a gated blob host holds while a test needs the vendor's jobs to wait (`held.py`)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.config import Config

from dragoman.config import Settings
from dragoman.connector.lifecycle import CancelRequest, ConnectorJobStatus
from dragoman.connector.service import Connector
from dragoman.connector.store import ConnectorJob, ConnectorStore, ItemStatus
from dragoman.connector.vendors.amazon import AmazonVendor, Options
from dragoman.connector.vendors.remote import decode_ref
from dragoman.errors import CancelRefused
from dragoman.service import Dragoman
from tests.connector.vendors.held import Gate, Rest, gate, polled_until, until, worker_held
from tests.processes import environment, free_port, serving
from tests.s3server import s3_server

pytestmark = pytest.mark.slow

S = ConnectorJobStatus
ACCESS_KEY, SECRET, ACCOUNT = "AKIACONNECTORVENDOR1", "connector-vendor-secret", "123456789012"
ROLE = "arn:aws:iam::123456789012:role/TranslateBatch"
AZURE_KEY = "connector-amazon-vendor-azure-key"  # the same tenant's, for the job that holds the worker
BUCKET = "connector"
TENANT = "acme"
VENDOR = "amazon-test"


@dataclass
class World:
    url: str
    root: Path
    held: Gate
    options: dict[str, Any]
    store: ConnectorStore  # the in-process connector's
    translate: BaseClient
    s3: BaseClient

    def connector(self, vendor: AmazonVendor | None = None, **changed: Any) -> Connector:
        """An in-process connector whose vendor VENDOR reaches the served Dragoman (`changed` options)."""
        return Connector(self.store, {VENDOR: vendor or AmazonVendor(VENDOR, Options(**{**self.options, **changed}))})

    def hold_worker(self, name: str) -> Any:
        return worker_held(self.url, AZURE_KEY, self.held, self.root / "docs", name)

    def statuses(self, job: ConnectorJob) -> list[str]:
        assert job.vendor_ref is not None
        return [
            self.translate.describe_text_translation_job(JobId=job_id)["TextTranslationJobProperties"]["JobStatus"]
            for job_id in decode_ref(job.vendor_ref).values()
        ]

    def jobs_named(self, job: ConnectorJob) -> list[str]:
        """The Amazon jobs the vendor started for `job`, by their names."""
        found = []
        for language in job.target_languages:
            name = f"dragoman-connector-{job.id}-{language}"
            listed = self.translate.list_text_translation_jobs(Filter={"JobName": name})
            found += [p["JobId"] for p in listed["TextTranslationJobPropertiesList"]]
        return found

    def keys(self, job: ConnectorJob, part: str) -> list[str]:
        listed = self.s3.list_objects_v2(Bucket=BUCKET, Prefix=f"dragoman-connector/{job.id}/{part}/")
        return [entry["Key"] for entry in listed.get("Contents", [])]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("amazon-vendor")
    (root / "docs").mkdir()
    held = gate()
    try:
        with s3_server() as s3:
            s3.client.create_bucket(Bucket=BUCKET)
            port = free_port()
            options = {
                "region": "us-east-1",
                "endpoint_url": f"http://127.0.0.1:{port}",
                "access_key_id": ACCESS_KEY,
                "secret_access_key": SECRET,
                "bucket": BUCKET,
                "s3_endpoint_url": s3.endpoint,
                "s3_access_key_id": "testing",
                "s3_secret_access_key": "testing",
                "data_access_role_arn": ROLE,
                "retries": 0,
                "timeout_seconds": 20,
            }
            tenants = {
                TENANT: {
                    "aws_keys": {ACCESS_KEY: SECRET},
                    "aws_account": ACCOUNT,
                    "azure_keys": [AZURE_KEY],
                    "azure_blob_hosts": [held.host],
                }
            }
            env = environment(
                root / "data",
                [root / "docs"],
                workers=1,
                DRAGOMAN_TENANTS=json.dumps(tenants),
                # the served connector's own vendor: its Amazon door, reached through boto3
                DRAGOMAN_CONNECTOR_VENDORS=json.dumps({"amazon-self": {"kind": "amazon", **options}}),
                DRAGOMAN_CONNECTOR_POLL_SECONDS="0",
                **s3.environment(),
            )
            with (
                serving(env, root / "server.log", port) as url,
                Dragoman.from_settings(Settings(data_dir=root / "client", roots=[root / "docs"])) as service,
            ):
                translate = boto3.client(
                    "translate", endpoint_url=url, region_name="us-east-1", aws_access_key_id=ACCESS_KEY,
                    aws_secret_access_key=SECRET, config=Config(retries={"max_attempts": 1}),
                )  # fmt: skip
                yield World(url, root, held, options, service.connector.store, translate, s3.client)
    finally:
        held.close()


def catalogue(connector: Connector, *ids: str) -> None:
    for entity_id in ids:
        connector.put_entity(TENANT, entity_id, "en", {"name": "The red house", "description": "I like dogs."})


def test_the_served_connector_sends_to_its_own_amazon_door_and_imports(world: World) -> None:
    rest = Rest(world.url, AZURE_KEY)
    job = rest.happy_path("amazon-self")
    assert job["counts"]["items"] == 4 and all(item["status"] == "imported" for item in job["items"])
    chair = rest.call("GET", "/entities/chair")
    assert chair["translations"]["es"] == {"name": "La casa roja", "description": "Me gustan los perros."}
    assert set(chair["translations"]["ca"]) == {"name", "description"}
    assert chair["translations"]["ca"]["name"] not in ("", "The red house")
    assert chair["translated"] == ["ca", "es"] and chair["in_translation"] == []
    assert rest.call("GET", "/entities/table")["translations"]["es"] == {"name": "El gato es negro."}
    # one Amazon job per language, its outputs where Amazon puts them
    ids = decode_ref(job["vendor_ref"])
    listed = world.s3.list_objects_v2(Bucket=BUCKET, Prefix=f"dragoman-connector/{job['id']}/output/es/")
    keys = [entry["Key"] for entry in listed["Contents"]]
    assert any(f"/{ACCOUNT}-TranslateText-{ids['es']}/details/es.auxiliary-translation-details.json" in k for k in keys)
    translations = [k for k in keys if f"/{ACCOUNT}-TranslateText-{ids['es']}/" in k and "/details/" not in k]
    assert len(translations) == 3 and all(k.rsplit("/", 1)[1].startswith("es.") for k in translations)  # 2 + 1 fields


def test_a_cancel_while_sending_withdraws_what_reached_the_vendor(world: World) -> None:
    class Held(AmazonVendor):
        """Its submit has started the Amazon jobs and not yet returned when the cancel comes."""

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
    with world.hold_worker("withdraw"):  # the Amazon jobs wait: nothing of them runs
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
        until(lambda: world.statuses(after) == ["STOPPED", "STOPPED"])  # withdrawn before it started
    assert all(item.status == ItemStatus.CANCELLED for item in after.items)
    assert [key for key in world.keys(after, "output") if "/details/" not in key] == []  # nothing translated


def test_a_stop_amazon_takes_before_the_work_is_done_is_an_approved_cancel(world: World) -> None:
    connector = world.connector()
    catalogue(connector, "approved")
    with world.hold_worker("approve"):
        job = connector.send(TENANT, connector.create_job(TENANT, "j", "en", ["es", "ca"], VENDOR, ["approved"]).id)
        assert job.status is S.SENT and world.statuses(job) == ["SUBMITTED", "SUBMITTED"]
        requested = connector.cancel(TENANT, job.id)
        assert requested.status is S.SENT and requested.cancel_request is CancelRequest.REQUESTED
        cancelled = polled_until(connector, TENANT, job.id, S.CANCELLED)
    assert cancelled.cancel_request is CancelRequest.APPROVED and world.statuses(cancelled) == ["STOPPED"] * 2
    entity = connector.store.entity(TENANT, "approved")
    assert entity.in_translation == frozenset() and entity.translated == frozenset()


def test_a_stop_after_amazon_completed_is_a_refused_cancel_and_the_job_imported(world: World) -> None:
    connector = world.connector()
    catalogue(connector, "refused")
    job = connector.send(TENANT, connector.create_job(TENANT, "j", "en", ["es", "ca"], VENDOR, ["refused"]).id)
    until(lambda: world.statuses(job) == ["COMPLETED", "COMPLETED"])  # the vendor finished the work
    assert connector.store.job(TENANT, job.id).status is S.SENT  # not polled yet: the connector does not know
    assert connector.cancel(TENANT, job.id).cancel_request is CancelRequest.REQUESTED  # the stop is refused quietly
    refused = connector.poll(TENANT, job.id)
    assert refused.cancel_request is CancelRequest.REFUSED
    assert refused.status in (S.IN_PRODUCTION, S.READY_FOR_IMPORT)
    with pytest.raises(CancelRefused):
        connector.cancel(TENANT, job.id)
    polled_until(connector, TENANT, job.id, S.READY_FOR_IMPORT)
    assert connector.import_job(TENANT, job.id).status is S.IMPORTED
    entity = connector.store.entity(TENANT, "refused")
    assert entity.translated == {"es", "ca"} and entity.translations["es"]["name"] == "La casa roja"


def test_a_wrong_secret_or_an_unreachable_endpoint_fails_the_send_saying_where_and_a_retry_sends(
    world: World,
) -> None:
    catalogue(world.connector(), "retried")
    job = world.connector().create_job(TENANT, "j", "en", ["es"], VENDOR, ["retried"])
    failed = world.connector(secret_access_key="not-the-secret").send(TENANT, job.id)
    assert failed.status is S.SEND_FAILED and failed.vendor_ref is None
    assert failed.error is not None and "refused the credentials" in failed.error
    assert "DRAGOMAN_CONNECTOR_VENDORS at amazon-test.access_key_id" in failed.error
    assert "not-the-secret" not in failed.error
    unreachable = world.connector(endpoint_url=f"http://127.0.0.1:{free_port()}").send(TENANT, job.id)
    assert unreachable.status is S.SEND_FAILED and unreachable.send_attempts == 2
    assert unreachable.error is not None and "cannot be reached" in unreachable.error
    assert "DRAGOMAN_CONNECTOR_VENDORS at amazon-test.endpoint_url" in unreachable.error
    no_bucket = world.connector(bucket="no-such-bucket").send(TENANT, job.id)
    assert no_bucket.error is not None and "NoSuchBucket" in no_bucket.error
    assert "DRAGOMAN_CONNECTOR_VENDORS at amazon-test.bucket" in no_bucket.error
    # nothing lost: the same items, still in translation; the settings fixed, a retry sends them
    assert [item.status for item in no_bucket.items] == [ItemStatus.SENT]
    assert world.store.entity(TENANT, "retried").in_translation == {"es"}
    connector = world.connector()
    assert connector.send(TENANT, job.id).status is S.SENT
    polled_until(connector, TENANT, job.id, S.READY_FOR_IMPORT)
    assert connector.import_job(TENANT, job.id).status is S.IMPORTED
    assert connector.store.entity(TENANT, "retried").translations["es"]["name"] == "La casa roja"


def test_a_send_again_after_a_crash_between_start_and_recording_finds_the_jobs_it_started(world: World) -> None:
    connector = world.connector(Crashing(VENDOR, Options(**world.options)))
    catalogue(connector, "twice")
    job = connector.create_job(TENANT, "j", "en", ["es", "ca"], VENDOR, ["twice"])
    with pytest.raises(SystemExit):
        connector.send(TENANT, job.id)
    crashed = world.store.job(TENANT, job.id)
    assert crashed.status is S.SENDING and crashed.vendor_ref is None and len(world.jobs_named(crashed)) == 2
    # as recovery leaves it after the restart: a send that failed, sent again
    world.store.change(TENANT, job.id, expect={S.SENDING}, status=S.SEND_FAILED, error="interrupted")
    sent = world.connector().send(TENANT, job.id)
    assert sent.status is S.SENT and sent.vendor_ref is not None
    assert sorted(world.jobs_named(sent)) == sorted(decode_ref(sent.vendor_ref).values())  # the same two, no more
    assert len(world.keys(sent, "input")) == 2 * 2  # the documents written again in place, not twice


def test_a_document_amazon_fails_fails_its_item_alone_with_the_details_files_error(world: World) -> None:
    connector = world.connector()
    catalogue(connector, "half-a", "half-b")
    job = connector.create_job(TENANT, "j", "en", ["es"], VENDOR, ["half-a", "half-b"])
    with world.hold_worker("lost"):  # the job waits; meanwhile one of its documents disappears
        job = connector.send(TENANT, job.id)
        lost = next(item for item in job.items if item.entity == "half-a")
        world.s3.delete_object(Bucket=BUCKET, Key=f"dragoman-connector/{job.id}/input/es/{lost.id}/0.txt")
    polled_until(connector, TENANT, job.id, S.READY_FOR_IMPORT)
    assert world.statuses(job) == ["COMPLETED_WITH_ERROR"]
    imported = connector.import_job(TENANT, job.id)
    assert imported.status is S.IMPORTED_WITH_ERRORS
    failed = next(item for item in imported.items if item.entity == "half-a")
    assert failed.status == ItemStatus.FAILED and failed.error is not None
    assert failed.error.startswith("description: ") and failed.error.endswith("0.txt does not exist")
    assert connector.store.entity(TENANT, "half-b").translations["es"]["name"] == "La casa roja"


class Crashing(AmazonVendor):
    """The process dies once the Amazon jobs are started, before the connector records them."""

    def submit(self, tenant: str, job: ConnectorJob) -> str:
        super().submit(tenant, job)
        raise SystemExit("crash")


def test_a_cancel_with_no_live_sender_after_a_crash_finds_and_stops_the_jobs_it_started(world: World) -> None:
    connector = world.connector(Crashing(VENDOR, Options(**world.options)))
    catalogue(connector, "crashed")
    job = connector.create_job(TENANT, "j", "en", ["es", "ca"], VENDOR, ["crashed"])
    with world.hold_worker("crashed"):  # the Amazon jobs wait: nothing of them runs
        with pytest.raises(SystemExit):
            connector.send(TENANT, job.id)
        crashed = world.store.job(TENANT, job.id)
        assert crashed.status is S.SENDING and crashed.vendor_ref is None
        started = world.jobs_named(crashed)
        assert len(started) == 2
        fresh = world.connector()  # another process, after the crash: no process holds the job
        assert fresh.cancel(TENANT, job.id).status is S.CANCELLED
        after = world.store.job(TENANT, job.id)
        assert after.vendor_ref is not None and sorted(decode_ref(after.vendor_ref).values()) == sorted(started)
        assert sorted(decode_ref(after.vendor_ref)) == ["ca", "es"] and after.error is None
        until(lambda: world.statuses(after) == ["STOPPED", "STOPPED"])  # withdrawn before it started
    assert fresh.poll(TENANT, job.id).status is S.CANCELLED  # nothing more to ask the vendor
    assert all(item.status == ItemStatus.CANCELLED for item in after.items)
    assert [key for key in world.keys(after, "output") if "/details/" not in key] == []  # nothing translated
    entity = world.store.entity(TENANT, "crashed")
    assert entity.in_translation == frozenset() and entity.translated == frozenset()


def test_cancelling_a_send_that_failed_partway_stops_the_language_that_started(world: World) -> None:
    connector = world.connector()
    catalogue(connector, "partial")
    # es is started; the door translates no Japanese, so ja is refused and the send fails after es
    job = connector.create_job(TENANT, "j", "en", ["es", "ja"], VENDOR, ["partial"])
    with world.hold_worker("partial"):
        failed = connector.send(TENANT, job.id)
        assert failed.status is S.SEND_FAILED and failed.vendor_ref is None
        assert failed.error is not None and "UnsupportedLanguagePairException" in failed.error
        started = world.jobs_named(failed)
        assert len(started) == 1 and world.translate.describe_text_translation_job(JobId=started[0])[
            "TextTranslationJobProperties"
        ]["TargetLanguageCodes"] == ["es"]
        cancelled = world.connector().cancel(TENANT, job.id)
        assert cancelled.status is S.CANCELLED
        after = world.store.job(TENANT, job.id)
        assert after.vendor_ref is not None and decode_ref(after.vendor_ref) == {"es": started[0]}
        until(lambda: world.statuses(after) == ["STOPPED"])
    assert [key for key in world.keys(after, "output") if "/details/" not in key] == []
    assert world.store.entity(TENANT, "partial").in_translation == frozenset()


def test_cancelling_a_failed_send_the_vendor_cannot_be_asked_about_cancels_and_says_so(world: World) -> None:
    catalogue(world.connector(), "unasked")
    job = world.connector().create_job(TENANT, "j", "en", ["es"], VENDOR, ["unasked"])
    wrong = world.connector(secret_access_key="not-the-secret")
    assert wrong.send(TENANT, job.id).status is S.SEND_FAILED
    assert wrong.cancel(TENANT, job.id).status is S.CANCELLED  # the cancel stands; the vendor was not reachable
    after = world.store.job(TENANT, job.id)
    assert after.status is S.CANCELLED and after.vendor_ref is None
    assert after.error is not None and after.error.startswith("the vendor could not be asked what reached it: ")
    assert "refused the credentials" in after.error and "not-the-secret" not in after.error
    assert world.jobs_named(after) == []


def test_markup_amazon_sends_back_is_text_unless_the_source_had_it(world: World) -> None:
    # Given a markup field and a plain one, sent and translated
    connector = world.connector()
    connector.put_entity(TENANT, "rich", "en", {"name": "The <b>red</b> house"})
    connector.put_entity(TENANT, "plain", "en", {"name": "I like dogs."})
    job = connector.send(TENANT, connector.create_job(TENANT, "j", "en", ["es"], VENDOR, ["rich", "plain"]).id)
    polled_until(connector, TENANT, job.id, S.READY_FOR_IMPORT)
    # When the vendor's outputs hold markup of their own
    keys = world.keys(job, "output")
    outputs = {
        "rich": "<img src=x onerror=alert(9)> La casa <b>roja</b> <a href='javascript:x'>aquí</a> &lt;b&gt;",
        "plain": "Me gustan los <img src=x onerror=alert(9)> perros.",
    }
    for item in job.items:
        key = next(key for key in keys if key.endswith(f"/{item.id}/es.0.txt"))
        world.s3.put_object(Bucket=BUCKET, Key=key, Body=outputs[item.entity].encode())
    imported = connector.import_job(TENANT, job.id)
    # Then only the source's own tags come back as tags; a tag in a plain field fails its item
    assert connector.store.entity(TENANT, "rich").translations["es"] == {
        "name": "&lt;img src=x onerror=alert(9)&gt; La casa <b>roja</b> "
        "&lt;a href='javascript:x'&gt;aquí&lt;/a&gt; &lt;b&gt;"
    }
    plain = next(item for item in imported.items if item.entity == "plain")
    assert plain.status == ItemStatus.FAILED
    assert plain.error == "name: the translation holds markup its source does not have ('<img src=x onerror=alert(9)>')"
    assert "es" not in connector.store.entity(TENANT, "plain").translations
    assert imported.status is S.IMPORTED_WITH_ERRORS
