"""The `dragoman` command: its typer applications, its consoles, how errors end it, and its service.

Nothing heavy is imported here or by the command modules when the command line loads: `dragoman
--help` answers at once and a command's first line appears before the service (SQLAlchemy, the
engines, ...) is loaded by `open_service`.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from dragoman.errors import Conflict, DocumentError, Invalid, NotFound, ServiceError, SourceSystemError

if TYPE_CHECKING:
    from dragoman.service import Dragoman

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_CANCELLED_ELSEWHERE",
    "EXIT_CANCELLED_HERE",
    "EXIT_FAILED",
    "EXIT_REFUSED",
    "EXIT_UNAVAILABLE",
    "EXIT_UNKNOWN_JOB",
    "Output",
    "app",
    "build_commands_once",
    "errors",
    "fail",
    "jobs_app",
    "main",
    "open_service",
    "print_wrapped",
    "reset_consoles",
    "stdout",
]

EXIT_FAILED = 1  # the job ended with failed documents, or failed; an internal or configuration error
EXIT_BAD_INPUT = 2  # arguments, paths, languages
EXIT_UNKNOWN_JOB = 3
EXIT_REFUSED = 4  # refused in the job's current state
EXIT_CANCELLED_ELSEWHERE = 5  # someone else cancelled it: `dragoman jobs cancel`, an API call
EXIT_UNAVAILABLE = 6  # a system Dragoman reads from (a connector's source system) is down or answered an error
EXIT_CANCELLED_HERE = 130  # this process's Ctrl-C cancelled the job (or stopped waiting for it)

_EXIT_CODES: list[tuple[type[ServiceError], int]] = [
    (Invalid, EXIT_BAD_INPUT),
    (DocumentError, EXIT_BAD_INPUT),
    (NotFound, EXIT_UNKNOWN_JOB),
    (SourceSystemError, EXIT_UNAVAILABLE),
    (Conflict, EXIT_REFUSED),
    (ServiceError, EXIT_FAILED),
]

_CONTEXT = {"help_option_names": ["-h", "--help"]}


def _console_options(*, stderr: bool) -> dict[str, Any]:
    """A console on stdout or stderr. Off a terminal (a pipe, a file) nothing is wrapped or cut: a
    script reads whole ids, paths and messages, whatever COLUMNS says. On a terminal, messages are
    printed without `soft_wrap`: rich wraps them at their spaces, where the terminal would cut a
    job id at its last column. Emoji codes are text: a file may be named `:smile:.txt`."""
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else 100_000
    return {"stderr": stderr, "width": width, "highlight": False, "emoji": False}  # `:smile:.txt` is a name


stdout = Console(**_console_options(stderr=False))
errors = Console(**_console_options(stderr=True))


def reset_consoles() -> None:
    """Set the consoles up again for the standard streams and environment there are now (a
    warm-start child, which took over its command's): whether they are terminals, their colours."""
    for console, stderr in ((stdout, False), (errors, True)):
        console.__init__(**_console_options(stderr=stderr))  # type: ignore[misc]  # the same objects: modules hold them


def build_commands_once() -> None:
    """typer builds the click commands from the functions' signatures at every call (about 30 ms for
    these commands). For a warm-start helper, which forks many commands from one process: build
    them once, now, and hand out the same ones (click commands keep no state between calls)."""
    from typer import main as typer_main

    build = typer_main.get_command
    built: dict[int, Any] = {}

    def get_command(instance: typer.Typer) -> Any:
        command = built.get(id(instance))
        if command is None:
            command = built[id(instance)] = build(instance)
        return command

    typer_main.get_command = get_command  # type: ignore[assignment]  # click's Command, from typer's own
    get_command(app)


def fail(exc: ServiceError, hint: str | None = None) -> typer.Exit:
    """Print the error (and a hint on what to do) on stderr; the exit that ends the command. After a
    Ctrl-C interrupted the command, the error is the interruption's (a database call cut short, say):
    nothing is printed, and the exit is 130, as the interruption's (the launcher says `interrupted`)."""
    from dragoman.launcher import interrupted_meanwhile

    if interrupted_meanwhile():
        return typer.Exit(EXIT_CANCELLED_HERE)
    message = exc.message if hint is None else f"{exc.message}\n{hint}"
    errors.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(next(code for kind, code in _EXIT_CODES if isinstance(exc, kind)))


def print_wrapped(console: Console, text: str | Text, *, style: str | None = None, hang: int | None = None) -> None:
    """A line for people, wrapped between its words at the terminal's width, continued with the
    line's own indent (or `hang` spaces: under a label's value). A word longer than a whole line, a
    path or an id, is never cut in two nor moved down: it is left to the terminal's own wrapping,
    which copying from the screen joins again. A no-break space (U+00A0) keeps two words together
    (`530 billed`) and is written as a space. Off a terminal nothing is wrapped (a script reads
    whole lines). `text` is plain text, or rich Text (its styles kept)."""
    plain = text if isinstance(text, str) else text.plain
    if console.is_terminal and len(plain) > console.width:
        starts = _line_starts(plain, console.width, hang)
        indent = " " * hang if hang is not None else plain[: len(plain) - len(plain.lstrip(" "))]
        ends = [*starts[1:], len(plain)]
        if isinstance(text, str):
            pieces = [text[start:end].rstrip() for start, end in zip(starts, ends, strict=True)]
            text = "\n".join([pieces[0], *(indent + piece for piece in pieces[1:])])
        else:
            lines = []
            for number, (start, end) in enumerate(zip(starts, ends, strict=True)):
                piece = text[start:end]
                piece.rstrip()
                lines.append(Text(indent) + piece if number else piece)
            text = Text("\n").join(lines)
    if isinstance(text, str):
        console.print(text.replace("\u00a0", " "), soft_wrap=True, markup=False, style=style)
    else:  # the same characters, no-break spaces written as spaces: every style stays where it was
        spaced = Text(text.plain.replace("\u00a0", " "), style=text.style, end=text.end)
        spaced.spans = list(text.spans)
        console.print(spaced, soft_wrap=True, style=style or "")


def _line_starts(text: str, width: int, hang: int | None) -> list[int]:
    """Where each line of `text` wrapped at `width` begins (see `print_wrapped`)."""
    indent = hang if hang is not None else len(text) - len(text.lstrip(" "))
    starts = [0]
    for word in re.finditer(r"[^ ]+", text):  # split at spaces only: a no-break space joins
        start = starts[-1]
        used = word.start() - start + (indent if len(starts) > 1 else 0)
        fits = used + len(word.group()) <= width or indent + len(word.group()) > width  # or fits no line at all
        if not fits and text[start : word.start()].strip():
            starts.append(word.start())
    return starts


@dataclass(frozen=True, slots=True)
class Output:
    """What a command prints. `json`: one JSON document on stdout and nothing else there (messages go
    to stderr). `quiet`: no progress and no messages, only the final line (and errors, on stderr)."""

    json: bool = False
    quiet: bool = False

    @property
    def messages(self) -> Console | None:
        """Where lines for people go while the command works: None when quiet."""
        if self.quiet:
            return None
        return errors if self.json else stdout

    @property
    def shows_progress(self) -> bool:
        console = self.messages
        return console is not None and (console.is_terminal or not self.json)

    def say(self, text: str) -> None:
        console = self.messages
        if console is not None:
            print_wrapped(console, text)


def open_service(*, with_runner: bool = False, reading: bool = False) -> Dragoman:
    """The service on the configured store and engine (loaded now: this is the slow import).

    `reading`: for a command that changes nothing when no job exists (`jobs list`, `jobs show`,
    `languages`, and any command naming a job): a store that does not exist yet is not created (no
    data folder, no database file); the command reads an empty one, in memory, instead. Raises
    ConfigError as `Dragoman.from_settings` does."""
    from dragoman.config import load_settings
    from dragoman.service import Dragoman
    from dragoman.store.database import EMPTY_DATABASE, database_exists

    settings = load_settings()
    if reading and not database_exists(settings.database):
        settings = settings.model_copy(update={"database_url": EMPTY_DATABASE})
    return Dragoman.from_settings(settings, with_runner=with_runner)


app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    context_settings=_CONTEXT,
    help="Dragoman: batch document translation whose jobs can be cancelled cleanly.",
)
jobs_app = typer.Typer(
    no_args_is_help=True, context_settings=_CONTEXT, help="List, show, follow, retry and cancel jobs."
)
app.add_typer(jobs_app, name="jobs")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        stdout.print(f"dragoman {version('dragoman')}")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: Annotated[
        bool,
        typer.Option("--version", help="Print the version and exit.", callback=_version, is_eager=True),
    ] = False,
) -> None:
    """Dragoman: batch document translation whose jobs can be cancelled cleanly."""
    from dragoman.launcher import take_over

    take_over()  # a Ctrl-C while the arguments were read ends the command here, in one line


