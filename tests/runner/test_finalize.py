"""End-of-job output (Amazon's details files) is not lost when the process that finished the job
could not write it: the next runner's recovery round writes it, once."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from dragoman.api.aws.details import details_writer
from dragoman.api.aws.wire import AWS_ORIGIN, job_properties
from dragoman.config import Settings
from dragoman.planning import plan_local_job
from dragoman.service import Dragoman
from tests.conftest import wait_for_view


def test_details_a_finished_job_still_owes_are_written_by_the_next_runner(settings: Settings, docs: Path) -> None:
    # Given an Amazon job finished by a runner that had no way to write its details (as if it died first)
    sources, out = docs / "in", docs / "out"
    sources.mkdir()
    (sources / "a.txt").write_text("The cat is black.\n")
    with Dragoman.from_settings(settings, with_runner=True) as first:
        spec = plan_local_job(first.local, [sources], out, ["es"], "en")
        spec = dataclasses.replace(
            spec,
            origin=AWS_ORIGIN,
            end_output=True,
            details={
                "InputDataConfig": {"S3Uri": f"file://{sources}/"},
                "OutputDataConfig": {"S3Uri": f"file://{out}/"},
            },
        )
        job_id = first.submit(spec).job.id
        finished = wait_for_view(first, job_id, lambda view: view.owes_output)
    assert job_properties(finished)["JobStatus"] == "IN_PROGRESS"  # it owes its details
    assert not finished.is_terminal  # on every front door
    details = out / "details" / "es.auxiliary-translation-details.json"
    assert not details.exists()

    # When a runner that can write them starts / Then its recovery round writes them, and the job has ended
    second = Dragoman.from_settings(settings, with_runner=True)
    assert second.runner is not None
    second.runner.finalizers[AWS_ORIGIN] = details_writer(second.storage)
    with second:
        view = second.get(job_id)
    assert json.loads(details.read_text())["charactersTranslated"] == str(len("The cat is black."))
    assert view.job.finalized and job_properties(view)["JobStatus"] == "COMPLETED"
