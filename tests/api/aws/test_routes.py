"""Amazon routes over a real store, for states too brief to catch through a running server."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from dragoman.api.aws.routes import describe_job, list_jobs
from dragoman.api.aws.sigv4 import Caller
from dragoman.api.aws.wire import AWS_ORIGIN, aws_job_id
from dragoman.domain.specs import JobSpec, TaskSpec
from dragoman.domain.states import TaskStatus
from dragoman.engines.apertium import ApertiumEngine
from dragoman.service import Dragoman
from dragoman.storage.routed import RoutedStorage
from dragoman.storage.scopes import StorageScopes
from dragoman.store.database import open_database
from dragoman.store.jobs import JobStore

CALLER = Caller("t", "AKIDEXAMPLE", "us-east-1")


def test_a_finished_job_is_listed_as_completed_only_once_its_details_are_written(tmp_path: Path) -> None:
    # Given an Amazon job whose last document is done, and whose details files are not written yet
    store = JobStore(open_database(f"sqlite:///{tmp_path / 'state.db'}"))
    service = Dragoman(store, ApertiumEngine(), StorageScopes.shared(RoutedStorage([])))
    spec = JobSpec(
        "t", [TaskSpec("s3://in/a.txt", "s3://out/es.a.txt", "en", "es")], origin=AWS_ORIGIN, end_output=True
    )
    job_id = store.create_job(spec).job.id
    claim = store.claim_next("worker", timedelta(seconds=60))
    assert claim is not None and store.finish(claim.task.id, "worker", TaskStatus.SUCCEEDED)

    def listed(status: str | None) -> list[str]:
        body = {"Filter": {"JobStatus": status}} if status else {}
        return [job["JobStatus"] for job in list_jobs(service, CALLER, body)["TextTranslationJobPropertiesList"]]

    described = describe_job(service, CALLER, {"JobId": aws_job_id(job_id)})["TextTranslationJobProperties"]
    # Then it reads, and lists, as still in progress; no list filtered on an end state holds it
    assert described["JobStatus"] == "IN_PROGRESS" and "EndTime" not in described
    assert listed(None) == ["IN_PROGRESS"] and listed("COMPLETED") == []
    # When the details are written / Then it has ended
    store.mark_finalized(job_id)
    assert listed(None) == ["COMPLETED"] and listed("COMPLETED") == ["COMPLETED"] and listed("IN_PROGRESS") == []
