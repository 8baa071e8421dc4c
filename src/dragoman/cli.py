"""`dragoman`: translate documents, follow and cancel jobs, run the service."""

from __future__ import annotations

import json
import logging
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dragoman.config import Settings, load_settings
from dragoman.domain.jobs import JobView
from dragoman.errors import Conflict, DocumentError, Invalid, NotFound, ServiceError
from dragoman.planning import plan_local_job
from dragoman.service import Dragoman

__all__ = ["app", "main"]

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Dragoman: batch document translation.")
jobs_app = typer.Typer(no_args_is_help=True, help="Follow and cancel jobs.")
app.add_typer(jobs_app, name="jobs")
console = Console()
errors = Console(stderr=True)

# Exit codes: 2 bad input, 3 unknown job, 4 refused in the job's current state, 1 anything else.
_EXIT_CODES: list[tuple[type[ServiceError], int]] = [
    (Invalid, 2),
    (DocumentError, 2),
    (NotFound, 3),
    (Conflict, 4),
    (ServiceError, 1),
]


def _fail(exc: ServiceError) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {exc.message}", highlight=False)
    return typer.Exit(next(code for kind, code in _EXIT_CODES if isinstance(exc, kind)))


def _service(*, with_runner: bool = False) -> Dragoman:
    return Dragoman.from_settings(load_settings(), with_runner=with_runner)


@app.command()
def translate(
    paths: Annotated[list[Path], typer.Argument(help="Documents or folders of documents.")],
    to: Annotated[list[str], typer.Option("--to", "-t", help="Target language; repeat for several.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for translations: OUT/<lang>/<document>.")],
    source: Annotated[
        str, typer.Option("--from", "-f", help="Source language, or auto to detect each document's.")
    ] = "en",
    wait: Annotated[bool, typer.Option(help="Run the job here and follow it; --no-wait only submits it.")] = True,
) -> None:
    """Translate documents. Ctrl-C cancels the job: finished documents are kept, the rest stop."""
    # Ctrl-C is counted from here on, so that a press while the job is being created or the runner
    # started is not lost: it cancels the job as soon as the job exists (a press before that creates
    # no job at all).
    # The handler stays until the process ends: a press after the job ended (while the summary is
    # printed) changes nothing, and the exit code still says how the job ended.
    ctrl_c = _CtrlC()
    if wait:
        signal.signal(signal.SIGINT, ctrl_c)
    try:
        service = _service(with_runner=wait)
        spec = plan_local_job(service.local, paths, out, to, source)
        if ctrl_c.presses:
            service.close()
            console.print("stopped before a job was created")
            raise typer.Exit(130)
        view = service.submit(spec)
    except ServiceError as exc:
        raise _fail(exc) from None
    console.print(f"job [bold]{view.job.id}[/]: {view.summary.total} document translation(s)", highlight=False)
    if not wait:
        service.close()
        return
    try:
        with service:  # leaving stops the embedded runner at its tasks' safe points
            view = _show_progress(service, view, ctrl_c)
        _print_summary(service, service.get(view.job.id))
    except KeyboardInterrupt:  # a second Ctrl-C: stop waiting, without a traceback
        console.print(
            f"stopped waiting for job {view.job.id}; an accepted cancel is honoured even if the process "
            f"ends now. `dragoman jobs show {view.job.id}` tells how it ended.",
            highlight=False,
        )
        raise typer.Exit(130) from None
    code = job_exit_code(view, cancelled_here=ctrl_c.cancel_recorded)
    # The outcome is told: a Ctrl-C from now on has nothing to stop. Ignored, not defaulted: Python
    # resets its own handlers to the default while it shuts down, and a press then would end the
    # process by SIGINT, which a shell reads as 130 after a job that succeeded.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise typer.Exit(code)


EXIT_CANCELLED_HERE = 130  # this process's Ctrl-C cancelled the job (or stopped waiting for it)
EXIT_CANCELLED_ELSEWHERE = 5  # someone else cancelled it: `dragoman jobs cancel`, an API call


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
    return 1


class _CtrlC:
    """Counts Ctrl-C presses while a job is followed.

    The first press only asks for the cancel, which the follow loop then sends whole: a quick second
    press must not cut that request short, or the user could not tell whether it was recorded. Once
    the cancel is recorded, a further press interrupts at once (stop waiting).
    """

    def __init__(self) -> None:
        self.presses = 0
        self.cancel_recorded = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.presses += 1
        if self.cancel_recorded:
            raise KeyboardInterrupt


