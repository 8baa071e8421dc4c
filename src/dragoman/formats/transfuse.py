"""Transfuse (`tf-extract` / `tf-inject`) for structured formats. Structure and inline formatting
survive because Transfuse carries tags through the engine as blanks and keeps the skeleton in its
own state folder, which lives until the document is rebuilt or discarded.

Each converter run is a bounded child (`dragoman.processes`): its own session, killed if Dragoman
dies, limited in CPU time, memory and file size, given `converter_seconds` of wall-clock time and
killed within about 10 ms of an abort. Its input and output are files in the document's work folder
(`dragoman-doc-<pid>-*` under the temporary folder), which is removed on every path: done, failed,
timed out, aborted. Folders left by a Dragoman process that was killed outright are removed by the
next one to convert a document.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import sqlite3
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from dragoman import processes
from dragoman.abort import AbortCheck, never_abort
from dragoman.errors import ConversionLimitExceeded, ConverterCrashed, NoTranslatableText, UndecodableDocument
from dragoman.formats import textless
from dragoman.formats.limits import DEFAULT_LIMITS, DocumentLimits
from dragoman.formats.stream import visible_text

__all__ = ["WORKDIR_PREFIX", "TransfuseSkeleton", "break_blanks", "extract", "inject"]

WORKDIR_PREFIX = "dragoman-doc-"
_BLOCK_PREFIX = "\n[tf-block:"
_TRANSFUSE_TAIL = ".[]"  # Transfuse ends every block with a full stop of its own, removed on injection
_UNCAUGHT = "terminate called after throwing"
# Signals a converter raises itself when it fails on its input (the rest come from outside: a kill).
_CRASHES_ON_INPUT = frozenset({signal.SIGSEGV, signal.SIGBUS, signal.SIGFPE, signal.SIGILL, signal.SIGABRT})
_OUT_OF_MEMORY = ("Memory allocation failed", "bad_alloc", "Cannot allocate memory", "out of memory")
_LIMIT_SIGNALS = {
    signal.SIGXCPU: "took more than its {cpu} CPU seconds",
    signal.SIGXFSZ: "wrote a file larger than {memory} bytes",
}


@dataclass(frozen=True, slots=True)
class TransfuseSkeleton:
    header: str
    workdir: Path
    source_name: str = ""  # the document as the converter read it, in `workdir`

    @property
    def source(self) -> bytes:
        """The document as the converter read it (b"" once discarded)."""
        path = self.workdir / self.source_name
        return path.read_bytes() if self.source_name and path.exists() else b""

    def discard(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)


def extract(
    data: bytes,
    transfuse_format: str,
    extension: str,
    label: str,
    *,
    limits: DocumentLimits = DEFAULT_LIMITS,
    should_abort: AbortCheck = never_abort,
) -> tuple[TransfuseSkeleton, list[str], int]:
    """The blocks to translate, the skeleton and the billable characters.

    Raises NoTranslatableText if the part Transfuse reads has no paragraph at all (only charts,
    pictures: `textless`), UndecodableDocument if Transfuse cannot read the document, ConversionLimitExceeded if it
    runs out of time or memory, ConverterCrashed if it dies otherwise, and Aborted.
    """
    workdir = _new_workdir()
    try:
        source = workdir / f"source{extension}"
        source.write_bytes(data)
        argv = ["tf-extract", "-f", transfuse_format, "-d", str(workdir / "state"), str(source)]
        returncode, output, errors = _convert(argv, workdir, None, label, limits, should_abort)
        if returncode != 0:
            if textless.lacks_paragraphs(data, transfuse_format):  # charts, pictures: refused as if broken
                raise NoTranslatableText(
                    f"the {label} document has no text to translate: its only content is not text "
                    "(charts, pictures, shapes without text), or it has no page or slide at all"
                )
            detail = errors.strip().splitlines()
            reason = detail[-1] if detail else f"exit code {returncode}"
            raise UndecodableDocument(f"the {label} document could not be read: {reason}")
        chunks = output.decode("utf-8", "replace").split("\0")
        header, blocks = chunks[0], [chunk for chunk in chunks[1:] if chunk]
        segments = [block for block in blocks if block.startswith(_BLOCK_PREFIX)]
        skeleton = TransfuseSkeleton(header, workdir, source.name)
        return skeleton, segments, sum(_characters(block) for block in segments)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise


def inject(
    skeleton: TransfuseSkeleton,
    translated: list[str],
    label: str,
    *,
    limits: DocumentLimits = DEFAULT_LIMITS,
    should_abort: AbortCheck = never_abort,
) -> bytes:
    """The translated document, rebuilt from the skeleton. The caller discards the skeleton.

    Raises UndecodableDocument if Transfuse cannot rebuild it, ConversionLimitExceeded,
    ConverterCrashed and Aborted as `extract` does.
    """
    stream = skeleton.workdir / "translated.stream"
    stream.write_bytes(("\0".join([skeleton.header, *translated]) + "\0").encode("utf-8"))
    returncode, output, errors = _convert(["tf-inject"], skeleton.workdir, stream, label, limits, should_abort)
    if returncode != 0:
        reason = errors.strip()[-300:] or f"exit code {returncode}"
        raise UndecodableDocument(f"the translated {label} document could not be rebuilt: {reason}")
    return output


def _convert(
    argv: list[str],
    workdir: Path,
    stdin: Path | None,
    label: str,
    limits: DocumentLimits,
    should_abort: AbortCheck,
) -> tuple[int, bytes, str]:
    """Run one converter to its end: (exit status, standard output, standard error). Raises for
    every end that is not the converter's own exit."""
    name = argv[0]
    out_path, err_path = workdir / f"{name}.out", workdir / f"{name}.err"
    bounds = processes.Bounds(
        cpu_seconds=limits.converter_seconds,
        memory_bytes=limits.converter_memory_bytes,
        file_bytes=limits.converter_memory_bytes,
    )
    with (
        open(stdin or os.devnull, "rb") as source,
        out_path.open("wb") as out,
        err_path.open("wb") as err,
    ):
        try:
            process = processes.start(argv, bounds=bounds, stdin=source, stdout=out, stderr=err, cwd=workdir)
        except OSError as exc:
            raise ConverterCrashed(f"{name} could not be started (Debian package 'transfuse'): {exc}") from exc
        ended = processes.wait(process, seconds=limits.converter_seconds, should_abort=should_abort)
    errors = err_path.read_bytes()[-4000:].decode("utf-8", "replace")
    what = f"converting the {label} document"
    if ended.timed_out:
        raise ConversionLimitExceeded(
            f"{what} took more than {limits.converter_seconds:g} s (setting converter_seconds)"
        )
    if ended.signal in _LIMIT_SIGNALS:
        reason = _LIMIT_SIGNALS[ended.signal].format(cpu=limits.converter_seconds, memory=limits.converter_memory_bytes)
        raise ConversionLimitExceeded(f"{what}: {name} {reason}")
    if ended.returncode != 0 and any(marker in errors for marker in _OUT_OF_MEMORY):
        raise ConversionLimitExceeded(
            f"{what}: {name} needed more than {limits.converter_memory_bytes} bytes of memory "
            f"(setting converter_memory_bytes)"
        )
    refused = ended.signal is signal.SIGABRT and _UNCAUGHT in errors  # how Transfuse rejects a document
    if ended.signal in _CRASHES_ON_INPUT and not refused:
        # The converter's own bug (Transfuse 0.5.8 segfaults on some ordinary .docx files, e.g. a run
        # holding a tab between two texts, which wordruns.py rewrites first): a fault of the service,
        # with its own code, never a statement about the user's file (issue 13 §3).
        raise ConverterCrashed(
            f"{name} crashed ({ended.signal.name}) while {what}: a fault in Dragoman's converter, not in "
            "the document; please report it with the document"
        )
    if ended.signal is not None and not refused:
        detail = errors.strip().splitlines()
        raise ConverterCrashed(
            f"{name} was killed by {ended.signal.name} while {what}" + (f": {detail[-1]}" if detail else "")
        )
    return ended.returncode, out_path.read_bytes(), errors.replace("what():", "").strip()


