"""Shared fixtures: real SQLite stores, the real Apertium engine, real documents made on the fly."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import docx
import pytest

from dragoman.config import Settings
from dragoman.domain.jobs import JobView
from dragoman.service import Dragoman
from tests.postgres import PostgresServer, postgres_server

ENGLISH_PARAGRAPHS = [
    "The cat is black. I like dogs.",
    "Good morning, my friend. The house is very big.",
    "We will travel to the mountains next summer with our friends.",
    "The government announced new measures to improve public health in the city.",
]


def write_documents(folder: Path, count: int = 3, paragraphs: int = 4) -> list[Path]:
    """`count` documents of each of txt, html and docx, in English."""
    folder.mkdir(parents=True, exist_ok=True)
    made: list[Path] = []
    for number in range(count):
        body = [ENGLISH_PARAGRAPHS[(number + k) % len(ENGLISH_PARAGRAPHS)] for k in range(paragraphs)]
        txt = folder / f"doc{number}.txt"
        txt.write_text("\n\n".join(body) + "\n", encoding="utf-8")
        html = folder / f"page{number}.html"
        items = "".join(f"<p>{text.replace('black', '<b>black</b>')}</p>" for text in body)
        html.write_text(f"<html><head><title>The house</title></head><body><h1>Good morning</h1>{items}</body></html>")
        word = folder / f"report{number}.docx"
        document = docx.Document()
        document.add_heading("The red house", 1)
        for text in body:
            paragraph = document.add_paragraph("The cat is ")
            paragraph.add_run("very").bold = True
            paragraph.add_run(" " + text)
        document.save(str(word))
        made += [txt, html, word]
    return made


def wait_for(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    """Return once `predicate()` holds (polled every 20 ms); fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.02)


def wait_terminal(service: Dragoman, job_id: str, timeout: float = 120.0) -> JobView:
    return wait_for_view(service, job_id, lambda view: view.is_terminal, timeout)


def wait_for_view(
    service: Dragoman, job_id: str, reached: Callable[[JobView], bool], timeout: float = 120.0
) -> JobView:
    """The job's view once `reached(view)` holds (polled every 20 ms)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view = service.get(job_id)
        if reached(view):
            return view
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not get there in {timeout} s: {service.get(job_id)}")


@pytest.fixture(scope="session", autouse=True)
def warm_start_helpers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The `dragoman` commands the tests run use warm start, as users' do (`dragoman.warm`), with
    helpers of this test session's own (in a runtime folder of its own), ended with the session."""
    runtime = tmp_path_factory.mktemp("runtime")
    before = os.environ.get("XDG_RUNTIME_DIR")
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    try:
        yield runtime / "dragoman"
    finally:
        if before is None:
            os.environ.pop("XDG_RUNTIME_DIR", None)
        else:
            os.environ["XDG_RUNTIME_DIR"] = before
        end_helpers(runtime / "dragoman")


def end_helpers(folder: Path) -> None:
    """SIGTERM every warm-start helper of `folder` (its pid is in its lock file)."""
    for lock in folder.glob("*.lock"):
        with contextlib.suppress(ValueError, OSError):
            os.kill(int(lock.read_text()), signal.SIGTERM)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test process's own, started on first use."""
    with postgres_server() as server:
        yield server


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", roots=[tmp_path / "docs"], workers=2)


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    return folder


@pytest.fixture
def service(settings: Settings, docs: Path) -> Iterator[Dragoman]:
    with Dragoman.from_settings(settings, with_runner=True) as app:
        yield app
