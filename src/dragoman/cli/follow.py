"""Following a job to its end (translate, jobs retry, jobs wait): Ctrl-C, progress, the summary and
the exit code a script reads."""

from __future__ import annotations

import os
import signal
import stat
import time
from collections.abc import Callable, Sequence
from types import FrameType
from typing import TYPE_CHECKING

import typer
from rich.live import Live
from rich.text import Text

from dragoman.cli.app import (
    EXIT_CANCELLED_ELSEWHERE,
    EXIT_CANCELLED_HERE,
    EXIT_FAILED,
    Output,
    errors,
    print_wrapped,
    stdout,
)
from dragoman.cli.output import job_json, location, print_json, skipped_json, task_json
from dragoman.cli.progress import JobProgress
from dragoman.errors import ServiceError, StoreError

if TYPE_CHECKING:
    from rich.console import Console

    from dragoman.domain.jobs import JobView, Task
    from dragoman.domain.specs import TaskSpec
    from dragoman.service import Dragoman

__all__ = ["CtrlC", "follow_to_the_end", "job_exit_code", "print_outcome"]

_POLL_SECONDS = 0.1
_QUIET_POLL_SECONDS = 1.0  # how often a job is read while only its end matters (`_wait_for_news`)
_OUTAGE_POLL_SECONDS = 1.0  # how often a state database that does not answer is asked again
_SKIPPED_LISTED = 20


def job_exit_code(view: JobView, *, cancelled_here: bool) -> int:
    """How a followed job's end reads to a script: 0 only when every document succeeded, so that
    `dragoman translate ... && publish` never publishes a partial set. A cancel that lost the race (the
    job succeeded first) is 0; a cancelled job is 130 when this process's Ctrl-C asked for it, 5 when
    the cancel came from elsewhere; a job with failed documents (or that failed) is 1."""
    status = view.status.value
    if status == "succeeded":
        return 0
    if status == "cancelled":
        return EXIT_CANCELLED_HERE if cancelled_here else EXIT_CANCELLED_ELSEWHERE
    return EXIT_FAILED


class CtrlC:
    """Counts Ctrl-C presses while a job is followed.

    `cancels`: the first press asks for the job's cancel, which the follow loop then sends whole: a
    quick second press must not cut that request short, or the user could not tell whether it was
    recorded. Once the cancel is recorded, a further press interrupts at once (stop waiting). Without
    `cancels` (`jobs wait`), a press only stops waiting.
    """

    def __init__(self, *, cancels: bool = True) -> None:
        self.cancels = cancels
        self.presses = 0
        self.cancel_recorded = False
        self.cancel_unsent = False  # asked for, but the state database did not answer
        # The job ended, or waiting for it stopped: a press has nothing left to interrupt. Raised
        # while the service closes (its runner stopping, its database connections closing), it
        # would cut that short and print the traceback SQLAlchemy's pool logs for it.
        self.settled = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.presses += 1
        if self.cancel_recorded and not self.settled:
            raise KeyboardInterrupt

    def install(self) -> None:
        """Ctrl-C, and also SIGTERM and a closed terminal (SIGHUP): a job this command runs is not
        left behind half-run with its documents claimed (issue 11 red team: a closed tmux session
        left a job "running" for good); each asks for the cancel the same way. A signal ignored when
        the command started stays ignored: `nohup dragoman translate ...` outlives its terminal, and a
        command a script started in the background is not cancelled by a Ctrl-C meant for the script."""
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(signum) != signal.SIG_IGN:
                signal.signal(signum, self)