def _help_without_python_types() -> None:
    """typer prints each parameter's Python type beside it (`<list[Path]>`, `<bool>`) and the usage
    line's arguments in braces (`{paths}...`). The help shows metavars (`PATH...`, `LANG`) instead,
    and nothing beside a flag. Left as typer has it if its internals change."""
    from typer import core

    option = getattr(core, "TyperOption", None)
    argument = getattr(core, "TyperArgument", None)
    if option is None or argument is None or not hasattr(argument, "_usage_display_name"):
        return

    def option_type(self: Any, ctx: Any) -> str | None:
        if self.is_flag or self.count:
            return None
        return str(self.metavar or self.name.upper())

    def argument_type(self: Any, ctx: Any) -> str | None:
        return None  # its name column already shows its metavar

    def argument_usage(self: Any) -> str:
        name = str(self.metavar or self.name.upper())
        return name if self.required else f"[{name}]"

    option.display_type_rich = option_type
    argument.display_type_rich = argument_type
    argument._usage_display_name = argument_usage


_help_without_python_types()


def main() -> None:
    """Run the command line. A service error no command expected (the state database went away
    while a job was followed, say) ends it with its message and exit code, never a traceback."""
    try:
        app()
    except ServiceError as exc:
        raise SystemExit(fail(exc).exit_code) from None
