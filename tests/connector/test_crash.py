"""The connector when its process is killed (SIGKILL) in the middle of its work, with real
processes: `dragoman connector jobs send` killed while sending, `dragoman connector jobs import`
killed while writing translations into a real Strapi CMS. After a restart nothing is lost,
nothing is done twice: one vendor job per connector job, each item sent once and imported once,
every entity's translation whole, no false conflict from the import's own earlier writes."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from dragoman.config import Settings
from dragoman.connector.lifecycle import ConnectorJobStatus
from dragoman.connector.schema import connector_history, connector_jobs
from dragoman.connector.service import Connector
from dragoman.connector.store import ConnectorJob, ItemStatus
from dragoman.service import Dragoman
from dragoman.store.schema import jobs
from tests.conftest import wait_for
from tests.processes import DRAGOMAN, environment, serving
from tests.strapi_server import Strapi, running_strapi

S = ConnectorJobStatus
TENANT = "default"
LEASE = "1"  # seconds a killed process's hold on a job lasts, so the tests need not wait long
SENTENCES = ["The red house", "I like dogs.", "The cat is black.", "The house is red.", "I like cats."]


def history(service: Dragoman, job_id: str, kind: str) -> dict[tuple[str, str], int]:
    """(entity, language) -> how many `kind` events the job's history holds for it."""
    with service.store._engine.connect() as connection:
        rows = connection.execute(
            select(connector_history.c.entity, connector_history.c.language, func.count())
            .where(connector_history.c.job_id == job_id, connector_history.c.kind == kind)
            .group_by(connector_history.c.entity, connector_history.c.language)
        ).all()
    return {(row[0], row[1]): row[2] for row in rows}


def batch_jobs_for(service: Dragoman, job_id: str) -> int:
    """How many batch jobs the local vendor made for connector job `job_id`."""
    with service.store._engine.connect() as connection:
        return int(connection.execute(select(func.count()).where(jobs.c.client_token == job_id)).scalar_one())


