"""A one-time message for the next page: what a form's POST did, said on the page it redirects to
(post/redirect/get), kept in the signed session cookie until that page shows it.

Shapes: `Notice(text, kind, problems)`; `keep(request, notice)`; `take(request) -> Notice | None`;
`status_of(error) -> int`: the HTTP status of a page that shows a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from dragoman.errors import Busy, Conflict, Invalid, ServiceError, SourceSystemError, StoreError

__all__ = ["Notice", "keep", "status_of", "take"]

_SESSION_KEY = "dragoman.notice"
_MOST = 2000  # characters kept: the cookie stays small


@dataclass(frozen=True, slots=True)
class Notice:
    """`kind`: ok (it was done) or error (it was refused, and nothing changed); `problems`: each thing
    wrong, one per line of the page."""

    text: str
    kind: str = "ok"
    problems: tuple[str, ...] = ()


def keep(request: Request, notice: Notice) -> None:
    request.session[_SESSION_KEY] = {"text": notice.text[:_MOST], "kind": notice.kind}


def take(request: Request) -> Notice | None:
    found = request.session.pop(_SESSION_KEY, None)
    if not isinstance(found, dict) or not isinstance(found.get("text"), str):
        return None
    return Notice(found["text"], "error" if found.get("kind") == "error" else "ok")


def status_of(error: ServiceError) -> int:
    """The status of the page that says `error` refused a form: 400 bad input, 409 the state refuses
    it, 502 a source system failed, 503 busy (try again), 500 anything else."""
    if isinstance(error, Invalid):
        return 400
    if isinstance(error, Conflict):
        return 409
    if isinstance(error, SourceSystemError):
        return 502
    if isinstance(error, Busy | StoreError):
        return 503
    return 500
