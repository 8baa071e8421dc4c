"""The HTTP service. For now the runner's home and a health check; front doors mount here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from dragoman import __version__
from dragoman.service import Dragoman

__all__ = ["create_app"]


def create_app(service: Dragoman) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        service.start()
        try:
            yield
        finally:
            service.close()

    app = FastAPI(title="Dragoman", version=__version__, lifespan=lifespan)
    app.state.service = service

    @app.get("/health")
    def health() -> dict[str, object]:
        return {
            "status": "ok",
            "version": __version__,
            "engine": service.engine.name,
            "languagePairs": len(service.languages()),
            "runner": None if service.runner is None else {"owner": service.runner.owner, "busy": service.runner.busy},
        }

    return app
