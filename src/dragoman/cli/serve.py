"""`dragoman serve`: the runner and the HTTP front doors."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from dragoman.cli.app import app, fail
from dragoman.errors import ServiceError

__all__ = ["serve"]


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default: DRAGOMAN_HOST, 127.0.0.1).", metavar="HOST")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on (default: DRAGOMAN_PORT, 8080).", metavar="PORT")
    ] = None,
) -> None:
    """Run the service: the runner and the HTTP API."""
    import uvicorn

    from dragoman.api.app import create_app
    from dragoman.config import load_settings
    from dragoman.service import Dragoman

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = load_settings()
        service = Dragoman.from_settings(settings, with_runner=True)
    except ServiceError as exc:
        raise fail(exc) from None
    uvicorn.run(create_app(service), host=host or settings.host, port=port if port is not None else settings.port)
