"""Synchronous single-document translation, glossaries, and the formats endpoints."""

from __future__ import annotations

import pytest
from azure.ai.translation.document import SingleDocumentTranslationClient
from azure.ai.translation.document.models import (
    DocumentTranslateContent,
    DocumentTranslationInput,
    TranslationGlossary,
    TranslationTarget,
)
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError

from dragoman.formats.documents import FORMATS
from tests.api.azure.conftest import ACME_KEY, AzureServer

pytestmark = pytest.mark.slow


def as_bytes(result: object) -> bytes:
    """The SDK's translate() is typed as an iterator of chunks but returns the bytes themselves."""
    return result if isinstance(result, bytes) else b"".join(result)  # type: ignore[call-overload]


def test_single_document_translate_returns_the_translated_document(azure_server: AzureServer) -> None:
    with SingleDocumentTranslationClient(azure_server.endpoint, AzureKeyCredential(ACME_KEY)) as client:
        content = DocumentTranslateContent(document=("a.txt", b"The cat is black.\n\nI like dogs.\n", "text/plain"))
        translated = client.translate(body=content, target_language="es", source_language="en")
        assert as_bytes(translated) == b"El gato es negro.\n\nMe gustan los perros.\n"
        detected = client.translate(body=content, target_language="ca")  # no source: detected as English
        assert as_bytes(detected).startswith("El gat és negre.".encode())
        glossary = DocumentTranslateContent(
            document=("a.txt", b"The cat is black.\n", "text/plain"),
            glossary=[("terms.tsv", b"cat\tminino\n", "text/tab-separated-values")],
        )
        assert as_bytes(client.translate(body=glossary, target_language="es", source_language="en")).startswith(
            b"El minino"
        )
        with pytest.raises(HttpResponseError) as raised:
            client.translate(body=content, target_language="xx")
        assert raised.value.status_code == 400


def test_a_batch_glossary_is_applied_and_a_bad_one_fails_validation(azure_server: AzureServer) -> None:
    source = azure_server.folder("glossary-src")
    (source / "a.txt").write_text("The Dragoman service is fast. I like the cat.\n")
    glossaries = azure_server.folder("glossaries")
    (glossaries / "terms.tsv").write_text("Dragoman\tTrujamán\ncat\tminino\n")
    (glossaries / "terms.csv").write_text('"cat","michino"\n')
    (glossaries / "broken.tsv").write_text("only-one-column\n")
    client = azure_server.client()

    def start(glossary: str, fmt: str, out: str) -> str:
        target = TranslationTarget(
            azure_server.url(azure_server.root / out),
            "es",
            glossaries=[TranslationGlossary(glossary_url=azure_server.url(glossaries / glossary), file_format=fmt)],
        )
        return client.begin_translation(
            [DocumentTranslationInput(azure_server.url(source), [target], source_language="en")]
        ).id

    tsv = start("terms.tsv", "TSV", "glossary-tsv")
    csv = start("terms.csv", "CSV", "glossary-csv")
    broken = start("broken.tsv", "TSV", "glossary-broken")
    client.begin_translation(continuation_token=tsv).result()
    client.begin_translation(continuation_token=csv).result()
    translated = (azure_server.root / "glossary-tsv" / "a.txt").read_text()
    assert "Trujamán" in translated and "minino" in translated
    assert "michino" in (azure_server.root / "glossary-csv" / "a.txt").read_text()
    with pytest.raises(HttpResponseError) as raised:
        client.begin_translation(continuation_token=broken).result()
    assert raised.value.error is not None and raised.value.error.code == "InvalidGlossary"


def test_supported_formats(azure_server: AzureServer) -> None:
    client = azure_server.client()
    documents = {fmt.file_format: fmt for fmt in client.get_supported_document_formats()}
    assert set(documents) == {fmt.name for fmt in FORMATS}  # exactly what is translated
    assert ".docx" in documents["Word"].file_extensions
    assert documents["Excel"].file_extensions == [".xlsx"]
    assert documents["XLIFF"].file_extensions == [".xlf", ".xliff"]
    assert "application/xliff+xml" in documents["XLIFF"].content_types
    assert documents["OpenDocumentSpreadsheet"].file_extensions == [".ods"]
    glossaries = {fmt.file_format for fmt in client.get_supported_glossary_formats()}
    assert glossaries == {"TSV", "CSV", "XLIFF"}
