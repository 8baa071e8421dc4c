"""The connector's one error shape, `{"error": {"code": str, "message": str}}`, whose code says what
kind of error it is and whose HTTP status follows from it:

| status | code | meaning |
|---|---|---|
| 400 | Invalid | the request is unusable (a malformed body or parameter, an unknown language or vendor, nothing to translate); nothing changed |
| 401 | Unauthorized | no API key, or not a tenant's (`WWW-Authenticate: Bearer`) |
| 404 | NotFound | no such entity or job for this tenant (a job's entities included), or no such route |
| 405 | MethodNotAllowed | the route takes another method |
| 409 | Conflict | the job's or entity's state refuses the request (only a draft is sent, an entity already in translation) |
| 409 | CancelRefused | the job can no longer be cancelled (delivered, imported, cancelled, or its cancel refused) |
| 413 | RequestTooLarge | the body is over `DRAGOMAN_MAX_REQUEST_BYTES_CONNECTOR` |
| 415 | UnsupportedMediaType | an import that is neither JSON nor CSV |
| 429 | TooManyRequests | the tenant has too many requests in progress; retry later |
| 500 | InternalError | a fault on the service's side |
| 502 | SourceSystemError | a source system (a CMS or a PIM) could not be reached or answered an error; nothing was sent; retry later |
| 503 | ServiceUnavailable | the state database is unavailable or busy; retry later |

Everything that reaches a caller of /connector goes through `connector_error`, whatever raised it.
"""  # noqa: E501

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException

from dragoman.api.aws.errors import AwsError
from dragoman.api.azure.errors import AzureError
from dragoman.errors import (
    Busy,
    CancelRefused,
    Conflict,
    DocumentError,
    Invalid,
    NotFound,
    ServiceError,
    SourceSystemError,
    StoreError,
)

__all__ = ["CODES", "ConnectorError", "connector_error"]

CODES: dict[str, int] = {
    "Invalid": 400,
    "Unauthorized": 401,
    "NotFound": 404,
    "MethodNotAllowed": 405,
    "Conflict": 409,
    "CancelRefused": 409,
    "RequestTooLarge": 413,
    "UnsupportedMediaType": 415,
    "TooManyRequests": 429,
    "InternalError": 500,
    "SourceSystemError": 502,
    "ServiceUnavailable": 503,
}

# (class, code), most specific first
_SERVICE_ERRORS: tuple[tuple[type[ServiceError], str], ...] = (
    (NotFound, "NotFound"),
    (CancelRefused, "CancelRefused"),
    (Conflict, "Conflict"),
    (Busy, "TooManyRequests"),
    (Invalid, "Invalid"),
    (DocumentError, "Invalid"),
    (StoreError, "ServiceUnavailable"),
    (SourceSystemError, "SourceSystemError"),
    (ServiceError, "InternalError"),
)
_BY_STATUS = {
    status: code
    for code, status in CODES.items()
    if code not in ("CancelRefused", "InternalError", "SourceSystemError")
}


class ConnectorError(Exception):
    """An error ready for the wire: a code of CODES (its status follows) and a message."""

    def __init__(self, code: str, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, CODES[code]
        self.headers = dict(headers or {})
        if self.status == 401:
            self.headers.setdefault("WWW-Authenticate", 'Bearer realm="dragoman"')
        elif self.status in (429, 503):
            self.headers.setdefault("Retry-After", "1")

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}

    def __repr__(self) -> str:
        return f"ConnectorError({self.code!r}, {self.message!r})"


def connector_error(exc: Exception) -> ConnectorError:
    """Any error raised while serving /connector, in the connector's shape: the service's errors by
    their class, HTTP errors (validation, unknown routes, body caps) by their status."""
    if isinstance(exc, ConnectorError):
        return exc
    if isinstance(exc, ServiceError):
        code = next(code for cls, code in _SERVICE_ERRORS if isinstance(exc, cls))
        return ConnectorError(code, exc.message)
    if isinstance(exc, AzureError | AwsError):
        return _by_status(exc.status, exc.message)
    if isinstance(exc, HTTPException):
        return _by_status(exc.status_code, str(exc.detail))
    return ConnectorError("InternalError", "An unexpected error occurred.")


def _by_status(status: int, message: str) -> ConnectorError:
    code = _BY_STATUS.get(status, "Invalid" if 400 <= status < 500 else "InternalError")
    return ConnectorError(code, message)
