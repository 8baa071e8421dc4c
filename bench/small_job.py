"""Submit-to-done time of a one-sentence job ÷ one `apertium` process call on the same sentence.

Target: ≤ 1.0 — kept-alive pipelines beat process start-up.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import raw_apertium_seconds, service, submit, wait, workspace  # noqa: E402

SENTENCE = "The government announced new measures to improve public health in the city.\n"
RUNS = 15


def main() -> None:
    root = workspace()
    sentence = root / "sentence.txt"
    sentence.write_text(SENTENCE)
    raw = statistics.median(raw_apertium_seconds(sentence) for _ in range(RUNS))
    timings: list[float] = []
    with service(root) as app:
        submit_and_wait = lambda out: wait(app, submit(app, sentence, out))  # noqa: E731
        submit_and_wait(root / "warm")
        for run in range(RUNS):
            started = time.perf_counter()
            submit_and_wait(root / f"out{run}")
            timings.append(time.perf_counter() - started)
    job = statistics.median(timings)
    print(f"one apertium process: {raw * 1000:.1f} ms (median of {RUNS})")
    print(f"one-sentence job, submit to done: {job * 1000:.1f} ms (median of {RUNS})")
    print(f"ratio (job / process): {job / raw:.2f}  (target <= 1.0)")


if __name__ == "__main__":
    main()
