"""Requests per second of Azure job status and of a listing page, with 10,000 jobs in the store,
against a trivial FastAPI endpoint served the same way (uvicorn, one process) as the framework's
ceiling. Load comes from a second process (wrk) on loopback for a fixed time. Target: >= 0.5 of the
ceiling.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))

from _common import workspace  # noqa: E402
from tests.processes import DRAGOMAN, environment, free_port  # noqa: E402

from dragoman.store.database import open_database  # noqa: E402
from dragoman.store.jobs import utcnow  # noqa: E402
from dragoman.store.schema import jobs, tasks  # noqa: E402

JOBS = 10_000
SECONDS = 5.0
CONCURRENCY = 8
KEY = "bench-key"


def populate(database: str) -> str:
    """10,000 finished jobs of two documents each, written in one transaction; returns one job id."""
    engine = open_database(database)
    now = utcnow()
    job_rows, task_rows = [], []
    for number in range(JOBS):
        job_id = str(uuid.uuid4())
        created = now - timedelta(seconds=JOBS - number)
        job_rows.append(
            dict(id=job_id, tenant="bench", name=None, created_at=created, updated_at=created, validated=True,
                 cancel_requested=False, labels={}, status="succeeded", origin="azure")
        )  # fmt: skip
        for seq in range(2):
            task_rows.append(
                dict(id=str(uuid.uuid4()), job_id=job_id, seq=seq, source_url=f"file:///in/{number}-{seq}.txt",
                     target_url=f"file:///out/{number}-{seq}.txt", source_language="en", target_language="es",
                     status="succeeded", characters=100, progress=1.0, attempts=1, created_at=created,
                     updated_at=created)
            )  # fmt: skip
    with engine.begin() as connection:
        connection.execute(insert(jobs), job_rows)
        connection.execute(insert(tasks), task_rows)
    engine.dispose()
    return str(job_rows[JOBS // 2]["id"])


def wait_ready(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def rate(url: str, headers: dict[str, str]) -> float:
    """Requests per second from `wrk` (a C load generator, so the client costs little CPU), run as a
    second process on loopback with CONCURRENCY connections for SECONDS."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: `make bench` installs it (Debian package wrk)")
    command = ["wrk", "-t1", f"-c{CONCURRENCY}", f"-d{SECONDS:.0f}s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in output:
        raise SystemExit(f"{url} answered errors:\n{output}")
    match = re.search(r"Requests/sec:\s+([0-9.]+)", output)
    if match is None:
        raise SystemExit(f"unexpected wrk output:\n{output}")
    return float(match.group(1))


_CHURN = """
import sys, time
from dragoman.domain.jobs import ErrorInfo
from dragoman.domain.specs import JobSpec
from dragoman.store.database import open_database
from dragoman.store.jobs import JobStore
store = JobStore(open_database(sys.argv[1]))
deadline = time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline:
    store.create_job(JobSpec("churn", ()), error=ErrorInfo("NoDocumentsFound", "churn"))
    time.sleep(0.01)
"""


def churning(database: str, seconds: float) -> subprocess.Popen[bytes]:
    """Another process committing about 100 times a second, as workers do during a busy job."""
    return subprocess.Popen([sys.executable, "-c", _CHURN, database, str(seconds)])


def main() -> None:
    root = workspace()
    data = root / "data"
    data.mkdir()
    job_id = populate(f"sqlite:///{data / 'dragoman.db'}")
    env = environment(data, [root], DRAGOMAN_TENANTS=json.dumps({"bench": {"azure_keys": [KEY]}}))
    dragoman_port, ceiling_port = free_port(), free_port()
    logs = (root / "dragoman.log").open("wb")
    dragoman = subprocess.Popen([DRAGOMAN, "serve", "--port", str(dragoman_port)], env=env, stdout=logs, stderr=logs)
    ceiling = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "_ceiling_app:app", "--port", str(ceiling_port)],
        cwd=Path(__file__).parent,
        env=dict(os.environ),
        stdout=logs,
        stderr=logs,
    )
    try:
        base = f"http://127.0.0.1:{dragoman_port}/translator/document/batches"
        wait_ready(f"http://127.0.0.1:{dragoman_port}/health")
        wait_ready(f"http://127.0.0.1:{ceiling_port}/ping")
        headers = {"Ocp-Apim-Subscription-Key": KEY}
        ceiling_rate = rate(f"http://127.0.0.1:{ceiling_port}/ping", {})
        status_url, listing_url = f"{base}/{job_id}?api-version=2026-03-01", f"{base}?api-version=2026-03-01"
        status_rate = rate(status_url, headers)
        listing_rate = rate(listing_url, headers)
        ceiling_again = rate(f"http://127.0.0.1:{ceiling_port}/ping", {})
        database = f"sqlite:///{data / 'dragoman.db'}"
        churn = churning(database, SECONDS + 1)
        busy_status_rate = rate(status_url, headers)
        churn.wait()
        churn = churning(database, SECONDS + 1)
        busy_listing_rate = rate(listing_url, headers)
        churn.wait()
    finally:
        for process in (dragoman, ceiling):
            process.terminate()
            process.wait(30)
    ceiling_rate = (ceiling_rate + ceiling_again) / 2
    print(f"jobs in the store: {JOBS}; {SECONDS:.0f} s per measurement, {CONCURRENCY} concurrent requests")
    print(f"trivial FastAPI endpoint (ceiling): {ceiling_rate:,.0f} req/s")
    print(f"GET job status:   {status_rate:,.0f} req/s  ratio {status_rate / ceiling_rate:.2f}  (target >= 0.5)")
    print(f"GET listing page: {listing_rate:,.0f} req/s  ratio {listing_rate / ceiling_rate:.2f}  (target >= 0.5)")
    print("while another process commits ~100 times a second (responses cannot be reused):")
    print(f"  GET job status:   {busy_status_rate:,.0f} req/s  ratio {busy_status_rate / ceiling_rate:.2f}")
    print(f"  GET listing page: {busy_listing_rate:,.0f} req/s  ratio {busy_listing_rate / ceiling_rate:.2f}")


if __name__ == "__main__":
    main()
