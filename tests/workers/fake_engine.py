"""A translation engine for worker processes under test: `DRAGOMAN_ENGINE=tests.workers.fake_engine:make`
(with the repository on PYTHONPATH).

It translates each segment by upper-casing its text (blanks and escapes kept as they are), waits
DRAGOMAN_TEST_SEGMENT_SECONDS per segment (default 0) while checking `should_abort` as the real engine
does between segments, and reads two markers in a segment's text:

- `KILL-MY-WORKER`: the process running it SIGKILLs itself (a document that kills whatever runs it);
- `WAIT-FOR-<name>`: the segment waits until a file `<name>` exists in DRAGOMAN_TEST_GATES (a folder),
  still checking `should_abort`: a test holds a task mid-translation as long as it wants.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Sequence
from pathlib import Path

from dragoman.abort import AbortCheck, Aborted, never_abort
from dragoman.engines.base import Engine, LanguagePair, ProgressCallback
from dragoman.formats.stream import tokens

__all__ = ["KILL_MARKER", "LANGUAGES", "UpperEngine", "gate_marker", "make", "translated"]

KILL_MARKER = "KILL-MY-WORKER"
LANGUAGES = ("en", "es", "fr", "de", "ca")
_GATE = re.compile(r"WAIT-FOR-([A-Za-z0-9_-]+)")
_POLL_SECONDS = 0.005


def gate_marker(name: str) -> str:
    """The words that make a segment wait for the file `name` in the gates folder."""
    return f"WAIT-FOR-{name}"


def translated(segment: str) -> str:
    """What this engine makes of a segment: its text upper-cased, escapes and blanks untouched."""
    parts = []
    for start, end, kind in tokens(segment):
        piece = segment[start:end]
        parts.append(piece.upper() if kind == "text" and not piece.startswith("\\") else piece)
    return "".join(parts)


class UpperEngine(Engine):
    name = "upper"

    def __init__(self, segment_seconds: float = 0.0, gates: Path | None = None) -> None:
        self._segment_seconds = segment_seconds
        self._gates = gates

    def languages(self) -> list[LanguagePair]:
        return [LanguagePair(source, target) for source in LANGUAGES for target in LANGUAGES if source != target]

    def translate(
        self,
        segments: Sequence[str],
        source: str,
        target: str,
        *,
        should_abort: AbortCheck = never_abort,
        on_progress: ProgressCallback | None = None,
    ) -> list[str]:
        out = []
        for number, segment in enumerate(segments):
            if should_abort():
                raise Aborted()
            if KILL_MARKER in segment:
                os.kill(os.getpid(), signal.SIGKILL)
            gate = _GATE.search(segment)
            if gate is not None and self._gates is not None:
                self._wait(self._gates / gate.group(1), None, should_abort)
            if self._segment_seconds:
                self._wait(None, time.monotonic() + self._segment_seconds, should_abort)
            out.append(translated(segment))
            if on_progress is not None:
                on_progress(number + 1, len(segments))
        return out

    @staticmethod
    def _wait(gate: Path | None, deadline: float | None, should_abort: AbortCheck) -> None:
        """Until the file `gate` exists, or the clock reaches `deadline`; Aborted once asked to stop."""
        while not (gate.exists() if gate is not None else time.monotonic() >= (deadline or 0.0)):
            if should_abort():
                raise Aborted()
            time.sleep(_POLL_SECONDS)


def make(settings: object) -> UpperEngine:
    """The engine DRAGOMAN_ENGINE names: timing and gates from the environment of the process."""
    gates = os.environ.get("DRAGOMAN_TEST_GATES")
    return UpperEngine(float(os.environ.get("DRAGOMAN_TEST_SEGMENT_SECONDS", "0")), Path(gates) if gates else None)