def follow_to_the_end(
    service: Dragoman,
    view: JobView,
    ctrl_c: CtrlC,
    output: Output,
    skipped: Sequence[TaskSpec] = (),
) -> None:
    """Run the service's runner, follow the job until it ends, print how it ended, and exit with the
    code that says so. A second Ctrl-C (or the first, for `jobs wait`) stops waiting: exit 130."""
    job_id = view.job.id
    service.run_only(job_id)  # this job's documents, never another job's of the store
    try:
        with service:  # leaving stops the embedded runner at its tasks' safe points
            try:
                view = _follow(service, view, ctrl_c, output)
            finally:
                ctrl_c.settled = True
        print_outcome(service, service.get(job_id), output, skipped)
    except KeyboardInterrupt:  # stop waiting, without a traceback
        if ctrl_c.cancel_recorded:
            told = "an accepted cancel is honoured even if the process ends now"
        elif ctrl_c.cancel_unsent:
            told = (
                "its cancel could not be recorded (the state database did not answer), so it goes on wherever a"
                f" runner takes it up; `dragoman jobs cancel {job_id}` cancels it"
            )
        elif ctrl_c.cancels:
            told = "it was being cancelled from elsewhere already, and that cancel stands"
        else:
            told = "it was not cancelled: it goes on wherever a runner takes it up (`dragoman serve`, `jobs wait`)"
        message = f"stopped waiting for job {job_id}; {told}. `dragoman jobs show {job_id}` tells how it ended."
        print_wrapped(errors if output.json or output.quiet else stdout, message)
        raise typer.Exit(EXIT_CANCELLED_HERE) from None
    code = job_exit_code(service.get(job_id), cancelled_here=ctrl_c.cancel_recorded)
    # The outcome is told: a Ctrl-C from now on has nothing to stop. Ignored, not defaulted: Python
    # resets its own handlers to the default while it shuts down, and a press then would end the
    # process by SIGINT, which a shell reads as 130 after a job that succeeded.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise typer.Exit(code)


def _follow(service: Dragoman, view: JobView, ctrl_c: CtrlC, output: Output) -> JobView:
    """Show progress until the job ends; the first Ctrl-C cancels it, a second one stops waiting.
    On a terminal the progress lines are redrawn; elsewhere (a pipe, a file) they are printed once,
    as the job ended. With the output redirected to a file and stderr still a terminal (`... >
    log.txt`), the progress is redrawn there meanwhile and cleared at the end, as curl and wget show
    theirs; not when the output goes into a pipe (`| tee log.txt`), whose reader may be writing onto
    the same terminal."""
    job_id = view.job.id
    progress = JobProgress(job_id[:8])
    console = output.messages
    shows = console is not None and output.shows_progress
    live = None
    screen = None if console is None or not shows else console if console.is_terminal else errors
    if screen is not None and screen.is_terminal and (screen is console or _into_a_file(console)):
        live = Live(
            console=screen,
            auto_refresh=False,
            transient=screen is not console,  # the output keeps the lines; the terminal is left clean
            redirect_stdout=False,
            redirect_stderr=False,
        )
        live.start()

    def say(text: str) -> None:
        """A message while the job is followed: into the output, and onto the terminal too when the
        output is a file and the terminal shows the progress (a Ctrl-C's "cancelling" is seen)."""
        output.say(text)
        if live is not None and screen is not console:
            print_wrapped(live.console, text)

    read_at = 0.0
    outage = False
    try:
        while True:
            try:
                view = service.get(job_id)
                now = time.monotonic()
                if shows and (now >= read_at or view.is_terminal):
                    # every task, for the estimate: as often as that takes a tenth of the time at most
                    snapshot = progress.snapshot(view, service.tasks(job_id))
                    read_at = now + max(_POLL_SECONDS, 10 * (time.monotonic() - now))
                    if live is not None:
                        live.update(snapshot, refresh=True)
                    if console is not None and view.is_terminal and screen is not console:
                        if live is not None:  # cleared before the outcome is written
                            live.stop()
                            live = None
                        console.print(snapshot)
            except StoreError as exc:  # an outage (a restarting PostgreSQL): wait it out, Ctrl-C still works
                if not exc.unreachable:
                    raise
                if not outage:
                    say("the state database does not answer; waiting for it (Ctrl-C twice stops waiting)")
                outage = True
                if ctrl_c.presses and ctrl_c.cancels and not ctrl_c.cancel_recorded and not ctrl_c.cancel_unsent:
                    say("the cancel is sent as soon as the state database answers")
                    ctrl_c.cancel_unsent = True
                if ctrl_c.presses > 1 or (ctrl_c.presses and not ctrl_c.cancels):
                    raise KeyboardInterrupt from None
                time.sleep(_OUTAGE_POLL_SECONDS)
                continue
            if outage:
                say("the state database answers again")
                outage = False
            if view.is_terminal:
                return view
            if ctrl_c.presses and not ctrl_c.cancel_recorded:
                if not ctrl_c.cancels or view.job.cancel_requested:
                    raise KeyboardInterrupt  # `jobs wait`, or someone else cancelled it already: stop waiting
                try:
                    view = service.cancel(job_id)
                    say("cancelling: finished documents are kept, the rest stop now")
                except StoreError as exc:
                    if not exc.unreachable:
                        raise
                    if not ctrl_c.cancel_unsent:
                        say("the cancel is sent as soon as the state database answers")
                    ctrl_c.cancel_unsent = True
                    if ctrl_c.presses > 1:
                        raise KeyboardInterrupt from None
                    time.sleep(_OUTAGE_POLL_SECONDS)
                    continue
                except ServiceError as exc:
                    say(f"cancel refused: {exc.message}")
                ctrl_c.cancel_recorded = True
                if ctrl_c.presses > 1:
                    raise KeyboardInterrupt
                continue
            _wait_for_news(service, every_outcome=shows, pressed=lambda: ctrl_c.presses > 0)
    finally:
        if live is not None:
            live.stop()


