"""Issue 9 item 6 on the Azure door of a real `dragoman serve`: malformed input answers 4xx in
Azure's shape, never 5xx, and creates nothing.

Reproduction (before): 500s for `skip`/`top` of 2^70 and `skip=37585456309222810583040` (found by
schemathesis: SQLite's integers are 64-bit), for dates at year 1 or 9999 with an offset in the
created-date filters and in `$skipToken` cursors (the store's conversion to UTC overflowed), for a
`file://` path component over 255 bytes (ENAMETOOLONG from `os.stat`). Each request below is one of
those, sent as a client would send it.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import httpx
import pytest

from tests.api.azure.conftest import ACME_KEY, AzureServer

pytestmark = pytest.mark.slow

VERSION = "2026-03-01"
BATCHES = "/translator/document/batches"


def token(*parts: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode()


def deep_token(depth: int) -> str:
    return base64.urlsafe_b64encode(b"[" * depth + b"]" * depth).decode()


HUGE = str(2**70)
QUERIES: list[dict[str, str]] = [
    {"skip": HUGE},
    {"skip": "37585456309222810583040"},  # schemathesis' find
    {"$skip": "2147483648"},  # int32 + 1
    {"top": HUGE},
    {"$top": "-1"},
    {"maxpagesize": HUGE},
    {"createdDateTimeUtcStart": "0001-01-01T00:00:00+01:00"},
    {"createdDateTimeUtcEnd": "9999-12-31T23:59:59-01:00"},
    {"createdDateTimeUtcStart": "0001-01-01T00:30:00+14:00"},
    {"createdDateTimeUtcStart": "not a date"},
    {"$skipToken": token("0001-01-01T00:00:00+01:00", "a")},
    {"$skipToken": token("9999-12-31T23:59:59-01:00", "a")},
    {"$skipToken": deep_token(3000)},
    {"$skipToken": "%%%"},
]


DOCUMENT_QUERIES = [  # a document cursor's key is a task's sequence number, a 64-bit database integer
    {"$skipToken": token("2026-01-01T00:00:00+00:00", HUGE)},
    {"$skipToken": token("2026-01-01T00:00:00+00:00", "²")},
]


def assert_azure_400(response: httpx.Response) -> None:
    assert response.status_code == 400, (response.request.url, response.text)
    error = response.json()["error"]
    assert error["code"] in ("InvalidArgument", "InvalidRequest") and error["message"]
    assert error["innerError"]["code"] and error["innerError"]["message"]


@pytest.mark.parametrize("query", QUERIES, ids=lambda query: "&".join(f"{k}={v[:24]}" for k, v in query.items()))
def test_list_parameters_out_of_range_are_400s(azure_server: AzureServer, query: dict[str, str]) -> None:
    headers = {"Ocp-Apim-Subscription-Key": ACME_KEY}
    params = {"api-version": VERSION, **query}
    assert_azure_400(httpx.get(f"{azure_server.endpoint}{BATCHES}", params=params, headers=headers))
    documents = f"{azure_server.endpoint}{BATCHES}/{uuid.uuid4()}/documents"
    assert_azure_400(httpx.get(documents, params=params, headers=headers))


@pytest.mark.parametrize("query", DOCUMENT_QUERIES)
def test_document_cursors_out_of_range_are_400s(azure_server: AzureServer, query: dict[str, str]) -> None:
    documents = f"{azure_server.endpoint}{BATCHES}/{uuid.uuid4()}/documents"
    params = {"api-version": VERSION, **query}
    assert_azure_400(httpx.get(documents, params=params, headers={"Ocp-Apim-Subscription-Key": ACME_KEY}))


def test_the_edges_of_the_ranges_are_still_served(azure_server: AzureServer) -> None:
    headers = {"Ocp-Apim-Subscription-Key": ACME_KEY}
    for query in (
        {"skip": "2147483647", "top": "2147483647"},
        {"createdDateTimeUtcStart": "0001-01-01T00:00:00Z", "createdDateTimeUtcEnd": "9999-12-31T23:59:59Z"},
        {"$skipToken": token("0001-01-01T00:00:00+00:00", "a")},
    ):
        answer = httpx.get(
            f"{azure_server.endpoint}{BATCHES}", params={"api-version": VERSION, **query}, headers=headers
        )
        assert answer.status_code == 200, (query, answer.text)


def start(azure_server: AzureServer, body: bytes | dict[str, Any]) -> httpx.Response:
    headers = {"Ocp-Apim-Subscription-Key": ACME_KEY, "Content-Type": "application/json"}
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(f"{azure_server.endpoint}{BATCHES}", params={"api-version": VERSION}, content=content,
                      headers=headers, timeout=60)  # fmt: skip


def test_deeply_nested_json_is_a_400(azure_server: AzureServer) -> None:
    assert_azure_400(start(azure_server, b"[" * 100_000 + b"]" * 100_000))
    assert_azure_400(start(azure_server, b'{"inputs": ' + b"[" * 5000 + b"]" * 5000 + b"}"))


def refused_or_failed_validation(azure_server: AzureServer, response: httpx.Response) -> None:
    """Never a 5xx: either a 400 that created nothing, or a job that failed validation (README: an
    unusable location is a ValidationFailed job; a malformed request a 400)."""
    assert response.status_code in (202, 400), response.text
    if response.status_code == 400:
        assert_azure_400(response)
        return
    status = httpx.get(response.headers["Operation-Location"], headers={"Ocp-Apim-Subscription-Key": ACME_KEY})
    body = status.json()
    assert body["status"] == "ValidationFailed", body
    assert body["error"]["innerError"]["code"] in ("InvalidDocumentAccessLevel", "InvalidTargetDocumentAccessLevel")


def test_a_path_component_over_255_bytes_is_refused(azure_server: AzureServer) -> None:
    source = azure_server.folder("long-names")
    (source / "a.txt").write_text("The cat is black.\n")
    long = "n" * 300
    for item in (
        {"source": {"sourceUrl": azure_server.url(source) + "/" + long}, "targets": [{"targetUrl": azure_server.url(
            azure_server.root / "long-out-1"), "language": "es"}]},
        {"source": {"sourceUrl": azure_server.url(source)}, "targets": [{"targetUrl": azure_server.url(
            azure_server.root / long), "language": "es"}]},
        {"storageType": "File", "source": {"sourceUrl": azure_server.url(source / "a.txt")}, "targets": [
            {"targetUrl": azure_server.url(azure_server.root / long / "a.txt"), "language": "es"}]},
        {"storageType": "File", "source": {"sourceUrl": azure_server.url(source) + "/" + "é" * 200}, "targets": [
            {"targetUrl": azure_server.url(azure_server.root / "long-out-2.txt"), "language": "es"}]},
    ):  # fmt: skip
        refused_or_failed_validation(azure_server, start(azure_server, {"inputs": [item]}))


def test_a_blob_container_given_as_a_file_is_refused(azure_server: AzureServer) -> None:
    # `storageType: File` with a container URL made the Azure SDK's BlobClient.from_blob_url raise
    # ValueError before any request left (so no storage account is needed to reproduce it): a 500.
    container = "https://dragomantest.blob.core.windows.net/documents?sv=2024-01-01&sig=x"
    item = {
        "storageType": "File",
        "source": {"sourceUrl": container},
        "targets": [{"targetUrl": azure_server.url(azure_server.root / "from-container.txt"), "language": "es"}],
    }
    refused_or_failed_validation(azure_server, start(azure_server, {"inputs": [item]}))  # fmt: skip


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b"{not json", "the body is not valid JSON"),
        ({"inputs": []}, "inputs must hold at least 1"),
        ({"inputs": [{"storageType": "Blob", "source": {"sourceUrl": "file:///x"},
                      "targets": [{"targetUrl": "file:///y", "language": "es"}]}]},
         "inputs[0].storageType must be one of folder, file"),
        ({"inputs": [{"targets": [{"targetUrl": "file:///y", "language": "es"}]}]}, "inputs[0].source is required"),
    ],
)  # fmt: skip
def test_request_errors_are_said_in_the_request_s_words(azure_server: AzureServer, body: Any, said: str) -> None:
    answer = start(azure_server, body)
    assert_azure_400(answer)
    message = answer.json()["error"]["message"]
    assert said in message, message
    for word in ("String should", "List should", "JSON decode", "pattern", "Field required"):
        assert word not in message, message


def test_a_document_whose_name_names_no_format_is_read_as_its_part_s_content_type(azure_server: AzureServer) -> None:
    answer = httpx.post(
        f"{azure_server.endpoint}/translator/document:translate",
        params={"api-version": VERSION, "targetLanguage": "es", "sourceLanguage": "en"},
        files={"document": ("notes", b"The cat is black.\n", "text/plain")},
        headers={"Ocp-Apim-Subscription-Key": ACME_KEY},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    assert answer.content == b"El gato es negro.\n"
