"""`GET /metrics`: the service's metrics for Prometheus (`dragoman.metrics` says which).

Open by default, like `/health`: it shows counts and timings, never a tenant, a job or a document,
and scrapers usually reach it on an internal address. With `DRAGOMAN_METRICS_TOKEN` set, the
front-door guard (`api/guard.py`) lets through only `Authorization: Bearer <that token>` (what a
Prometheus scrape config's `authorization: {credentials: ...}` sends); anything else is a 401.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request, Response

from dragoman.api.azure.errors import AzureError
from dragoman.config import Settings

if TYPE_CHECKING:
    from dragoman.service import Dragoman

__all__ = ["METRICS_PATH", "check_scraper", "router"]

METRICS_PATH = "/metrics"

router = APIRouter()


@router.get(
    METRICS_PATH,
    summary="Metrics for Prometheus",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format (or OpenMetrics)."}},
)
def metrics(request: Request) -> Response:
    """Jobs and tasks by status, characters billed and translated, the queue's depth, task durations,
    cancel-to-end latencies and engine pipeline restarts, in the format the `Accept` header asks for."""
    service: Dragoman = request.app.state.service
    body, content_type = service.metrics.render(request.headers.get("accept"))
    return Response(body, media_type=content_type)


def check_scraper(settings: Settings, authorization: str | None) -> None:
    """Let a scrape of /metrics through if no token is configured, or it carries the token as a bearer
    token. Raises AzureError 401 (rendered as `{"error": {code, message}}`) otherwise."""
    if settings.metrics_token is None:
        return
    scheme, _, token = (authorization or "").strip().partition(" ")
    expected = settings.metrics_token.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected):
        raise AzureError(
            401, "Unauthorized", "Unauthorized", "send Authorization: Bearer <token> with DRAGOMAN_METRICS_TOKEN"
        )
