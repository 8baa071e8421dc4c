"""Apertium, the default engine: installed modes, kept-alive pipelines, recycled when they hang or die."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path

from dragoman.abort import AbortCheck, Aborted, never_abort
from dragoman.engines._pipeline import Pipeline
from dragoman.engines.base import Engine, LanguagePair, ProgressCallback
from dragoman.engines.languages import short_code
from dragoman.errors import EngineCrashed, EngineError, UnsupportedLanguage
from dragoman.formats.stream import split_stream

__all__ = ["DEFAULT_MODES_DIR", "ApertiumEngine"]

DEFAULT_MODES_DIR = Path("/usr/share/apertium/modes")
_SEAL = b"[]"
_BASE_MODE = re.compile(r"^([a-z]{2,3})-([a-z]{2,3})$")


class ApertiumEngine(Engine):
    name = "apertium"

    def __init__(
        self,
        modes_dir: Path = DEFAULT_MODES_DIR,
        *,
        max_segment_chars: int = 2000,
        stall_seconds: float = 60.0,
    ) -> None:
        self._modes = _discover(modes_dir)
        self._max_segment_chars = max_segment_chars
        self._stall_seconds = stall_seconds
        self._commands: dict[Path, list[str]] = {}
        self._idle: dict[Path, list[Pipeline]] = {}
        self._lock = threading.Lock()
        self._closed = False

    def languages(self) -> list[LanguagePair]:
        return sorted(self._modes)

    def supports(self, source: str, target: str) -> bool:
        return LanguagePair(source, target) in self._modes

    def mode_path(self, source: str, target: str) -> Path:
        try:
            return self._modes[LanguagePair(source, target)]
        except KeyError:
            raise UnsupportedLanguage(f"Apertium has no installed pair {source!r} -> {target!r}") from None

    def translate(
        self,
        segments: Sequence[str],
        source: str,
        target: str,
        *,
        should_abort: AbortCheck = never_abort,
        on_progress: ProgressCallback | None = None,
    ) -> list[str]:
        mode = self.mode_path(source, target)
        if should_abort():
            raise Aborted()
        # Long segments are cut at sentence ends so no single block holds a pipeline for long.
        owners: list[int] = []
        pieces: list[bytes] = []
        for index, segment in enumerate(segments):
            for piece in split_stream(segment, self._max_segment_chars):
                owners.append(index)
                # A closing blank makes every stage flush the block's last word at the null.
                pieces.append(piece.encode("utf-8") + _SEAL)
        translated = self._run(mode, pieces, should_abort, owners, on_progress, len(segments))
        out = [""] * len(segments)
        for index, result in zip(owners, translated, strict=True):
            out[index] += result.removesuffix(_SEAL).decode("utf-8", "replace")
        return out

    def _run(
        self,
        mode: Path,
        pieces: list[bytes],
        should_abort: AbortCheck,
        owners: list[int],
        on_progress: ProgressCallback | None,
        segments: int,
    ) -> list[bytes]:
        done: list[bytes] = []
        for attempt in (1, 2):
            pipeline = self._checkout(mode)
            offset = len(done)

            def report(count: int, offset: int = offset) -> None:
                finished = offset + count
                if on_progress is not None and finished < len(owners):
                    on_progress(owners[finished], segments)

            try:
                done += pipeline.translate(pieces[offset:], should_abort, report)
                if on_progress is not None:
                    on_progress(segments, segments)
                return done
            except EngineCrashed:
                if attempt == 2:
                    raise  # a dead pipeline is recycled once; blocks that kill two are the input's fault
            finally:
                self._checkin(mode, pipeline)
        raise EngineError("unreachable")  # pragma: no cover

    def warm(self, source: str, target: str) -> None:
        """Start a pipeline ahead of the first request."""
        mode = self.mode_path(source, target)
        self._checkin(mode, self._checkout(mode))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, {}
        for pipelines in idle.values():
            for pipeline in pipelines:
                pipeline.close()

    def _checkout(self, mode: Path) -> Pipeline:
        with self._lock:
            idle = self._idle.setdefault(mode, [])
            while idle:
                pipeline = idle.pop()
                if not pipeline.dead:
                    return pipeline
            command = self._commands.get(mode)
        if command is None:
            command = _pipeline_command(mode)
            with self._lock:
                self._commands[mode] = command
        return Pipeline(command, stall_seconds=self._stall_seconds)

    def _checkin(self, mode: Path, pipeline: Pipeline) -> None:
        with self._lock:
            if not pipeline.dead and not self._closed:
                self._idle.setdefault(mode, []).append(pipeline)
                return
        pipeline.close()


def _discover(modes_dir: Path) -> dict[LanguagePair, Path]:
    modes: dict[LanguagePair, Path] = {}
    if not modes_dir.is_dir():
        return modes
    for path in sorted(modes_dir.glob("*.mode")):
        match = _BASE_MODE.match(path.stem)
        if match:
            modes.setdefault(LanguagePair(short_code(match[1]), short_code(match[2])), path)
    return modes


def _pipeline_command(mode: Path) -> list[str]:
    """The mode's shell pipeline with null flushing and word-bound blanks, run by bash in one group.

    `-n` is lt-proc's "no unknown-word marks": documents should not come back sprinkled with `*`.
    """
    wblank = shutil.which("apertium-wblank-mode")
    if wblank is None:
        raise EngineError("apertium-wblank-mode is not installed (Debian package 'apertium')")
    script = subprocess.run([wblank, "-z", str(mode)], check=True, capture_output=True, text=True).stdout
    return ["bash", "-c", script.strip(), "apertium", "-n", ""]
