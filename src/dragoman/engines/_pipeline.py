"""One kept-alive Apertium pipeline in null-flush mode: blocks go in ended by `\\0` and come out so.

This is how Apertium's own HTTP server avoids paying process start-up per request. A pipeline is
shared: many callers' blocks go through it back to back, so its dozen stages never drain between
documents. Output comes back in input order, which is how results find their caller.

A pump thread writes and reads. At most `window` bytes are in flight, so a caller that aborts loses
interest in at most that much work: its unwritten blocks are dropped, its in-flight results thrown
away, and the pipeline goes on serving others.

Callers take turns: the pump writes one block of each waiting request in turn (round robin), and a
new request joins the round at its end, so a one-sentence request waits for at most one block of
each request already waiting (and the blocks in flight, at most `window` bytes), however large
they are. None waits for ever: when a new request's first block went next, the requests queued
first were overtaken by every one that came after, and the first documents of a long job finished
last.

Every stage is a bounded child (`dragoman.processes`): its own session and process group (out of
reach of a terminal's signals), killed if Dragoman dies, with `memory_bytes` of address space.
Killing the pipeline (when it dies, hangs or is closed) kills every stage's process group.

A retired pipeline (`retire`: its engine found its programs or dictionaries upgraded) ends once the
blocks it was given are done: nobody waiting on it loses a result.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import selectors
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from dragoman import processes
from dragoman.abort import AbortCheck, Aborted, woken_by_aborts
from dragoman.errors import EngineCrashed, EngineError, EngineTimeout

__all__ = ["Pipeline", "PipelineEnd"]

log = logging.getLogger("dragoman.engines")

# Why a pipeline died on its own: a stage ended or broke a pipe, or it made no progress for too long.
PipelineEnd = Literal["crashed", "stalled"]

_STALL_CHECK_SECONDS = 0.1  # how often an idle pump looks for a stall
# How often a waiting caller asks whether to abort when nothing woke it. An announced abort
# (`dragoman.abort.announce_abort`: a task's cancel or shutdown) wakes it at once; this bounds only
# checks that nobody announces.
_ABORT_POLL_SECONDS = 0.1
_CHUNK = 65536
_DEFAULT_WINDOW = 16 * 1024


@dataclass(eq=False)
class _Request:
    blocks: list[bytes]
    results: list[bytes] = field(default_factory=list)
    written: int = 0
    abandoned: bool = False
    error: EngineError | None = None
    finished: threading.Event = field(default_factory=threading.Event)
    changed: threading.Event = field(default_factory=threading.Event)  # a result came, it finished, or an abort


class Pipeline:
    def __init__(
        self,
        stages: Sequence[Sequence[str]],
        *,
        stall_seconds: float = 60.0,
        window: int = _DEFAULT_WINDOW,
        memory_bytes: int | None = None,
        on_end: Callable[[PipelineEnd], None] | None = None,
    ) -> None:
        """`on_end(why)` is told, once, when the pipeline dies on its own (not when it is killed or closed)."""
        self._stall_seconds = stall_seconds
        self._on_end = on_end
        self._window = window
        if not stages:
            raise ValueError("a pipeline needs at least one stage")
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the pipeline
        # Every stage is our own child (so we reap it), in a session and process group of its own.
        self._processes: list[subprocess.Popen[bytes]] = []
        upstream: int | None = subprocess.PIPE
        bounds = processes.Bounds(memory_bytes=memory_bytes)
        try:
            for number, stage in enumerate(stages):
                last = number == len(stages) - 1
                process = processes.start(
                    list(stage), bounds=bounds, stdin=upstream, stdout=subprocess.PIPE, stderr=self._stderr
                )
                if self._processes:
                    assert self._processes[-1].stdout is not None  # noqa: S101 - Popen contract
                    self._processes[-1].stdout.close()  # only the next stage holds this pipe now
                self._processes.append(process)
                upstream = None if last else process.stdout.fileno()  # type: ignore[union-attr]
        except OSError as exc:
            self._end_processes()
            raise EngineCrashed(f"the pipeline could not be started: {exc}") from exc
        first, last_process = self._processes[0], self._processes[-1]
        assert first.stdin is not None and last_process.stdout is not None  # noqa: S101 - Popen contract
        self._stdin = first.stdin
        self._stdout = last_process.stdout
        os.set_blocking(self._stdin.fileno(), False)
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        self._lock = threading.Lock()
        self._queue: collections.deque[_Request] = collections.deque()  # requests with blocks left to write
        self._in_flight: collections.deque[tuple[_Request, int]] = collections.deque()  # one per written block
        self._in_flight_bytes = 0
        self._queued_bytes = 0
        self.dead = False
        self._retired = False
        self._pump = threading.Thread(target=self._run_pump, name=f"apertium-pump-{self.pid}", daemon=True)
        self._pump.start()

    def hand_over(self, *, stall_seconds: float, on_end: Callable[[PipelineEnd], None] | None) -> None:
        """Take on what an engine gives the pipelines it starts, for one started ahead of it
        (`dragoman.engines.apertium.start_ahead`)."""
        self._stall_seconds = stall_seconds
        self._on_end = on_end

    def retire(self) -> None:
        """End the pipeline as soon as it has nothing queued or in flight (at once when idle): the
        blocks it was given are translated and delivered first. Its engine gives it no new request."""
        with self._lock:
            self._retired = True
        self._wake()

    @property
    def pid(self) -> int:
        """The first stage's process id (and process group)."""
        return self._processes[0].pid

    @property
    def pids(self) -> list[int]:
        """Every stage's process id, each also its own process group and session."""
        return [process.pid for process in self._processes]

    @property
    def load(self) -> int:
        """Bytes waiting or in flight: how busy this pipeline is, for choosing among several."""
        return self._queued_bytes + self._in_flight_bytes

    def translate(
        self, blocks: Sequence[bytes], should_abort: AbortCheck, on_block: Callable[[int], None] | None = None
    ) -> list[bytes]:
        """Translate blocks, in order. `on_block(n)` is told each time n blocks are done (from the
        caller's thread). Raises Aborted as soon as `should_abort()` says so, EngineCrashed if the
        pipeline died and EngineTimeout if it stopped making progress."""
        if not blocks:
            return []
        request = _Request([block.replace(b"\0", b"") + b"\0" for block in blocks])
        with self._lock:
            if self.dead:
                raise EngineCrashed("the pipeline was already stopped")
            self._queue.append(request)  # its turn comes after one block of each request waiting
            self._queued_bytes += sum(len(block) for block in request.blocks)
        self._wake()
        reported = 0
        with woken_by_aborts(request.changed):
            while not request.finished.is_set():
                request.changed.wait(_ABORT_POLL_SECONDS)
                request.changed.clear()  # what set it is looked at below; a later change sets it again
                if request.finished.is_set():
                    break
                if should_abort():
                    self._abandon(request)
                    raise Aborted()
                if on_block is not None and len(request.results) > reported:
                    reported = len(request.results)
                    on_block(reported)
        if request.error is not None:
            raise request.error
        return request.results

    def _abandon(self, request: _Request) -> None:
        with self._lock:
            request.abandoned = True
            if request in self._queue:
                self._queue.remove(request)
                self._queued_bytes -= sum(len(block) for block in request.blocks[request.written :])

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self._wake_write, b"x")

    def _run_pump(self) -> None:
        selector = selectors.DefaultSelector()
        selector.register(self._stdout, selectors.EVENT_READ)
        selector.register(self._wake_read, selectors.EVENT_READ)
        pending = memoryview(b"")
        received = bytearray()
        last_progress = time.monotonic()
        writing = False
        try:
            while not self.dead:
                if not pending:
                    pending = memoryview(self._next_writes())
                if not pending and self._end_if_retired():
                    return
                if bool(pending) != writing:
                    writing = bool(pending)
                    if writing:
                        selector.register(self._stdin, selectors.EVENT_WRITE)
                    else:
                        selector.unregister(self._stdin)
                for key, _ in selector.select(_STALL_CHECK_SECONDS):
                    if key.fileobj == self._wake_read:
                        with contextlib.suppress(BlockingIOError):
                            os.read(self._wake_read, 4096)
                    elif key.fileobj is self._stdin:
                        try:
                            written = os.write(self._stdin.fileno(), pending[:_CHUNK])
                        except (BlockingIOError, InterruptedError):
                            continue
                        pending = pending[written:]
                        last_progress = time.monotonic()
                    else:
                        chunk = os.read(self._stdout.fileno(), _CHUNK)
                        if not chunk:
                            raise self._crashed()
                        received += chunk
                        if b"\0" in chunk:
                            if self._a_stage_ended():  # its end flushed the stages after it: not results
                                raise self._crashed()
                            *done, rest = bytes(received).split(b"\0")
                            received = bytearray(rest)
                            self._deliver(done)
                        last_progress = time.monotonic()
                with self._lock:
                    busy = bool(self._in_flight)
                if not busy:
                    last_progress = time.monotonic()
                elif time.monotonic() - last_progress > self._stall_seconds:
                    raise EngineTimeout(f"the Apertium pipeline made no progress for {self._stall_seconds:.0f} s")
        except EngineError as exc:
            if not self.dead:  # told before its callers: they see a count that includes their failure
                self._ended("stalled" if isinstance(exc, EngineTimeout) else "crashed")
            self._fail_all(exc)
        except OSError as exc:  # a broken pipe, or the streams closed under us by kill()
            on_its_own = not self.dead
            if on_its_own:
                self._ended("crashed")
            self._fail_all(self._crashed() if on_its_own else EngineCrashed(f"the pipeline was stopped: {exc}"))
        finally:
            selector.close()

    def _ended(self, why: PipelineEnd) -> None:
        if self._on_end is None:
            return
        try:
            self._on_end(why)
        except Exception:
            log.exception("on_end failed", extra={"action": "pipeline"})

    def _next_writes(self) -> bytes:
        """Blocks to write next, as many as the window allows, recorded as in flight: one block of
        each waiting request in turn, so none waits behind all of another's."""
        out: list[bytes] = []
        with self._lock:
            while self._queue and self._in_flight_bytes < self._window:
                request = self._queue.popleft()
                block = request.blocks[request.written]
                request.written += 1
                if request.written < len(request.blocks):
                    self._queue.append(request)  # its next block after one of every other request
                self._queued_bytes -= len(block)
                self._in_flight.append((request, len(block)))
                self._in_flight_bytes += len(block)
                out.append(block)
        return b"".join(out)

    def _a_stage_ended(self) -> bool:
        return any(process.poll() is not None for process in self._processes)

    def _deliver(self, results: list[bytes]) -> None:
        with self._lock:
            for result in results:
                if not self._in_flight:
                    raise EngineCrashed("the pipeline returned more blocks than it was given")
                request, size = self._in_flight.popleft()
                self._in_flight_bytes -= size
                if request.abandoned:
                    continue
                request.results.append(result)
                if len(request.results) == len(request.blocks):
                    request.finished.set()
                request.changed.set()

    def _fail_all(self, error: EngineError) -> None:
        self.kill()
        with self._lock:
            waiting = [request for request, _ in self._in_flight] + list(self._queue)
            self._in_flight.clear()
            self._queue.clear()
            self._in_flight_bytes = self._queued_bytes = 0
        for request in waiting:
            request.error = error
            request.finished.set()
            request.changed.set()

    def _crashed(self) -> EngineCrashed:
        self._stderr.seek(0)
        tail = self._stderr.read()[-500:].decode("utf-8", "replace").strip()
        return EngineCrashed(f"the Apertium pipeline died{': ' + tail if tail else ''}")

    def _end_if_retired(self) -> bool:
        """The pump's check: a retired pipeline with nothing queued or in flight ends now (a request
        that comes after finds it dead: its engine retries it on another)."""
        with self._lock:
            if not self._retired or self._queue or self._in_flight or self.dead:
                return False
            self.dead = True
        self._shut_down()
        return True

    def kill(self) -> None:
        """End every process of the pipeline now; callers still waiting get EngineCrashed."""
        with self._lock:
            if self.dead:
                return
            self.dead = True
        self._shut_down()

    def _shut_down(self) -> None:
        """End the processes and the pump (unless called from it), fail who still waits, and close
        every stream, once `dead` is set."""
        self._end_processes()
        self._wake()
        if threading.current_thread() is not self._pump:
            self._pump.join()
            self._fail_all(EngineCrashed("the pipeline was stopped"))
        for stream in (self._stdin, self._stdout):
            with contextlib.suppress(OSError):
                stream.close()
        for fd in (self._wake_read, self._wake_write):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._stderr.close()

    def _end_processes(self) -> None:
        for process in self._processes:  # every stage's group first, so none outlives another to flush
            processes.kill_group(process)
        for process in self._processes:
            processes.kill(process)

    def close(self) -> None:
        self.kill()
