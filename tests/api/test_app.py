"""The service process answers on HTTP."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from dragoman.api.app import create_app
from dragoman.config import Settings
from dragoman.errors import StoreError
from dragoman.service import Dragoman
from tests.api.test_metrics import get
from tests.postgres import postgres_server
from tests.processes import environment, serving


def test_health_reports_the_engine_and_the_runner(tmp_path: Path) -> None:
    with serving(environment(tmp_path / "data", [tmp_path]), tmp_path / "server.log") as url:
        body = httpx.get(f"{url}/health").json()
    assert body["status"] == "ok"
    assert body["engine"] == "apertium" and body["languagePairs"] >= 3
    assert body["runner"]["busy"] == 0
    assert "Application shutdown complete" in (tmp_path / "server.log").read_text()


def test_health_is_unavailable_while_the_state_database_does_not_answer(tmp_path: Path) -> None:
    # Before: "ok" while PostgreSQL was down, so a load balancer kept sending requests to a node that
    # could only fail them. A server of this test's own, stopped as a crash would and started again.
    with (
        postgres_server() as server,
        Dragoman.from_settings(
            Settings(data_dir=tmp_path / "data", roots=[tmp_path], database_url=server.new_database())
        ) as service,
    ):
        app = create_app(service)
        assert get(app, "/health").json()["store"] == "ok"
        server.stop()
        down = get(app, "/health")
        assert down.status_code == 503, down.text
        assert down.json()["status"] == "unavailable" and "does not answer" in down.json()["store"]
        with pytest.raises(StoreError) as failed:  # unreachable, not refused: tasks under it are run again
            service.store.ping()
        assert failed.value.unreachable
        server.start()
        up = get(app, "/health")
        assert up.status_code == 200 and up.json()["status"] == "ok", up.text
