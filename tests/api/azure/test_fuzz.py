"""The OpenAPI description fuzzed with schemathesis against the real server: no 5xx, and every error
under /translator in Azure's shape with a non-null innerError."""

from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.api.azure.conftest import ACME_KEY, AzureServer

pytestmark = pytest.mark.slow


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

            fuzz()
