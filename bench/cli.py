"""The command line against raw `apertium`, measured in the same run (issue 11 §7).

1. One sentence: `dragoman translate note.txt --to es` from a fresh process, wall time until it
   exits, ÷ one `apertium -u -f txt eng-spa` call on the same sentence. Target: at most 2×.
2. One job of 250 documents (≈1 MB of English) through `dragoman translate`, from the command's
   start to its exit: raw `apertium` throughput on the same text ÷ the command's. Target: ≥ 0.9.

As users run it: with warm start (README "Warm start"), after a first command has started the
helper, whose start is not measured. After each command the helper forks a spare child with the
pipeline that command used started and loaded, for the next; the bench waits a second for it, so
that it does not share the machine with the raw baseline that follows. For comparison, the same without warm start
(`DRAGOMAN_WARM_START=off`: every command loads Dragoman itself).

Each measurement takes turns with its raw baseline, ROUNDS times; the result is the median of the
paired ratios, so a noisy neighbour on this shared machine hurts both sides of a pair alike.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import make_corpus, raw_apertium_seconds, workspace  # noqa: E402

from dragoman.warm.client import answering_helpers  # noqa: E402

ROUNDS = 5
SETTLE_SECONDS = 1.0  # after a warm command, for the helper's spare to start (it takes about 0.2 s)
DRAGOMAN = str(Path(sys.executable).parent / "dragoman")
SENTENCE = "The government announced new measures to improve public health in the city.\n"


def run_cli(root: Path, source: Path, out: Path, *, warm: bool = True) -> float:
    """Seconds from starting `dragoman translate` to its exit (a fresh process, as from a shell)."""
    env = {
        **os.environ,
        "DRAGOMAN_DATA_DIR": str(root / "data"),
        "DRAGOMAN_ROOTS": str(root),
        "XDG_RUNTIME_DIR": str(root / "run"),  # a helper of this run's own
        "DRAGOMAN_WARM_START": "on" if warm else "off",
    }
    started = time.perf_counter()
    done = subprocess.run(
        [DRAGOMAN, "translate", str(source), "--from", "en", "--to", "es", "--out", str(out), "--quiet"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"dragoman translate failed ({done.returncode}): {done.stderr}")
    shutil.rmtree(out)
    if warm:  # the helper now starts its spare's pipeline for the next command: not during the raw baseline
        time.sleep(SETTLE_SECONDS)
    return seconds


def paired(label: str, raw: list[float], cli: list[float], *, per_character: int | None = None) -> float:
    ratios = [r / c for r, c in zip(raw, cli, strict=True)]
    print(f"{label}: raw apertium {_seconds(raw)}; dragoman {_seconds(cli)}")
    if per_character:
        print(
            f"  raw {per_character / statistics.median(raw):,.0f} chars/s, "
            f"dragoman {per_character / statistics.median(cli):,.0f} chars/s"
        )
    print(f"  paired ratios (raw / dragoman): {', '.join(f'{ratio:.2f}' for ratio in ratios)}")
    return statistics.median(ratios)


def main() -> None:
    root = workspace()
    (root / "run").mkdir()
    note = root / "note.txt"
    note.write_text(SENTENCE)
    run_cli(root, note, root / "first")  # creates the state database and starts the helper; not measured
    wait_for_the_helper(root / "run" / "dragoman")
    try:
        results = {warm: measure(root, note, warm=warm) for warm in (False, True)}
    finally:
        end_helpers(root / "run" / "dragoman")
    for warm, (sentence, job) in results.items():
        how = "with warm start" if warm else "without warm start (DRAGOMAN_WARM_START=off)"
        print(f"{how}:")
        print(f"  one sentence: dragoman takes {1 / sentence:.2f}x raw apertium  (target <= 2x)")
        print(f"  1 MB job through the CLI: {job:.2f} of raw apertium throughput  (target >= 0.9)")
    shutil.rmtree(root, ignore_errors=True)


def measure(root: Path, note: Path, *, warm: bool) -> tuple[float, float]:
    """The sentence's ratio (raw ÷ dragoman) and the 1 MB job's, paired round by round."""
    label = "warm" if warm else "cold"
    raw_sentence, cli_sentence = [], []
    for round_number in range(ROUNDS):
        raw_sentence.append(raw_apertium_seconds(note))
        cli_sentence.append(run_cli(root, note, root / f"s{label}{round_number}", warm=warm))
    sentence_ratio = paired(f"one sentence ({label})", raw_sentence, cli_sentence)

    folder = root / "in"
    if not folder.exists():
        make_corpus(folder, documents=250, bytes_each=4000)
    characters = sum(len(path.read_text()) for path in folder.glob("*.txt"))
    joined = root / "all.txt"
    joined.write_text("".join(path.read_text() for path in sorted(folder.glob("*.txt"))))
    raw_job, cli_job = [], []
    for round_number in range(ROUNDS):
        raw_job.append(raw_apertium_seconds(joined))
        cli_job.append(run_cli(root, folder, root / f"j{label}{round_number}", warm=warm))
    label = f"250 documents, {characters:,} characters ({label})"
    job_ratio = paired(label, raw_job, cli_job, per_character=characters)
    return sentence_ratio, job_ratio


def wait_for_the_helper(folder: Path, timeout: float = 60.0) -> None:
    """Until the helper the first command started takes commands (its start is not measured)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answering_helpers(str(folder)):
            return
        time.sleep(0.05)
    raise SystemExit("the warm-start helper did not start")


def end_helpers(folder: Path) -> None:
    for lock in folder.glob("*.lock"):
        with contextlib.suppress(ValueError, OSError):
            os.kill(int(lock.read_text()), signal.SIGTERM)


def _seconds(times: list[float]) -> str:
    return ", ".join(f"{seconds:.2f} s" for seconds in times)


if __name__ == "__main__":
    main()
