"""Cancels that land as tasks finish on worker processes (issue 15, DESIGN §1 rules 1-6): each task
ends succeeded and billed, or cancelled and free, never both, never neither; the job follows rules
2-4 whichever came first."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from dragoman.domain.jobs import CancelOutcome
from dragoman.domain.states import JobStatus, TaskStatus
from dragoman.errors import CancelRefused
from tests.postgres import PostgresServer
from tests.workers.cluster import cluster, paragraphs, wait_until
from tests.workers.fake_engine import gate_marker

pytestmark = pytest.mark.slow

# How long after the documents are let go to their last segments the cancel is sent: from before
# any finished to after all did. Spread over the window, never asserted.
DELAYS = (0.0, 0.01, 0.02, 0.035, 0.05, 0.08, 0.3)


def test_cancels_landing_as_tasks_finish_leave_each_task_billed_or_free_and_the_job_per_the_rules(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    with cluster(tmp_path, postgres.new_database(), segment_seconds=0.01) as deployment:
        # Given three workers with room for six tasks at a time
        for _ in range(3):
            deployment.worker(concurrency=2)
        outcomes = []
        for number, delay in enumerate(DELAYS):
            # and a job of six documents, all running, held before their last three segments
            folder, gate = f"job{number}", f"round{number}"
            deployment.write(
                folder, {f"doc{k}.txt": paragraphs(k, 1, gate_marker(gate), "One.", "Two.", "Three.") for k in range(6)}
            )
            job_id = deployment.submit(folder)
            wait_until(lambda job_id=job_id: deployment.service.get(job_id).summary.in_progress == 6)
            # When they are let go and the job is cancelled (through the service, as the API node does)
            deployment.open_gate(gate)
            time.sleep(delay)
            try:
                accepted = deployment.service.cancel(job_id)
            except CancelRefused:  # rule 1: the job had ended; nothing changed
                accepted = None
            # Then whatever came first, the counters add up until it ends
            view = deployment.wait_terminal(job_id)
            tasks = deployment.service.tasks(job_id)
            assert {task.status for task in tasks} <= {TaskStatus.SUCCEEDED, TaskStatus.CANCELLED}
            # each task is succeeded with its document published and billed, or cancelled, unpublished, free
            deployment.check_outputs(job_id, folder)
            assert all(task.error is None for task in tasks)
            cancelled = sum(task.status is TaskStatus.CANCELLED for task in tasks)
            if accepted is None:
                assert view.status is JobStatus.SUCCEEDED and not view.job.cancel_requested
                outcomes.append("refused")
                continue
            # rule 2: nothing was pending, so the job was cancelling, or final at once if nothing ran
            assert accepted.summary.not_yet_started == 0
            assert accepted.status is (JobStatus.CANCELLING if accepted.summary.in_progress else view.status)
            # rules 3-4: cancelled if the cancel stopped any task, else succeeded, saying it lost the race
            if cancelled:
                assert view.status is JobStatus.CANCELLED and view.cancel_outcome is CancelOutcome.TOOK_EFFECT
                outcomes.append(f"cancelled {cancelled}")
            else:
                assert view.status is JobStatus.SUCCEEDED and view.cancel_outcome is CancelOutcome.LOST_RACE
                outcomes.append("lost the race")
        print("outcomes by delay:", dict(zip(DELAYS, outcomes, strict=True)))
