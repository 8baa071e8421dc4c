"""A missing source language, through the official SDK against a real `dragoman serve`: detected per
document; a document already in the target language is delivered unchanged and not charged; one
whose language cannot be told fails alone with inner code LanguageNotDetected."""

from __future__ import annotations

import pytest
from azure.ai.translation.document import SingleDocumentTranslationClient
from azure.ai.translation.document.models import DocumentTranslateContent
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError

from tests.api.azure.conftest import ACME_KEY, AzureServer
from tests.api.azure.test_sdk_single_and_glossary import as_bytes

pytestmark = pytest.mark.slow

ENGLISH = b"The house is red.  \r\nI like dogs and cats.\r\n"


def test_the_sdk_sample_flow_detects_short_english_documents(azure_server: AzureServer) -> None:
    # Given one short document each, as in the issue, and no source language
    source = azure_server.folder("short-english")
    (source / "hello.txt").write_text("hello world")
    (source / "morning.txt").write_text("Good morning, everybody!")
    (source / "dogs.txt").write_text("I like dogs.")
    out = azure_server.root / "short-english-es"
    client = azure_server.client()
    # When the SDK's own sample flow translates them into Spanish
    poller = client.begin_translation(azure_server.url(source), azure_server.url(out), "es", polling_interval=0.2)
    results = {doc.source_document_url.rsplit("/", 1)[1]: doc for doc in poller.result()}
    # Then each is read as English, translated and charged
    assert poller.status() == "Succeeded"
    assert all(doc.status == "Succeeded" and doc.characters_charged > 0 for doc in results.values()), results
    assert (out / "dogs.txt").read_text() == "Me gustan los perros."
    assert (out / "morning.txt").read_text().startswith("Buenos días")


def test_a_mixed_batch_normalised_to_english(azure_server: AzureServer) -> None:
    source = azure_server.folder("mixed-to-english")
    (source / "en.txt").write_bytes(ENGLISH)
    (source / "es.txt").write_text("El gato es negro. Me gustan los perros.")
    (source / "numbers.txt").write_text("12345 67890 !!!")
    out = azure_server.root / "mixed-english"
    client = azure_server.client()
    poller = client.begin_translation(azure_server.url(source), azure_server.url(out), "en", polling_interval=0.2)
    results = {doc.source_document_url.rsplit("/", 1)[1]: doc for doc in poller.result()}
    # the English document is delivered as it was and not charged; the Spanish one is translated
    assert results["en.txt"].status == "Succeeded" and results["en.txt"].characters_charged == 0
    assert (out / "en.txt").read_bytes() == ENGLISH
    assert results["es.txt"].status == "Succeeded" and results["es.txt"].characters_charged > 0
    assert (out / "es.txt").read_text().startswith("The cat is black.")
    # the one with no language in it fails alone, with its inner code; the job succeeds with a failure
    failed = results["numbers.txt"]
    assert failed.status == "Failed" and failed.error is not None and failed.error.code == "LanguageNotDetected"
    details = client.get_translation_status(poller.id)
    assert details.status == "Succeeded" and details.documents_failed_count == 1
    assert details.total_characters_charged == results["es.txt"].characters_charged


def test_single_document_in_its_target_language_and_undetectable(azure_server: AzureServer) -> None:
    with SingleDocumentTranslationClient(azure_server.endpoint, AzureKeyCredential(ACME_KEY)) as client:
        english = DocumentTranslateContent(document=("a.txt", ENGLISH, "text/plain"))
        assert as_bytes(client.translate(body=english, target_language="en", source_language="en")) == ENGLISH
        assert as_bytes(client.translate(body=english, target_language="en")) == ENGLISH  # detected
        numbers = DocumentTranslateContent(document=("n.txt", b"12345 67890", "text/plain"))
        with pytest.raises(HttpResponseError) as raised:
            client.translate(body=numbers, target_language="es")
        assert raised.value.status_code == 400 and raised.value.response is not None
        assert raised.value.response.json()["error"]["innerError"]["code"] == "LanguageNotDetected"