def kill_after(argv: list[str], env: dict[str, str], seconds: float) -> int | None:
    """Run `dragoman ARGV`, SIGKILL it after `seconds` unless it ended first; its exit code, or None
    when it was killed."""
    process = subprocess.Popen([DRAGOMAN, *argv], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return process.wait(seconds)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        return None


def finish(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run `dragoman ARGV` to its end once the hold of a killed process has lapsed."""
    time.sleep(float(LEASE) + 0.2)
    return subprocess.run([DRAGOMAN, *argv], env=env, capture_output=True, text=True, timeout=300)


def held_at(work: Path, job_id: str, chunk: str) -> Path:
    """A named pipe where the local vendor will write the chunk document `chunk` (`es/00000.txt`) of
    job `job_id`: a send blocks on it, inside its vendor call, until it is removed or the process
    dies. Where the documents go is the local vendor's own layout (connector/vendors/local.py)."""
    fifo = work / job_id / "source" / chunk
    fifo.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(fifo)
    return fifo


def killed_inside_the_vendor_call(
    argv: list[str], env: dict[str, str], connector: Connector, job_id: str, fifo: Path
) -> None:
    """Run `dragoman ARGV` and SIGKILL it once its job is recorded sending: from then on its vendor
    call cannot get past `fifo` (nobody reads it), so it dies inside the call, or just before it,
    never after. Then take the pipe away."""
    process = subprocess.Popen([DRAGOMAN, *argv], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: connector.store.job(TENANT, job_id).status is S.SENDING, timeout=60)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        fifo.unlink()


def test_a_send_killed_inside_its_vendor_call_is_finished_after_a_restart_with_one_vendor_job(tmp_path: Path) -> None:
    env = environment(tmp_path / "data", [tmp_path / "docs"], DRAGOMAN_CONNECTOR_LEASE_SECONDS=LEASE)
    (tmp_path / "docs").mkdir()
    settings = Settings(data_dir=tmp_path / "data", roots=[tmp_path / "docs"])
    work = settings.connector_work_dir(TENANT)
    chance = random.Random(20261130)
    with Dragoman.from_settings(settings) as service:
        connector = service.connector
        for number in range(400):
            fields = {"name": chance.choice(SENTENCES), "description": chance.choice(SENTENCES)}
            connector.put_entity(TENANT, f"e{number}", "en", fields)
        entity_ids = [f"e{number}" for number in range(400)]

        def check_sent_once(job_id: str) -> None:
            sent = connector.store.job(TENANT, job_id)
            assert sent.status is S.SENT and sent.vendor_ref is not None
            assert batch_jobs_for(service, job_id) == 1  # one vendor job, whatever the moment of the kill
            tasks = service.tasks(sent.vendor_ref, tenant=TENANT)  # 800 fields per language, packed
            assert {task.target_language for task in tasks} == {"es", "ca"}
            counts = history(service, job_id, "sent")
            assert len(counts) == 800 and set(counts.values()) == {1}  # every item sent once
            connector.cancel(TENANT, job_id)  # so that the next job may send these entities again
            wait_for(lambda: connector.poll(TENANT, job_id).status is S.CANCELLED, timeout=60)

        # Killed while writing its first document, then while writing a later one: nothing reached
        # the vendor yet. Sending again (once the dead process's hold lapsed) sends it once.
        for chunk in ("es/00000.txt", "ca/00002.txt"):
            job = connector.create_job(TENANT, chunk, "en", ["es", "ca"], "local", entity_ids)
            fifo = held_at(work, job.id, chunk)
            killed_inside_the_vendor_call(["connector", "jobs", "send", job.id], env, connector, job.id, fifo)
            assert connector.store.job(TENANT, job.id).status is S.SENDING
            assert batch_jobs_for(service, job.id) == 0
            again = finish(["connector", "jobs", "send", job.id], env)
            assert again.returncode == 0, again.stderr
            check_sent_once(job.id)

        # Killed after the vendor made its job, before the connector recorded it (the state such a
        # kill leaves: the job sending, no vendor reference): sending again finds the vendor's job.
        job = connector.create_job(TENANT, "made, not recorded", "en", ["es", "ca"], "local", entity_ids)
        assert (
            subprocess.run([DRAGOMAN, "connector", "jobs", "send", job.id], env=env, capture_output=True).returncode
            == 0
        )
        with service.store._engine.begin() as connection:
            connection.execute(
                update(connector_jobs)
                .where(connector_jobs.c.id == job.id)
                .values(status=S.SENDING.value, vendor_ref=None, lease_owner="a-dead-process", lease_until=None)
            )
        again = finish(["connector", "jobs", "send", job.id], env)
        assert again.returncode == 0, again.stderr
        check_sent_once(job.id)

        # And killed at random moments, wherever they land
        for attempt in range(2):
            job = connector.create_job(TENANT, f"random {attempt}", "en", ["es", "ca"], "local", entity_ids)
            kill_after(["connector", "jobs", "send", job.id], env, chance.uniform(0.7, 1.2))
            state = connector.store.job(TENANT, job.id)
            assert state.status in (S.DRAFT, S.SENDING, S.SENT), state.status
            if state.status is not S.SENT:
                assert finish(["connector", "jobs", "send", job.id], env).returncode == 0
            check_sent_once(job.id)


@pytest.fixture(scope="module")
def strapi(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Strapi]:
    with running_strapi(tmp_path_factory.mktemp("strapi")) as server:
        yield server


def test_an_import_killed_midway_is_finished_once_with_no_half_written_entity(tmp_path: Path, strapi: Strapi) -> None:
    (tmp_path / "docs").mkdir()
    sources = {"cms": strapi.source_table()}
    env = environment(
        tmp_path / "data", [tmp_path / "docs"], DRAGOMAN_CONNECTOR_LEASE_SECONDS=LEASE,
        DRAGOMAN_CONNECTOR_SOURCES=json.dumps(sources),
    )  # fmt: skip
    chance = random.Random(7)
    products = [
        strapi.create(sku=f"P{number}", title=chance.choice(SENTENCES), description=chance.choice(SENTENCES))
        for number in range(150)
    ]
    ids = [product["documentId"] for product in products]
    settings = Settings(
        data_dir=tmp_path / "data", roots=[tmp_path / "docs"], connector_sources=sources, connector_lease_seconds=1
    )
    with Dragoman.from_settings(settings, with_runner=True) as service:
        connector = service.connector
        connector.sync(TENANT, "cms", full=True)
        job = connector.create_job(TENANT, "products", "en", ["es", "ca"], "local", ids)
        connector.send(TENANT, job.id)
        wait_for(lambda: connector.poll(TENANT, job.id).status is S.READY_FOR_IMPORT, timeout=180)
    # The import writes into Strapi item by item (300 items: a few seconds); it is killed three times
    # at random moments after the command has started (~0.8 s)
    kills = 0
    for _ in range(3):
        time.sleep(float(LEASE) + 0.2)
        if kill_after(["connector", "jobs", "import", job.id], env, chance.uniform(0.9, 1.8)) is None:
            kills += 1
    with Dragoman.from_settings(settings) as service:
        connector = service.connector
        if connector.store.job(TENANT, job.id).status is S.READY_FOR_IMPORT:
            done = finish(["connector", "jobs", "import", job.id], env)
            assert done.returncode == 0, done.stderr
        imported: ConnectorJob = connector.store.job(TENANT, job.id)
        assert imported.status is S.IMPORTED, [item.error for item in imported.items if item.error]
        assert all(item.status == ItemStatus.IMPORTED for item in imported.items)  # no false conflict
        counts = history(service, job.id, "imported")
        assert len(counts) == 300 and set(counts.values()) == {1}  # each item imported exactly once
        for product, item_language in ((product, language) for product in products for language in ("es", "ca")):
            version = strapi.get(product["documentId"], item_language)
            assert version is not None, (product["documentId"], item_language)
            entity = connector.store.entity(TENANT, product["documentId"])
            # whole: both fields translated, as the connector recorded them, and the shared sku kept
            assert version["title"] == entity.translations[item_language]["title"] != product["title"]
            assert version["description"] == entity.translations[item_language]["description"]
            assert version["sku"] == product["sku"]
    assert kills >= 1


def test_a_serve_killed_while_sending_resumes_the_send_on_restart(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    env = environment(
        tmp_path / "data", [tmp_path / "docs"], DRAGOMAN_CONNECTOR_LEASE_SECONDS=LEASE,
        DRAGOMAN_CONNECTOR_POLL_SECONDS="0.3",
    )  # fmt: skip
    settings = Settings(data_dir=tmp_path / "data", roots=[tmp_path / "docs"])
    with Dragoman.from_settings(settings) as service:
        for number in range(600):  # 1,200 documents: a send of about a second
            fields = {
                "name": SENTENCES[number % len(SENTENCES)],
                "description": SENTENCES[(number + 1) % len(SENTENCES)],
            }
            service.connector.put_entity(TENANT, f"e{number}", "en", fields)
        job = service.connector.create_job(TENANT, "big", "en", ["es"], "local", [f"e{n}" for n in range(600)])

    fifo = held_at(settings.connector_work_dir(TENANT), job.id, "es/00000.txt")
    log = tmp_path / "server.log"
    with serving(env, log) as url:
        headers = {"Authorization": "Bearer dragoman-local-key"}
        sending = subprocess.Popen(
            ["curl", "-s", "-X", "POST", "-H", f"Authorization: {headers['Authorization']}",
             f"{url}/connector/jobs/{job.id}:send"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        # the service is inside its vendor call (blocked writing the first document) when it dies
        with Dragoman.from_settings(settings) as watcher:
            wait_for(lambda: watcher.connector.store.job(TENANT, job.id).status is S.SENDING)
        found = subprocess.run(
            ["pgrep", "-f", f"dragoman serve --port {url.rsplit(':', 1)[1]}"], capture_output=True, text=True
        )
        os.kill(int(found.stdout.split()[0]), signal.SIGKILL)
        sending.wait(30)
    fifo.unlink()
    with Dragoman.from_settings(settings) as service:
        assert service.connector.store.job(TENANT, job.id).status is S.SENDING  # killed before it was sent
    with serving(env, tmp_path / "server2.log") as url, Dragoman.from_settings(settings) as service:
        # the restarted service's receiver finishes the send, the batch job runs, and it is imported
        wait_for(lambda: service.connector.store.job(TENANT, job.id).status is S.IMPORTED, timeout=180)
        assert batch_jobs_for(service, job.id) == 1
        assert set(history(service, job.id, "sent").values()) == {1}
        assert set(history(service, job.id, "imported").values()) == {1}
        translated = service.connector.store.entity(TENANT, "e1").translations["es"]
        assert translated == {"name": "Me gustan los perros.", "description": "El gato es negro."}
