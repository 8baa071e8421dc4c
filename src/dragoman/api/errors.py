"""Errors reach the wire here, in the caller's protocol: Azure's shape under /translator, AWS JSON
1.1's `__type` on `POST /` with X-Amz-Target, a plain `{"error": {code, message}}` elsewhere. A front
door raises; it never builds error responses itself."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from dragoman.api.aws.errors import AwsError
from dragoman.api.aws.errors import for_service_error as aws_error_for
from dragoman.api.azure.errors import AzureError, error_body, for_service_error
from dragoman.errors import ServiceError

__all__ = ["install_error_handlers"]

log = logging.getLogger("dragoman.api")

_AZURE_PREFIX = "/translator"
_HTTP_CODES = {401: "Unauthorized", 404: "ResourceNotFound", 429: "RequestRateTooHigh", 503: "ServiceUnavailable"}


def _azure(request: Request) -> bool:
    return request.url.path.startswith(_AZURE_PREFIX)


def _aws(request: Request) -> bool:
    return request.url.path == "/" and "x-amz-target" in request.headers


def _aws_response(error: AwsError) -> JSONResponse:
    return JSONResponse(
        error.body(), status_code=error.status, headers=error.headers(), media_type="application/x-amz-json-1.1"
    )


def _response(request: Request, error: AzureError) -> JSONResponse:
    headers = {"Retry-After": "1"} if error.status in (429, 503) else None
    if _azure(request):
        return JSONResponse(error.body(), status_code=error.status, headers=headers)
    body = {"error": {"code": error.inner_code, "message": error.message}}
    return JSONResponse(body, status_code=error.status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AwsError)
    async def on_aws_error(request: Request, exc: AwsError) -> JSONResponse:
        return _aws_response(exc)

    @app.exception_handler(AzureError)
    async def on_azure_error(request: Request, exc: AzureError) -> JSONResponse:
        return _response(request, exc)

    @app.exception_handler(ServiceError)
    async def on_service_error(request: Request, exc: ServiceError) -> JSONResponse:
        if _aws(request):
            return _aws_response(aws_error_for(exc))
        return _response(request, for_service_error(exc))

    @app.exception_handler(RequestValidationError)
    async def on_invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error.get('loc', ())[1:]) or 'request'}: {error.get('msg', 'invalid')}"
            for error in exc.errors()
        )
        return _response(request, AzureError(400, "InvalidRequest", "InvalidRequest", f"Invalid request: {problems}"))

    @app.exception_handler(HTTPException)
    async def on_http_error(request: Request, exc: HTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "InvalidRequest")
        response = _response(request, AzureError(exc.status_code, code, code, str(exc.detail)))
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", extra={"action": "http", "path": request.url.path})
        if _aws(request):
            return _aws_response(AwsError(500, "InternalServerException", "An unexpected error occurred."))
        return JSONResponse(
            error_body("InternalServerError", "InternalServerError", "An unexpected error occurred."), status_code=500
        )
