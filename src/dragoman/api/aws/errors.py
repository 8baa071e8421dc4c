"""AWS JSON 1.1 errors: botocore reads the code from `__type` and the message from `message` or
`Message`, and picks `client.exceptions.<Code>` by code, service-wide."""

from __future__ import annotations

import re
import uuid
from typing import Any

from dragoman.errors import (
    Busy,
    CancelRefused,
    Conflict,
    DocumentError,
    EngineError,
    Invalid,
    NotFound,
    ServiceError,
    StoreError,
    UnsupportedLanguage,
)

__all__ = ["AwsError", "amazon_words", "for_service_error"]


class AwsError(Exception):
    def __init__(self, status: int, code: str, message: str, **members: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.members = status, code, message, members

    def body(self) -> dict[str, Any]:
        return {"__type": self.code, "message": self.message, "Message": self.message, **self.members}

    def headers(self) -> dict[str, str]:
        return {"x-amzn-RequestId": str(uuid.uuid4()), "x-amzn-ErrorType": self.code}


_JOB_ID = re.compile(r"\b([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})\b")
_MAPPING: tuple[tuple[type[ServiceError], int, str], ...] = (
    (NotFound, 404, "ResourceNotFoundException"),
    (Busy, 429, "TooManyRequestsException"),
    (CancelRefused, 400, "InvalidRequestException"),
    (Conflict, 400, "InvalidRequestException"),
    (UnsupportedLanguage, 400, "UnsupportedLanguagePairException"),
    (Invalid, 400, "InvalidRequestException"),
    (DocumentError, 400, "InvalidRequestException"),
    (StoreError, 503, "ServiceUnavailableException"),
    (EngineError, 500, "InternalServerException"),
    (ServiceError, 500, "InternalServerException"),
)


def for_service_error(exc: ServiceError) -> AwsError:
    """The error in Amazon's shape; a job id in its message is written as the client's JobId."""
    for cls, status, code in _MAPPING:
        if isinstance(exc, cls):
            return AwsError(status, code, amazon_words(exc.message))
    raise AssertionError("unreachable: ServiceError is the last mapping")  # pragma: no cover


def amazon_words(message: str) -> str:
    """`message` with job ids written as Amazon JobIds (32 characters, no dashes), as clients know them."""
    return _JOB_ID.sub(lambda match: "".join(match.groups()), message)
