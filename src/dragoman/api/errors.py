"""Errors reach the wire here, in the caller's protocol: Azure's shape under /translator, AWS JSON
1.1's `__type` on `POST /`, the connector's `{"error": {code, message}}` under /connector
(`api/connector/errors.py`), a plain `{"error": {code, message}}` elsewhere. A front door raises; it
never builds error responses itself. The front-door guard (`api/guard.py`), which refuses requests
before the application sees them, renders its refusals with `error_response` too."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Mapping
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException

from dragoman.api.aws.errors import AwsError
from dragoman.api.aws.errors import for_service_error as aws_error_for
from dragoman.api.azure.errors import AzureError, error_body, for_service_error
from dragoman.api.connector.errors import ConnectorError, connector_error
from dragoman.api.limits import AZURE_PREFIX, CONNECTOR_PREFIX, RequestTooLarge
from dragoman.errors import ServiceError

__all__ = ["Door", "door_of", "error_response", "install_error_handlers"]

log = logging.getLogger("dragoman.api")

Door = Literal["azure", "aws", "connector", "web", "other"]
WEB_PREFIX = "/ui"  # the dashboard's pages: errors are pages too
_HTTP_CODES = {
    401: "Unauthorized",
    404: "ResourceNotFound",
    413: "InvalidRequest",
    429: "RequestRateTooHigh",
    503: "ServiceUnavailable",
}


def door_of(scope: Any) -> Door:
    """Which front door a request (ASGI scope or Request.scope) came through."""
    path = scope.get("path", "")
    if path == AZURE_PREFIX or path.startswith(AZURE_PREFIX + "/"):
        return "azure"
    if path == "/" and scope.get("method") == "POST":
        return "aws"
    if path == CONNECTOR_PREFIX or path.startswith(CONNECTOR_PREFIX + "/") or path.startswith(CONNECTOR_PREFIX + ":"):
        return "connector"
    if path == WEB_PREFIX or path.startswith(WEB_PREFIX + "/"):
        return "web"
    return "other"


_WEB_TITLES = {400: "Bad request", 401: "Sign in", 403: "Not allowed", 404: "Not found", 405: "Not here",
               413: "Too large", 429: "Too many requests", 500: "Something went wrong", 503: "Busy"}  # fmt: skip


def web_page(status: int, message: str) -> HTMLResponse:
    """An error of the dashboard as a page of its own, in its style, with its security headers (no
    template: it must render whatever failed)."""
    title = _WEB_TITLES.get(status, "Error")
    body = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} · Dragoman</title>"
        f'<link rel="stylesheet" href="{WEB_PREFIX}/static/dragoman.css"></head><body>'
        f'<header class="top"><a class="brand" href="{WEB_PREFIX}/jobs">Dragoman</a></header>'
        f'<main id="main"><h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>'
        f'<p><a href="{WEB_PREFIX}/jobs">Jobs</a></p></main></body></html>'
    )
    return HTMLResponse(body, status_code=status, headers=_web_headers())


def _web_headers() -> dict[str, str]:
    from dragoman.web.rendering import SECURITY_HEADERS

    return dict(SECURITY_HEADERS)


def _aws_response(error: AwsError) -> JSONResponse:
    return JSONResponse(
        error.body(), status_code=error.status, headers=error.headers(), media_type="application/x-amz-json-1.1"
    )


def _azure_response(door: Door, error: AzureError) -> JSONResponse:
    headers = {"Retry-After": "1"} if error.status in (429, 503) else None
    if door == "azure":
        return JSONResponse(error.body(), status_code=error.status, headers=headers)
    body = {"error": {"code": error.inner_code, "message": error.message}}
    return JSONResponse(body, status_code=error.status, headers=headers)


def _connector_response(exc: Exception) -> JSONResponse:
    error = connector_error(exc)
    return JSONResponse(error.body(), status_code=error.status, headers=error.headers)


def error_response(
    scope: Any, exc: AwsError | AzureError | ConnectorError | ServiceError | RequestTooLarge
) -> Response:
    """`exc` in the shape of the door the request came through. A body over its cap is a 413:
    Azure `InvalidRequest` with inner code `RequestTooLarge`; Amazon `ValidationException`, which
    botocore raises as a ClientError and does not retry; the connector's `RequestTooLarge`. The
    connection is then closed, so the rest of such a body is not read either."""
    door = door_of(scope)
    if door == "web":
        page = web_page(*_status_and_message(exc))
        if isinstance(exc, RequestTooLarge):
            page.headers["Connection"] = "close"
        return page
    if door == "connector" or isinstance(exc, ConnectorError):
        response = _connector_response(exc)
        if isinstance(exc, RequestTooLarge):
            response.headers["Connection"] = "close"
        return response
    if isinstance(exc, RequestTooLarge):
        if door == "aws":
            response = _aws_response(AwsError(413, "ValidationException", str(exc.detail)))
        else:
            response = _azure_response(door, AzureError(413, "InvalidRequest", "RequestTooLarge", str(exc.detail)))
        response.headers["Connection"] = "close"
        return response
    if isinstance(exc, AwsError):
        return _aws_response(exc)
    if isinstance(exc, ServiceError):
        return _aws_response(aws_error_for(exc)) if door == "aws" else _azure_response(door, for_service_error(exc))
    return _azure_response(door, exc)


def _status_and_message(
    exc: AwsError | AzureError | ConnectorError | ServiceError | RequestTooLarge,
) -> tuple[int, str]:
    if isinstance(exc, RequestTooLarge):
        return 413, str(exc.detail)
    if isinstance(exc, ServiceError):
        return for_service_error(exc).status, exc.message
    if isinstance(exc, AwsError):
        return exc.status, exc.message
    return exc.status, exc.message


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AwsError)
    async def on_aws_error(request: Request, exc: AwsError) -> Response:
        return error_response(request.scope, exc)

    @app.exception_handler(AzureError)
    async def on_azure_error(request: Request, exc: AzureError) -> Response:
        return error_response(request.scope, exc)

    @app.exception_handler(ConnectorError)
    async def on_connector_error(request: Request, exc: ConnectorError) -> Response:
        return error_response(request.scope, exc)

    @app.exception_handler(ServiceError)
    async def on_service_error(request: Request, exc: ServiceError) -> Response:
        return error_response(request.scope, exc)

    @app.exception_handler(RequestTooLarge)
    async def on_too_large(request: Request, exc: RequestTooLarge) -> Response:
        return error_response(request.scope, exc)

    @app.exception_handler(RequestValidationError)
    async def on_invalid_request(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(validation_problem(error) for error in exc.errors())
        error = AzureError(400, "InvalidRequest", "InvalidRequest", f"Invalid request: {problems}")
        return error_response(request.scope, error)

    @app.exception_handler(HTTPException)
    async def on_http_error(request: Request, exc: HTTPException) -> Response:
        if door_of(request.scope) == "web":
            detail = "There is no such page." if exc.status_code == 404 else str(exc.detail)
            return web_page(exc.status_code, detail)
        code = _HTTP_CODES.get(exc.status_code, "InvalidRequest")
        response = error_response(request.scope, AzureError(exc.status_code, code, code, str(exc.detail)))
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error", extra={"action": "http", "path": request.url.path})
        if door_of(request.scope) == "web":
            return web_page(500, "An unexpected error occurred; the server's log says more.")
        if door_of(request.scope) == "connector":
            return _connector_response(exc)
        if door_of(request.scope) == "aws":
            return _aws_response(AwsError(500, "InternalServerException", "An unexpected error occurred."))
        return JSONResponse(
            error_body("InternalServerError", "InternalServerError", "An unexpected error occurred."), status_code=500
        )


_CHOICES = re.compile(r"^\(\?i\)\^\(([\w|]+)\)\$$|^\^\(([\w|]+)\)\$$")


def validation_problem(error: Mapping[str, Any]) -> str:
    """One request-validation problem in a caller's words: where (`inputs[0].storageType`, in the
    request's own member names) and what is wrong, without the validator's vocabulary ("String
    should match pattern '(?i)^(folder|file)$'" reads "must be one of folder, file")."""
    parts = [str(part) for part in error.get("loc", ())[1:]]
    where = "".join(f"[{part}]" if part.isdigit() else f".{part}" for part in parts).lstrip(".") or "request"
    kind, context = str(error.get("type", "")), error.get("ctx") or {}
    if kind == "json_invalid":
        return "the body is not valid JSON"
    if kind == "missing":
        return f"{where} is required"
    if where == "request" and kind in ("model_attributes_type", "model_type", "dict_type"):
        return "the body must be a JSON object (Content-Type: application/json)"
    if kind == "string_pattern_mismatch":
        choices = _CHOICES.match(str(context.get("pattern", "")))
        if choices:
            return f"{where} must be one of {', '.join((choices.group(1) or choices.group(2)).split('|'))}"
        return f"{where} has a value that is not allowed"
    if kind == "too_short":
        return f"{where} must hold at least {context.get('min_length', 1)}"
    if kind == "too_long":
        return f"{where} may hold at most {context.get('max_length')}"
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return f"{where} must be {kind.removesuffix('_type').removesuffix('_parsing').replace('_', ' ')}"
    return f"{where}: {error.get('msg', 'invalid')}"
