"""The official SDK (sync and async) against a real server: start, poll, results, documents, cancel."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import docx
import pytest
from azure.ai.translation.document.aio import DocumentTranslationClient as AsyncClient
from azure.ai.translation.document.models import DocumentTranslationInput, TranslationTarget
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError

from dragoman.formats.documents import extract, format_for
from tests.api.azure.conftest import ACME_KEY, GLOBEX_KEY, AzureServer, big_documents, documents
from tests.conftest import wait_for
from tests.office import chart_deck

pytestmark = pytest.mark.slow


def characters(path: Path) -> int:
    return extract(path.read_bytes(), format_for(path.name)).characters


def test_begin_translation_into_two_languages_translates_every_document(azure_server: AzureServer) -> None:
    # Given a folder of txt, html and docx documents
    source = documents(azure_server, "two-languages")
    out_es, out_ca = azure_server.root / "two-es", azure_server.root / "two-ca"
    client = azure_server.client()
    # When the SDK translates it into Spanish and Catalan and waits for the result
    poller = client.begin_translation(
        [
            DocumentTranslationInput(
                azure_server.url(source),
                [TranslationTarget(azure_server.url(out_es), "es"), TranslationTarget(azure_server.url(out_ca), "ca")],
                source_language="en",
            )
        ],
        polling_interval=0.2,
    )
    results = list(poller.result())
    # Then every document succeeded into both languages, and the charge is exact
    assert poller.status() == "Succeeded"
    assert len(results) == 12 and all(doc.status == "Succeeded" for doc in results)
    assert {doc.translated_to for doc in results} == {"es", "ca"}
    assert (out_es / "doc0.txt").read_text().startswith("El gato es negro.")
    assert "El gat és negre." in (out_ca / "doc0.txt").read_text()
    assert "<b>negro</b>" in (out_es / "page0.html").read_text()
    assert docx.Document(str(out_es / "report0.docx")).paragraphs[0].text == "La casa roja"
    expected = 2 * sum(characters(path) for path in source.iterdir())
    details = client.get_translation_status(poller.id)
    assert details.documents_total_count == 12 and details.documents_succeeded_count == 12
    assert details.total_characters_charged == expected == sum(doc.characters_charged for doc in results)
    one = client.get_document_status(poller.id, results[0].id)
    assert one.id == results[0].id and one.translated_document_url == results[0].translated_document_url
    assert one.source_document_url.startswith("file://")


def test_cancel_mid_job_keeps_finished_documents_and_bills_only_them(azure_server: AzureServer) -> None:
    source = big_documents(azure_server, "cancel-mid")
    target = azure_server.root / "cancel-mid-out"
    client = azure_server.client()
    poller = client.begin_translation(azure_server.url(source), azure_server.url(target), "es", source_language="en")
    wait_for(lambda: client.get_translation_status(poller.id).documents_succeeded_count >= 1)
    client.cancel_translation(poller.id)
    poller.result()  # the poller ends once the job is Cancelling or Cancelled
    wait_for(lambda: client.get_translation_status(poller.id).status == "Canceled")
    status = client.get_translation_status(poller.id)
    docs = list(client.list_document_statuses(poller.id))
    succeeded = [doc for doc in docs if doc.status == "Succeeded"]
    cancelled = [doc for doc in docs if doc.status == "Canceled"]
    assert len(succeeded) + len(cancelled) == 40 and succeeded and cancelled
    assert status.documents_canceled_count == len(cancelled)
    assert all(doc.characters_charged == 0 for doc in cancelled)
    on_disk = {path.name for path in target.iterdir()}
    assert on_disk == {Path(doc.translated_document_url).name for doc in succeeded}
    assert status.total_characters_charged == sum(characters(source / name) for name in on_disk)


def test_cancel_of_a_finished_job_is_a_400(azure_server: AzureServer) -> None:
    source = documents(azure_server, "finished", count=1)
    client = azure_server.client()
    poller = client.begin_translation(
        azure_server.url(source), azure_server.url(azure_server.root / "finished-out"), "es", source_language="en"
    )
    poller.result()
    with pytest.raises(HttpResponseError) as raised:
        client.cancel_translation(poller.id)
    assert raised.value.status_code == 400
    assert raised.value.error is not None and raised.value.error.code == "InvalidRequest"


def test_unknown_ids_and_other_tenants_jobs_are_not_found(azure_server: AzureServer) -> None:
    source = documents(azure_server, "tenant", count=1)
    client = azure_server.client()
    poller = client.begin_translation(
        azure_server.url(source), azure_server.url(azure_server.root / "tenant-out"), "es", source_language="en"
    )
    other = azure_server.client(GLOBEX_KEY)
    for call in (
        lambda: client.get_translation_status("00000000-0000-0000-0000-000000000000"),
        lambda: other.get_translation_status(poller.id),
        lambda: other.cancel_translation(poller.id),
        lambda: list(other.list_document_statuses(poller.id)),
        lambda: client.get_document_status(poller.id, "not-a-document"),
    ):
        with pytest.raises(ResourceNotFoundError):
            call()
    assert poller.id not in {job.id for job in other.list_translation_statuses()}
    poller.result()


def test_a_wrong_key_is_an_authentication_error(azure_server: AzureServer) -> None:
    with pytest.raises(ClientAuthenticationError):
        list(azure_server.client("not-a-key").list_translation_statuses())


def test_an_existing_target_fails_only_its_document_as_the_service_does(azure_server: AzureServer) -> None:
    # Issue 10 §2: Azure runs the job, fails the occupied document with TargetFileAlreadyExists and
    # translates the rest (the SDK's recorded tests); Dragoman refused the whole job.
    source = documents(azure_server, "occupied", count=1)
    target = azure_server.folder("occupied-out")
    (target / "doc0.txt").write_text("already here")
    client = azure_server.client()
    poller = client.begin_translation(azure_server.url(source), azure_server.url(target), "es", source_language="en")
    results = {Path(doc.source_document_url).name: doc for doc in poller.result()}
    assert results["doc0.txt"].status == "Failed" and results["doc0.txt"].error.code == "TargetFileAlreadyExists"
    assert results["doc0.txt"].characters_charged == 0
    assert all(doc.status == "Succeeded" for name, doc in results.items() if name != "doc0.txt")
    status = client.get_translation_status(poller.id)
    assert status.status == "Succeeded" and status.documents_failed_count == 1 and status.documents_total_count == 3
    assert (target / "page0.html").read_text().startswith("<")  # translated
    assert (target / "doc0.txt").read_text() == "already here"


def test_a_source_outside_the_roots_fails_validation(azure_server: AzureServer) -> None:
    client = azure_server.client()
    poller = client.begin_translation("file:///etc", azure_server.url(azure_server.root / "x"), "es")
    with pytest.raises(HttpResponseError) as raised:
        poller.result()
    assert raised.value.error is not None and raised.value.error.code == "InvalidDocumentAccessLevel"


def test_the_async_client_runs_a_job_too(azure_server: AzureServer) -> None:
    source = documents(azure_server, "async", count=1)
    target = azure_server.root / "async-out"

    async def run() -> list[str]:
        async with AsyncClient(azure_server.endpoint, AzureKeyCredential("acme-secret-key")) as client:
            poller = await client.begin_translation(
                azure_server.url(source), azure_server.url(target), "ca", source_language="en", polling_interval=0.2
            )
            result = await poller.result()
            statuses = [doc.status async for doc in result]
            jobs = [job.id async for job in client.list_translation_statuses(translation_ids=[poller.id])]
            assert jobs == [poller.id]
            return statuses

    assert asyncio.run(run()) == ["Succeeded"] * 3
    assert "El gat és negre." in (target / "doc0.txt").read_text()


def test_a_source_folder_that_is_its_own_target_fails_each_document_and_changes_none(
    azure_server: AzureServer,
) -> None:
    source = documents(azure_server, "same-folder", count=1)
    before = {path.name: path.read_bytes() for path in source.iterdir()}
    client = azure_server.client()
    poller = client.begin_translation(azure_server.url(source), azure_server.url(source), "es", source_language="en")
    results = list(poller.result())
    assert results and all(doc.status == "Failed" and doc.error.code == "TargetFileAlreadyExists" for doc in results)
    assert {path.name: path.read_bytes() for path in source.iterdir()} == before
    assert client.get_translation_status(poller.id).total_characters_charged == 0


def test_a_document_that_left_parts_untranslated_says_so_in_its_status(azure_server: AzureServer) -> None:
    source = azure_server.folder("warned")
    (source / "deck.pptx").write_bytes(chart_deck())
    target = azure_server.folder("warned-es")
    poller = azure_server.client().begin_translation(
        azure_server.url(source), azure_server.url(target), "es", source_language="en", polling_interval=0.2
    )
    [document] = list(poller.result())
    # the document succeeded (its text is translated), and what it left is on its status, as
    # Dragoman's own field that the SDK's model keeps
    assert document.status == "Succeeded" and document.error is None
    [warning] = document["warnings"]
    assert warning["code"] == "ChartDataNotTranslated" and "1 chart" in warning["message"]


def test_a_folder_s_files_without_an_extension_are_read_by_content_and_its_clutter_is_left_out(
    azure_server: AzureServer,
) -> None:
    source = azure_server.folder("unnamed")
    (source / "notes").write_text("The cat is black.\n")  # plain text, no extension
    (source / "page").write_text("<!DOCTYPE html><html><body><p>I like dogs.</p></body></html>")
    (source / "blob").write_bytes(bytes(range(256)) * 4)  # no document at all
    (source / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (source / "~$report.docx").write_bytes(b"\0lock")
    (source / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
    target = azure_server.folder("unnamed-es")
    poller = azure_server.client().begin_translation(
        azure_server.url(source), azure_server.url(target), "es", source_language="en", polling_interval=0.2
    )
    documents = {doc.source_document_url.rsplit("/", 1)[-1]: doc for doc in poller.result()}
    assert set(documents) == {"notes", "page", "blob"}  # the clutter was never a document of the job
    assert documents["notes"].status == "Succeeded" and (target / "notes").read_text() == "El gato es negro.\n"
    assert documents["page"].status == "Succeeded" and "Me gustan los perros." in (target / "page").read_text()
    assert documents["blob"].status == "Failed" and documents["blob"].error is not None
    assert "no extension" in documents["blob"].error.message  # said as what it is, in its own task


def test_a_folder_s_documents_that_cannot_be_read_fail_by_their_names_and_the_rest_are_translated(
    azure_server: AzureServer, tmp_path: Path
) -> None:
    # Left over from the issue 11 red team: a link out of the storage roots, a link to nothing and a
    # named pipe in a source folder were left out of the job unseen, and the job "succeeded"
    source = azure_server.folder("unusable")
    (source / "ok.txt").write_text("The cat is black.\n")
    secret = tmp_path / "outside.txt"  # not under the tenant's roots
    secret.write_text("The house is red.\n")
    (source / "outside.txt").symlink_to(secret)
    (source / "dangling.txt").symlink_to(source / "gone.txt")
    os.mkfifo(source / "pipe.txt")
    target = azure_server.folder("unusable-es")
    poller = azure_server.client().begin_translation(
        azure_server.url(source), azure_server.url(target), "es", source_language="en", polling_interval=0.2
    )
    documents = {doc.source_document_url.rsplit("/", 1)[-1]: doc for doc in poller.result()}
    assert set(documents) == {"ok.txt", "outside.txt", "dangling.txt", "pipe.txt"}
    assert all(doc.source_document_url.startswith("file:///") for doc in documents.values())
    assert documents["ok.txt"].status == "Succeeded" and (target / "ok.txt").read_text() == "El gato es negro.\n"
    codes = {name: (doc.status, doc.error.code if doc.error else None) for name, doc in documents.items()}
    assert codes["outside.txt"] == ("Failed", "InvalidDocumentAccessLevel")
    assert codes["dangling.txt"] == ("Failed", "SourceDocumentNotFound")
    assert codes["pipe.txt"] == ("Failed", "UnsupportedFormat")
    messages = " ".join(doc.error.message for doc in documents.values() if doc.error)
    assert str(tmp_path) not in messages and "gone.txt" not in messages  # where links point is not told
    status = azure_server.client().get_translation_status(poller.id)
    assert status.documents_total_count == 4 and status.documents_failed_count == 3
    assert status.total_characters_charged == characters(source / "ok.txt")  # only the translated document
    assert sorted(path.name for path in target.iterdir()) == ["ok.txt"]


def test_one_document_without_an_extension_or_a_content_type_is_read_by_content(azure_server: AzureServer) -> None:
    from azure.ai.translation.document import SingleDocumentTranslationClient
    from azure.ai.translation.document.models import DocumentTranslateContent

    client = SingleDocumentTranslationClient(azure_server.endpoint, AzureKeyCredential(ACME_KEY))
    try:
        content = DocumentTranslateContent(document=("notes", b"The house is red.", "application/octet-stream"))
        assert client.translate(body=content, target_language="es") == b"La casa es roja."
    finally:
        client.close()
