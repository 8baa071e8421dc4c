"""Cross-site request forgery protection for the dashboard's forms: every state-changing request
(POST) carries the session's token, in a hidden form field or the `X-CSRF-Token` header (htmx
sends it from the page's `hx-headers`), compared in constant time. The session cookie is also
`SameSite=Lax`. Source: OWASP Cross-Site Request Forgery Prevention Cheat Sheet, "Synchronizer
token pattern".

Shapes: `token(request) -> str`; `check(request, submitted) -> bool`.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request

__all__ = ["FIELD", "HEADER", "check", "token"]

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
_SESSION_KEY = "dragoman.csrf"


def token(request: Request) -> str:
    """The session's token, made on first use."""
    found = request.session.get(_SESSION_KEY)
    if not isinstance(found, str) or len(found) < 32:
        found = secrets.token_urlsafe(32)
        request.session[_SESSION_KEY] = found
    return found


def check(request: Request, submitted: str | None) -> bool:
    """Whether `submitted` (the form field, else the header) is this session's token."""
    expected = request.session.get(_SESSION_KEY)
    candidate = submitted or request.headers.get(HEADER) or ""
    return isinstance(expected, str) and bool(candidate) and hmac.compare_digest(expected.encode(), candidate.encode())