def _into_a_file(console: Console | None) -> bool:
    """Whether the console writes into a file or a device that is not a terminal (`> log.txt`,
    `> /dev/null`), not into a pipe or socket, whose reader may show it on the terminal."""
    try:
        mode = os.fstat(console.file.fileno()).st_mode if console is not None else 0
    except (AttributeError, OSError, ValueError):  # not a real file (a test's buffer)
        return False
    return stat.S_ISREG(mode) or stat.S_ISCHR(mode)


def _wait_for_news(service: Dragoman, *, every_outcome: bool, pressed: Callable[[], bool]) -> None:
    """Until the job may have changed in a way the loop shows: woken as soon as a task's outcome is
    recorded. When no progress is shown (`--quiet`, `--json`, a pipe), only the job's end matters:
    while the embedded runner still runs tasks, the wait goes on for up to _QUIET_POLL_SECONDS (a job
    run by another process, or cancelled from elsewhere, is seen then), so a job of many documents is
    not read again after each one, nor ten times a second. A Ctrl-C (`pressed()`) is seen within
    _POLL_SECONDS either way."""
    deadline = time.monotonic() + (_POLL_SECONDS if every_outcome else _QUIET_POLL_SECONDS)
    while (left := deadline - time.monotonic()) > 0:
        service.wait_for_progress(min(left, _POLL_SECONDS))
        if every_outcome or not service.running_here or pressed():
            return


def print_outcome(service: Dragoman, view: JobView, output: Output, skipped: Sequence[TaskSpec] = ()) -> None:
    """How the job ended: `--json`, the final line (`--quiet`), or the summary."""
    job_id = view.job.id
    if output.json:
        print_json(
            {
                "job": job_json(view),
                "tasks": [task_json(task) for task in service.tasks(job_id)],
                "skipped": [skipped_json(task) for task in skipped],
            }
        )
        return
    summary = view.summary
    line = f"job {job_id}: {view.status.value} · {summary.succeeded}/{summary.total} translated"
    for count, what in ((summary.failed, "failed"), (summary.cancelled, "cancelled"), (len(skipped), "skipped")):
        line += f" · {count}\u00a0{what}" if count else ""
    line += f" · {summary.characters_charged}\u00a0characters billed"
    if output.quiet:
        for task in _unsucceeded(service, view):
            if task.error is not None:
                print_wrapped(errors, _failure_line(task))
        print_wrapped(stdout, line)
    else:
        print_summary(service, view, skipped)
    from dragoman.launcher import output_reader_gone

    if not errors.is_terminal or output.quiet:
        return
    if output_reader_gone():  # `| tee` ended by the same Ctrl-C: told where it is seen
        print_wrapped(errors, f"\n{line} (the output's reader had ended: `dragoman jobs show {job_id}` tells more)")
    elif not stdout.is_terminal and _into_a_file(stdout):  # `> log.txt`: the terminal showed the progress
        print_wrapped(errors, f"{line} (written in full to the output)")


