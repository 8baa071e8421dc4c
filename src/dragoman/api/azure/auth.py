"""Who is calling the Azure door: the tenant owning the `Ocp-Apim-Subscription-Key` header (the only
credential the SDK sends with an AzureKeyCredential). Checked once per request, by the front-door
guard (`api/guard.py`), before any byte of the body is read."""

from __future__ import annotations

from dragoman.api.azure.errors import Unauthorized
from dragoman.config import Settings

__all__ = ["KEY_HEADER", "azure_tenant"]

KEY_HEADER = "ocp-apim-subscription-key"


def azure_tenant(settings: Settings, key: str | None) -> str:
    """The tenant owning subscription key `key` (compared in constant time). Raises Unauthorized
    (HTTP 401 `Unauthorized` in Azure's shape) for a missing or unknown key."""
    if not key:
        raise Unauthorized("Access denied: a subscription key is required (Ocp-Apim-Subscription-Key header)")
    owner = settings.tenant_for_azure_key(key)
    if owner is None:
        raise Unauthorized("Access denied: the subscription key is not valid")
    return owner
