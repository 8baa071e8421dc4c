"""Worker processes with the real engine (Apertium, kept-alive pipelines): a worker SIGKILLed in the
middle of a document, its task run again by another, each document published once and billed once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ENGLISH_PARAGRAPHS
from tests.postgres import PostgresServer
from tests.workers.cluster import cluster, wait_until
from tests.workers.test_crashes import running_on

pytestmark = pytest.mark.slow


def test_real_apertium_workers_one_killed_mid_document(tmp_path: Path, postgres: PostgresServer) -> None:
    with cluster(tmp_path, postgres.new_database(), engine="apertium") as deployment:
        # Given a worker translating a job's documents with Apertium
        first = deployment.worker(concurrency=1)
        text = "\n\n".join(" ".join(ENGLISH_PARAGRAPHS) for _ in range(40)) + "\n"
        deployment.write("job", {f"doc{n}.txt": f"Document {n}.\n\n{text}" for n in range(4)})
        job_id = deployment.submit("job", ("es", "ca"))
        wait_until(lambda: running_on(deployment, job_id, first), what="a task running")
        (killed,) = running_on(deployment, job_id, first)
        # When it is SIGKILLed mid-document (its Apertium pipelines die with it) and two others run
        deployment.kill(first)
        deployment.worker(concurrency=1)
        deployment.worker(concurrency=1)
        # Then the job succeeds: the killed task ran again, each document is whole at its target once
        view = deployment.wait_terminal(job_id, timeout=180)
        assert view.status.value == "succeeded", view
        assert deployment.attempts(job_id)[killed] == 2
        deployment.check_outputs(job_id, "job")
        spanish = (deployment.out("job") / "es" / "doc0.txt").read_text()
        assert "gato" in spanish and "perros" in spanish