def _unsucceeded(service: Dragoman, view: JobView) -> list[Task]:
    """The ended job's tasks that did not succeed (the only ones with an error to tell): none read
    when every one succeeded, so a job of many documents ends without reading them all again."""
    summary = view.summary
    if not summary.failed and not summary.cancelled:
        return []
    from dragoman.domain.states import TaskStatus
    from dragoman.store.jobs import TaskQuery

    return service.tasks(view.job.id, query=TaskQuery(statuses=(TaskStatus.FAILED, TaskStatus.CANCELLED)))


def _failure_line(task: Task) -> str:
    error = task.error
    reason = f"{error.code}: {error.message}" if error is not None else ""
    return f"failed {location(task.source_url)} -> {task.target_language}: {reason}"


def print_summary(service: Dragoman, view: JobView, skipped: Sequence[TaskSpec] = ()) -> None:
    """Which documents were kept, which failed, which were cancelled (with the commands that list
    them and finish the job), and what was billed. The job id is printed whole, on a line of its own."""
    job_id = view.job.id
    summary = view.summary
    status = view.status.value
    outcome = view.cancel_outcome
    print_wrapped(stdout, f"job {job_id}", style="bold")
    rows = [
        ("status", f"{status} (cancel {outcome.value.replace('_', ' ')})" if outcome else status, ""),
        ("succeeded", summary.succeeded, "written and kept"),
        ("failed", summary.failed, "not written, not billed" if summary.failed else ""),
        ("cancelled", summary.cancelled, "not written, not billed" if summary.cancelled else ""),
    ]
    if skipped:
        rows.append(("skipped", len(skipped), "their translation already existed"))
    rows.append(("characters billed", summary.characters_charged, ""))
    if view.job.failure is not None:
        rows.append(("reason", f"{view.job.failure.code}: {view.job.failure.message}", ""))
    for name, value, note in rows:
        print_wrapped(stdout, f"  {name:<18} {value!s:<6} {note}".rstrip(), hang=21)  # under the value
    for task in service.tasks(job_id):
        if task.error is not None:
            print_wrapped(stdout, Text.assemble(("failed", "red"), _failure_line(task).removeprefix("failed")))
        for warning in task.warnings:  # translated, but not all of it
            said = f" {location(task.source_url)}: {warning.message}"
            print_wrapped(stdout, Text.assemble(("warning", "yellow"), said))
    if summary.cancelled or summary.failed:
        if summary.succeeded:  # a hint listing nothing is no hint (red team)
            print_wrapped(stdout, f"kept:     dragoman jobs show {job_id} --status succeeded")
        if summary.cancelled:
            print_wrapped(stdout, f"stopped:  dragoman jobs show {job_id} --status cancelled")
        print_wrapped(stdout, f"the rest: dragoman jobs retry {job_id}")


def print_skipped(output: Output, skipped: Sequence[TaskSpec]) -> None:
    """The document translations left out by --skip-existing: on a terminal the first few and how
    many; elsewhere (a pipe, a file) every one, as nothing is cut off a terminal."""
    console = output.messages
    if not skipped or console is None:
        return
    listed = skipped[:_SKIPPED_LISTED] if console.is_terminal else skipped
    output.say(f"skipping {len(skipped)} document translation(s) whose target already exists:")
    for task in listed:
        output.say(f"  skipped {location(task.target_url)}")
    if len(skipped) > len(listed):
        output.say(f"  ... and {len(skipped) - len(listed)} more (--json lists every one)")
