"""Job throughput ÷ raw `apertium` throughput on the same text, measured in the same run.

One job of 200 documents (≈1 MB of English) into Spanish. The raw command and the job take turns,
ROUNDS times; each job is compared with the raw run just before it, and the median of those paired
ratios is the result, so a noisy neighbour (this machine is shared) hurts both sides of a pair alike.
Target: ratio ≥ 0.9 on a 2-core machine.
"""

from __future__ import annotations

import shutil
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import make_corpus, raw_apertium_seconds, service, submit, wait, workspace  # noqa: E402

ROUNDS = 5


def main() -> None:
    root = workspace()
    characters = make_corpus(root / "in", documents=200, bytes_each=5000)
    joined = root / "all.txt"
    joined.write_text("".join(p.read_text() for p in sorted((root / "in").glob("*.txt"))))

    raw_times: list[float] = []
    job_times: list[float] = []
    billed = 0
    with service(root) as app:
        app.engine.warm("en", "es")  # type: ignore[attr-defined]
        for round_number in range(ROUNDS):
            raw_times.append(raw_apertium_seconds(joined))
            out = root / f"out{round_number}"
            started = datetime.now(UTC)
            job_id = submit(app, root / "in", out)
            wait(app, job_id, poll=0.25)
            view = app.get(job_id)
            # The job ended when its final state was committed (its updated_at), not when this
            # slow poll noticed; polling faster would spend the CPU being measured.
            job_times.append((view.job.updated_at - started).total_seconds())
            assert view.status.value == "succeeded", view
            billed = view.summary.characters_charged
            shutil.rmtree(out)
    ratios = [raw / job for raw, job in zip(raw_times, job_times, strict=True)]
    print(f"documents: 200, characters: {characters}, rounds: {ROUNDS}")
    print(f"raw apertium: {characters / statistics.median(raw_times):,.0f} chars/s (runs: {_seconds(raw_times)})")
    print(
        f"dragoman job: {characters / statistics.median(job_times):,.0f} chars/s "
        f"(runs: {_seconds(job_times)}, billed {billed})"
    )
    print(f"paired ratios: {', '.join(f'{ratio:.2f}' for ratio in ratios)}")
    print(f"ratio (dragoman / raw, median of pairs): {statistics.median(ratios):.2f}  (target >= 0.9)")


def _seconds(times: list[float]) -> str:
    return ", ".join(f"{seconds:.2f} s" for seconds in times)


if __name__ == "__main__":
    main()
