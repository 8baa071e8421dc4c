"""One kept-alive Apertium pipeline in null-flush mode: blocks go in ended by `\\0` and come out so.

This is how Apertium's own HTTP server avoids paying process start-up per request. The pipeline runs
in its own process group so that cancelling or recycling it ends every stage at once.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence

from dragoman.abort import AbortCheck, Aborted
from dragoman.errors import EngineCrashed, EngineTimeout

__all__ = ["Pipeline"]

_POLL_SECONDS = 0.01
_CHUNK = 65536


class Pipeline:
    def __init__(self, command: Sequence[str], *, stall_seconds: float = 60.0) -> None:
        self._stall_seconds = stall_seconds
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the pipeline
        self._process = subprocess.Popen(
            list(command),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            start_new_session=True,
            bufsize=0,
        )
        assert self._process.stdin is not None and self._process.stdout is not None  # noqa: S101 - Popen contract
        self._stdin = self._process.stdin
        self._stdout = self._process.stdout
        os.set_blocking(self._stdin.fileno(), False)
        self.dead = False

    @property
    def pid(self) -> int:
        return self._process.pid

    def translate(
        self, blocks: Sequence[bytes], should_abort: AbortCheck, on_block: Callable[[int], None] | None = None
    ) -> list[bytes]:
        """Send blocks through the pipeline, all of them in flight at once so every stage stays busy.

        Kills the pipeline (it must then be discarded) when the caller aborts, when it dies, or when it
        makes no progress for `stall_seconds`. `on_block(n)` is told each time n blocks are done."""
        if self.dead:
            raise EngineCrashed("the pipeline was already stopped")
        if not blocks:
            return []
        pending = memoryview(b"".join(block.replace(b"\0", b"") + b"\0" for block in blocks))
        results: list[bytes] = []
        received = bytearray()
        selector = selectors.DefaultSelector()
        selector.register(self._stdout, selectors.EVENT_READ)
        selector.register(self._stdin, selectors.EVENT_WRITE)
        last_progress = time.monotonic()
        try:
            while len(results) < len(blocks):
                if should_abort():
                    self.kill()
                    raise Aborted()
                for key, _ in selector.select(_POLL_SECONDS):
                    if key.fileobj is self._stdin:
                        try:
                            written = os.write(self._stdin.fileno(), pending[:_CHUNK])
                        except (BlockingIOError, InterruptedError):
                            continue
                        except BrokenPipeError as exc:
                            raise self._crashed() from exc
                        pending = pending[written:]
                        if not pending:
                            selector.unregister(self._stdin)
                    else:
                        chunk = os.read(self._stdout.fileno(), _CHUNK)
                        if not chunk:
                            raise self._crashed()
                        received += chunk
                        *done, rest = bytes(received).split(b"\0")
                        if done:
                            results.extend(done)
                            received = bytearray(rest)
                            if on_block is not None:
                                on_block(len(results))
                    last_progress = time.monotonic()
                if time.monotonic() - last_progress > self._stall_seconds:
                    self.kill()
                    raise EngineTimeout(f"the Apertium pipeline made no progress for {self._stall_seconds:.0f} s")
            return results
        finally:
            selector.close()

    def _crashed(self) -> EngineCrashed:
        self._stderr.seek(0)
        tail = self._stderr.read()[-500:].decode("utf-8", "replace").strip()
        self.kill()
        return EngineCrashed(f"the Apertium pipeline died{': ' + tail if tail else ''}")

    def kill(self) -> None:
        """End every process of the pipeline now."""
        self.dead = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGKILL)
        for stream in (self._stdin, self._stdout):
            with contextlib.suppress(OSError):
                stream.close()
        self._process.wait()
        self._stderr.close()

    def close(self) -> None:
        if not self.dead:
            self.kill()
