"""Who is calling the connector: the tenant owning the API key, checked by the front-door guard
(`api/guard.py`) before any byte of the body is read. The keys are the tenants' Azure keys
(`DRAGOMAN_TENANTS` `azure_keys`; `dragoman-local-key` by default), given either as
`Authorization: Bearer <key>` (what a web page or curl sends) or as `Ocp-Apim-Subscription-Key:
<key>` (what the Azure door takes). Both at once must be the same key."""

from __future__ import annotations

from dragoman.api.connector.errors import ConnectorError
from dragoman.config import Settings

__all__ = ["KEY_HEADER", "connector_tenant"]

KEY_HEADER = "ocp-apim-subscription-key"
_HOW = "send Authorization: Bearer <key> (or Ocp-Apim-Subscription-Key: <key>) with a tenant's API key"


def connector_tenant(settings: Settings, authorization: str | None, subscription_key: str | None) -> str:
    """The tenant owning the key the headers carry. Raises ConnectorError Unauthorized (401) when there
    is none, it is malformed, two different keys are given, or no tenant owns it."""
    keys: set[str] = set()
    if authorization is not None:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ConnectorError("Unauthorized", f"the Authorization header is not 'Bearer <key>': {_HOW}")
        keys.add(token.strip())
    if subscription_key:
        keys.add(subscription_key)
    if not keys:
        raise ConnectorError("Unauthorized", f"an API key is required: {_HOW}")
    if len(keys) > 1:
        raise ConnectorError("Unauthorized", "Authorization and Ocp-Apim-Subscription-Key carry different keys")
    owner = settings.tenant_for_azure_key(keys.pop())
    if owner is None:
        raise ConnectorError("Unauthorized", "the API key is not valid")
    return owner
