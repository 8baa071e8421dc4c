"""The `dragoman` command's entry point. It loads nothing before it has taken Ctrl-C over: loading
the command line (typer, rich, SQLAlchemy, ...) takes a noticeable moment, and a Ctrl-C in it must
end the command with one line and exit 130, never a traceback, and create nothing."""

from __future__ import annotations

import signal
import sys
from types import FrameType

__all__ = ["main"]

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a command ended by Ctrl-C

_pressed = False


def _note_press(signum: int, frame: FrameType | None) -> None:
    global _pressed
    _pressed = True


def main() -> None:
    """Load the command line with Ctrl-C noted, not raised; then run it (it installs its own handling)."""
    previous = signal.signal(signal.SIGINT, _note_press)
    from dragoman import cli

    if _pressed:
        sys.stderr.write("interrupted before anything was done\n")
        raise SystemExit(EXIT_INTERRUPTED)
    signal.signal(signal.SIGINT, previous)
    cli.main()
