"""The connector's part of the OpenAPI description fuzzed with schemathesis against a real server: no
5xx, and every error in the connector's one shape, `{"error": {"code", "message"}}`, with the status
its code implies."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings

from dragoman.api.connector.errors import CODES
from tests.processes import environment, serving

pytestmark = pytest.mark.slow


def test_fuzzed_connector_requests_never_crash_and_errors_keep_one_shape(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    env = environment(tmp_path / "data", [tmp_path / "docs"], DRAGOMAN_CONNECTOR_POLL_SECONDS="0")
    with serving(env, tmp_path / "server.log") as url, requests.Session() as session:
        schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
        operations = [
            result.ok() for result in schema.get_all_operations() if result.ok().path.startswith("/connector")
        ]
        assert len(operations) == 25  # 18 for tenants, 7 for translation agencies (/connector/vendor)

        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
            def fuzz(case: schemathesis.Case) -> None:
                response = case.call(session=session, headers={"Authorization": "Bearer dragoman-local-key"})
                assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
                if response.status_code >= 400:
                    body = response.json()
                    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
                    assert CODES[body["error"]["code"]] == response.status_code, body

            fuzz()
