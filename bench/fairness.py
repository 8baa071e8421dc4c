"""Latency of a one-sentence synchronous translation (what `TranslateText` does) while a large
document is being translated ÷ the same latency with the service idle, in the same run.

The engine's kept-alive pipeline is shared by every request of a language pair; it takes one block
of each waiting request in turn, so a one-sentence request waits behind about one block (8,000
characters) of the large document, not behind all of it. What is left of the ratio is mostly the
two cores the large document keeps busy.

Also printed: that latency in units of one pipeline block's time alone. Target: ≤ 3 blocks (it was
the whole document: 45 s behind a 5.4 MB one, where one block takes about 0.1 s).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import make_corpus, service, submit, workspace  # noqa: E402

SENTENCE = b"The government announced new measures to improve public health in the city.\n"
LARGE_BYTES = 3 * 1024 * 1024
RUNS = 15
BLOCK = (SENTENCE.strip() + b" ") * 100  # about 8,000 characters: one pipeline block


def one(call: Callable[[], object]) -> float:
    """Seconds `call` takes."""
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def main() -> None:
    root = workspace()
    characters = make_corpus(root / "large", documents=1, bytes_each=LARGE_BYTES)
    with service(root) as app:

        def one_sentence() -> float:
            return one(lambda: app.translate_now(SENTENCE, "sentence.txt", "es", source="en"))

        one_sentence()  # starts the pipeline
        alone = statistics.median(one_sentence() for _ in range(RUNS))
        block = statistics.median(  # the unit requests take turns in
            one(lambda: app.translate_now(BLOCK, "block.txt", "es", source="en")) for _ in range(5)
        )

        job_id = submit(app, root / "large", root / "out")
        while app.get(job_id).summary.in_progress == 0 or not app.tasks(job_id)[0].progress:
            time.sleep(0.05)  # the document's blocks are in the pipeline
        loaded = [one_sentence() for _ in range(RUNS)]
        still_running = not app.get(job_id).is_terminal
        app.cancel(job_id)

    behind = statistics.median(loaded)
    print(f"one sentence, service idle: {alone * 1000:.1f} ms (median of {RUNS})")
    print(
        f"one sentence, while a {characters / 1e6:.1f} MB document is translated: {behind * 1000:.1f} ms "
        f"(median of {RUNS}, worst {max(loaded) * 1000:.1f} ms)"
        + ("" if still_running else "  [the large document finished during the measurement]")
    )
    print(f"one block of {len(BLOCK)} characters (the unit requests take turns in), alone: {block * 1000:.1f} ms")
    print(f"one sentence behind a large document, in blocks' time: {behind / block:.1f}  (target <= 3)")
    print(f"ratio (behind a large document / alone): {behind / alone:.0f}")


if __name__ == "__main__":
    main()
