"""Who is looking at the dashboard: a tenant signed in with one of its API keys, or a translation
agency (a human vendor) with one of its own keys. The signed session cookie (Starlette's
SessionMiddleware, itsdangerous) holds a random token; the state database holds the session
(`store.web_sessions`: the token's SHA-256, who, an HMAC of the key used, when it ends). A sign-out
deletes it, so a copy of the old cookie opens nothing; a key taken from the configuration ends the
sessions it opened; the key itself is kept nowhere.

Shapes: `sign_in(settings, key) -> Visitor | None`; `remember(request, visitor, key, settings,
sessions)`; `visitor(request, settings, sessions) -> Visitor | None`; `sign_out(request, sessions)`;
`session_secret(settings) -> str`. Errors: StoreError.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import SecretStr
from starlette.requests import Request

from dragoman.config import Settings
from dragoman.store.web_sessions import WebSessions

__all__ = ["SESSION_KEY", "Visitor", "remember", "session_secret", "sign_in", "sign_out", "visitor"]

SESSION_KEY = "dragoman.session"  # the cookie's token of the session (its SHA-256 is the row's id)
_SECRET_FILE = "web-session-secret"
_SECRETS: dict[Path, str] = {}  # read once per data folder


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


def visitor(request: Request, settings: Settings, sessions: WebSessions) -> Visitor | None:
    """Who this request's session says is signed in: its token names a session that was not signed
    out and has not expired, of a tenant or agency still configured, which still holds the key it
    signed in with (a key taken away ends the sessions it opened)."""
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str) or len(token) < 32:
        return None
    row = sessions.find(_hashed(token))
    if row is None:
        return None
    secret = session_secret(settings)
    if row.kind == "tenant" and row.name in settings.tenants:
        keys = [key.get_secret_value() for key in settings.tenants[row.name].azure_keys]
    elif row.kind == "vendor" and (settings.connector_vendors.get(row.name) or {}).get("kind") == "human":
        table = settings.connector_vendors[row.name]
        keys = [key.get_secret_value() if isinstance(key, SecretStr) else str(key) for key in table.get("keys", [])]
    else:
        return None
    if not any(hmac.compare_digest(_key_digest(secret, key), row.key_digest) for key in keys):
        return None
    return Visitor("tenant" if row.kind == "tenant" else "vendor", row.name)


def remember(request: Request, who: Visitor, key: str, settings: Settings, sessions: WebSessions) -> None:
    """Start a session for `who`, signed in with `key`: a new token (a sign-in never reuses the
    session before it, nor its CSRF token), recorded in the state database."""
    request.session.clear()
    token = secrets.token_urlsafe(32)
    digest = _key_digest(session_secret(settings), key.strip())
    sessions.open(_hashed(token), who.kind, who.name, digest, settings.web_session_hours)
    request.session[SESSION_KEY] = token


def sign_out(request: Request, sessions: WebSessions) -> None:
    """End this request's session for good: its row is deleted, so the cookie opens nothing any more."""
    token = request.session.get(SESSION_KEY)
    if isinstance(token, str):
        sessions.close(_hashed(token))
    request.session.clear()


def _hashed(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _key_digest(secret: str, key: str) -> str:
    return hmac.new(secret.encode(), key.encode(), hashlib.sha256).hexdigest()


def session_secret(settings: Settings) -> str:
    """The key that signs session cookies: the configured one, else one made once and kept in the
    data folder (readable by its owner only), so sign-ins survive a restart."""
    if settings.web_secret is not None:
        return settings.web_secret.get_secret_value()
    path = Path(settings.data_dir) / _SECRET_FILE
    known = _SECRETS.get(path)
    if known is not None:
        return known
    try:
        secret = path.read_text().strip() or _new_secret(path)
    except FileNotFoundError:
        secret = _new_secret(path)
    _SECRETS[path] = secret
    return secret


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
