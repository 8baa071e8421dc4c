"""Who is looking at the dashboard: a tenant signed in with one of its API keys, or a translation
agency (a human vendor) with one of its own keys. The sign-in lives in a signed session cookie
(Starlette's SessionMiddleware, itsdangerous); the key itself is never kept in it.

Shapes: `visitor(request) -> Visitor | None`; `sign_in(settings, key) -> Visitor | None`;
`session_secret(settings) -> str`.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from starlette.requests import Request

from dragoman.config import Settings

__all__ = ["SESSION_KEY", "Visitor", "remember", "session_secret", "sign_in", "sign_out", "visitor"]

SESSION_KEY = "dragoman.visitor"
_SECRET_FILE = "web-session-secret"


@dataclass(frozen=True, slots=True)
class Visitor:
    """A tenant (sees and cancels its own jobs and entities) or a vendor (a human agency: sees the
    connector jobs handed to it)."""

    kind: Literal["tenant", "vendor"]
    name: str


def sign_in(settings: Settings, key: str) -> Visitor | None:
    """The tenant owning API key `key` (an Azure subscription key, also the connector's bearer key),
    else the human vendor owning it, else None. Keys are compared in constant time."""
    key = key.strip()
    if not key:
        return None
    tenant = settings.tenant_for_azure_key(key)
    if tenant is not None:
        return Visitor("tenant", tenant)
    from dragoman.connector.vendors.human import vendor_for_key

    vendors = vendor_for_key(settings.connector_vendors, key)
    return Visitor("vendor", vendors[0]) if len(vendors) == 1 else None


def visitor(request: Request, settings: Settings) -> Visitor | None:
    """Who this request's session says is signed in, if that tenant or vendor is still configured."""
    found = request.session.get(SESSION_KEY)
    if not isinstance(found, dict):
        return None
    kind, name = found.get("kind"), found.get("name")
    if kind == "tenant" and isinstance(name, str) and name in settings.tenants:
        return Visitor("tenant", name)
    if (
        kind == "vendor"
        and isinstance(name, str)
        and (settings.connector_vendors.get(name) or {}).get("kind") == "human"
    ):
        return Visitor("vendor", name)
    return None


def remember(request: Request, who: Visitor) -> None:
    """Start a session for `who`, with a new CSRF token (a sign-in never reuses the one before it)."""
    request.session.clear()
    request.session[SESSION_KEY] = {"kind": who.kind, "name": who.name}


def sign_out(request: Request) -> None:
    request.session.clear()


def session_secret(settings: Settings) -> str:
    """The key that signs session cookies: the configured one, else one made once and kept in the
    data folder (readable by its owner only), so sign-ins survive a restart."""
    if settings.web_secret is not None:
        return settings.web_secret.get_secret_value()
    path = Path(settings.data_dir) / _SECRET_FILE
    try:
        return path.read_text().strip() or _new_secret(path)
    except FileNotFoundError:
        return _new_secret(path)


def _new_secret(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(secret)
    try:
        os.link(temporary, path)  # the first process to make one wins; the others read it
    except FileExistsError:
        secret = path.read_text().strip()
    finally:
        temporary.unlink(missing_ok=True)
    return secret
