"""The OpenAPI description fuzzed with schemathesis against the real server: no 5xx, and every error
under /translator in Azure's shape with a non-null innerError. Requests that once answered 500
(issue 9 item 6; one found by this very test) are explicit examples, run on every operation they
belong to before the generated ones."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, example, given, settings

from tests.api.azure.conftest import ACME_KEY, AzureServer

pytestmark = pytest.mark.slow

VERSION = "2026-03-01"
HUGE = str(2**70)


def _token(moment: str, key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([moment, key]).encode()).decode()


_LIST_QUERIES = [
    {"skip": "37585456309222810583040"},  # schemathesis' own find: 500 from SQLite's 64-bit integers
    {"skip": HUGE},
    {"top": HUGE},
    {"createdDateTimeUtcStart": "0001-01-01T00:00:00+01:00"},  # overflowed when turned into UTC
    {"createdDateTimeUtcEnd": "9999-12-31T23:59:59-01:00"},
    {"$skipToken": _token("0001-01-01T00:00:00+01:00", "a")},
]
_TARGET = [{"targetUrl": "file:///tmp/fuzz-out", "language": "es"}]
EXAMPLES: dict[str, list[dict[str, Any]]] = {
    "GET /translator/document/batches": [{"query": {"api-version": VERSION, **q}} for q in _LIST_QUERIES],
    "GET /translator/document/batches/{job_id}/documents": [
        {"path_parameters": {"job_id": str(uuid.uuid4())}, "query": {"api-version": VERSION, **q}}
        for q in [*_LIST_QUERIES, {"$skipToken": _token("2026-01-01T00:00:00+00:00", HUGE)}]
    ],
    "POST /translator/document/batches": [
        {
            "query": {"api-version": VERSION},
            "media_type": "application/json",
            "body": {"inputs": [{"source": {"sourceUrl": source}, "targets": _TARGET, "storageType": kind}]},
        }
        for source, kind in (
            ("file:///tmp/" + "n" * 300, "Folder"),  # ENAMETOOLONG from os.stat
            ("https://fuzz.blob.core.windows.net/container?sig=x", "File"),  # ValueError from the Azure SDK
        )
    ],
}


def check(case: schemathesis.Case, session: requests.Session) -> None:
    # Mostly a valid api-version, so fuzzing reaches past the first check.
    query = dict(case.query or {})
    if len(str(query)) % 4:
        query["api-version"] = "2026-03-01"
        case.query = query
    response = case.call(session=session, headers={"Ocp-Apim-Subscription-Key": ACME_KEY})
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
    if response.status_code >= 400 and case.path.startswith("/translator"):
        error = response.json()["error"]
        assert isinstance(error["code"], str) and isinstance(error["message"], str)
        assert isinstance(error["innerError"], dict) and error["innerError"]["code"]


def test_fuzzed_requests_never_crash_and_errors_keep_azures_shape(azure_server: AzureServer) -> None:
    schema = schemathesis.openapi.from_url(f"{azure_server.endpoint}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9
    with requests.Session() as session:
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
            def fuzz(case: schemathesis.Case) -> None:
                check(case, session)

            for known in EXAMPLES.get(operation.label, []):
                fuzz = example(case=operation.Case(**known))(fuzz)
            fuzz()
    assert set(EXAMPLES) <= {operation.label for operation in operations}  # no example left unrun
