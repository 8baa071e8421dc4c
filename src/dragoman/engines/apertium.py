"""Apertium, the default engine: installed modes, kept-alive pipelines, recycled when they hang or
die, and replaced when a package upgrade changes what they run."""

from __future__ import annotations

import logging
import re
import shlex
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dragoman import processes
from dragoman.abort import AbortCheck, Aborted, never_abort
from dragoman.cpus import available_cpus
from dragoman.engines._blocks import pack, unpack, unpack_alone
from dragoman.engines._pipeline import Pipeline, PipelineEnd
from dragoman.engines.base import Engine, LanguagePair, ProgressCallback
from dragoman.engines.languages import short_code
from dragoman.errors import EngineCrashed, EngineError, EngineTimeout, UnsupportedLanguage

__all__ = [
    "DEFAULT_MODES_DIR",
    "ApertiumEngine",
    "PipelineRecipe",
    "derive_stages",
    "discard_ahead",
    "pipelines_used",
    "start_ahead",
]

DEFAULT_MODES_DIR = Path("/usr/share/apertium/modes")
_BASE_MODE = re.compile(r"^([a-z]{2,3})-([a-z]{2,3})$")
_WBLANK_SECONDS = 30.0
# How often, at most, a pair's kept-alive pipelines are compared with what a start would run now
# (`ApertiumEngine._retire_outdated`): about a millisecond of stat calls and /proc reads.
_UPGRADE_CHECK_SECONDS = 5.0

log = logging.getLogger("dragoman.engines")


