"""Who is calling the agency routes (`/connector/vendor/...`): the human vendor owning the key, checked
by the front-door guard (`api/guard.py`) before any byte of the body is read. The keys are the
vendor's own (`DRAGOMAN_CONNECTOR_VENDORS` `keys` of a `human` vendor), given as `Authorization:
Bearer <key>`. A tenant's key is not a vendor's, and a vendor's key opens no tenant route (the
tenant routes look only at tenants' keys)."""

from __future__ import annotations

from starlette.requests import Request

from dragoman.api.connector.errors import ConnectorError
from dragoman.config import Settings

__all__ = ["VENDOR_PREFIX", "connector_vendor", "is_vendor_path", "vendor_for_headers"]

VENDOR_PREFIX = "/connector/vendor"
SCOPE_KEY = "dragoman.connector_vendor"
_HOW = "send Authorization: Bearer <key> with a key of a translation vendor (DRAGOMAN_CONNECTOR_VENDORS keys)"


def is_vendor_path(path: str) -> bool:
    """Whether `path` is one of the agency routes (not `/connector/vendors`, a tenant's)."""
    return path == VENDOR_PREFIX or path.startswith(VENDOR_PREFIX + "/")


def vendor_for_headers(settings: Settings, authorization: str | None) -> str:
    """The human vendor owning the bearer key. Raises ConnectorError Unauthorized (401) when there is
    none, it is malformed, or no vendor (or more than one) holds it."""
    from dragoman.connector.vendors.human import vendor_for_key

    if authorization is None:
        raise ConnectorError("Unauthorized", f"a vendor's API key is required: {_HOW}")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ConnectorError("Unauthorized", f"the Authorization header is not 'Bearer <key>': {_HOW}")
    owners = vendor_for_key(settings.connector_vendors, token.strip())
    if len(owners) != 1:
        why = "is not a vendor's key" if not owners else "is given to several vendors"
        raise ConnectorError("Unauthorized", f"the API key {why}")
    return owners[0]


def connector_vendor(request: Request) -> str:
    """The vendor the guard authenticated for this request. Raises ConnectorError Unauthorized if the
    guard did not run (it always does in `create_app`)."""
    vendor = request.scope.get(SCOPE_KEY)
    if not isinstance(vendor, str):
        raise ConnectorError("Unauthorized", "the request was not authenticated")
    return vendor
