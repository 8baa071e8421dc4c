"""`dragoman serve`: the runner and the HTTP front doors.

The address is bound before anything starts, so a port in use is one clear line and exit 1, never a
runner started and "Application startup complete" printed for a server that is not there. Once
bound, it says where it listens, where its state is, which folders it may read and write, and warns
when the built-in keys (the README's) are what let callers in.
"""

from __future__ import annotations

import errno
import logging
import socket
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from dragoman.cli.app import EXIT_CANCELLED_HERE, app, errors, fail
from dragoman.errors import ServiceError

if TYPE_CHECKING:
    from types import FrameType

    import uvicorn

__all__ = ["serve"]

LogLevel = Literal["debug", "info", "warning", "error"]
LogFormat = Literal["text", "json"]


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default: DRAGOMAN_HOST, 127.0.0.1).", metavar="HOST")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(help="Port to listen on (default: DRAGOMAN_PORT, 8080).", metavar="PORT", min=0, max=65535),
    ] = None,
    log_level: Annotated[
        LogLevel,
        typer.Option(help="Least severe log records shown: debug, info, warning or error.", metavar="LEVEL"),
    ] = "info",
    log_format: Annotated[
        LogFormat,
        typer.Option(help="text: one plain line per record; json: one JSON object per line.", metavar="text|json"),
    ] = "text",
    no_runner: Annotated[
        bool,
        typer.Option(
            "--no-runner",
            help="An API node: front doors and dashboard only; `dragoman worker` processes run the tasks "
            "(needs DRAGOMAN_QUEUE=procrastinate).",
        ),
    ] = False,
) -> None:
    """Run the service: the runner and the HTTP API."""
    import uvicorn

    from dragoman.api.app import create_app
    from dragoman.config import load_settings
    from dragoman.logs import configure_logging
    from dragoman.service import Dragoman

    configure_logging(log_level, log_format)
    try:
        settings = load_settings()
    except ServiceError as exc:
        raise fail(exc) from None
    if no_runner and settings.queue != "procrastinate":
        errors.print(
            "[bold red]error:[/] --no-runner needs DRAGOMAN_QUEUE=procrastinate (and a PostgreSQL "
            "DRAGOMAN_DATABASE_URL): with no runner here, only `dragoman worker` processes would run the "
            "jobs, and they are told of them through that queue",
            highlight=False,
        )
        raise typer.Exit(2)
    address, number = host or settings.host, port if port is not None else settings.port
    listener = _bind(address, number)
    try:
        service = Dragoman.from_settings(settings, with_runner=not no_runner, serving=True)
    except ServiceError as exc:
        listener.close()
        raise fail(exc) from None
    if settings.connector_rules:  # rules whose languages or tenant could never work stop the start
        from dragoman.connector.sender import check_rules

        try:
            check_rules(service)
        except ServiceError as exc:
            service.close()
            listener.close()
            raise fail(exc) from None
    _announce(settings, address, listener.getsockname()[1], runner=not no_runner, log_format=log_format)
    if not service.engine.languages():
        from dragoman.config import setting_name

        named = setting_name("apertium_modes_dir")  # the variable, or the TOML key where the file set it
        _say(
            log_format,
            "warning",
            f"no language pairs are installed in {settings.apertium_modes_dir} ({named}): every translation "
            f"will be refused; install one (the Debian package apertium-eng-spa, say) or point {named} at a "
            "folder of Apertium modes",
            event="serve.no_languages",
        )
    config = uvicorn.Config(
        create_app(service), log_config=None, log_level=log_level, timeout_graceful_shutdown=_GRACEFUL_SECONDS
    )
    pressed = _note_ctrl_c()
    _graceful_server(config).run(sockets=[listener])
    if pressed:
        raise typer.Exit(EXIT_CANCELLED_HERE)  # stopped by Ctrl-C: 130, as the README's table says


_GRACEFUL_SECONDS = 10  # open connections get this long to finish once the service is stopping