class ApertiumEngine(Engine):
    """Translation through shared, kept-alive pipelines: `pipelines_per_pair` per language pair
    (default: one per two cores, as one pipeline's stages already keep about two cores busy).
    `on_pipeline_end(why)` is told each time one of them dies on its own (crashed or stalled): the
    next request starts another.

    A long-lived engine (`dragoman serve`, a worker) outlives package upgrades: at most every
    _UPGRADE_CHECK_SECONDS, a request compares its pair's pipelines with what starting one now would
    run (the mode's stages, the programs, libraries and dictionaries on disk, as
    `dragoman.processes.program_files` and `runs_replaced_files` see them). Pipelines that differ
    are retired: they finish the blocks they were given, and new requests go to a pipeline started
    afresh, so an upgraded pair translates as upgraded without a restart."""

    name = "apertium"

    def __init__(
        self,
        modes_dir: Path = DEFAULT_MODES_DIR,
        *,
        max_block_chars: int = 8000,
        stall_seconds: float = 60.0,
        pipelines_per_pair: int | None = None,
        memory_bytes: int | None = None,
        on_pipeline_end: Callable[[PipelineEnd], None] | None = None,
    ) -> None:
        self._modes_dir = modes_dir
        self._modes_version = _folder_version(modes_dir)
        self._modes = _discover(modes_dir)
        self._next_discovery = time.monotonic() + _UPGRADE_CHECK_SECONDS
        self._on_pipeline_end = on_pipeline_end
        self._known = _languages_of(self._modes)
        self._max_block_chars = max_block_chars
        self._stall_seconds = stall_seconds
        self._memory_bytes = memory_bytes  # address space of each pipeline stage
        self._pipelines_per_pair = pipelines_per_pair or max(1, available_cpus() // 2)
        self._commands: dict[tuple[str, int, int], list[list[str]]] = {}  # by the mode file as it is (`_mode_key`)
        self._shared: dict[Path, list[Pipeline]] = {}
        self._started_in: dict[Pipeline, tuple[object, ...]] = {}  # each shared pipeline's program files at its start
        self._next_check: dict[Path, float] = {}  # monotonic time of a pair's next `_retire_outdated`
        self._retired: list[Pipeline] = []  # finishing their blocks before they end
        self._starting: dict[Path, int] = {}  # pipelines of a mode being started now
        self._lock = threading.Lock()
        self._started = threading.Condition(self._lock)  # notified when a start ends
        self._closed = False

    def languages(self) -> list[LanguagePair]:
        return sorted(self._installed())

    def known_languages(self) -> frozenset[str]:
        self._installed()
        return self._known

    def supports(self, source: str, target: str) -> bool:
        """As `Engine.supports`; what it does not support yet is looked for again at once (a pair just
        installed), not after the next _UPGRADE_CHECK_SECONDS."""
        if super().supports(source, target):
            return True
        self._installed(rescan=True)
        return super().supports(source, target)

    def has_pair(self, pair: LanguagePair) -> bool:
        return pair in self._installed()  # a dict lookup, not the base's list scan

    def refresh(self) -> None:
        self._installed()

    def mode_path(self, source: str, target: str) -> Path:
        pair = LanguagePair(source, target)
        try:
            return self._installed()[pair]
        except KeyError:
            pass
        try:
            return self._installed(rescan=True)[pair]
        except KeyError:
            raise UnsupportedLanguage(f"Apertium has no installed pair {source!r} -> {target!r}") from None

    def _installed(self, *, rescan: bool = False) -> dict[LanguagePair, Path]:
        """The installed pairs and their modes (a pair's package installed or removed under a
        long-lived engine): the modes folder is read again every _UPGRADE_CHECK_SECONDS, and, with
        `rescan` (a pair asked for and not found: maybe installed this very moment), at once if the
        folder changed since it was last read (one stat: a flood of requests for a pair that is not
        there reads nothing more)."""
        now = time.monotonic()
        if rescan:
            version = _folder_version(self._modes_dir)
            if version == self._modes_version:
                return self._modes
        elif now < self._next_discovery:
            return self._modes
        else:  # the periodic read, whatever the folder's time says (two changes within one clock tick)
            version = _folder_version(self._modes_dir)
        self._next_discovery = now + _UPGRADE_CHECK_SECONDS
        modes = _discover(self._modes_dir)
        with self._lock:
            added, removed = modes.keys() - self._modes.keys(), self._modes.keys() - modes.keys()
            gone = [self._modes[pair] for pair in removed if self._modes[pair] not in modes.values()]
            self._modes, self._known, self._modes_version = modes, _languages_of(modes), version
        for mode in gone:  # a removed pair's pipelines end once their blocks are done, as after an upgrade
            self._next_check.pop(mode, None)
            self._retire_outdated(mode)
        if added or removed:
            log.info(
                "language pairs changed in %s: %d installed (added: %s; removed: %s)",
                self._modes_dir,
                len(modes),
                ", ".join(f"{pair.source}-{pair.target}" for pair in sorted(added)) or "none",
                ", ".join(f"{pair.source}-{pair.target}" for pair in sorted(removed)) or "none",
                extra={"action": "languages"},
            )
        return modes

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
        blocks = pack(segments, self._max_block_chars)

        def report(count: int) -> None:
            if on_progress is not None and count < len(blocks):
                on_progress(blocks[count].owners[0], len(segments))

        results = self._run(mode, [block.text for block in blocks], should_abort, report)
        out = [""] * len(segments)
        for block, result in zip(blocks, results, strict=True):
            parts = unpack(block, result)
            if parts is None:  # the shared block lost a stop or a separator: one block per piece
                alone = block.alone()
                retried = self._run(mode, [piece.text for piece in alone], should_abort, lambda _: None)
                parts = [unpack_alone(text) for text in retried]
            for owner, part in zip(block.owners, parts, strict=True):
                out[owner] += part
        if on_progress is not None:
            on_progress(len(segments), len(segments))
        return out

    def _run(
        self, mode: Path, blocks: list[bytes], should_abort: AbortCheck, report: Callable[[int], None]
    ) -> list[bytes]:
        try:
            return self._shared_pipeline(mode).translate(blocks, should_abort, report)
        except (EngineCrashed, EngineTimeout):
            pass  # maybe another caller's blocks broke the shared pipeline: try once more, alone
        private = Pipeline(self._command(mode), stall_seconds=self._stall_seconds, memory_bytes=self._memory_bytes)
        try:
            return private.translate(blocks, should_abort, report)
        finally:
            private.close()

    def warm(self, source: str, target: str) -> None:
        """Start one of the pair's pipelines ahead of the first request, unless one runs or is
        starting: more start as requests find them all busy (`_shared_pipeline`), so a job of one
        document starts one."""
        mode = self.mode_path(source, target)
        with self._lock:
            live = [pipeline for pipeline in self._shared.get(mode, []) if not pipeline.dead]
            if live or self._starting.get(mode) or self._closed:
                return
            self._starting[mode] = self._starting.get(mode, 0) + 1
        self._start(mode)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            shared, self._shared = self._shared, {}
            retired, self._retired = self._retired, []
            self._started_in.clear()
            self._started.notify_all()
        for pipeline in [*retired, *(pipeline for pipelines in shared.values() for pipeline in pipelines)]:
            pipeline.close()

    def recipe(self, source: str, target: str) -> PipelineRecipe:
        """What this engine starts a pipeline of the pair from (for `start_ahead`). Raises
        UnsupportedLanguage, EngineError (the mode cannot be read)."""
        return self._recipe(self.mode_path(source, target))

    def _recipe(self, mode: Path) -> PipelineRecipe:
        return PipelineRecipe(self._command(mode), self._memory_bytes)

    def _shared_pipeline(self, mode: Path) -> Pipeline:
        """The least loaded live pipeline of the pair; a new one while there are fewer than allowed
        and all are busy. One being started counts: a request waits for it rather than start one
        more (a one-document job would otherwise start two, each about 0.1 s of process starts)."""
        self._retire_outdated(mode)
        with self._lock:
            while True:
                if self._closed:
                    raise EngineCrashed("the engine is closed")
                live = [pipeline for pipeline in self._shared.get(mode, []) if not pipeline.dead]
                self._shared[mode] = live
                idle = [pipeline for pipeline in live if pipeline.load == 0]
                if idle:
                    return idle[0]
                starting = self._starting.get(mode, 0)
                if len(live) + starting < self._pipelines_per_pair:
                    self._starting[mode] = starting + 1
                    break
                if live:
                    return min(live, key=lambda pipeline: pipeline.load)
                self._started.wait()  # only pipelines being started: the first one up serves
        return self._start(mode)

    def _start(self, mode: Path) -> Pipeline:
        """Start a pipeline of `mode`, counted in `_starting` by the caller: one started ahead for
        the same stages, bounds and circumstances (`start_ahead`) if there is one."""
        try:
            recipe = self._recipe(mode)
            files = processes.program_files(recipe.stages)
            pipeline = _take_ahead(recipe)
            if pipeline is None:
                pipeline = Pipeline(
                    recipe.stages,
                    stall_seconds=self._stall_seconds,
                    memory_bytes=recipe.memory_bytes,
                    on_end=self._on_pipeline_end,
                )
            else:
                pipeline.hand_over(stall_seconds=self._stall_seconds, on_end=self._on_pipeline_end)
            _note_used(recipe)
        except BaseException:
            with self._lock:
                self._starting[mode] -= 1
                self._started.notify_all()
            raise
        with self._lock:
            self._starting[mode] -= 1
            self._started.notify_all()
            if not self._closed:
                self._shared.setdefault(mode, []).append(pipeline)
                self._started_in = {started: then for started, then in self._started_in.items() if not started.dead}
                self._started_in[pipeline] = files
                return pipeline
        pipeline.close()
        raise EngineCrashed("the engine is closed")

    def _retire_outdated(self, mode: Path) -> None:
        """Retire the pair's pipelines that no longer run what a start now would (see the class
        docstring); at most every _UPGRADE_CHECK_SECONDS. A mode that cannot be read now leaves them
        running: the next start says what is wrong."""
        checked = time.monotonic()
        with self._lock:
            if checked < self._next_check.get(mode, 0.0) or not self._shared.get(mode):
                return
            self._next_check[mode] = checked + _UPGRADE_CHECK_SECONDS
            pipelines = [(pipeline, self._started_in.get(pipeline)) for pipeline in self._shared[mode]]
        try:
            now: tuple[object, ...] | None = processes.program_files(self._recipe(mode).stages)
        except UnsupportedLanguage:  # the pair was removed: its pipelines go, its requests are refused
            now = None
        except EngineError:
            return
        outdated = [
            pipeline
            for pipeline, then in pipelines
            if not pipeline.dead
            and (now is None or then != now or any(processes.runs_replaced_files(pid) for pid in pipeline.pids))
        ]
        if not outdated:
            return
        with self._lock:
            self._shared[mode] = [pipeline for pipeline in self._shared.get(mode, []) if pipeline not in outdated]
            for pipeline in outdated:
                self._started_in.pop(pipeline, None)
            self._retired = [pipeline for pipeline in self._retired if not pipeline.dead] + outdated
        for pipeline in outdated:
            log.info(
                "an Apertium pipeline of %s ends: %s",
                mode.stem,
                "the pair was removed" if now is None else "its programs, libraries or dictionaries changed on disk",
                extra={"action": "pipeline"},
            )
            pipeline.retire()

    def _command(self, mode: Path) -> list[list[str]]:
        """The mode's stages as its file is now: derived again once an upgrade changed the file.
        Raises UnsupportedLanguage once the file is gone (the pair's package removed), EngineError
        when it cannot be read."""
        key = _mode_key(mode)
        if key[1:] == (-1, -1):
            raise UnsupportedLanguage(
                f"the Apertium pair {mode.stem} is no longer installed (its mode file {mode} is gone);"
                " reinstall its package or choose another pair"
            )
        with self._lock:
            command = self._commands.get(key)
        if command is None:
            command = _derived.get(key) or _pipeline_stages(mode)
            with self._lock:
                self._commands[key] = command
        return command


@dataclass(frozen=True)
class PipelineRecipe:
    """What a pipeline is started from: its stages (one argument list each) and the address space
    each stage may use (None: as inherited)."""

    stages: tuple[tuple[str, ...], ...]
    memory_bytes: int | None = None

    def __init__(self, stages: Sequence[Sequence[str]], memory_bytes: int | None = None) -> None:
        object.__setattr__(self, "stages", tuple(tuple(stage) for stage in stages))
        object.__setattr__(self, "memory_bytes", memory_bytes)


# Pipelines started ahead of the engine that will use them (`start_ahead`), with the circumstances
# they were started in; and the recipes of the pipelines this process's engines used.
_ahead: list[tuple[PipelineRecipe, tuple[object, ...], Pipeline]] = []
_used: list[PipelineRecipe] = []
_ahead_lock = threading.Lock()


def start_ahead(recipe: PipelineRecipe) -> None:
    """Start a pipeline now, for an engine of this process to take instead of starting its own: the
    first one that needs a pipeline of the same recipe while the circumstances are still those it
    was started in (`dragoman.processes.circumstances`: the whole environment, soft limits, CPU
    affinity, and the programs and dictionaries the stages name, unchanged on disk) and its stages
    still run the program files they started with. A warm start's spare process
    (`dragoman.warm.helper`) starts the pipelines the last command used this way, so that the next
    command finds them started and loaded (about 0.15 s on two cores). One never taken ends with
    the process, as every pipeline does. Raises EngineCrashed."""
    then = processes.circumstances(recipe.stages)
    pipeline = Pipeline(recipe.stages, memory_bytes=recipe.memory_bytes)
    with _ahead_lock:
        _ahead.append((recipe, then, pipeline))


def discard_ahead() -> None:
    """End every pipeline started ahead (`start_ahead`) that no engine took."""
    with _ahead_lock:
        left = [pipeline for _recipe, _then, pipeline in _ahead]
        _ahead.clear()
    for pipeline in left:
        pipeline.close()


def pipelines_used() -> list[PipelineRecipe]:
    """The recipes of the pipelines this process's engines started or took, each once, oldest first."""
    with _ahead_lock:
        return list(_used)


def _take_ahead(recipe: PipelineRecipe) -> Pipeline | None:
    with _ahead_lock:
        if not _ahead:
            return None
        now = processes.circumstances(recipe.stages)
        for index, (started, then, pipeline) in enumerate(_ahead):
            if started == recipe and then == now and not pipeline.dead:
                if any(processes.runs_replaced_files(pid) for pid in pipeline.pids):
                    continue  # a program or library upgraded since: not what a start now would run
                del _ahead[index]
                return pipeline
    return None


def _note_used(recipe: PipelineRecipe) -> None:
    with _ahead_lock:
        if recipe not in _used:
            _used.append(recipe)


def _folder_version(folder: Path) -> tuple[int, int] | None:
    """What changes when a file is added to or removed from `folder` (its inode and modification
    time), or None when it cannot be read."""
    try:
        info = folder.stat()
    except OSError:
        return None
    return (info.st_ino, info.st_mtime_ns)


def _languages_of(modes: Mapping[LanguagePair, Path]) -> frozenset[str]:
    return frozenset(code for pair in modes for code in (pair.source, pair.target))


def _discover(modes_dir: Path) -> dict[LanguagePair, Path]:
    modes: dict[LanguagePair, Path] = {}
    if not modes_dir.is_dir():
        return modes
    for path in sorted(modes_dir.glob("*.mode")):
        match = _BASE_MODE.match(path.stem)
        if match:
            modes.setdefault(LanguagePair(short_code(match[1]), short_code(match[2])), path)
    return modes


_derived: dict[tuple[str, int, int], list[list[str]]] = {}  # `derive_stages`: (mode, mtime, size) -> stages


def _mode_key(mode: Path) -> tuple[str, int, int]:
    try:
        info = mode.stat()
    except OSError:
        return (str(mode), -1, -1)
    return (str(mode), info.st_mtime_ns, info.st_size)


def derive_stages(modes_dir: Path = DEFAULT_MODES_DIR) -> None:
    """Derive the stages of every installed mode now, once for the process and those it forks (a
    warm-start helper), instead of once per mode in each process that uses it (a process start
    each). Starts no thread: a helper must have none when it forks. A mode that changes later (its
    package upgraded) is derived again where it is used."""
    wblank = shutil.which("apertium-wblank-mode")
    if wblank is None:
        return
    for mode in _discover(modes_dir).values():
        try:
            ended = subprocess.run(
                [wblank, "-z", str(mode)], capture_output=True, timeout=_WBLANK_SECONDS, start_new_session=True
            )
            if ended.returncode == 0:
                _derived[_mode_key(mode)] = _stages(ended.stdout.decode("utf-8", "replace"), mode)
        except (OSError, subprocess.SubprocessError, EngineError):
            continue  # derived where it is used, which says what is wrong


def _pipeline_stages(mode: Path) -> list[list[str]]:
    """The mode's pipeline with null flushing and word-bound blanks, one argument list per stage."""
    wblank = shutil.which("apertium-wblank-mode")
    if wblank is None:
        raise EngineError("apertium-wblank-mode is not installed (Debian package 'apertium')")
    with tempfile.TemporaryFile() as out:
        ended = processes.wait(processes.start([wblank, "-z", str(mode)], stdout=out), seconds=_WBLANK_SECONDS)
        out.seek(0)
        script = out.read().decode("utf-8", "replace")
    if ended.returncode != 0:
        raise EngineError(f"apertium-wblank-mode could not read the Apertium mode {mode.name}")
    return _stages(script, mode)


def _stages(script: str, mode: Path) -> list[list[str]]:
    """`apertium-wblank-mode -z`'s pipeline, one argument list per stage.

    The mode file is a shell pipeline; running its stages ourselves rather than through bash means
    every stage is our child and is reaped, even when the pipeline is killed. `$1` becomes `-n`,
    lt-proc's "no unknown-word marks" (documents should not come back sprinkled with `*`); `$2`, an
    optional tagger flag, is dropped.
    """
    lexer = shlex.shlex(script, posix=True, punctuation_chars="|")
    lexer.whitespace_split = True
    stages: list[list[str]] = [[]]
    for token in lexer:
        if token == "|":
            stages.append([])
        elif token == "$1":
            stages[-1].append("-n")
        elif token == "$2":
            continue
        elif "$" in token or token in ("||", "|&") or not token.strip():
            raise EngineError(f"the Apertium mode {mode.name} uses shell syntax Dragoman does not run: {token!r}")
        else:
            stages[-1].append(token)
    if not all(stages):
        raise EngineError(f"the Apertium mode {mode.name} has an empty stage")
    return stages
