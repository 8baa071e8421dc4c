"""`dragoman worker`: run translation tasks handed out through Procrastinate, on any machine sharing
the PostgreSQL state database (and the document storage) with the API nodes."""

from __future__ import annotations

import re
from typing import Annotated

import typer

from dragoman.cli.app import app, errors, fail
from dragoman.cli.serve import LogFormat, LogLevel
from dragoman.errors import ServiceError

__all__ = ["worker"]


@app.command()
def worker(
    concurrency: Annotated[
        int | None,
        typer.Option(
            help="Tasks run at a time (default: DRAGOMAN_WORKERS, eight per core, as `dragoman serve`).",
            min=1,
            max=256,
            metavar="N",
        ),
    ] = None,
    queue: Annotated[
        list[str] | None,
        typer.Option(
            "--queue",
            "-q",
            help="Only tasks of this language pair (`en-es`, `auto-ca`); repeat for several. Default: every pair.",
            metavar="PAIR",
        ),
    ] = None,
    log_level: Annotated[
        LogLevel,
        typer.Option(help="Least severe log records shown: debug, info, warning or error.", metavar="LEVEL"),
    ] = "info",
    log_format: Annotated[
        LogFormat,
        typer.Option(help="text: one plain line per record; json: one JSON object per line.", metavar="text|json"),
    ] = "text",
) -> None:
    """Run translation tasks from the queue (DRAGOMAN_QUEUE=procrastinate, PostgreSQL). SIGTERM or
    Ctrl-C: running tasks stop at their next safe point and go back to the queue."""
    from dragoman.config import load_settings
    from dragoman.logs import configure_logging
    from dragoman.service import Dragoman
    from dragoman.workers.doorbell import unserved_queues
    from dragoman.workers.worker import run_worker

    configure_logging(log_level, log_format)
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
    count = concurrency or settings.workers
    queues = [name.strip().lower() for name in queue or []]
    known = sorted(f"{pair.source}-{pair.target}" for pair in service.engine.languages())
    unknown = unserved_queues(queues, service.engine.languages())
    if unknown:
        service.close()
        errors.print(
            f"[bold red]error:[/] no installed pair translates {', '.join(unknown)}: a queue is a source and a "
            f"target language (`en-es`, or `auto-es` for documents whose language is detected); installed: "
            f"{', '.join(known)}",
            highlight=False,
        )
        raise typer.Exit(2)
    pairs = ", ".join(queues) or "every language pair"
    database = re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1***@", settings.database)  # never its password
    errors.print(f"Dragoman worker · {count} at a time · {pairs} · data {database}", highlight=False)
    with service:
        run_worker(service, count, queues)
