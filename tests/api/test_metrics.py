"""GET /metrics: after a mixed run (documents succeeded and failed, jobs cancelled mid-way and before
anything of them ran), what Prometheus reads equals what the state database holds, and the
histograms counted every task and every cancel. Real Apertium, real SQLite, the real ASGI app."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import select

from dragoman.api.app import create_app
from dragoman.config import Settings
from dragoman.domain.states import JobStatus, TaskStatus
from dragoman.engines.apertium import ApertiumEngine
from dragoman.formats.documents import PLAIN_TEXT
from dragoman.planning import plan_local_job
from dragoman.service import Dragoman
from dragoman.store.schema import jobs, tasks
from tests.conftest import ENGLISH_PARAGRAPHS, wait_for, wait_terminal
from tests.postgres import PostgresServer
from tests.processes import DRAGOMAN, environment, serving

Samples = Mapping[tuple[str, frozenset[tuple[str, str]]], float]


def get(app: FastAPI, path: str, headers: Mapping[str, str] | None = None) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://dragoman.test") as client:
            return await client.get(path, headers=headers)

    return asyncio.run(call())


def scrape(app: FastAPI) -> Samples:
    return parsed(get(app, "/metrics"))


def parsed(response: httpx.Response) -> Samples:
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


@pytest.fixture
def quiet_service(tmp_path: Path, docs: Path) -> Iterator[Dragoman]:
    """One worker, so that which task runs when a cancel comes is known; not started yet."""
    settings = Settings(data_dir=tmp_path / "data", roots=[docs], workers=1)
    service = Dragoman.from_settings(settings, with_runner=True)
    try:
        yield service
    finally:
        service.close()


def test_metrics_equal_the_store_after_a_mixed_run(quiet_service: Dragoman, docs: Path) -> None:
    service, app = quiet_service, create_app(quiet_service)
    # Given a job whose documents succeed and fail and a job of long documents, queued, and a job
    # its submitter holds (`held`: no worker takes it until it is released)
    (docs / "mixed").mkdir()
    (docs / "mixed" / "a.txt").write_text("The cat is black.\n")
    (docs / "mixed" / "b.txt").write_text("I like dogs.\n")
    (docs / "mixed" / "empty.txt").write_text("")
    (docs / "long").mkdir()
    for number in range(6):
        (docs / "long" / f"d{number}.txt").write_text("\n\n".join(ENGLISH_PARAGRAPHS * 100) + "\n")
    mixed = service.submit(plan_local_job(service.local, [docs / "mixed"], docs / "out", ["es"], "en")).job.id
    long = service.submit(plan_local_job(service.local, [docs / "long"], docs / "out-long", ["es"], "en")).job.id
    held = service.submit(plan_local_job(service.local, [docs / "mixed"], docs / "out-c", ["ca"], "en"), held=True)
    # When it is scraped before any worker runs, the queue is every task of the queued jobs
    before = scrape(app)
    assert value(before, "dragoman_queue_depth") == 9
    assert value(before, "dragoman_tasks", status="pending") == 12
    assert value(before, "dragoman_jobs", status="queued") == 2
    assert value(before, "dragoman_jobs", status="validating") == 1
    assert value(before, "dragoman_store_up") == 1

    # When the runner starts, the held job is cancelled (it ends in its cancel: nothing of it ran),
    # and the long job is cancelled while one of its documents runs
    service.start()
    assert service.cancel(held.job.id).status is JobStatus.CANCELLED
    wait_terminal(service, mixed)
    wait_for(lambda: any(task.status is TaskStatus.RUNNING for task in service.tasks(long)))
    assert service.cancel(long).status is JobStatus.CANCELLING
    views = [wait_terminal(service, job_id) for job_id in (mixed, long, held.job.id)]
    assert runner_idle(service)
    after = scrape(app)

    # Then jobs, tasks and billed characters are the store's
    assert [view.status for view in views] == [JobStatus.PARTIALLY_FAILED, JobStatus.CANCELLED, JobStatus.CANCELLED]
    for status in JobStatus:
        expected = sum(view.status is status for view in views)
        assert value(after, "dragoman_jobs", status=status.value) == expected, status
    stored = [task for job_id in (mixed, long, held.job.id) for task in service.tasks(job_id)]
    for task_status in TaskStatus:
        expected = sum(task.status is task_status for task in stored)
        assert value(after, "dragoman_tasks", status=task_status.value) == expected, task_status
    billed = sum(view.summary.characters_charged for view in views)
    assert billed > 0
    assert value(after, "dragoman_characters_billed_total") == billed
    assert value(after, "dragoman_queue_depth") == 0
    # ... this process translated exactly what was billed
    assert value(after, "dragoman_characters_translated_total", kind="task") == billed
    assert value(after, "dragoman_characters_translated_total", kind="sync") == 0

    # ... the duration histogram counted each task that ran, once, under the outcome recorded for it
    ran = started_tasks(service)
    assert ran[TaskStatus.SUCCEEDED] >= 2 and ran[TaskStatus.FAILED] == 1 and ran[TaskStatus.CANCELLED] == 1
    for task_status, outcome in ((TaskStatus.SUCCEEDED, "succeeded"), (TaskStatus.FAILED, "failed")):
        assert value(after, "dragoman_task_duration_seconds_count", outcome=outcome) == ran[task_status]
    assert value(after, "dragoman_task_duration_seconds_count", outcome="cancelled") == ran[TaskStatus.CANCELLED]
    assert value(after, "dragoman_task_duration_seconds_count", outcome="released") == 0
    assert (
        value(after, "dragoman_task_duration_seconds_bucket", outcome="succeeded", le="+Inf")
        == ran[TaskStatus.SUCCEEDED]
    )
    assert value(after, "dragoman_task_duration_seconds_sum", outcome="succeeded") > 0

    # ... and the cancel histogram counted both cancelled jobs, with the store's latencies
    assert value(after, "dragoman_cancel_to_terminal_seconds_count") == 2
    assert value(after, "dragoman_cancel_to_terminal_seconds_bucket", le="0.005") >= 1  # ended in its cancel
    assert value(after, "dragoman_cancel_to_terminal_seconds_sum") == pytest.approx(cancel_latencies(service), abs=1e-6)
    assert value(after, "dragoman_engine_pipeline_restarts_total", engine="apertium", reason="crashed") == 0


def test_services_on_one_postgresql_show_the_same_store_numbers(
    tmp_path: Path, docs: Path, postgres: PostgresServer
) -> None:
    # Given two services on one PostgreSQL database, one of them running a job that partly fails
    database = postgres.new_database()
    settings = Settings(data_dir=tmp_path / "data", roots=[docs], workers=1, database_url=database)
    (docs / "in").mkdir()
    (docs / "in" / "a.txt").write_text("The cat is black.\n")
    (docs / "in" / "empty.txt").write_text("")
    with (
        Dragoman.from_settings(settings, with_runner=True) as working,
        Dragoman.from_settings(settings) as watching,
    ):
        spec = plan_local_job(working.local, [docs / "in"], docs / "out", ["es", "ca"], "en")
        view = wait_terminal(working, working.submit(spec).job.id)
        assert runner_idle(working)
        # When both are scraped
        samples = [scrape(create_app(service)) for service in (working, watching)]
    # Then both show what the database holds
    for seen in samples:
        assert value(seen, "dragoman_jobs", status="partially_failed") == 1
        assert value(seen, "dragoman_tasks", status="succeeded") == view.summary.succeeded == 2
        assert value(seen, "dragoman_tasks", status="failed") == view.summary.failed == 2
        assert value(seen, "dragoman_characters_billed_total") == view.summary.characters_charged > 0
    # ... and only the one that ran the tasks timed them
    assert value(samples[0], "dragoman_task_duration_seconds_count", outcome="succeeded") == 2
    assert value(samples[1], "dragoman_task_duration_seconds_count", outcome="succeeded") == 0


def test_engine_pipelines_that_die_are_counted_and_synchronous_characters_too(tmp_path: Path) -> None:
    with Dragoman.from_settings(Settings(data_dir=tmp_path / "data", roots=[tmp_path])) as service:
        app = create_app(service)
        engine = service.engine
        assert isinstance(engine, ApertiumEngine)
        # Given the kept-alive pipelines of a pair, killed from outside
        engine.warm("en", "es")
        killed = list(engine._shared[engine.mode_path("en", "es")])  # white-box: the pair's pipelines
        for pipeline in killed:
            os.killpg(pipeline.pid, signal.SIGKILL)
        # When a synchronous translation comes (on a pipeline started afresh)
        translated = service.translate_now(b"I like dogs.", PLAIN_TEXT, "es", tenant="default", source="en")
        assert translated.output == b"Me gustan los perros."
        # Then each death was counted once, as a crash, and the characters as a synchronous translation
        restarts = {"engine": "apertium", "reason": "crashed"}
        wait_for(lambda: value(scrape(app), "dragoman_engine_pipeline_restarts_total", **restarts) == len(killed))
        samples = scrape(app)
        assert value(samples, "dragoman_engine_pipeline_restarts_total", engine="apertium", reason="stalled") == 0
        assert value(samples, "dragoman_characters_translated_total", kind="sync") == len("I like dogs.")
        assert value(samples, "dragoman_characters_billed_total") == 0  # billing is for jobs' documents


def test_each_service_keeps_its_own_metrics(tmp_path: Path) -> None:
    # Given two services in one process, on two databases
    first = Dragoman.from_settings(Settings(data_dir=tmp_path / "one", roots=[tmp_path]))
    second = Dragoman.from_settings(Settings(data_dir=tmp_path / "two", roots=[tmp_path]))
    try:
        # When one of them counts a synchronous translation
        first.metrics.translated(12, "sync")
        # Then only its own registry shows it
        assert value(scrape(create_app(first)), "dragoman_characters_translated_total", kind="sync") == 12
        assert value(scrape(create_app(second)), "dragoman_characters_translated_total", kind="sync") == 0
    finally:
        first.close()
        second.close()


def test_a_scrape_without_the_configured_token_is_refused(tmp_path: Path) -> None:
    token = "a-long-metrics-token-0123456789"
    settings = Settings(data_dir=tmp_path / "data", roots=[tmp_path], metrics_token=SecretStr(token))
    with Dragoman.from_settings(settings) as service:
        app = create_app(service)
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": token}):
            refused = get(app, "/metrics", headers)
            assert refused.status_code == 401, headers
            assert refused.headers["www-authenticate"].startswith("Bearer")
            assert refused.json()["error"]["code"] == "Unauthorized"
            assert "dragoman_" not in refused.text
        allowed = get(app, "/metrics", {"Authorization": f"Bearer {token}"})
        assert allowed.status_code == 200 and "dragoman_jobs" in allowed.text
        assert get(app, "/health").status_code == 200  # the token guards /metrics only


def test_the_openmetrics_format_is_served_when_asked_for(tmp_path: Path) -> None:
    with Dragoman.from_settings(Settings(data_dir=tmp_path / "data", roots=[tmp_path])) as service:
        response = get(create_app(service), "/metrics", {"Accept": "application/openmetrics-text; version=1.0.0"})
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")


@pytest.mark.slow
def test_a_served_instance_counts_from_the_store_so_a_restart_loses_nothing(tmp_path: Path) -> None:
    # Given a job submitted with the command line to a running `dragoman serve`
    docs = tmp_path / "docs"
    (docs / "en").mkdir(parents=True)
    (docs / "en" / "a.txt").write_text("The cat is black.\n")
    (docs / "en" / "empty.txt").write_text("")
    env = environment(tmp_path / "data", [docs], workers=1)
    with serving(env, tmp_path / "first.log") as url:
        done = subprocess.run(
            [DRAGOMAN, "translate", str(docs / "en"), "--out", str(docs / "out"), "--to", "es", "--no-wait"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", done.stdout), done.stdout
        # When the server ran it, its metrics say so
        first = wait_for_metrics(
            url,
            lambda samples: (
                value(samples, "dragoman_jobs", status="partially_failed") == 1
                and value(samples, "dragoman_task_duration_seconds_count", outcome="succeeded") == 1
                and value(samples, "dragoman_task_duration_seconds_count", outcome="failed") == 1
            ),
        )
        billed = value(first, "dragoman_characters_billed_total")
        assert billed == value(first, "dragoman_characters_translated_total", kind="task") == len("The cat is black.")
    # Then after a restart the store's numbers are all there; what the first process saw is its own
    with serving(env, tmp_path / "second.log") as url:
        second = parsed(httpx.get(f"{url}/metrics"))
    for name, labels in second:
        if name in ("dragoman_jobs", "dragoman_tasks", "dragoman_characters_billed_total", "dragoman_queue_depth"):
            assert second[(name, labels)] == first[(name, labels)], (name, labels)
    assert value(second, "dragoman_tasks", status="succeeded") == value(second, "dragoman_tasks", status="failed") == 1
    assert value(second, "dragoman_task_duration_seconds_count", outcome="succeeded") == 0


def wait_for_metrics(url: str, reached: Callable[[Samples], bool]) -> Samples:
    """The server's metrics once `reached(samples)` holds (a task's histogram follows its record by a moment)."""
    deadline = time.monotonic() + 120
    while True:
        samples = parsed(httpx.get(f"{url}/metrics"))
        if reached(samples):
            return samples
        assert time.monotonic() < deadline, samples
        time.sleep(0.1)


def runner_idle(service: Dragoman) -> bool:
    assert service.runner is not None
    wait_for(lambda: service.runner is not None and service.runner.busy == 0)
    return True


def started_tasks(service: Dragoman) -> dict[TaskStatus, int]:
    """Tasks a worker claimed (they have a start), by status: read from the tasks table itself."""
    with service.store._engine.connect() as connection:
        rows = connection.execute(select(tasks.c.status).where(tasks.c.started_at.is_not(None))).all()
    counted = dict.fromkeys(TaskStatus, 0)
    for row in rows:
        counted[TaskStatus(row.status)] += 1
    return counted


def cancel_latencies(service: Dragoman) -> float:
    """Seconds from each cancel to its job's last update (its end), summed, as the store has them."""
    with service.store._engine.connect() as connection:
        rows = connection.execute(
            select(jobs.c.cancel_requested_at, jobs.c.updated_at).where(jobs.c.cancel_requested.is_(True))
        ).all()
    return float(sum((row.updated_at - row.cancel_requested_at).total_seconds() for row in rows))
