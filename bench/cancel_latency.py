"""Time from an accepted cancel to the job's terminal state, and characters finished after the cancel.

A large job is cancelled at random points many times. Target: p95 ≤ 100 ms.
"""

from __future__ import annotations

import random
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import make_corpus, service, submit, wait, workspace  # noqa: E402

RUNS = 25


def main() -> None:
    rng = random.Random(42)
    root = workspace()
    make_corpus(root / "in", documents=200, bytes_each=5000)
    latencies: list[float] = []
    after_cancel: list[int] = []
    with service(root) as app:
        app.engine.warm("en", "es")  # type: ignore[attr-defined]
        for run in range(RUNS):
            out = root / f"out{run}"
            job_id = submit(app, root / "in", out)
            time.sleep(rng.uniform(0.05, 2.0))
            started = time.perf_counter()
            accepted = app.cancel(job_id)
            wait(app, job_id)
            latencies.append(time.perf_counter() - started)
            after_cancel.append(app.get(job_id).summary.characters_charged - accepted.summary.characters_charged)
            shutil.rmtree(out, ignore_errors=True)
    latencies.sort()
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
    print(f"runs: {RUNS}")
    print(
        f"cancel -> terminal: p50 {statistics.median(latencies) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
        f"max {latencies[-1] * 1000:.1f} ms  (target p95 <= 100 ms)"
    )
    print(
        f"characters finished after the cancel was accepted: mean {statistics.mean(after_cancel):.0f}, "
        f"max {max(after_cancel)} (tasks already past their last safe point)"
    )


if __name__ == "__main__":
    main()
