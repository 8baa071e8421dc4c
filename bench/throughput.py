"""Job throughput ÷ raw `apertium` throughput on the same text, measured in the same run.

One job of 200 documents (≈1 MB of English) into Spanish. Target: ratio ≥ 0.9 on a 2-core machine.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import make_corpus, raw_apertium_seconds, service, submit, wait, workspace  # noqa: E402


def main() -> None:
    root = workspace()
    characters = make_corpus(root / "in", documents=200, bytes_each=5000)
    joined = root / "all.txt"
    joined.write_text("".join(p.read_text() for p in sorted((root / "in").glob("*.txt"))))

    raw_seconds = raw_apertium_seconds(joined)
    with service(root) as app:
        app.engine.warm("en", "es")  # type: ignore[attr-defined]
        started = time.perf_counter()
        job_id = submit(app, root / "in", root / "out")
        wait(app, job_id, poll=0.01)
        job_seconds = time.perf_counter() - started
        view = app.get(job_id)
    assert view.status.value == "succeeded", view
    raw_rate, job_rate = characters / raw_seconds, characters / job_seconds
    print(f"documents: 200, characters: {characters}")
    print(f"raw apertium: {raw_rate:,.0f} chars/s ({raw_seconds:.2f} s)")
    print(f"dragoman job: {job_rate:,.0f} chars/s ({job_seconds:.2f} s, billed {view.summary.characters_charged})")
    print(f"ratio (dragoman / raw): {job_rate / raw_rate:.2f}  (target >= 0.9)")


if __name__ == "__main__":
    main()
