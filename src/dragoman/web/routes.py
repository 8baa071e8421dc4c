"""The dashboard's pages under /ui: sign-in, the jobs list, a job's page with its documents, and a
cancel that says what it will do and then what it did. Server-rendered (Jinja2) with htmx, served
from this package (nothing from elsewhere: the pages work offline). Fragments (`HX-Request`) are
the same templates' blocks, polled while a job runs.

A tenant sees only its own jobs: every read names the tenant, so another tenant's job is "not
found", by its page's URL too. Every POST carries the session's CSRF token (`csrf.py`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dragoman.domain.jobs import JobView
from dragoman.domain.states import JobStatus, TaskStatus
from dragoman.errors import CancelRefused, NotFound
from dragoman.store.jobs import JobQuery, TaskQuery
from dragoman.web import csrf, pages
from dragoman.web.rendering import PREFIX, SECURITY_HEADERS, render, service_of, signed_in, static_files
from dragoman.web.signin import Visitor, remember, sign_in, sign_out

__all__ = ["PREFIX", "SECURITY_HEADERS", "router", "static_files"]  # the last three from `rendering`

PAGE_SIZE = 25
TASKS_PER_PAGE = 200
router = APIRouter(include_in_schema=False)


def _safe_next(value: str | None) -> str:
    """Where to go after signing in: a page of the dashboard, never another site."""
    if value and value.startswith(PREFIX + "/") and not value.startswith("//") and "\\" not in value:
        return value
    return f"{PREFIX}/jobs"


@router.get("/", include_in_schema=False)
def root() -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}/jobs", status_code=303)


@router.get(PREFIX, include_in_schema=False)
@router.get(PREFIX + "/", include_in_schema=False)
def home() -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}/jobs", status_code=303)


@router.get(PREFIX + "/signin", response_class=HTMLResponse)
def signin_form(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "signin.html", None, next=_safe_next(next), error=None)


@router.post(PREFIX + "/signin", response_class=HTMLResponse, response_model=None)
def signin(
    request: Request,
    key: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    if not csrf.check(request, csrf_token):
        return render(request, "signin.html", None, 403, next=_safe_next(next), error="The form expired: try again.")
    who = sign_in(service_of(request).settings, key)
    if who is None:
        return render(request, "signin.html", None, 401, next=_safe_next(next), error="That key is not known here.")
    remember(request, who)
    csrf.token(request)
    landing = f"{PREFIX}/vendor" if who.kind == "vendor" else _safe_next(next)
    return RedirectResponse(landing, status_code=303)


@router.post(PREFIX + "/signout", response_model=None)
def signout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    if csrf.check(request, csrf_token):
        sign_out(request)
    return RedirectResponse(f"{PREFIX}/signin", status_code=303)


@router.get(PREFIX + "/jobs", response_class=HTMLResponse, response_model=None)
def jobs_page(
    request: Request,
    status: Annotated[list[str] | None, Query()] = None,
    door: str | None = None,
    created_from: Annotated[str | None, Query(alias="from")] = None,
    created_to: Annotated[str | None, Query(alias="to")] = None,
    q: str | None = None,
    language: str | None = None,
    after: str | None = None,
) -> Response:
    who = signed_in(request)
    if isinstance(who, Response):
        return who
    if who.kind != "tenant":
        return RedirectResponse(f"{PREFIX}/vendor", status_code=303)
    service = service_of(request)
    statuses = {JobStatus(value) for value in status or () if value in JobStatus.__members__.values()}
    query = JobQuery(
        statuses=statuses or None,
        origin=door if door in pages.FRONT_DOORS else None,
        created_from=_day(created_from),
        created_to=_day(created_to, end=True),
        search=(q or "").strip()[:200] or None,
        language=(language or "").strip()[:35] or None,
        after=_cursor(after),
    )
    views = service.list_jobs(tenant=who.name, limit=PAGE_SIZE + 1, query=query)
    more, views = len(views) > PAGE_SIZE, views[:PAGE_SIZE]
    languages = service.store.languages_of([view.job.id for view in views])
    filters = {
        "status": sorted(status.value for status in statuses),
        "door": query.origin or "",
        "from": created_from or "",
        "to": created_to or "",
        "q": query.search or "",
        "language": query.language or "",
    }
    kept = [(name, value) for name, value in filters.items() if value and name != "status"]
    kept += [("status", value) for value in filters["status"]]
    next_page = None
    if more:
        last = views[-1].job
        next_page = urlencode([*kept, ("after", f"{last.created_at.isoformat()}|{last.id}")])
    context: dict[str, Any] = {
        "views": views,
        "languages": languages,
        "filters": filters,
        "statuses": list(JobStatus),
        "next_page": next_page,
        "first_page": urlencode(kept),
        "paged": after is not None,
        "live_query": urlencode([*kept, *([("after", after)] if after else [])]),
    }
    name = "jobs_table.html" if request.headers.get("HX-Request") else "jobs.html"
    return render(request, name, who, **context)


@router.get(PREFIX + "/jobs/{job_id}", response_class=HTMLResponse, response_model=None)
def job_page(request: Request, job_id: str, page: Annotated[int, Query(ge=0, le=100_000)] = 0) -> Response:
    who = signed_in(request)
    if isinstance(who, Response):
        return who
    found = _job(request, who, job_id)
    if isinstance(found, Response):
        return found
    context = _job_context(request, who, found, page)
    name = "job_live.html" if request.headers.get("HX-Request") else "job.html"
    return render(request, name, who, **context)


@router.get(PREFIX + "/jobs/{job_id}/cancel", response_class=HTMLResponse, response_model=None)
def cancel_dialog(request: Request, job_id: str) -> Response:
    """The confirmation, with what a cancel would do now, in numbers."""
    who = signed_in(request)
    if isinstance(who, Response):
        return who
    found = _job(request, who, job_id)
    if isinstance(found, Response):
        return found
    return render(request, "cancel_dialog.html", who, view=found, consequences=pages.consequences(found), result=None)


@router.post(PREFIX + "/jobs/{job_id}/cancel", response_class=HTMLResponse, response_model=None)
def cancel(request: Request, job_id: str, csrf_token: Annotated[str, Form()] = "") -> Response:
    """Cancel the job and show what the cancel did (cancelled, cancelling, or lost the race)."""
    who = signed_in(request)
    if isinstance(who, Response):
        return who
    if who.kind != "tenant":
        return _not_found(request, who, job_id)
    if not csrf.check(request, csrf_token):
        return render(
            request, "message.html", who, 403, title="Not cancelled", text="The form expired: reload the page."
        )
    service = service_of(request)
    try:
        view = service.cancel(job_id, tenant=who.name)
        result = pages.cancel_result(view)
    except NotFound:
        return _not_found(request, who, job_id)
    except CancelRefused:
        view = service.get(job_id, tenant=who.name)
        result = pages.refused_result(view)
    if not request.headers.get("HX-Request"):
        return RedirectResponse(f"{PREFIX}/jobs/{job_id}", status_code=303)
    return render(request, "cancel_dialog.html", who, view=view, consequences=None, result=result)


def _job(request: Request, who: Visitor, job_id: str) -> JobView | Response:
    if who.kind != "tenant":
        return _not_found(request, who, job_id)
    try:
        return service_of(request).get(job_id, tenant=who.name)
    except NotFound:
        return _not_found(request, who, job_id)


def _not_found(request: Request, who: Visitor, job_id: str) -> Response:
    return render(
        request, "message.html", who, 404, title="Job not found", text=f"No job {job_id[:64]!r} of yours is here."
    )


def _job_context(request: Request, who: Visitor, view: JobView, page: int) -> dict[str, Any]:
    service = service_of(request)
    tasks = service.tasks(
        view.job.id, tenant=who.name, query=TaskQuery(limit=TASKS_PER_PAGE, offset=page * TASKS_PER_PAGE)
    )
    return {
        "view": view,
        "timeline": service.store.timeline(view.job.id, tenant=who.name),
        "tasks": tasks,
        "page": page,
        "pages_of_tasks": max(1, -(-view.summary.total // TASKS_PER_PAGE)),
        "protocol": pages.protocol_status(view),
        "cancellable": pages.can_cancel(view),
        "TaskStatus": TaskStatus,
    }


def _day(value: str | None, *, end: bool = False) -> datetime | None:
    """A date (`2026-11-30`) or moment from a filter, as UTC; None when absent or unreadable."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if end and len(value.strip()) == 10:  # a whole day: up to its end
        moment += timedelta(days=1) - timedelta(microseconds=1)
    return moment


def _cursor(value: str | None) -> tuple[datetime, str] | None:
    if not value or "|" not in value:
        return None
    moment, _, job_id = value.partition("|")
    try:
        return datetime.fromisoformat(moment), job_id[:64]
    except ValueError:
        return None