def _show_progress(service: Dragoman, view: JobView, ctrl_c: _CtrlC) -> JobView:
    """Show progress until the job ends; the first Ctrl-C cancels it, a second one stops waiting."""
    job_id = view.job.id
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("documents · {task.fields[characters]} characters · {task.fields[status]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        bar = progress.add_task(job_id[:8], total=view.summary.total, characters=0, status=view.status.value)
        while True:
            view = service.get(job_id)
            summary = view.summary
            done = summary.succeeded + summary.failed + summary.cancelled
            progress.update(bar, completed=done, characters=summary.characters_charged, status=view.status.value)
            if view.is_terminal:
                return view
            if ctrl_c.presses and not ctrl_c.cancel_recorded:
                if view.job.cancel_requested:  # someone else cancelled it already: Ctrl-C stops waiting
                    raise KeyboardInterrupt
                try:
                    view = service.cancel(job_id)
                    progress.console.print("cancelling: finished documents are kept, the rest stop now")
                except ServiceError as exc:
                    progress.console.print(f"cancel refused: {exc.message}")
                ctrl_c.cancel_recorded = True
                if ctrl_c.presses > 1:
                    raise KeyboardInterrupt
                continue
            time.sleep(0.1)


def _print_summary(service: Dragoman, view: JobView) -> None:
    summary = view.summary
    table = Table(title=f"job {view.job.id}", show_header=False)
    table.add_row("status", view.status.value)
    if view.cancel_outcome is not None:
        table.add_row("cancel", view.cancel_outcome.value.replace("_", " "))
    table.add_row("succeeded", str(summary.succeeded))
    table.add_row("failed", str(summary.failed))
    table.add_row("cancelled", str(summary.cancelled))
    table.add_row("characters billed", str(summary.characters_charged))
    console.print(table)
    for task in service.tasks(view.job.id):
        if task.error is not None:
            console.print(
                f"[red]failed[/] {task.source_url} -> {task.target_language}: {task.error.code}: {task.error.message}",
                highlight=False,
            )


@app.command()
def languages() -> None:
    """Language pairs the installed engine translates."""
    try:
        pairs = _service().languages()
    except ServiceError as exc:
        raise _fail(exc) from None
    for pair in pairs:
        console.print(f"{pair.source} -> {pair.target}", highlight=False)


_JSON_HELP = "Print one JSON document (stable field names) instead of a table."


def job_json(view: JobView) -> dict[str, Any]:
    """A job as `--json` prints it. Field names are stable: scripts read them."""
    summary = view.summary
    failure = view.job.failure
    return {
        "id": view.job.id,
        "name": view.job.name,
        "status": view.status.value,
        "created_at": view.job.created_at.isoformat(),
        "updated_at": view.job.updated_at.isoformat(),
        "cancel_requested": view.job.cancel_requested,
        "cancel_outcome": None if view.cancel_outcome is None else view.cancel_outcome.value,
        "error": None if failure is None else {"code": failure.code, "message": failure.message},
        "summary": {
            "total": summary.total,
            "not_yet_started": summary.not_yet_started,
            "in_progress": summary.in_progress,
            "succeeded": summary.succeeded,
            "failed": summary.failed,
            "cancelled": summary.cancelled,
            "characters_charged": summary.characters_charged,
        },
    }


def _print_json(document: object) -> None:
    """One JSON document on stdout, never wrapped or truncated (not through rich's console)."""
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")


@jobs_app.command("list")
def jobs_list(
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    as_json: Annotated[bool, typer.Option("--json", help=_JSON_HELP)] = False,
) -> None:
    """The newest jobs."""
    try:
        views = _service().list_jobs(limit=limit)
    except ServiceError as exc:
        raise _fail(exc) from None
    if as_json:
        _print_json([job_json(view) for view in views])
        return
    table = Table("job", "created (UTC)", "status", "done/total", "failed", "cancelled", "billed")
    for view in views:
        summary = view.summary
        table.add_row(
            view.job.id,
            view.job.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            view.status.value,
            f"{summary.succeeded}/{summary.total}",
            str(summary.failed),
            str(summary.cancelled),
            str(summary.characters_charged),
        )
    console.print(table)


@jobs_app.command("show")
def jobs_show(job_id: str) -> None:
    """A job and each of its tasks."""
    try:
        service = _service()
        view = service.get(job_id)
        tasks = service.tasks(job_id)
    except ServiceError as exc:
        raise _fail(exc) from None
    _print_summary_header(view)
    table = Table("task", "source", "lang", "status", "characters", "error")
    for task in tasks:
        table.add_row(
            task.id[:8],
            task.source_url.removeprefix("file://"),
            f"{task.source_language}->{task.target_language}",
            task.status.value,
            str(task.billed_characters),
            task.error.message if task.error else "",
        )
    console.print(table)


def _print_summary_header(view: JobView) -> None:
    summary = view.summary
    console.print(
        f"job {view.job.id}: [bold]{view.status.value}[/] · {summary.succeeded} succeeded, {summary.failed} failed, "
        f"{summary.cancelled} cancelled, {summary.in_progress} running, {summary.not_yet_started} waiting · "
        f"{summary.characters_charged} characters billed",
        highlight=False,
    )


@jobs_app.command("cancel")
def jobs_cancel(job_id: str) -> None:
    """Cancel a job: pending documents are dropped, running ones stop at a safe point."""
    try:
        view = _service().cancel(job_id)
    except ServiceError as exc:
        raise _fail(exc) from None
    _print_summary_header(view)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Run the service: the runner and the HTTP API."""
    import uvicorn

    from dragoman.api.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings: Settings = load_settings()
        service = Dragoman.from_settings(settings, with_runner=True)
    except ServiceError as exc:
        raise _fail(exc) from None
    uvicorn.run(create_app(service), host=host or settings.host, port=port if port is not None else settings.port)


def main() -> None:
    app()
