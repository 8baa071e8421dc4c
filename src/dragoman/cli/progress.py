"""A followed job's progress as people read it: percent of its characters (estimated), characters
per second, time left, documents translated out of all, and the document being translated now.

A task's characters are known once its document is taken apart (a running task records them with
its progress, a finished one when it ends: `estimate_characters`); until then they are estimated from
the source's size, scaled by the characters per byte of the documents of the same kind whose
characters are known, so a .docx or .pptx whose size is mostly pictures weighs what its text
weighs. Every number is kept on narrow terminals: the lines wrap between numbers, never inside one.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

if TYPE_CHECKING:
    from dragoman.domain.jobs import JobView, Task

__all__ = ["JobProgress", "Snapshot", "count", "duration", "estimate_characters"]

_SEPARATOR = " · "
_MAX_BAR = 40


def count(value: float) -> str:
    """A count for people: 950, 1.2k, 34k, 5.6M."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= limit:
            scaled = value / limit
            return f"{scaled:.1f}{suffix}" if scaled < 10 else f"{scaled:.0f}{suffix}"
    return f"{value:.0f}"


def duration(seconds: float) -> str:
    """0:31, 12:05, 1:02:03."""
    whole = int(seconds + 0.5)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the progress lines show at one moment."""

    label: str
    status: str
    total: int
    succeeded: int = 0
    failed: int = 0
    cancelled: int = 0
    fraction: float = 0.0  # of the job's estimated characters, translated or finished
    rate: float | None = None  # estimated characters a second
    seconds_left: float | None = None
    current: Sequence[str] = ()  # documents being translated now
    ended: bool = False

    def numbers(self) -> list[str]:
        parts = [f"{self.succeeded}/{self.total} translated"]
        if self.failed:
            parts.append(f"{self.failed} failed")
        if self.cancelled:
            parts.append(f"{self.cancelled} cancelled")
        if self.rate:
            parts.append(f"{count(self.rate)} chars/s")
        if self.seconds_left is not None and not self.ended:
            parts.append(f"{duration(self.seconds_left)} left")
        if self.status not in ("running", "succeeded", "cancelled"):
            parts.append(self.status.replace("_", " "))
        return parts

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        # Two columns short of the terminal's: the `^C` a terminal echoes at the end of the last
        # line must not wrap it, or the redrawn lines start one line too low and leave a stale bar
        # above them (red team, at 60 columns)
        width = max(options.max_width - 2, 20)
        percent = f"{100 * self.fraction:3.0f}%"
        bar_width = min(_MAX_BAR, width - len(self.label) - len(percent) - 2)
        head = Text(self.label + " ", style="bold")
        if bar_width >= 10:
            filled = int(round(bar_width * self.fraction))
            head.append("━" * filled, style="green" if self.status != "cancelled" else "yellow")
            head.append("━" * (bar_width - filled), style="grey37")
            head.append(" ")
        head.append(percent)
        yield head
        for line in _packed(self.numbers(), width):
            yield Text(line)
        if self.current and not self.ended:
            more = f" (+{len(self.current) - 1} more)" if len(self.current) > 1 else ""
            name = _middle_cropped(self.current[0], width - len("now: ") - len(more))
            yield Text(_cells_from_start(f"now: {name}{more}", width), style="dim", no_wrap=True)


def _packed(parts: list[str], width: int) -> list[str]:
    """Parts joined by ` · ` into lines of at most `width` (a part longer than that has a line)."""
    lines: list[str] = []
    line = ""
    for part in parts:
        candidate = f"{line}{_SEPARATOR}{part}" if line else part
        if line and cell_len(candidate) > width:
            lines.append(line)
            line = part
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines


def _middle_cropped(text: str, width: int) -> str:
    """`text` in at most `width` terminal cells (a CJK character takes two): its start and its end
    with `…` between them when it is too long. Documents of one job often differ only at the start
    of their names (`r1_doc00_…`), or only at the end (`…_part3.txt -> es`): both are kept."""
    if cell_len(text) <= width:
        return text
    if width < 3:
        return _cells_from_start(text, width)
    head = _cells_from_start(text, (width - 1) // 2)
    tail = _cells_from_start(text[::-1], width - 1 - cell_len(head))[::-1]
    return head + "…" + tail


def _cells_from_start(text: str, width: int) -> str:
    """The longest start of `text` that takes at most `width` terminal cells."""
    taken = 0
    for index, character in enumerate(text):
        taken += cell_len(character)
        if taken > width:
            return text[:index]
    return text


def _local_path(url: str) -> str | None:
    parts = urlsplit(url)
    return unquote(parts.path) if parts.scheme == "file" else None


def _kind(task: Task) -> str:
    if task.document_format is not None:
        return task.document_format
    return os.path.splitext(urlsplit(task.source_url).path)[1].lower()


def estimate_characters(tasks: Sequence[Task], sizes: Mapping[str, int | None]) -> dict[str, float]:
    """Each task's characters (by task id): as recorded once its document was taken apart (0 for a
    document delivered unchanged, which bills none), else its source's size in bytes (`sizes`; the
    mean of the known ones where unknown) times the characters per byte of the tasks of the same kind
    (format) whose characters are known, or 1 where none are yet."""
    characters: dict[str, int] = {}
    size_read: dict[str, int] = {}
    for task in tasks:
        size = sizes.get(task.id)
        if task.characters and size:
            kind = _kind(task)
            characters[kind] = characters.get(kind, 0) + task.characters
            size_read[kind] = size_read.get(kind, 0) + size
    known = [size for size in sizes.values() if size is not None]
    typical = sum(known) / len(known) if known else 1.0
    estimates: dict[str, float] = {}
    for task in tasks:
        if task.characters is not None:
            estimates[task.id] = float(task.characters)
            continue
        size = sizes.get(task.id)
        kind = _kind(task)
        ratio = characters[kind] / size_read[kind] if size_read.get(kind) else 1.0
        estimates[task.id] = (size if size is not None else typical) * ratio
    return estimates


@dataclass
class JobProgress:
    """Estimates a job's progress by characters from successive reads of its tasks."""

    label: str
    _sizes: dict[str, int | None] = field(default_factory=dict)
    _names: dict[str, str] = field(default_factory=dict)
    _base: str | None = None
    _began: float | None = None
    _done_before: float = 0.0  # characters already done when this follower began (`jobs wait` of a job under way)
    _best: float = 0.0

    def _learn(self, tasks: Iterable[Task]) -> None:
        new = [task for task in tasks if task.id not in self._sizes]
        if not new:
            return
        for task in new:
            path = _local_path(task.source_url)
            try:
                self._sizes[task.id] = os.stat(path).st_size if path is not None else None
            except OSError:
                self._sizes[task.id] = None
        paths = [_local_path(task.source_url) or task.source_url for task in new]
        if self._base is None:
            try:
                self._base = os.path.dirname(os.path.commonpath(paths)) if len(paths) > 1 else os.path.dirname(paths[0])
            except ValueError:
                self._base = ""
        for task, path in zip(new, paths, strict=True):
            shown = os.path.relpath(path, self._base) if self._base and path.startswith(self._base) else path
            self._names[task.id] = f"{shown} -> {task.target_language}"

    def snapshot(self, view: JobView, tasks: Sequence[Task]) -> Snapshot:
        self._learn(tasks)
        estimates = estimate_characters(tasks, self._sizes)
        total = done = cancelled = 0.0
        current: list[str] = []
        for task in sorted(tasks, key=lambda task: task.seq):
            status = task.status.value
            estimate = estimates[task.id]
            total += estimate
            if status in ("succeeded", "failed"):
                done += estimate
            elif status == "running":
                done += estimate * task.progress
                current.append(self._names.get(task.id, task.source_url))
            elif status == "cancelled":
                cancelled += estimate
        summary = view.summary
        now = time.monotonic()
        if self._began is None and (done or current):
            self._began = now
            self._done_before = done  # what others did before: not this follower's speed
        fraction = min(1.0, done / total) if total else (1.0 if view.is_terminal else 0.0)
        if not view.is_terminal:
            fraction = self._best = max(self._best, fraction)  # estimates shift: never move back
        rate = seconds_left = None
        if self._began is not None and now - self._began >= 1.0 and done > self._done_before:
            rate = (done - self._done_before) / (now - self._began)
            left = max(total - cancelled - done, 0.0)
            if view.status.value in ("running", "queued"):
                seconds_left = left / rate
        return Snapshot(
            label=self.label,
            status=view.status.value,
            total=summary.total,
            succeeded=summary.succeeded,
            failed=summary.failed,
            cancelled=summary.cancelled,
            fraction=fraction,
            rate=rate,
            seconds_left=seconds_left,
            current=current,
            ended=view.is_terminal,
        )
