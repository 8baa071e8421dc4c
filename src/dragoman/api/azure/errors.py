"""Azure's error shape: `{"error": {code, message, target, innerError: {code, message}}}`.

The official SDK replaces an error's code with its inner error's code and crashes on a null inner
error, so every error carries a non-null `innerError`. The top-level code is one of Azure's
TranslationErrorCode values; the inner code is Dragoman's own, from `errors.py`.
"""

from __future__ import annotations

from typing import Any

from dragoman.domain.jobs import ErrorInfo
from dragoman.errors import (
    SERVICE_FAULT_CODES,
    Busy,
    Conflict,
    DocumentError,
    EngineError,
    Invalid,
    NotFound,
    ServiceError,
    StoreError,
)

__all__ = ["AzureError", "Unauthorized", "error_body", "for_service_error", "inner_to_top_code"]


class Unauthorized(ServiceError):
    """The subscription key is missing or not valid."""

    code = "InvalidSubscriptionKey"


class AzureError(Exception):
    """An error ready for the wire: HTTP status, top-level code, inner code and message."""

    def __init__(self, status: int, code: str, inner_code: str, message: str, *, target: str = "Operation"):
        super().__init__(message)
        self.status, self.code, self.inner_code, self.message, self.target = status, code, inner_code, message, target

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.inner_code, self.message, self.target)


# (class, HTTP status, top-level code), most specific first.
_MAPPING: tuple[tuple[type[ServiceError], int, str], ...] = (
    (Unauthorized, 401, "Unauthorized"),
    (NotFound, 404, "ResourceNotFound"),
    (Busy, 429, "RequestRateTooHigh"),
    (Conflict, 400, "InvalidRequest"),
    (Invalid, 400, "InvalidArgument"),
    (DocumentError, 400, "InvalidRequest"),
    (StoreError, 503, "ServiceUnavailable"),
    (EngineError, 500, "InternalServerError"),
    (ServiceError, 500, "InternalServerError"),
)


def for_service_error(exc: ServiceError) -> AzureError:
    for cls, status, code in _MAPPING:
        if isinstance(exc, cls):
            return AzureError(status, code, exc.code, exc.message)
    raise AssertionError("unreachable: ServiceError is the last mapping")  # pragma: no cover


def inner_to_top_code(error: ErrorInfo) -> str:
    """The top-level code for an error recorded on a job or a document."""
    if error.code in SERVICE_FAULT_CODES:
        return "InternalServerError"
    return "InvalidRequest"


def error_body(code: str, inner_code: str, message: str, target: str = "Operation") -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "target": target,
            "innerError": {"code": inner_code, "message": message},
        }
    }
