"""`dragoman worker`: run translation tasks handed out through Procrastinate, on any machine sharing
the PostgreSQL state database (and the document storage) with the API nodes."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from dragoman.cli.app import app, errors, fail
from dragoman.errors import ServiceError

__all__ = ["worker"]


@app.command()
def worker(
    concurrency: Annotated[
        int,
        typer.Option(help="Tasks run at a time (default: one per core).", min=1, max=256, metavar="N"),
    ] = 0,
    queue: Annotated[
        list[str] | None,
        typer.Option(
            "--queue",
            "-q",
            help="Only tasks of this language pair (`en-es`, `auto-ca`); repeat for several. Default: every pair.",
            metavar="PAIR",
        ),
    ] = None,
    log_level: Annotated[str, typer.Option(help="Least severe log records shown.", metavar="LEVEL")] = "info",
    log_format: Annotated[str, typer.Option(help="text or json.", metavar="FORMAT")] = "text",
) -> None:
    """Run translation tasks from the queue (DRAGOMAN_QUEUE=procrastinate, PostgreSQL). SIGTERM or
    Ctrl-C: running tasks stop at their next safe point and go back to the queue."""
    from dragoman.config import load_settings
    from dragoman.logs import configure_logging
    from dragoman.service import Dragoman
    from dragoman.workers.worker import run_worker

    configure_logging(log_level if log_level in ("debug", "info", "warning", "error") else "info", log_format)
    try:
        settings = load_settings()
    except ServiceError as exc:
        raise fail(exc) from None
    if settings.queue != "procrastinate":
        errors.print(
            "[bold red]error:[/] a worker takes its tasks from the queue: set DRAGOMAN_QUEUE=procrastinate and "
            "DRAGOMAN_DATABASE_URL to the PostgreSQL the API nodes use",
            highlight=False,
        )
        raise typer.Exit(2)
    try:
        service = Dragoman.from_settings(settings)
    except ServiceError as exc:
        raise fail(exc) from None
    count = concurrency or os.cpu_count() or 1
    pairs = ", ".join(queue or []) or "every language pair"
    errors.print(f"Dragoman worker · {count} at a time · {pairs} · data {settings.database}", highlight=False)
    with service:
        run_worker(service, count, queue or ())
