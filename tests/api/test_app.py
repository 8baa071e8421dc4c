"""The service process answers on HTTP."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.processes import environment, free_port, start_server


def test_health_reports_the_engine_and_the_runner(tmp_path: Path) -> None:
    port = free_port()
    server = start_server(environment(tmp_path / "data", [tmp_path]), port, tmp_path / "server.log")
    try:
        body = httpx.get(f"http://127.0.0.1:{port}/health").json()
    finally:
        server.terminate()
        server.wait(30)
    assert body["status"] == "ok"
    assert body["engine"] == "apertium" and body["languagePairs"] >= 3
    assert body["runner"]["busy"] == 0
    assert "Application shutdown complete" in (tmp_path / "server.log").read_text()
