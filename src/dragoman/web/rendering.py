"""What every dashboard page shares: who is signed in (or the way to the sign-in), the service, and
rendering a template with the page's common context and security headers. Used by the jobs pages
(`routes`), the connector's (`connector_routes`) and the agencies' (`vendor_routes`).

Shapes: `render(request, name, visitor, status_code=200, **context) -> HTMLResponse`;
`signed_in(request) -> Visitor | Response`; `service_of(request) -> Dragoman`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from dragoman import __version__
from dragoman.domain.specs import shown_location
from dragoman.store.web_sessions import WebSessions
from dragoman.web import csrf, pages
from dragoman.web.signin import Visitor, visitor

if TYPE_CHECKING:
    from dragoman.service import Dragoman

__all__ = ["PREFIX", "SECURITY_HEADERS", "render", "service_of", "signed_in", "static_files", "templates"]

PREFIX = "/ui"
# Every page: nothing but this server's own scripts, styles and forms; never framed by another site;
# never cached (a page shows one tenant's jobs).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
_HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(_HERE / "templates"))
templates.env.filters["shown_location"] = shown_location


def static_files() -> StaticFiles:
    """The pages' own scripts and styles (htmx, pinned), mounted at /ui/static."""
    return StaticFiles(directory=str(_HERE / "static"))


def service_of(request: Request) -> Dragoman:
    """The service the app serves."""
    service: Dragoman = request.app.state.service
    return service


def render(request: Request, name: str, who: Visitor | None, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Template `name` with the page's context (the visitor, the CSRF token, the time) and the
    security headers every page carries."""
    context.update(
        request=request,
        visitor=who,
        csrf_token=csrf.token(request),
        version=__version__,
        now=datetime.now(UTC),
        pages=pages,
        prefix=PREFIX,
    )
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    return response


def signed_in(request: Request) -> Visitor | Response:
    """The visitor, or the response that sends them to sign in (htmx: by its redirect header)."""
    service = service_of(request)
    who = visitor(request, service.settings, WebSessions(service.store._engine))
    if who is not None:
        return who
    raw = request.scope.get("raw_path")  # as sent: an encoded id (a%2F..%2Fb) must come back encoded
    path = raw.decode("latin-1") if isinstance(raw, bytes) and raw else request.url.path
    target = f"{PREFIX}/signin?{urlencode({'next': path})}"
    if request.headers.get("HX-Request"):
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)
