"""Queue names: a pair's languages without regions, `auto` for a source to be detected; which names
no message can ever be on; and messages that ended long ago are deleted (real PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from dragoman.config import Settings
from dragoman.engines.base import LanguagePair
from dragoman.planning import plan_local_job
from dragoman.service import Dragoman
from dragoman.workers.doorbell import queue_of, unserved_queues
from tests.postgres import PostgresServer

PAIRS = [LanguagePair("en", "es"), LanguagePair("en", "ca"), LanguagePair("es", "ca")]


def test_a_queue_is_the_pair_s_languages_without_regions() -> None:
    assert queue_of("en", "es-MX") == "dragoman.en-es"
    assert queue_of("EN-GB", "ca") == "dragoman.en-ca"
    assert queue_of("auto", "es") == "dragoman.auto-es"


def test_queues_no_pair_serves_are_named() -> None:
    assert unserved_queues(["en-es", "auto-ca", "es-ca"], PAIRS) == []
    assert unserved_queues(["en-xx", "auto-fr", "eng-spa", "en_es"], PAIRS) == ["en-xx", "auto-fr", "eng-spa", "en_es"]


def test_messages_that_ended_long_ago_are_deleted_with_their_events_and_the_rest_kept(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    # Left over from earlier stops: every message a cancel dropped, or a worker's death closed, stayed
    # in procrastinate_jobs for good
    docs = tmp_path / "docs"
    for folder in ("old", "live", "recent"):
        (docs / folder).mkdir(parents=True)
        for number in range(2):
            (docs / folder / f"d{number}.txt").write_text("The cat is black.\n")
    settings = Settings(
        data_dir=tmp_path / "data", roots=[docs], database_url=postgres.new_database(), queue="procrastinate"
    )
    with Dragoman.from_settings(settings) as service:  # no runner: the messages stay as the store left them
        jobs = {
            folder: service.submit(plan_local_job(service.local, [docs / folder], docs / f"out-{folder}", ["es"], "en"))
            for folder in ("old", "live", "recent")
        }
        service.cancel(jobs["old"].job.id)
        service.cancel(jobs["recent"].job.id)
        with service.store._engine.begin() as connection:  # the old job's messages ended two days ago
            connection.execute(
                text(
                    "UPDATE procrastinate_events SET at = now() - interval '2 days' WHERE job_id IN "
                    "(SELECT id FROM procrastinate_jobs WHERE args->>'job_id' = :job)"
                ),
                {"job": jobs["old"].job.id},
            )

        assert service.store.prune_doorbell(24) == 2

        with service.store._engine.connect() as connection:
            left = connection.execute(
                text("SELECT args->>'job_id', status::text, count(*) FROM procrastinate_jobs GROUP BY 1, 2")
            ).all()
            orphans = connection.execute(
                text(
                    "SELECT count(*) FROM procrastinate_events e "
                    "WHERE NOT EXISTS (SELECT 1 FROM procrastinate_jobs p WHERE p.id = e.job_id)"
                )
            ).scalar()
        assert sorted(left) == sorted([(jobs["live"].job.id, "todo", 2), (jobs["recent"].job.id, "cancelled", 2)])
        assert orphans == 0
        assert service.store.prune_doorbell(24) == 0
