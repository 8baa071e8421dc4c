"""Azure Blob Storage end to end: Azurite (the official emulator) started by the test, containers
with SAS URLs, the official SDK driving a real server that reads and writes blobs."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import docx
import httpx
import pytest
from azure.ai.translation.document import DocumentTranslationClient
from azure.ai.translation.document.models import DocumentTranslationInput, TranslationTarget
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError

from tests.api.azure.azurite import BlobWorld
from tests.api.azure.conftest import BLOB_KEY as KEY
from tests.conftest import write_documents

pytestmark = pytest.mark.slow


def test_translate_from_one_container_into_another(blobs: BlobWorld, tmp_path: Path) -> None:
    # Given English documents in a source container and an empty target container, both by SAS URL
    write_documents(tmp_path / "docs", count=1)
    source = blobs.container("source-one", "rl")
    target = blobs.container("target-one", "rwl")
    blobs.upload("source-one", tmp_path / "docs")
    # When the official SDK translates the container into Spanish
    with DocumentTranslationClient(blobs.endpoint, AzureKeyCredential(KEY)) as client:
        poller = client.begin_translation(
            [DocumentTranslationInput(source, [TranslationTarget(target, "es")], source_language="en", prefix="docs/")],
            polling_interval=0.2,
        )
        results = list(poller.result())
    # Then each document is in the target container under its own name, translated
    assert sorted(doc.status for doc in results) == ["Succeeded"] * 3
    assert all("?" not in (doc.translated_document_url or "") for doc in results)  # no SAS shown back
    assert blobs.download("target-one", "docs/doc0.txt").decode().startswith("El gato es negro.")
    assert "<b>negro</b>" in blobs.download("target-one", "docs/page0.html").decode()
    word = docx.Document(BytesIO(blobs.download("target-one", "docs/report0.docx")))
    assert word.paragraphs[0].text == "La casa roja"


def test_a_single_blob_and_a_blob_that_already_exists(blobs: BlobWorld, tmp_path: Path) -> None:
    write_documents(tmp_path / "docs", count=1)
    source = blobs.container("source-two", "rl")
    target = blobs.container("target-two", "rwl")
    blobs.upload("source-two", tmp_path / "docs")
    one_source = source.replace("/source-two?", "/source-two/docs/doc0.txt?")
    one_target = target.replace("/target-two?", "/target-two/single/doc0.es.txt?")
    with DocumentTranslationClient(blobs.endpoint, AzureKeyCredential(KEY)) as client:
        single = DocumentTranslationInput(
            one_source, [TranslationTarget(one_target, "es")], source_language="en", storage_type="File"
        )
        assert [doc.status for doc in client.begin_translation([single]).result()] == ["Succeeded"]
        assert blobs.download("target-two", "single/doc0.es.txt").decode().startswith("El gato es negro.")
        # the same target again: it exists, so that document fails (as the service does), unbilled,
        # and the blob is untouched
        [again] = list(client.begin_translation([single]).result())
        assert again.status == "Failed" and again.error.code == "TargetFileAlreadyExists"
        assert again.characters_charged == 0
        assert blobs.download("target-two", "single/doc0.es.txt").decode().startswith("El gato es negro.")


def test_sas_without_read_access_and_unlisted_hosts_fail_validation(blobs: BlobWorld) -> None:
    no_list = blobs.container("source-three", "w")
    target = blobs.container("target-three", "rwl")
    with DocumentTranslationClient(blobs.endpoint, AzureKeyCredential(KEY)) as client:
        for source in (no_list, "https://attacker.example.net/container?sig=x"):
            with pytest.raises(HttpResponseError) as raised:
                client.begin_translation(source, target, "es", source_language="en").result()
            assert raised.value.error is not None and raised.value.error.code == "InvalidDocumentAccessLevel"


def test_a_container_given_as_a_file_is_refused_never_a_500(blobs: BlobWorld) -> None:
    # Issue 9 item 6: `storageType: File` with a container URL as the source or the target is never a 500
    # (the Azure SDK's BlobClient.from_blob_url raises ValueError for a URL that names no blob; for a
    # named host test_malformed.py reproduces the 500 without a storage account).
    source = blobs.container("file-source", "rl")
    target = blobs.container("file-target", "rwl")
    blobs.service.get_container_client("file-source").upload_blob("a.txt", b"The cat is black.\n")
    one_source = source.replace("/file-source?", "/file-source/a.txt?")
    one_target = target.replace("/file-target?", "/file-target/a.es.txt?")
    headers = {"Ocp-Apim-Subscription-Key": KEY}
    for source_url, target_url in ((source, one_target), (one_source, target), (source, target)):
        item = {"storageType": "File", "source": {"sourceUrl": source_url},
                "targets": [{"targetUrl": target_url, "language": "es"}]}  # fmt: skip
        answer = httpx.post(
            f"{blobs.endpoint}/translator/document/batches?api-version=2026-03-01",
            json={"inputs": [item]},
            headers=headers,
            timeout=60,
        )
        assert answer.status_code == 202, answer.text  # the storage layer refuses it: validation fails
        status = httpx.get(answer.headers["Operation-Location"], headers=headers).json()
        assert status["status"] == "ValidationFailed", status
        assert status["error"]["innerError"]["code"] in (
            "InvalidDocumentAccessLevel",
            "InvalidTargetDocumentAccessLevel",
        )
        assert "not a blob" in status["error"]["message"]
    assert list(blobs.service.get_container_client("file-target").list_blob_names()) == []  # nothing written


def test_a_blob_whose_name_makes_no_valid_target_fails_alone(blobs: BlobWorld) -> None:
    # Red team, issue 10: a source blob named with a tab made the whole job ValidationFailed
    source = blobs.container("oddnames-in", "rl")
    target = blobs.container("oddnames-out", "wl")
    container = blobs.service.get_container_client("oddnames-in")
    container.upload_blob("a.txt", b"The cat is black.\n")
    container.upload_blob("tab\there.txt", b"I like dogs.\n")
    with DocumentTranslationClient(blobs.endpoint, AzureKeyCredential(KEY)) as client:
        poller = client.begin_translation(source, target, "es", source_language="en", polling_interval=0.2)
        results = {doc.source_document_url.rsplit("/", 1)[-1]: doc for doc in poller.result()}
        details = poller.details
    assert details.status == "Succeeded" and details.documents_succeeded_count == 1
    assert details.documents_failed_count == 1
    [odd] = [doc for name, doc in results.items() if name != "a.txt"]
    assert odd.status == "Failed" and odd.error is not None and odd.characters_charged == 0
    assert results["a.txt"].status == "Succeeded"
    assert blobs.names("oddnames-out") == ["a.txt"]