def _graceful_server(config: uvicorn.Config) -> uvicorn.Server:
    """uvicorn's server, except that a second Ctrl-C while it stops does not cut the stop short:
    uvicorn's forced exit skipped the application's shutdown, where the runner hands its running
    tasks back at their safe points (they were left running, for recovery to count as lost), and
    printed a CancelledError traceback. The stop is bounded by `_GRACEFUL_SECONDS` instead. (A class
    made here: uvicorn is loaded by `serve` only.)"""
    import signal

    import uvicorn

    class GracefulServer(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            if sig == signal.SIGINT and self.should_exit:
                self._captured_signals.append(sig)  # sent again to the command's handler once stopped
                return
            super().handle_exit(sig, frame)

    return GracefulServer(config)


def _note_ctrl_c() -> list[int]:
    """While uvicorn serves it takes Ctrl-C itself (the first press shuts down gracefully, a second
    at once) and, once stopped, sends each press again to the handler it found: this one notes them
    (the list it returns grows), where raising KeyboardInterrupt inside uvicorn's event loop printed
    tracebacks after a quick double press. Ctrl-C ignored when the command started stays ignored."""
    import signal

    pressed: list[int] = []
    if signal.getsignal(signal.SIGINT) != signal.SIG_IGN:
        signal.signal(signal.SIGINT, lambda signum, frame: pressed.append(signum))
    return pressed


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or exit 1 saying why (in use, not an address of this machine)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        errors.print(f"[bold red]error:[/] cannot listen on {host}: {exc.strerror} (set --host or DRAGOMAN_HOST)")
        raise typer.Exit(1) from None
    family, kind, proto, _, where = infos[0]
    listener = socket.socket(family, kind, proto)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(where)
        listener.listen(2048)
    except OSError as exc:
        listener.close()
        in_use = exc.errno == errno.EADDRINUSE
        reason = (
            "the port is in use (another dragoman serve, or `make serve`, may be running)"
            if in_use
            else exc.strerror or "the operating system refused it"
        )
        other = (
            "choose another with --port (or DRAGOMAN_PORT)"
            if in_use or exc.errno == errno.EACCES  # a port below 1024 needs privileges
            else "choose an address of this machine with --host (or DRAGOMAN_HOST)"
        )
        errors.print(f"[bold red]error:[/] cannot listen on {host}:{port}: {reason}; {other}", highlight=False)
        raise typer.Exit(1) from None
    return listener


def _say(
    log_format: LogFormat, level: Literal["info", "warning"], message: str, *, event: str, **fields: object
) -> None:
    """What `serve` tells its operator as it starts: a plain line on stderr, or, with `--log-format
    json`, a log record like every other (`event` and `fields` as its fields), so that a JSON log
    holds nothing but JSON."""
    if log_format == "json":
        logger = logging.getLogger("dragoman.serve")
        (logger.warning if level == "warning" else logger.info)(message, extra={"event": event, **fields})
        return
    prefix = "[yellow]warning:[/] " if level == "warning" else ""
    errors.print(f"{prefix}{message}", highlight=False)


def _announce(settings: object, host: str, port: int, *, runner: bool = True, log_format: LogFormat = "text") -> None:
    from dragoman.config import DEFAULT_AWS_ACCESS_KEY_ID, DEFAULT_AZURE_KEY, Settings

    assert isinstance(settings, Settings)
    shown = f"[{host}]" if ":" in host else host
    roots = ", ".join(str(root) for root in settings.roots) or "none"
    work = f"{settings.workers} workers" if runner else "no runner (`dragoman worker` processes run the tasks)"
    if settings.queue == "procrastinate":
        work += " · tasks queued for `dragoman worker` too"
    url = f"http://{shown}:{port}"
    _say(
        log_format,
        "info",
        f"Dragoman listening on {url} · data {settings.data_dir} · storage roots {roots} · {work}",
        event="serve.listening",
        url=url,
        data_dir=str(settings.data_dir),
        roots=[str(root) for root in settings.roots],
        workers=settings.workers if runner else 0,
    )
    defaults = [
        name
        for name, tenant in settings.tenants.items()
        if any(key.get_secret_value() == DEFAULT_AZURE_KEY for key in tenant.azure_keys)
        or DEFAULT_AWS_ACCESS_KEY_ID in tenant.aws_keys
    ]
    if defaults:
        _say(
            log_format,
            "warning",
            f"tenant {', '.join(defaults)} accepts the built-in keys printed in the README "
            "(dragoman-local-key, AKIADRAGOMANLOCAL000): anyone who can reach this port can use it. "
            "Set DRAGOMAN_TENANTS with your own keys before exposing it.",
            event="serve.default_keys",
            tenants=defaults,
        )
