"""The `dragoman` command's entry point. It loads nothing before it has taken Ctrl-C over: loading
the command line (typer, rich, SQLAlchemy, ...) takes a noticeable moment, and a Ctrl-C in it must
end the command with one line and exit 130, never a traceback, and create nothing."""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # built in, unlike `signal`, whose enums take a moment to load under a busy machine
import sys

TYPE_CHECKING = False  # typing itself is not loaded: this module runs before anything else
if TYPE_CHECKING:
    from types import FrameType
    from typing import Any, TextIO

__all__ = ["interrupted", "interrupted_meanwhile", "main", "note_press", "output_reader_gone", "run", "take_over"]

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a command ended by Ctrl-C

_pressed = False  # Ctrl-C came before the command took it over
_taken = False  # the command took Ctrl-C over (`take_over`)
_interrupted = False  # a Ctrl-C interrupted the command (`_interrupt`)
_told = False  # the line that says so is written
_ignoring = False  # Ctrl-C was ignored when the command started, and stays so


def note_press(signum: int, frame: FrameType | None) -> None:
    """The Ctrl-C handler until the command takes Ctrl-C over: the press is noted (`take_over`
    then ends the command in one line), never raised in the middle of loading."""
    global _pressed
    _pressed = True


def main() -> None:
    """Load the command line with Ctrl-C noted, not raised, and run it: a press held while Python
    started (the `dragoman` script holds Ctrl-C until here) is noted too. The note stands while typer
    reads the arguments, until the command takes Ctrl-C over (`take_over`): `translate` installs
    its own handling; any other command is interrupted (`_interrupt`). Whatever ended the command, a
    Ctrl-C from then on is ignored: the exit code already says how it ended, and Python's own
    handling, back while it shuts down, would end the process by SIGINT instead.

    With warm start (`dragoman.warm`), the command runs in a child of the helper, which has loaded
    all this already; this process passes signals on to it and ends as it ends. Without a helper it
    runs here, and starts one for the commands to come."""
    _prepare()
    warm = _run_warm()
    if warm is not None:
        _end_as(warm)
    try:
        _run_here()
    finally:
        if warm is None and _start_helper:
            from dragoman.warm.client import start_helper

            start_helper()


def run() -> None:
    """Run the command in this process, as `main` does without warm start (in a helper's child,
    which has taken over the command's streams, folder, environment and signals)."""
    _prepare()
    _run_here()


_start_helper = False


def _run_warm() -> int | str | None:
    """The warm start's outcome (`dragoman.warm.client.run`), or None: run here."""
    global _start_helper
    arguments = sys.argv[1:]
    from dragoman.warm import setting_problem

    problem = setting_problem()
    if problem is not None:  # as every other setting: named, and nothing runs
        sys.stderr.write(f"error: invalid configuration: {problem}\n")
        raise SystemExit(1)
    try:
        from dragoman.warm import enabled

        if not enabled(arguments):
            return None
        from dragoman.warm import client

        outcome = client.run(lambda: _pressed)
    except KeyboardInterrupt:  # a press that landed before the note was in place
        from dragoman.warm.client import INTERRUPTED

        return INTERRUPTED
    except Exception:  # noqa: BLE001  # warm start only saves time: anything wrong, and the command runs here
        return None
    _start_helper = client.outcome.start_helper
    return outcome


def _end_as(outcome: int | str) -> None:
    """End as the command's child ended: its exit code, or the signal that ended it."""
    from dragoman.warm.client import INTERRUPTED

    _ignore_ctrl_c()
    if outcome == INTERRUPTED:
        interrupted()
    code = int(outcome)
    if code < 0:  # killed by a signal: so is this process, as the shell expects
        import os

        sys.stdout.flush()
        sys.stderr.flush()
        try:  # SIGKILL and SIGSTOP take no handler and cannot be blocked: they are sent as they are
            _signal.signal(-code, _signal.SIG_DFL)
            _signal.pthread_sigmask(_signal.SIG_UNBLOCK, [-code])
        except (OSError, ValueError):
            pass
        os.kill(os.getpid(), -code)
        code = 128 - code
    raise SystemExit(code)


def _prepare() -> None:
    global _ignoring
    _ignoring = _signal.getsignal(_signal.SIGINT) == _signal.SIG_IGN  # `cmd &` in a script: left so
    if not _ignoring:
        _signal.signal(_signal.SIGINT, note_press)
    # The `dragoman` script starts Python with Ctrl-C held (scripts/dragoman): a press while Python
    # started is pending and is noted here, not lost.
    _signal.pthread_sigmask(_signal.SIG_UNBLOCK, [_signal.SIGINT])
    _fill_closed_streams()
    sys.stdout, sys.stderr = _UntilTheReaderGoes(sys.stdout), _UntilTheReaderGoes(sys.stderr)


