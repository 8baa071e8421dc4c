"""Job properties as Amazon shows them: a job has ended only once its details files are written."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dragoman.api.aws.wire import AWS_ORIGIN, job_properties
from dragoman.domain.jobs import ErrorInfo, Job, JobView, Summary

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def view(*, finalized: bool, origin: str = AWS_ORIGIN, cancel: bool = False, summary: Summary) -> JobView:
    job = Job(
        "0" * 32,
        "t",
        NOW,
        NOW,
        cancel_requested=cancel,
        origin=origin,
        finalized=finalized,
        end_output=origin == AWS_ORIGIN,
    )
    return JobView(job, summary)


@pytest.mark.parametrize(
    ("cancel", "summary", "before", "after"),
    [
        (False, Summary(succeeded=2), "IN_PROGRESS", "COMPLETED"),
        (False, Summary(succeeded=1, failed=1), "IN_PROGRESS", "COMPLETED_WITH_ERROR"),
        (True, Summary(succeeded=1, cancelled=1), "STOP_REQUESTED", "STOPPED"),
    ],
)
def test_a_finished_job_reads_as_running_until_its_details_are_written(
    cancel: bool, summary: Summary, before: str, after: str
) -> None:
    waiting = job_properties(view(finalized=False, cancel=cancel, summary=summary))
    assert waiting["JobStatus"] == before and "EndTime" not in waiting and "Message" not in waiting
    written = job_properties(view(finalized=True, cancel=cancel, summary=summary))
    assert written["JobStatus"] == after and "EndTime" in written


def test_jobs_that_promise_no_details_do_not_wait_for_them() -> None:
    from_azure = job_properties(view(finalized=False, origin="azure", summary=Summary(succeeded=1)))
    assert from_azure["JobStatus"] == "COMPLETED"
    refused = Job("0" * 32, "t", NOW, NOW, validated=False, error=ErrorInfo("Bad", "no"), origin=AWS_ORIGIN)
    assert job_properties(JobView(refused, Summary()))["JobStatus"] == "FAILED"
