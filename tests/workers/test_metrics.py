"""`/metrics` of an API node (`dragoman serve --no-runner`) counts the tasks each worker process runs:
`dragoman_running_tasks{node="host:pid"}`, read from the state database."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.postgres import PostgresServer
from tests.processes import DRAGOMAN, free_port
from tests.workers.cluster import REPOSITORY, cluster, paragraphs, wait_until
from tests.workers.fake_engine import gate_marker
from tests.workers.test_crashes import running_on

pytestmark = pytest.mark.slow


def running_tasks(base: str) -> tuple[dict[str, float], float]:
    """(node -> running tasks, queue depth) as `/metrics` shows them."""
    text = httpx.get(f"{base}/metrics", timeout=10).text
    running, depth = {}, -1.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "dragoman_running_tasks":
                running[sample.labels["node"]] = sample.value
            elif sample.name == "dragoman_queue_depth":
                depth = sample.value
    return running, depth


def test_an_api_node_shows_the_tasks_each_worker_runs(tmp_path: Path, postgres: PostgresServer) -> None:
    with cluster(tmp_path, postgres.new_database()) as deployment:
        # Given an API node and two workers, one running two tasks of a job, the other one
        port = free_port()
        with (tmp_path / "serve.log").open("ab") as log:
            api = subprocess.Popen(
                [DRAGOMAN, "serve", "--no-runner", "--port", str(port)],
                env=deployment.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=REPOSITORY,
            )
        deployment.processes.append(api)
        base = f"http://127.0.0.1:{port}"
        first = deployment.worker(concurrency=2)
        deployment.write("job", {f"doc{n}.txt": paragraphs(n, 1, gate_marker("go")) for n in range(4)})
        job_id = deployment.submit("job")
        wait_until(lambda: len(running_on(deployment, job_id, first)) == 2, what="two tasks on the first worker")
        second = deployment.worker(concurrency=1)
        wait_until(lambda: len(running_on(deployment, job_id, second)) == 1, what="one task on the second")
        wait_until(_answers(base), what="the API node")
        # When /metrics is scraped, Then each worker's running tasks are shown under its host:pid
        host = socket.gethostname()
        assert running_tasks(base) == ({f"{host}:{first.pid}": 2, f"{host}:{second.pid}": 1}, 1)
        # and once the job ends, no worker runs anything
        deployment.open_gate("go")
        assert deployment.wait_terminal(job_id).status.value == "succeeded"
        assert running_tasks(base) == ({}, 0)


def _answers(base: str):  # type: ignore[no-untyped-def]
    def check() -> bool:
        try:
            return httpx.get(f"{base}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            time.sleep(0.1)
            return False

    return check
