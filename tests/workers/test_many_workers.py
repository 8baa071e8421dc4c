"""Many `dragoman worker` processes on one job (issue 15): each task ends once, the job's counters
add up at every read, and what is billed is what succeeded."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.postgres import PostgresServer
from tests.workers.cluster import cluster, paragraphs

pytestmark = pytest.mark.slow


def test_four_workers_on_two_hundred_tasks_end_each_once_and_bill_what_succeeded(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    # Given four worker processes (more than the machine's cores) on a PostgreSQL state database
    with cluster(tmp_path, postgres.new_database(), segment_seconds=0.002) as deployment:
        workers = [deployment.worker(concurrency=2) for _ in range(4)]
        deployment.write("many", {f"doc{number:03}.txt": paragraphs(number, 3) for number in range(100)})
        # When a job of 200 tasks (100 documents into two languages) is submitted through the CLI
        job_id = deployment.submit("many", ("es", "fr"))
        # Then its counters add up at every poll until it ends, succeeded
        view = deployment.wait_terminal(job_id, timeout=120)
        assert view.status.value == "succeeded", view
        assert view.summary.succeeded == 200
        # each task was claimed once and finished once, by one worker
        assert set(deployment.attempts(job_id).values()) == {1}
        finished = deployment.events("finished")
        assert len(finished) == 200 and set(finished.values()) == {1}
        # every document is whole at its target, and billed once; every worker still runs
        assert sum(deployment.events("started").values()) == 200
        deployment.check_outputs(job_id, "many")
        assert all(worker.poll() is None for worker in workers)
