"""The SAS permissions Azure's documents ask for are enough, and less fails validation (issue 10 §3).

Azure Document Translation asks for read and list on a source (`sp=rl`) and write and list on a target
(`sp=wl`); the azure-ai-translation-document SDK's own tests make exactly those. Here the official
SDK drives a real server against Azurite with SAS tokens granting exactly what each test names, so a
read of a target (which `wl` forbids) shows up as a failure."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from azure.ai.translation.document import DocumentTranslationClient
from azure.ai.translation.document.models import DocumentTranslationInput, TranslationTarget
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError

from dragoman.batches import BatchInput, BatchTarget
from dragoman.config import Settings
from dragoman.domain.specs import JobSpec
from dragoman.errors import TargetAccessDenied, TargetExists
from dragoman.service import Dragoman
from dragoman.storage.azure_blob import AzureBlobStorage
from tests.api.azure.azurite import BlobWorld
from tests.api.azure.conftest import BLOB_KEY
from tests.conftest import wait_terminal, write_documents

pytestmark = pytest.mark.slow

DEAD_OWNER = "some-other-host:1:dead"  # another host whose lease has run out


def client(blobs: BlobWorld) -> DocumentTranslationClient:
    return DocumentTranslationClient(blobs.endpoint, AzureKeyCredential(BLOB_KEY))


# `rw` is not what Azure documents, but Dragoman accepted it before: without list, a target's
# existence is told by reading its properties.
@pytest.mark.parametrize("target_permission", ["wl", "acwl", "rw"])
def test_documented_permissions_translate_folders_and_single_blobs(
    blobs: BlobWorld, tmp_path: Path, target_permission: str
) -> None:
    # Given English documents behind a read-and-list SAS and a target container behind a SAS with
    # exactly `target_permission`
    name = f"documented-{target_permission}"
    write_documents(tmp_path / "docs", count=1)
    source = blobs.container(f"{name}-in", "rl")
    target = blobs.container(f"{name}-out", target_permission)
    blobs.upload(f"{name}-in", tmp_path / "docs")
    one_source = blobs.sas(f"{name}-in", "rl", "docs/doc0.txt")
    one_target = blobs.sas(f"{name}-out", target_permission, "single/doc0.es.txt")
    inputs = [
        DocumentTranslationInput(source, [TranslationTarget(target, "es")], source_language="en", prefix="docs/"),
        DocumentTranslationInput(
            one_source, [TranslationTarget(one_target, "es")], source_language="en", storage_type="File"
        ),
    ]
    with client(blobs) as translator:
        # When the official SDK translates the folder and the single blob
        first = list(translator.begin_translation(inputs, polling_interval=0.2).result())
        # Then every document is translated into the target container
        assert [doc.status for doc in first] == ["Succeeded"] * 4, [doc.error for doc in first]
        published = {blob: blobs.download(f"{name}-out", blob) for blob in blobs.names(f"{name}-out")}
        assert sorted(published) == ["docs/doc0.txt", "docs/page0.html", "docs/report0.docx", "single/doc0.es.txt"]
        assert published["single/doc0.es.txt"].decode().startswith("El gato es negro.")

        # When the same request comes again, every target is occupied
        again = list(translator.begin_translation(inputs, polling_interval=0.2).result())
    # Then each document fails on its own, unbilled, and nothing is overwritten
    assert [(doc.status, doc.error and doc.error.code) for doc in again] == [("Failed", "TargetFileAlreadyExists")] * 4
    assert sum(doc.characters_charged or 0 for doc in again) == 0
    assert {blob: blobs.download(f"{name}-out", blob) for blob in blobs.names(f"{name}-out")} == published


# `rl` and `l` cannot write; `w` can neither list nor read, so whether a target exists (and, after a
# crash, what was published) could not be told.
@pytest.mark.parametrize("target_permission", ["rl", "l", "w"])
def test_a_target_sas_without_a_permission_needed_fails_validation_and_nothing_is_written(
    blobs: BlobWorld, target_permission: str
) -> None:
    name = f"lacking-{target_permission}"
    blobs.container(f"{name}-in", "rl")
    blobs.service.get_container_client(f"{name}-in").upload_blob("a.txt", b"The cat is black.\n")
    blobs.service.create_container(f"{name}-out")
    folder = DocumentTranslationInput(
        blobs.sas(f"{name}-in", "rl"), [TranslationTarget(blobs.sas(f"{name}-out", target_permission), "es")]
    )
    single = DocumentTranslationInput(
        blobs.sas(f"{name}-in", "rl", "a.txt"),
        [TranslationTarget(blobs.sas(f"{name}-out", target_permission, "a.es.txt"), "es")],
        storage_type="File",
    )
    with client(blobs) as translator:
        for item in (folder, single):
            with pytest.raises(HttpResponseError) as raised:
                translator.begin_translation([item], polling_interval=0.2).result()
            assert raised.value.error is not None
            assert raised.value.error.code == "InvalidTargetDocumentAccessLevel", raised.value.error.message
    assert blobs.names(f"{name}-out") == []  # the write check wrote nothing


def test_a_source_sas_without_read_fails_validation(blobs: BlobWorld) -> None:
    blobs.service.create_container("unread-in")
    blobs.service.get_container_client("unread-in").upload_blob("a.txt", b"The cat is black.\n")
    target = blobs.container("unread-out", "wl")
    single = DocumentTranslationInput(
        blobs.sas("unread-in", "wl", "a.txt"),
        [TranslationTarget(target.replace("/unread-out?", "/unread-out/a.es.txt?"), "es")],
        storage_type="File",
    )
    # a folder whose SAS may list it but not read its blobs: the job fails validation, not each document
    folder = DocumentTranslationInput(blobs.sas("unread-in", "l"), [TranslationTarget(target, "es")])
    for item in (single, folder):
        with client(blobs) as translator, pytest.raises(HttpResponseError) as raised:
            translator.begin_translation([item], polling_interval=0.2).result()
        assert raised.value.error is not None and raised.value.error.code == "InvalidDocumentAccessLevel"
    assert blobs.names("unread-out") == []


def test_a_write_and_list_target_is_checked_and_read_back_without_reading_it(blobs: BlobWorld) -> None:
    # Given a target container reached with `wl` only, and a blob a person put there by other means
    storage = AzureBlobStorage([blobs.host])
    blobs.service.create_container("digest-out")
    blobs.service.get_container_client("digest-out").upload_blob("theirs.txt", b"Not Dragoman's.\n")
    ours, theirs, missing = (blobs.sas("digest-out", "wl", name) for name in ("ours.txt", "theirs.txt", "a.txt"))
    output = b"Me gustan los perros.\n"
    # When Dragoman checks a free target, publishes to it and reads it back
    storage.check_target(ours)
    storage.publish(ours, output)
    # Then the digest is that of what it published, though the SAS may not read
    assert storage.digest(ours) == hashlib.sha256(output).hexdigest()
    assert storage.digest(blobs.sas("digest-out", "rl", "ours.txt")) == hashlib.sha256(output).hexdigest()
    assert storage.digest(missing) is None
    # and a target that is there is found by listing, never touched
    for occupied in (ours, theirs):
        with pytest.raises(TargetExists):
            storage.check_target(occupied)
    # A blob that cannot be read and carries no recorded digest is not guessed at
    with pytest.raises(TargetAccessDenied):
        storage.digest(theirs)
    assert (
        storage.digest(blobs.sas("digest-out", "rl", "theirs.txt")) == hashlib.sha256(b"Not Dragoman's.\n").hexdigest()
    )
    # nor is anything, with neither read nor list
    with pytest.raises(TargetAccessDenied):
        storage.digest(blobs.sas("digest-out", "w", "ours.txt"))
    assert blobs.names("digest-out") == ["ours.txt", "theirs.txt"]
    assert blobs.download("digest-out", "ours.txt") == output
    assert blobs.download("digest-out", "theirs.txt") == b"Not Dragoman's.\n"


def test_recovery_recognises_an_output_published_to_a_write_and_list_target(blobs: BlobWorld, tmp_path: Path) -> None:
    # Given a job from a `rl` blob to a `wl` target whose worker published its output, then died
    blobs.service.create_container("recover-in")
    blobs.service.get_container_client("recover-in").upload_blob("a.txt", b"I like dogs.\n")
    blobs.service.create_container("recover-out")
    settings = Settings(data_dir=tmp_path / "data", roots=[tmp_path], workers=1, azure_blob_hosts=[blobs.host])
    app = Dragoman.from_settings(settings)
    item = BatchInput(
        blobs.sas("recover-in", "rl", "a.txt"),
        (BatchTarget(blobs.sas("recover-out", "wl", "a.es.txt"), "es"),),
        source_language="en",
        single_file=True,
    )
    job_id = app.submit_batch(
        [item], JobSpec("default", (), origin="azure", occupied_target_fails_document=True)
    ).job.id
    claim = app.store.claim_next(DEAD_OWNER, timedelta(seconds=-1))  # its lease is already over
    assert claim is not None, app.get(job_id)
    output = b"Me gustan los perros (published by the dead worker).\n"
    assert app.store.record_output(
        claim.task.id, DEAD_OWNER, characters=12, output_sha256=hashlib.sha256(output).hexdigest()
    )
    app.storage.for_tenant("default").publish(claim.task.target_url, output)
    app.close()
    # When a runner starts and recovers the dead worker's task
    with Dragoman.from_settings(settings, with_runner=True) as runner:
        view = wait_terminal(runner, job_id, timeout=30)
    # Then the output is recognised as published: kept, billed once, not translated again
    assert view.status.value == "succeeded"
    assert view.summary.characters_charged == 12
    assert blobs.download("recover-out", "a.es.txt") == output