def _run_here() -> None:
    try:
        from dragoman import cli

        if _pressed:
            interrupted()
        cli.main()
        if _pressed and not _taken:  # pressed while --help or --version answered: they said all
            interrupted()
    except KeyboardInterrupt:  # a press that landed before the note was in place
        interrupted()
    except SystemExit:
        if _pressed and not _taken and not _told:
            interrupted()
        if _interrupted:
            _ignore_ctrl_c()
            sys.stderr.write("interrupted\n")
        raise
    finally:
        _ignore_ctrl_c()


def _fill_closed_streams() -> None:
    """A standard stream the command was started without (`dragoman languages >&-`) is opened on
    /dev/null: Python leaves it None, which the command line cannot print to, and the first file the
    command opened would otherwise take its number, so that what is printed went into that file (the
    state database, a translation)."""
    import os

    for number, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        try:
            os.fstat(number)
        except OSError:
            opened = os.open(os.devnull, os.O_RDONLY if number == 0 else os.O_WRONLY)
            if opened != number:  # the lowest free number is taken: it is this one, unless a lower one is free too
                os.dup2(opened, number)
                os.close(opened)
            if getattr(sys, name) is None:
                setattr(sys, name, open(number, "r" if number == 0 else "w", closefd=False))  # noqa: SIM115


class _UntilTheReaderGoes:
    """A standard stream, except that once nobody reads it (a pipe closed: `| head -1`, or a `| cat`
    ended by the same Ctrl-C; a terminal gone without a hang-up; a full disk), what is written goes to
    /dev/null instead of raising BrokenPipeError or another OSError (EIO, ENOSPC).
    The command goes on: a job it runs is followed to its end, a Ctrl-C's cancel is sent whole, and
    it exits with the code that says how the job ended (it ended with exit 1 before, leaving a job it
    had created queued with no one to run it)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.gone = False  # its reader went away (`output_reader_gone`)

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError:
            self._reader_gone()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError:
            self._reader_gone()

    def _reader_gone(self) -> None:
        import os

        self.gone = True
        nowhere = os.open(os.devnull, os.O_WRONLY)
        os.dup2(nowhere, self._stream.fileno())  # what is still buffered is written there too
        os.close(nowhere)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def output_reader_gone() -> bool:
    """Whether what the command writes on its standard output no longer reaches anyone (its pipe's
    reader ended: a `| tee` ended by the same Ctrl-C). The command may then say its outcome on
    stderr, which a terminal still shows."""
    return bool(getattr(sys.stdout, "gone", False))


def interrupted() -> None:
    """End the command after a Ctrl-C that came before anything was done: one line, exit 130."""
    global _told
    _ignore_ctrl_c()  # a second press while the line is written changes nothing
    if not _told:
        _told = True
        sys.stderr.write("interrupted before anything was done\n")
    raise SystemExit(EXIT_INTERRUPTED)


def take_over() -> None:
    """Called by the command line once it has read its arguments, before a command runs: end now
    if Ctrl-C was pressed meanwhile, else a Ctrl-C interrupts the command (KeyboardInterrupt, which
    the command line turns into exit 130, and the launcher into one line). A command may install
    its own handling instead (`translate` cancels its job)."""
    global _taken
    if _pressed:
        interrupted()
    _taken = True
    if not _ignoring:
        _signal.signal(_signal.SIGINT, _interrupt)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    global _interrupted
    _interrupted = True
    _ignore_ctrl_c()  # the command unwinds once, whatever its clean-up does
    sys.unraisablehook = _raise_again
    raise KeyboardInterrupt


def _raise_again(unraisable: Any) -> None:
    """A Ctrl-C that landed where Python cannot raise it (a callback run while an object was freed,
    such as the import system's): Python would print "Exception ignored" and a traceback, and the
    command would go on as if no key had been pressed. It is raised again a moment later (SIGALRM in
    5 ms: by then the command is back in code that can raise it; if not, this happens again)."""
    if not isinstance(unraisable.exc_value, KeyboardInterrupt):
        sys.__unraisablehook__(unraisable)
        return
    _signal.signal(_signal.SIGALRM, _interrupt_again)
    _signal.setitimer(_signal.ITIMER_REAL, 0.005)


def _interrupt_again(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def interrupted_meanwhile() -> bool:
    """Whether a Ctrl-C interrupted the command (`take_over`): an error it ends with now is the
    interruption's doing (a database call cut short), and is not the command's to report."""
    return _interrupted


def _ignore_ctrl_c() -> None:
    _signal.signal(_signal.SIGINT, _signal.SIG_IGN)