# The elements a paragraph breaks a line or jumps to a tab stop with, as Transfuse stores a placeholder's markup
_BREAK_MARKUP = re.compile(r"^\s*<(?:br|w:br|w:cr|w:tab|a:br|text:line-break|text:tab)\b[^>]*/?>\s*$")


def break_blanks(skeleton: TransfuseSkeleton) -> frozenset[str]:
    """The superblanks of this document's stream (`[tf:P:<hash>]`) that stand for a line break or
    a tab (an HTML `<br>`, for instance): where a paragraph's lines or cells part (breaks.py). Read
    from the converter's own record of each placeholder's markup (its state's `styles` table); empty
    when that cannot be read."""
    database = skeleton.workdir / "state" / "state.sqlite3"
    if not database.exists():
        return frozenset()
    try:
        with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
            rows = connection.execute("SELECT hash, otag FROM styles WHERE tag = 'P'").fetchall()
    except sqlite3.Error:
        return frozenset()
    return frozenset(f"[tf:P:{digest}]" for digest, markup in rows if _BREAK_MARKUP.match(markup or ""))


def _characters(block: str) -> int:
    """Billable characters of one block: what a reader sees, without Transfuse's own full stop."""
    text = visible_text(block).strip()
    if block.rstrip().endswith(_TRANSFUSE_TAIL) and text.endswith("."):
        return len(text) - 1
    return len(text)


# --- work folders -----------------------------------------------------------------------------

_swept = threading.Event()
_STALE = re.compile(rf"^{re.escape(WORKDIR_PREFIX)}(\d+)-")


def _new_workdir() -> Path:
    """A fresh work folder named after this process, so that another can tell when it is stale."""
    if not _swept.is_set():
        _swept.set()
        sweep_stale_workdirs()
    return Path(tempfile.mkdtemp(prefix=f"{WORKDIR_PREFIX}{os.getpid()}-"))


def sweep_stale_workdirs(folder: Path | None = None) -> int:
    """Remove work folders left by Dragoman processes that no longer run (killed outright, so their
    own clean-up never ran). Returns how many were removed."""
    removed = 0
    base = folder or Path(tempfile.gettempdir())
    with contextlib.suppress(OSError):
        for entry in base.iterdir():
            match = _STALE.match(entry.name)
            if match and int(match[1]) != os.getpid() and not processes.pid_alive(int(match[1])) and entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
                removed += 1
    return removed
