"""The front-door guard: who is asking, and how much they may send, decided from the headers alone,
before any byte of a body is read (issue 9 item 2: unauthenticated 300 MB bodies were read into
memory, and multipart uploads spooled to temporary files, before the 401).

A pure ASGI middleware (BaseHTTPMiddleware would buffer): for every request it

1. authenticates the caller of a front door: under /translator the `Ocp-Apim-Subscription-Key`
   (`api/azure/auth.py`), under /connector the same keys as a bearer token (`api/connector/auth.py`),
   on `POST /` the SigV4 `Authorization` header's key, scope and signed
   headers (`api/aws/sigv4.py authenticate`; the signature itself covers the body and is checked by
   the route once the capped body is read); a scraper of `/metrics`, when DRAGOMAN_METRICS_TOKEN
   asks for a bearer token (`api/metrics.py`);
2. refuses a declared `Content-Length` over the route's cap (`api/limits.py`);
3. counts the bytes of a body of unknown length as they arrive and stops at the cap.

Refusals are rendered by `api/errors.py` in the door's own shape and close the connection, so an
unread body is not read afterwards either. What the guard learnt is left in the ASGI scope for the
routes: `azure_tenant(request)`, `connector_tenant(request)` and `aws_credential(request)`.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dragoman.api.aws.errors import AwsError
from dragoman.api.aws.sigv4 import Credential, authenticate
from dragoman.api.azure.auth import KEY_HEADER
from dragoman.api.azure.auth import azure_tenant as tenant_for_key
from dragoman.api.azure.errors import AzureError, Unauthorized
from dragoman.api.connector.auth import KEY_HEADER as CONNECTOR_KEY_HEADER
from dragoman.api.connector.auth import connector_tenant as tenant_for_bearer
from dragoman.api.connector.errors import ConnectorError
from dragoman.api.connector.vendor_auth import SCOPE_KEY as VENDOR_SCOPE_KEY
from dragoman.api.connector.vendor_auth import is_vendor_path, vendor_for_headers
from dragoman.api.errors import door_of, error_response
from dragoman.api.limits import CappedReceive, RequestTooLarge, body_cap, declared_length
from dragoman.api.metrics import METRICS_PATH, check_scraper
from dragoman.config import Settings
from dragoman.errors import ServiceError

__all__ = ["FrontDoorGuard", "aws_credential", "azure_tenant", "connector_tenant"]

_AZURE_TENANT = "dragoman.azure_tenant"
_CONNECTOR_TENANT = "dragoman.connector_tenant"
_AWS_CREDENTIAL = "dragoman.aws_credential"


class FrontDoorGuard:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        cap = body_cap(self.settings, scope["method"], scope["path"])
        try:
            door = door_of(scope)
            if door == "azure":
                scope[_AZURE_TENANT] = tenant_for_key(self.settings, headers.get(KEY_HEADER))
            elif door == "connector" and is_vendor_path(scope["path"]):  # an agency: a human vendor's keys
                scope[VENDOR_SCOPE_KEY] = vendor_for_headers(self.settings, headers.get("authorization"))
            elif door == "connector":
                scope[_CONNECTOR_TENANT] = tenant_for_bearer(
                    self.settings, headers.get("authorization"), headers.get(CONNECTOR_KEY_HEADER)
                )
            elif door == "aws":
                scope[_AWS_CREDENTIAL] = authenticate(
                    headers, self.settings.tenant_for_aws_key, self.settings.aws_regions
                )
            elif scope["path"] == METRICS_PATH:
                check_scraper(self.settings, headers.get("authorization"))
            length = declared_length(headers.get("content-length"))
            if length is not None and length > cap.limit:
                raise RequestTooLarge(cap)
        except (AwsError, AzureError, ConnectorError, ServiceError, RequestTooLarge) as exc:
            await _refuse(scope, send, exc)
            return
        capped = CappedReceive(receive, cap)

        async def send_closing_unread(message: Message) -> None:
            # A response to a request whose body was not read to its end (a route that takes none, a
            # 404, a multipart body refused half way) closes the connection: the server would
            # otherwise read, and throw away, the rest of the body to reuse it, whatever its size.
            if message["type"] == "http.response.start" and not capped.complete and _may_have_body(headers):
                message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        await self.app(scope, capped, send_closing_unread)


def _may_have_body(headers: Headers) -> bool:
    length = headers.get("content-length")
    return "chunked" in headers.get("transfer-encoding", "").lower() or (length is not None and length != "0")


async def _refuse(
    scope: Scope, send: Send, exc: AwsError | AzureError | ConnectorError | ServiceError | RequestTooLarge
) -> None:
    response = error_response(scope, exc)
    response.headers["Connection"] = "close"  # the body stays unread: do not read it to reuse the connection
    if scope["path"] == METRICS_PATH and response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'

    async def nothing() -> Message:
        return {"type": "http.disconnect"}

    await response(scope, nothing, send)


def azure_tenant(request: Request) -> str:
    """The tenant the guard authenticated for this Azure request. Raises Unauthorized if the guard
    did not run (it always does in `create_app`): no route trusts a request it has not seen."""
    tenant = request.scope.get(_AZURE_TENANT)
    if not isinstance(tenant, str):
        raise Unauthorized("Access denied: the request was not authenticated")
    return tenant


def connector_tenant(request: Request) -> str:
    """The tenant the guard authenticated for this connector request. Raises ConnectorError
    Unauthorized if the guard did not run."""
    tenant = request.scope.get(_CONNECTOR_TENANT)
    if not isinstance(tenant, str):
        raise ConnectorError("Unauthorized", "the request was not authenticated")
    return tenant


def aws_credential(request: Request) -> Credential:
    """The SigV4 credential the guard checked for this Amazon request (its signature is not checked
    yet). Raises MissingAuthenticationTokenException if the guard did not run."""
    credential = request.scope.get(_AWS_CREDENTIAL)
    if not isinstance(credential, Credential):
        raise AwsError(403, "MissingAuthenticationTokenException", "Request is missing Authentication Token")
    return credential
