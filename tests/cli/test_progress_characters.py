"""Progress is counted in characters where they are known: a running task records its document's
characters once it is taken apart, and the command line's estimate uses them, falling back to the
source's size only before. A mixed folder: text files, and Word and PowerPoint documents whose size
is mostly a picture."""

from __future__ import annotations

import contextlib
import io
import os
import sqlite3
import subprocess
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import docx
import pytest
from docx.shared import Inches
from pptx import Presentation
from pptx.util import Inches as PptxInches

from dragoman.cli.progress import JobProgress, estimate_characters
from dragoman.domain.jobs import Job, JobView, Summary, Task
from dragoman.domain.states import TaskStatus
from dragoman.storage.local import path_to_url
from tests.conftest import ENGLISH_PARAGRAPHS
from tests.processes import DRAGOMAN, environment, serving

pytestmark = pytest.mark.slow


def _big_png(side: int = 700) -> bytes:
    """An incompressible picture of about side² × 3 bytes."""
    import struct

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\0" + os.urandom(side * 3) for _ in range(side))
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 0)) + chunk(b"IEND", b"")


def _mixed_folder(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True)
    made = {}
    for number in range(4):
        made[f"t{number}"] = folder / f"note{number}.txt"
        made[f"t{number}"].write_text("\n\n".join(ENGLISH_PARAGRAPHS * 3) + "\n")
    word = docx.Document()
    word.add_paragraph("The cat is black.")
    word.add_picture(io.BytesIO(_big_png()), width=Inches(2))
    made["docx"] = folder / "photo report.docx"
    word.save(str(made["docx"]))
    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[6])
    slide.shapes.add_picture(io.BytesIO(_big_png()), PptxInches(1), PptxInches(1))
    slide.shapes.add_textbox(
        PptxInches(1), PptxInches(5), PptxInches(5), PptxInches(1)
    ).text_frame.text = "I like dogs."
    made["pptx"] = folder / "photo deck.pptx"
    deck.save(str(made["pptx"]))
    return made


def _task(seq: int, path: Path, status: TaskStatus, characters: int | None = None, progress: float = 0.0) -> Task:
    now = datetime.now(UTC)
    return Task(
        id=f"task-{seq}",
        job_id="job",
        seq=seq,
        source_url=path_to_url(path),
        target_url=path_to_url(path.parent / "out" / path.name),
        source_language="en",
        target_language="es",
        status=status,
        created_at=now,
        updated_at=now,
        characters=characters,
        progress=progress,
    )


def _view(tasks: list[Task]) -> JobView:
    now = datetime.now(UTC)
    return JobView(Job("job", "local", now, now), Summary.of(tasks))


def test_the_estimate_counts_known_characters_not_the_bytes_of_pictures(tmp_path: Path) -> None:
    made = _mixed_folder(tmp_path / "mixed")
    assert made["docx"].stat().st_size > 1_000_000 and made["pptx"].stat().st_size > 1_000_000
    text = len("\n\n".join(ENGLISH_PARAGRAPHS * 3))
    texts = [_task(n, made[f"t{n}"], TaskStatus.SUCCEEDED, characters=text) for n in range(4)]

    # the Word document is being translated: its characters are known (17), its 1.5 MB are not text
    word = _task(4, made["docx"], TaskStatus.RUNNING, characters=17, progress=0.5)
    deck = _task(5, made["pptx"], TaskStatus.SUCCEEDED, characters=12)
    tasks = [*texts, word, deck]
    snapshot = JobProgress("job")
    fraction = snapshot.snapshot(_view(tasks), tasks).fraction
    assert fraction == pytest.approx((4 * text + 17 / 2 + 12) / (4 * text + 17 + 12))  # 99.7%, not 0.5%

    # before a document is taken apart, its size stands in, scaled by what its kind's known documents hold
    pending = _task(6, made["docx"], TaskStatus.PENDING)
    sizes = {task.id: Path(unquote(urlsplit(task.source_url).path)).stat().st_size for task in tasks}
    sizes[pending.id] = sizes[word.id]
    estimates = estimate_characters([*tasks, pending], sizes)
    assert estimates[word.id] == 17 and estimates[deck.id] == 12
    assert estimates[pending.id] == pytest.approx(17)  # the same file: 17 characters per its size
    unknown_kind = estimate_characters([pending], {pending.id: sizes[word.id]})
    assert unknown_kind[pending.id] == sizes[word.id]  # nothing known of its kind yet: its bytes


def test_the_speed_counts_what_was_done_while_following_not_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Red team 2026-12-01: `jobs wait` of a job under way showed 227k chars/s, about 120k real: the
    # characters translated before it began were counted as done in its first second
    documents = []
    for number in range(8):
        documents.append(tmp_path / f"d{number}.txt")
        documents[-1].write_text("x" * 1000)
    clock = [100.0]
    monkeypatch.setattr("dragoman.cli.progress.time.monotonic", lambda: clock[0])
    follower = JobProgress("job")
    half = [_task(n, documents[n], TaskStatus.SUCCEEDED if n < 4 else TaskStatus.PENDING, 1000) for n in range(8)]
    assert follower.snapshot(_view(half), half).rate is None
    clock[0] += 2.0
    more = [_task(n, documents[n], TaskStatus.SUCCEEDED if n < 5 else TaskStatus.PENDING, 1000) for n in range(8)]
    assert follower.snapshot(_view(more), more).rate == pytest.approx(1000 / 2.0)  # one document in 2 s


def _running_characters(database: Path) -> dict[str, int | None]:
    with contextlib.closing(sqlite3.connect(database, timeout=60)) as connection:
        rows = connection.execute("SELECT source_url, characters FROM tasks WHERE status = 'running'").fetchall()
    return {url.rsplit("/", 1)[1]: characters for url, characters in rows}


def test_a_running_task_records_its_characters_once_its_document_is_taken_apart(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "en").mkdir(parents=True)
    long = "\n\n".join(ENGLISH_PARAGRAPHS * 2500) + "\n"  # translated in several seconds
    (docs / "en" / "long.txt").write_text(long)
    env = environment(tmp_path / "data", [docs], workers=1)
    with serving(env, tmp_path / "serve.log"):
        submitted = subprocess.run(
            [DRAGOMAN, "translate", str(docs / "en"), "--to", "es", "--out", str(docs / "out"), "--no-wait"],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert submitted.returncode == 0, submitted.stderr
        seen: list[int | None] = []
        deadline = time.monotonic() + 120
        while not (docs / "out" / "es" / "long.txt").exists() and time.monotonic() < deadline:
            running = _running_characters(tmp_path / "data" / "dragoman.db")
            if "long.txt" in running:
                seen.append(running["long.txt"])
            time.sleep(0.05)
    known = [value for value in seen if value is not None]
    # known for a good part of its run (not only in the moment between recording its output and ending)
    assert len(known) >= 5, f"the running task did not record its characters early: {seen[:5]}...{seen[-5:]}"
    assert set(known) == {len(long.strip())} or all(value > 0.9 * len(long) for value in known), set(known)
