"""The service process answers on HTTP."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.processes import environment, serving


def test_health_reports_the_engine_and_the_runner(tmp_path: Path) -> None:
    with serving(environment(tmp_path / "data", [tmp_path]), tmp_path / "server.log") as url:
        body = httpx.get(f"{url}/health").json()
    assert body["status"] == "ok"
    assert body["engine"] == "apertium" and body["languagePairs"] >= 3
    assert body["runner"]["busy"] == 0
    assert "Application shutdown complete" in (tmp_path / "server.log").read_text()
