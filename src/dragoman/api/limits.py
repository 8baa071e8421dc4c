"""How large a request body each route accepts, checked on the declared `Content-Length` before a
byte of the body is read, and counted as the bytes arrive when no length is declared (chunked).

The caps come from the settings (`max_request_bytes_*`); their defaults follow the protocols' own
limits: Azure's synchronous translation takes a 10 MB document and a 1 MB glossary (Translator
service limits), Amazon's TranslateDocument 100 KB of document (102 400 bytes, base64 on the wire)
and TranslateText 10 000 bytes of text (botocore's translate model).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.types import Message, Receive

from dragoman.config import Settings

__all__ = ["CONNECTOR_PREFIX", "BodyCap", "CappedReceive", "RequestTooLarge", "body_cap", "declared_length"]

SINGLE_DOCUMENT_PATH = "/translator/document:translate"
AZURE_PREFIX = "/translator"
CONNECTOR_PREFIX = "/connector"
OTHER_ROUTES_BYTES = 64 * 1024  # no other route outside the front doors reads more than a form
VENDOR_UPLOAD_PREFIX = "/ui/vendor/jobs/"  # an agency's page takes an XLIFF upload (web/vendor_routes.py)


@dataclass(frozen=True, slots=True)
class BodyCap:
    """The most bytes a route's body may hold, and the setting that says so (named in the refusal)."""

    limit: int
    setting: str


class RequestTooLarge(HTTPException):
    """A request body over its route's cap (HTTP 413). It is an HTTPException because FastAPI lets
    those through when they interrupt its reading of a body (any other error there becomes a 400);
    `api/errors.py` renders it in the caller's protocol."""

    def __init__(self, cap: BodyCap) -> None:
        super().__init__(
            413, f"The request body is larger than {cap.limit} bytes, the most this route accepts ({cap.setting})."
        )
        self.cap = cap


def body_cap(settings: Settings, method: str, path: str) -> BodyCap:
    """The cap on the body of `method path`, in bytes."""
    if path == SINGLE_DOCUMENT_PATH:
        return BodyCap(settings.max_request_bytes_azure_document, "setting max_request_bytes_azure_document")
    if path == AZURE_PREFIX or path.startswith(AZURE_PREFIX + "/"):
        return BodyCap(settings.max_request_bytes_azure_batch, "setting max_request_bytes_azure_batch")
    if path == "/" and method == "POST":
        return BodyCap(settings.max_request_bytes_aws, "setting max_request_bytes_aws")
    if path == CONNECTOR_PREFIX or path.startswith((CONNECTOR_PREFIX + "/", CONNECTOR_PREFIX + ":")):
        return BodyCap(settings.max_request_bytes_connector, "setting max_request_bytes_connector")
    if method == "POST" and path.startswith(VENDOR_UPLOAD_PREFIX) and path.endswith("/upload"):
        return BodyCap(settings.max_request_bytes_connector, "setting max_request_bytes_connector")
    return BodyCap(OTHER_ROUTES_BYTES, "fixed: this route takes no body")


def declared_length(value: str | None) -> int | None:
    """The `Content-Length` header as a number of bytes, or None when absent. The HTTP server has
    already refused a malformed one (h11 answers 400 before the application runs)."""
    if value is None:
        return None
    text = value.strip()
    return int(text) if text.isdigit() else None


class CappedReceive:
    """An ASGI `receive` that counts body bytes and raises RequestTooLarge as soon as they pass the
    cap, so a body of unknown length is never read further than that."""

    def __init__(self, receive: Receive, cap: BodyCap) -> None:
        self._receive = receive
        self.cap = cap
        self.received = 0
        self.complete = False  # the whole body has been received

    async def __call__(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            self.complete = not message.get("more_body", False)
            if self.received > self.cap.limit:
                raise RequestTooLarge(self.cap)
        return message
