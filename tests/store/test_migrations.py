"""Upgrading a database made by an older Dragoman keeps every job, with the status and counters the
domain derives for it."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, inspect, text

from dragoman.domain.states import JobStatus
from dragoman.store.database import HEAD_REVISION, MIGRATIONS, open_database
from dragoman.store.jobs import JobStore


def migrate(engine: Engine, direction: str, revision: str) -> None:
    """Run Alembic's `upgrade` or `downgrade` of the database to `revision`, as an older Dragoman left it."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, direction)(config, revision)


def test_upgrade_from_the_first_revision_derives_status_and_counters(database_url: str) -> None:
    url = database_url
    old = create_engine(url)
    migrate(old, "upgrade", "0001")
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
    migrate(engine, "downgrade", "0001")  # through 0003 and 0002
    with engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM tasks")).scalar_one() == count_before + 1
        columns = {column["name"] for column in inspect(connection).get_columns("jobs")}
    engine.dispose()
    assert "status" not in columns and "n_pending" not in columns


def test_upgrade_to_0004_stores_each_glossary_once_and_keys_live_targets(database_url: str) -> None:
    # Given a database at 0003 with a job whose two tasks carry the same glossary, and two live tasks
    # (of two jobs) writing one target, which older versions let happen
    old = create_engine(database_url)
    migrate(old, "upgrade", "0003")
    now = datetime(2026, 1, 1, 12, 0, 0)
    glossary = '[["cat", "gato"]]'
    with old.begin() as connection:
        for job_id in ("job-a", "job-b"):
            connection.execute(
                text(
                    "INSERT INTO jobs (id, tenant, created_at, updated_at, validated, cancel_requested, labels, status,"
                    " origin, n_pending) VALUES (:id, 't', :now, :now, :v, :c, '{}', 'queued', 'aws', 2)"
                ),
                {"id": job_id, "now": now, "v": True, "c": False},
            )
        for task_id, job_id, seq, target in (
            ("t1", "job-a", 0, "file:///o/1"),
            ("t2", "job-a", 1, "file:///o/2"),
            ("t3", "job-b", 0, "file:///o/1"),
        ):
            connection.execute(
                text(
                    "INSERT INTO tasks (id, job_id, seq, source_url, target_url, source_language, target_language,"
                    " status, progress, attempts, created_at, updated_at, glossary)"
                    " VALUES (:id, :job, :seq, 'file:///a', :target, 'en', 'es', 'pending', 0, 0, :now, :now, :g)"
                ),
                {"id": task_id, "job": job_id, "seq": seq, "target": target, "now": now, "g": glossary},
            )  # fmt: skip
    old.dispose()
    # When it is upgraded
    engine = open_database(database_url)
    store = JobStore(engine)
    with engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM glossaries WHERE job_id = 'job-a'")).scalar_one() == 1
    # Then every task still has its glossary, and Amazon jobs still owe their details files
    claimed = [store.claim_next("w", timedelta(seconds=60)) for _ in range(3)]
    assert all(claim is not None and claim.task.glossary == (("cat", "gato"),) for claim in claimed)
    assert store.get("job-a").job.end_output
    engine.dispose()


def test_the_head_revision_the_store_opens_without_alembic_is_alembic_s_head() -> None:
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD_REVISION


def test_a_vendor_reference_of_any_length_is_stored_on_every_database(database_url: str) -> None:
    """The azure and amazon vendors refer to one vendor job per language as JSON: into ten languages
    that is several hundred characters (PostgreSQL refused more than 200 before revision 0011)."""
    from dragoman.connector.lifecycle import ConnectorJobStatus
    from dragoman.connector.snapshots import snapshot_for
    from dragoman.connector.store import ConnectorStore, JobHeader

    engine = open_database(database_url)
    try:
        store = ConnectorStore(engine)
        store.put_entity("t", "chair", "en", {"name": "The red house"})
        snapshot = snapshot_for("chair", "1", {"name": "The red house"}, "es", {})
        assert snapshot is not None
        job = store.create_job("t", JobHeader("j", "en", ("es",), "local"), [snapshot])
        reference = json.dumps({f"l{number}": f"{number:032x}-{'x' * 40}" for number in range(10)})
        assert len(reference) > 700
        store.change("t", job.id, status=ConnectorJobStatus.SENDING)
        assert store.change("t", job.id, status=ConnectorJobStatus.SENT, vendor_ref=reference).vendor_ref == reference
    finally:
        engine.dispose()


def test_creating_or_upgrading_the_database_logs_one_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Red team 2026-12-01: `dragoman serve` on a new store logged about 20 lines of Alembic's own
    # (a line per plugin and per migration) before its address
    created, upgraded = f"sqlite:///{tmp_path / 'new.db'}", f"sqlite:///{tmp_path / 'old.db'}"
    old = create_engine(upgraded)
    migrate(old, "upgrade", "0014")
    old.dispose()
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        open_database(created).dispose()
        open_database(upgraded).dispose()
        open_database(upgraded).dispose()  # at its head already: nothing to say
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.INFO] == [
        f"state database {created} created (revision {HEAD_REVISION})",
        f"state database {upgraded} upgraded from revision 0014 to {HEAD_REVISION}",
    ]
