"""The HTTP service: the runner's home, a health check, metrics, the API description and the front doors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.middleware.sessions import SessionMiddleware

from dragoman import __version__
from dragoman.api.aws import routes as aws_routes
from dragoman.api.aws.details import details_writer
from dragoman.api.aws.wire import AWS_ORIGIN
from dragoman.api.azure import routes as azure_routes
from dragoman.api.connector import routes as connector_routes
from dragoman.api.connector import vendor_routes as connector_vendor_routes
from dragoman.api.docs import install_docs
from dragoman.api.errors import install_error_handlers
from dragoman.api.guard import FrontDoorGuard
from dragoman.api.metrics import router as metrics_router
from dragoman.api.read_cache import ReadCache
from dragoman.connector import sender
from dragoman.connector.receiver import Receiver
from dragoman.errors import StoreError
from dragoman.service import Dragoman
from dragoman.web import connector_routes as web_connector_routes
from dragoman.web import routes as web_routes
from dragoman.web import vendor_routes as web_vendor_routes
from dragoman.web.signin import session_secret

__all__ = ["create_app"]


def create_app(service: Dragoman) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        service.start()
        receiver = None
        background = service.runner is not None or service.settings.queue == "procrastinate"  # an API node too
        if background and service.settings.connector_poll_seconds > 0:
            rounds: list[Callable[[], object]] = (
                [sender.for_service(service).run_due] if service.settings.connector_rules else []
            )
            receiver = Receiver(
                service.connector,
                service.settings.connector_poll_seconds,
                auto_import=service.settings.connector_import == "auto",
                rounds=rounds,  # the automatic sending rules that are due, at each round
                send_attempts=service.settings.connector_send_attempts,
                send_retry_seconds=service.settings.connector_send_retry_seconds,
            )
            receiver.start()  # with the runner: polls the vendors of live connector jobs
        try:
            yield
        finally:
            if receiver is not None:
                receiver.stop()
            service.close()

    app = FastAPI(
        title="Dragoman",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # FastAPI's pages load from a CDN: /docs is served from the package (api/docs.py)
        redoc_url=None,
        description="Batch document translation with exact cancellation. Azure Document Translation "
        "routes live under /translator; the content connector (catalogue entities sent to translation "
        "vendors) under /connector, authenticated with a tenant's API key as a bearer token, its errors "
        'always `{"error": {"code": ..., "message": ...}}`.',
    )
    app.state.service = service
    app.state.read_cache = ReadCache(service.store)
    if service.runner is not None:
        service.runner.finalizers[AWS_ORIGIN] = details_writer(service.storage)
    install_error_handlers(app)
    app.add_middleware(FrontDoorGuard, settings=service.settings)  # auth and body caps, before any body is read
    app.include_router(azure_routes.router)
    app.include_router(aws_routes.router)
    app.include_router(connector_routes.router)
    app.include_router(connector_vendor_routes.router)  # translation agencies, with their own keys
    app.include_router(metrics_router)  # for Prometheus; a bearer token if DRAGOMAN_METRICS_TOKEN is set
    install_docs(app)
    # the dashboard: pages under /ui, signed in by a session cookie (web/signin.py)
    app.include_router(web_routes.router)
    app.include_router(web_connector_routes.router)  # a tenant's catalogue and connector jobs
    app.include_router(web_vendor_routes.router)  # a translation agency's own pages
    app.mount(web_routes.PREFIX + "/static", web_routes.static_files(), name="web-static")
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(service.settings),
        session_cookie="dragoman_session",
        max_age=int(service.settings.web_session_hours * 3600),
        same_site="lax",
        https_only=(service.settings.public_url or "").startswith("https://"),  # Secure, behind TLS
        path=web_routes.PREFIX,
    )

    @app.get("/health", response_model=None)
    def health() -> dict[str, object] | JSONResponse:
        """200 and "status": "ok" when this process can do its work; 503 and "unavailable" when the
        state database does not answer (a load balancer then sends requests elsewhere)."""
        body: dict[str, object] = {
            "status": "ok",
            "version": __version__,
            "engine": service.engine.name,
            "languagePairs": len(service.languages()),
            "runner": None if service.runner is None else {"owner": service.runner.owner, "busy": service.runner.busy},
            "store": "ok",
        }
        try:
            service.store.ping()
        except StoreError as exc:
            body.update(status="unavailable", store=f"the state database does not answer: {exc.message}")
            return JSONResponse(body, status_code=503)
        return body

    return app
