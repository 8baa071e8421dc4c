"""The dashboard's pages under /ui: sign-in, the jobs list, a job's page with its documents, and a
cancel that says what it will do and then what it did. Server-rendered (Jinja2) with htmx, served
from this package (nothing from elsewhere: the pages work offline). Fragments (`HX-Request`) are
the same templates' blocks, polled while a job runs.

A tenant sees only its own jobs: every read names the tenant, so another tenant's job is "not
found", by its page's URL too. Every POST carries the session's CSRF token (`csrf.py`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dragoman.domain.jobs import JobView
from dragoman.domain.specs import shown_location
from dragoman.domain.states import JobStatus, TaskStatus
from dragoman.errors import CancelRefused, NotFound, ServiceError
from dragoman.formats.documents import format_of
from dragoman.store.jobs import JobQuery, TaskQuery
from dragoman.store.web_sessions import WebSessions
from dragoman.web import csrf, pages
from dragoman.web.rendering import PREFIX, SECURITY_HEADERS, render, service_of, signed_in, static_files
from dragoman.web.signin import Visitor, remember, sign_in, sign_out
from dragoman.web.throttle import LIMIT, SignInThrottle

__all__ = ["PREFIX", "SECURITY_HEADERS", "router", "static_files"]  # the last three from `rendering`

PAGE_SIZE = 25
TASKS_PER_PAGE = 200
router = APIRouter(include_in_schema=False)
_THROTTLE = SignInThrottle()


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
    address = request.client.host if request.client else ""
    if not _THROTTLE.allowed(address):
        too_many = f"Too many wrong keys from this address: try again in a minute ({LIMIT} a minute at most)."
        return render(request, "signin.html", None, 429, next=_safe_next(next), error=too_many)
    service = service_of(request)
    who = sign_in(service.settings, key)
    if who is None:
        _THROTTLE.failed(address)
        return render(request, "signin.html", None, 401, next=_safe_next(next), error="That key is not known here.")
    remember(request, who, key, service.settings, WebSessions(service.store._engine))
    csrf.token(request)
    landing = f"{PREFIX}/vendor" if who.kind == "vendor" else _safe_next(next)
    return RedirectResponse(landing, status_code=303)


@router.post(PREFIX + "/signout", response_model=None)
def signout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    if csrf.check(request, csrf_token):
        sign_out(request, WebSessions(service_of(request).store._engine))
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
    ignored = [f"status {value!r}" for value in status or () if value not in JobStatus.__members__.values()]
    if door and door not in pages.FRONT_DOORS:
        ignored.append(f"front door {door!r}")
    ignored += [f"date {value!r}" for value in (created_from, created_to) if value and _day(value) is None]
    if after and _cursor(after) is None:
        ignored.append("a page link that could not be read (showing the newest)")
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
        "live_query": urlencode([*kept, *([("after", after)] if after and query.after else [])]),
        "ignored": ignored,
    }
    name = "jobs_table.html" if request.headers.get("HX-Request") else "jobs.html"
    return render(request, name, who, **context)


@router.get(PREFIX + "/jobs/{job_id}", response_class=HTMLResponse, response_model=None)
def job_page(
    request: Request, job_id: str, page: Annotated[int, Query(ge=0, le=100_000)] = 0, status: str | None = None
) -> Response:
    seen = _own_job(request, job_id)
    if isinstance(seen, Response):
        return seen
    who, found = seen
    context = _job_context(request, who, found, page, status)
    name = "job_live.html" if request.headers.get("HX-Request") else "job.html"
    return render(request, name, who, **context)


@router.get(PREFIX + "/jobs/{job_id}/cancel", response_class=HTMLResponse, response_model=None)
def cancel_dialog(request: Request, job_id: str) -> Response:
    """The confirmation, with what a cancel would do now, in numbers; or, for a job no longer
    cancellable, what became of it (a page of its own without JavaScript)."""
    seen = _own_job(request, job_id)
    if isinstance(seen, Response):
        return seen
    who, found = seen
    return _cancel_state(request, who, found, pages.cancel_state(found))


@router.get(PREFIX + "/jobs/{job_id}/cancel/consequences", response_class=HTMLResponse, response_model=None)
def cancel_consequences(request: Request, job_id: str) -> Response:
    """The open confirmation's numbers, polled; once the job can no longer be cancelled, the whole
    confirmation is replaced by what became of the job (a lost race, or someone else's cancel)."""
    seen = _own_job(request, job_id)
    if isinstance(seen, Response):
        return seen
    who, found = seen
    state = pages.cancel_state(found)
    if state.result is None:
        return render(request, "cancel_consequences.html", who, view=found, state=state)
    response = render(request, "cancel_dialog.html", who, view=found, state=state)
    response.headers.update({"HX-Retarget": "#cancel-area", "HX-Reswap": "innerHTML"})
    return response


@router.post(PREFIX + "/jobs/{job_id}/cancel", response_class=HTMLResponse, response_model=None)
def cancel(request: Request, job_id: str, csrf_token: Annotated[str, Form()] = "") -> Response:
    """Cancel the job and show what the cancel did (cancelled, cancelling, or lost the race)."""
    who = signed_in(request)
    if isinstance(who, Response):
        return who
    if who.kind != "tenant":
        return _not_found(request, who, job_id)
    if not csrf.check(request, csrf_token):
        expired = "The form expired: reload the page."
        return render(request, "message.html", who, 403, title="Not cancelled", text=expired)
    service = service_of(request)
    try:
        view = service.cancel(job_id, tenant=who.name)
        state = pages.CancelState(view, None, pages.cancel_result(view))
    except NotFound:
        return _not_found(request, who, job_id)
    except CancelRefused:
        view = service.get(job_id, tenant=who.name)
        state = pages.CancelState(view, None, pages.refused_result(view))
    return _cancel_state(request, who, view, state)


@router.get(PREFIX + "/jobs/{job_id}/tasks/{task_id}/output", response_model=None)
def output(request: Request, job_id: str, task_id: str) -> Response:
    """A succeeded document's translation, read from where it was written (the tenant's storage),
    as a download named like it."""
    who = signed_in(request)
    if isinstance(who, Response):
        return who
    if who.kind != "tenant":
        return _not_found(request, who, job_id)
    service = service_of(request)
    try:
        task = service.task(job_id, task_id, tenant=who.name)
    except NotFound:
        return _not_found(request, who, job_id)
    if task.status is not TaskStatus.SUCCEEDED:
        return render(request, "message.html", who, 404, title="No translation", text="This document has none.")
    try:
        data = service.storage.for_tenant(who.name).read(task.target_url)
    except ServiceError as exc:
        return render(request, "message.html", who, 502, title="Not readable", text=exc.message)
    name = PurePosixPath(shown_location(task.target_url)).name or "translation"
    try:
        media_type = format_of(name, data).content_types[0]
    except ServiceError:
        media_type = "application/octet-stream"
    disposition = f"attachment; filename*=UTF-8''{quote(name, safe='')}"
    return Response(data, media_type=media_type, headers={**SECURITY_HEADERS, "Content-Disposition": disposition})


def _cancel_state(request: Request, who: Visitor, view: JobView, state: pages.CancelState) -> HTMLResponse:
    """The cancel area's content (htmx), or a page of its own (no JavaScript)."""
    name = "cancel_dialog.html" if request.headers.get("HX-Request") else "cancel_page.html"
    return render(request, name, who, view=view, state=state)


def _own_job(request: Request, job_id: str) -> tuple[Visitor, JobView] | Response:
    """The signed-in visitor and their job `job_id`; else the sign-in page, or "not found" (for
    another tenant's job too: whether it exists is not said)."""
    who = signed_in(request)
    if isinstance(who, Response):
        return who
    found = _job(request, who, job_id)
    return found if isinstance(found, Response) else (who, found)


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


def _job_context(request: Request, who: Visitor, view: JobView, page: int, status: str | None) -> dict[str, Any]:
    service = service_of(request)
    shown = TaskStatus(status) if status is not None and status in TaskStatus.__members__.values() else None
    summary = view.summary
    counted = {
        None: summary.total,
        TaskStatus.PENDING: summary.not_yet_started,
        TaskStatus.RUNNING: summary.in_progress,
        TaskStatus.SUCCEEDED: summary.succeeded,
        TaskStatus.FAILED: summary.failed,
        TaskStatus.CANCELLED: summary.cancelled,
    }[shown]
    pages_of_tasks = max(1, -(-counted // TASKS_PER_PAGE))
    page = min(page, pages_of_tasks - 1)  # a page past the end shows the last one
    query = TaskQuery(statuses={shown} if shown else None, limit=TASKS_PER_PAGE, offset=page * TASKS_PER_PAGE)
    tasks = service.tasks(view.job.id, tenant=who.name, query=query)
    return {
        "view": view,
        "timeline": service.store.timeline(view.job.id, tenant=who.name),
        "tasks": tasks,
        "page": page,
        "task_status": shown.value if shown else "",
        "pages_of_tasks": pages_of_tasks,
        "protocol": pages.protocol_status(view),
        "cancellable": pages.can_cancel(view),
        "TaskStatus": TaskStatus,
    }


def _day(value: str | None, *, end: bool = False) -> datetime | None:
    """A date (`2026-11-30`) or moment from a filter, in UTC; None when absent or unreadable (a
    moment UTC cannot hold, such as year 1 at +14:00, is unreadable too)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
        moment = (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment).astimezone(UTC)
        if end and len(value.strip()) == 10:  # a whole day: up to its end
            moment += timedelta(days=1) - timedelta(microseconds=1)
    except (ValueError, OverflowError):
        return None
    return moment


def _cursor(value: str | None) -> tuple[datetime, str] | None:
    """The (created_at, id) a jobs page continues after, from its link; None when unreadable."""
    if not value or "|" not in value:
        return None
    moment, _, job_id = value.partition("|")
    when = _day(moment)
    return None if when is None else (when, job_id[:64])
