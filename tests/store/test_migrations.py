"""Upgrading a database made by an older Dragoman keeps every job, with the status and counters the
domain derives for it."""

from __future__ import annotations

from datetime import datetime

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect, text

from dragoman.domain.states import JobStatus
from dragoman.store.database import MIGRATIONS, open_database
from dragoman.store.jobs import JobStore


def test_upgrade_from_the_first_revision_derives_status_and_counters(database_url: str) -> None:
    url = database_url
    old = create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with old.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    now = datetime(2026, 1, 1, 12, 0, 0)
    with old.begin() as connection:
        for job_id, cancel in (("job-done", False), ("job-cancelled", True)):
            connection.execute(
                text(
                    "INSERT INTO jobs (id, tenant, created_at, updated_at, validated, cancel_requested, labels)"
                    " VALUES (:id, 'acme', :now, :now, :validated, :cancel, '{}')"
                ),
                {"id": job_id, "now": now, "validated": True, "cancel": cancel},
            )
        rows = [
            ("t1", "job-done", 0, "succeeded", 40),
            ("t2", "job-done", 1, "failed", None),
            ("t3", "job-cancelled", 0, "succeeded", 7),
            ("t4", "job-cancelled", 1, "cancelled", None),
        ]
        for task_id, job_id, seq, status, characters in rows:
            connection.execute(
                text(
                    "INSERT INTO tasks (id, job_id, seq, source_url, target_url, source_language, target_language,"
                    " status, characters, progress, attempts, created_at, updated_at)"
                    " VALUES (:id, :job, :seq, 'file:///a', :target, 'en', 'es', :status, :chars, 0, 1, :now, :now)"
                ),
                {"id": task_id, "job": job_id, "seq": seq, "target": f"file:///{task_id}", "status": status,
                 "chars": characters, "now": now},
            )  # fmt: skip
    old.dispose()

    engine = open_database(url)
    store = JobStore(engine)
    done, cancelled = store.get("job-done"), store.get("job-cancelled")
    assert done.status is JobStatus.PARTIALLY_FAILED
    assert (done.summary.succeeded, done.summary.failed, done.summary.characters_charged) == (1, 1, 40)
    assert cancelled.status is JobStatus.CANCELLED
    assert (cancelled.summary.cancelled, cancelled.summary.characters_charged) == (1, 7)
    assert {view.status for view in store.list_jobs(tenant="acme")} == {JobStatus.PARTIALLY_FAILED, JobStatus.CANCELLED}
    engine.dispose()


def test_downgrade_to_the_first_revision_keeps_every_task(database_url: str) -> None:
    engine = open_database(database_url)
    with engine.begin() as connection:
        count_before = connection.execute(text("SELECT count(*) FROM tasks")).scalar_one()
    from dragoman.domain.specs import JobSpec, TaskSpec

    JobStore(engine).create_job(JobSpec("acme", [TaskSpec("file:///a.txt", "file:///b.txt", "en", "es")]))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")  # through 0003 and 0002
    with engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM tasks")).scalar_one() == count_before + 1
        columns = {column["name"] for column in inspect(connection).get_columns("jobs")}
    engine.dispose()
    assert "status" not in columns and "n_pending" not in columns
