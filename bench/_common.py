"""Shared set-up for the benchmarks: an English corpus and a Dragoman with its runner."""

from __future__ import annotations

import random
import subprocess
import tempfile
import time
from pathlib import Path

from dragoman.config import Settings
from dragoman.planning import plan_local_job
from dragoman.service import Dragoman

WORDS = [
    "the",
    "cat",
    "is",
    "black",
    "and",
    "the",
    "house",
    "is",
    "red",
    "I",
    "like",
    "dogs",
    "but",
    "my",
    "brother",
    "prefers",
    "small",
    "animals",
    "the",
    "government",
    "announced",
    "new",
    "measures",
    "to",
    "improve",
    "public",
    "health",
    "in",
    "the",
    "city",
    "we",
    "will",
    "travel",
    "to",
    "the",
    "mountains",
    "next",
    "summer",
    "with",
    "our",
    "friends",
]


def make_corpus(folder: Path, documents: int, bytes_each: int, seed: int = 1) -> int:
    """Write `documents` English .txt files; return the number of characters written."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for number in range(documents):
        paragraphs: list[str] = []
        size = 0
        while size < bytes_each:
            sentences = [" ".join(rng.choices(WORDS, k=rng.randint(6, 14))).capitalize() + "." for _ in range(5)]
            paragraphs.append(" ".join(sentences))
            size += len(paragraphs[-1]) + 2
        text = "\n\n".join(paragraphs) + "\n"
        (folder / f"doc{number:04}.txt").write_text(text)
        total += len(text)
    return total


def raw_apertium_seconds(text_file: Path, pair: str = "eng-spa") -> float:
    started = time.perf_counter()
    with text_file.open("rb") as source:
        subprocess.run(["apertium", "-u", "-f", "txt", pair], stdin=source, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def workspace() -> Path:
    return Path(tempfile.mkdtemp(prefix="dragoman-bench-"))


def service(root: Path) -> Dragoman:
    return Dragoman.from_settings(Settings(data_dir=root / "data", roots=[root]), with_runner=True)


def submit(app: Dragoman, source: Path, out: Path) -> str:
    return app.submit(plan_local_job(app.local, [source], out, ["es"], "en")).job.id


def wait(app: Dragoman, job_id: str, poll: float = 0.001) -> None:
    while not app.get(job_id).is_terminal:
        time.sleep(poll)
