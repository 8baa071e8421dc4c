"""Many machines on one (issue 15): job throughput of `dragoman worker` processes ÷ the in-process
runner's on the same text and the same PostgreSQL, measured in the same run; and the cancel fan-out
across processes (an accepted cancel to every task terminal).

Throughput: one job of 200 documents (≈1 MB of English) into Spanish with Apertium, run by (a) the
in-process runner (`dragoman serve`'s, queue off), (b) one worker process, (c) two worker processes,
each with as many tasks at a time in all as the machine has cores. The three take turns, ROUNDS
times; each worker run is compared with the in-process run of its round, and the median of those
paired ratios is printed. A job's time runs from its submission to its final commit (its
`updated_at`), so a slow poll costs nothing.

Cancel fan-out: two worker processes run the same job; it is cancelled at a random moment through
the service (as an API node does: the store and the Procrastinate doorbell in one transaction), and
the time from the recorded cancel to the job's final commit is taken from the database. Target:
p95 ≤ 100 ms.

Needs Debian's PostgreSQL server binaries (`make test` installs them): a throwaway server is started.
`--documents`, `--bytes-each`, `--rounds`, `--cancels` make a quicker run.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))  # tests.postgres: the throwaway server

from _common import make_corpus, submit, workspace  # noqa: E402
from sqlalchemy import text  # noqa: E402
from tests.postgres import postgres_server  # noqa: E402

from dragoman.config import Settings  # noqa: E402
from dragoman.service import Dragoman  # noqa: E402

DRAGOMAN = str(Path(sys.executable).parent / "dragoman")
CORES = os.cpu_count() or 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--bytes-each", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cancels", type=int, default=15)
    options = parser.parse_args()
    root = workspace()
    characters = make_corpus(root / "in", documents=options.documents, bytes_each=options.bytes_each)
    with postgres_server() as server:
        url = server.new_database()
        times: dict[str, list[float]] = {"in-process": [], "1 worker": [], "2 workers": []}
        for round_number in range(options.rounds):
            times["in-process"].append(_in_process(root, url, round_number))
            for count in (1, 2):
                with _workers(root, url, count, max(1, CORES // count)) as app:
                    times[f"{count} worker{'s' if count > 1 else ''}"].append(
                        _job_seconds(app, root, f"w{count}-{round_number}")
                    )
        latencies = _cancel_fan_out(root, url, options.cancels)
    print(f"documents: {options.documents}, characters: {characters}, rounds: {options.rounds}, cores: {CORES}")
    for name, runs in times.items():
        runs_text = ", ".join(f"{seconds:.2f} s" for seconds in runs)
        print(f"{name}: {characters / statistics.median(runs):,.0f} chars/s (runs: {runs_text})")
    for name in ("1 worker", "2 workers"):
        ratios = [base / run for base, run in zip(times["in-process"], times[name], strict=True)]
        paired = ", ".join(f"{ratio:.2f}" for ratio in ratios)
        print(f"ratio ({name} / in-process, median of pairs): {statistics.median(ratios):.2f}  (pairs: {paired})")
    if latencies:
        latencies.sort()
        p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
        print(
            f"cancel fan-out across 2 worker processes, {len(latencies)} cancels: "
            f"p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
            f"max {latencies[-1] * 1000:.0f} ms  (target p95 <= 100 ms)"
        )
    shutil.rmtree(root, ignore_errors=True)


def _settings(root: Path, url: str, queue: str) -> Settings:
    return Settings(data_dir=root / "data", roots=[root], database_url=url, queue=queue, workers=CORES)  # type: ignore[arg-type]


def _job_seconds(app: Dragoman, root: Path, name: str) -> float:
    """Submit the corpus as one job and wait for its end; seconds from submission to its final commit."""
    out = root / f"out-{name}"
    started = datetime.now(UTC)
    job_id = submit(app, root / "in", out)
    while not app.get(job_id).is_terminal:
        time.sleep(0.25)
    view = app.get(job_id)
    assert view.status.value == "succeeded", view
    shutil.rmtree(out, ignore_errors=True)
    return (view.job.updated_at - started).total_seconds()


def _in_process(root: Path, url: str, round_number: int) -> float:
    with Dragoman.from_settings(_settings(root, url, "none"), with_runner=True) as app:
        return _job_seconds(app, root, f"in-process-{round_number}")


@contextmanager
def _workers(root: Path, url: str, count: int, concurrency: int) -> Iterator[Dragoman]:
    """`count` `dragoman worker --concurrency N` processes, started and registered; yields a service
    (no runner) that submits through the queue. The workers are stopped (SIGTERM) after."""
    env = dict(os.environ, DRAGOMAN_QUEUE="procrastinate", DRAGOMAN_DATABASE_URL=url)
    env.update(DRAGOMAN_DATA_DIR=str(root / "data"), DRAGOMAN_ROOTS=str(root))
    app = Dragoman.from_settings(_settings(root, url, "procrastinate"))
    processes = [
        subprocess.Popen(
            [DRAGOMAN, "worker", "--concurrency", str(concurrency), "--log-level", "warning"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]
    try:
        deadline = time.monotonic() + 60
        while _registered(app) < count:
            if time.monotonic() > deadline or any(process.poll() is not None for process in processes):
                raise RuntimeError("the workers did not start")
            time.sleep(0.1)
        yield app
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(60)
        app.close()


def _registered(app: Dragoman) -> int:
    with app.store._engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM procrastinate_workers")).scalar_one())


def _cancel_fan_out(root: Path, url: str, runs: int) -> list[float]:
    """Seconds from each recorded cancel to the job's final commit, both as the database has them."""
    rng = random.Random(42)
    latencies: list[float] = []
    with _workers(root, url, 2, max(1, CORES // 2)) as app:
        for run in range(runs):
            out = root / f"out-cancel{run}"
            job_id = submit(app, root / "in", out)
            time.sleep(rng.uniform(0.2, 1.5))
            try:
                app.cancel(job_id)
            except Exception:  # the job ended first: nothing to time
                continue
            while not app.get(job_id).is_terminal:
                time.sleep(0.05)
            view, timeline = app.get(job_id), app.store.timeline(job_id)
            assert timeline.cancel_requested_at is not None
            latencies.append(max(0.0, (view.job.updated_at - timeline.cancel_requested_at).total_seconds()))
            shutil.rmtree(out, ignore_errors=True)
    return latencies


if __name__ == "__main__":
    main()
