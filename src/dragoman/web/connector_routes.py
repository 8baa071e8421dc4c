"""The content connector's pages for a tenant, under /ui/connector: its entities as a matrix of
languages (In translation / Translated, out-of-date markers), one entity, its connector jobs, and a
job's page with its lifecycle, its vendor's answer to a cancel request, the per-item import report
and the actions its state allows. Every decision is the connector's (`service.connector`); a page
only turns a form into one call and says what came of it.

A tenant sees only its own entities and jobs: every read names the tenant, so another tenant's are
"not found", by URL too. A vendor signed in sees none of these pages. Every POST carries the
session's CSRF token (`csrf.py`); an action answers by redirecting to the job's page, which says
what was done (`notices.py`), or shows the job with why it was refused (nothing changed).

    GET  /ui/connector/entities?source=&status=&language=&page=   entities × languages, paged
    GET  /ui/connector/entities/{id}                              one entity (ids may hold /)
    GET  /ui/connector/jobs?page=                                 connector jobs, newest first
    GET  /ui/connector/jobs/{id}?page=                            a job and its import report (polled)
    POST /ui/connector/jobs/{id}/send|cancel|poll|import|resubmit
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dragoman.connector.documents import job_document
from dragoman.connector.lifecycle import TERMINAL_JOB_STATES, CancelRequest, ConnectorJobStatus
from dragoman.connector.service import Connector
from dragoman.connector.store import ConnectorJob, ItemStatus
from dragoman.errors import Invalid, NotFound, ServiceError
from dragoman.web import connector_pages, csrf, notices, rendering
from dragoman.web.signin import Visitor

__all__ = ["ACTIONS", "router"]

PREFIX = rendering.PREFIX + "/connector"
ENTITIES_PER_PAGE = 50
JOBS_PER_PAGE = 25
ITEMS_PER_PAGE = 200
ACTIONS = ("send", "cancel", "poll", "import", "resubmit")
router = APIRouter(include_in_schema=False)
Page = Annotated[int, Query(ge=0, le=100_000)]


def _connector(request: Request) -> Connector:
    return rendering.service_of(request).connector


def _render(request: Request, name: str, who: Visitor, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("notice", notices.take(request))
    return rendering.render(request, name, who, status_code, cp=connector_pages, **context)


def _tenant(request: Request, *, listing: bool = False) -> Visitor | Response:
    """The signed-in tenant, or the response for anyone else: sign in first; a vendor is sent to its
    own page from a list, and told a tenant's page is not found."""
    who = rendering.signed_in(request)
    if isinstance(who, Response) or who.kind == "tenant":
        return who
    if listing:
        return RedirectResponse(f"{rendering.PREFIX}/vendor", status_code=303)
    return _not_found(request, who, "page")


def _not_found(request: Request, who: Visitor, what: str) -> HTMLResponse:
    return rendering.render(request, "message.html", who, 404, title="Not found", text=f"No {what} of yours is here.")


# --- entities -----------------------------------------------------------------------------------


@router.get(PREFIX + "/entities", response_class=HTMLResponse, response_model=None)
def entities_page(
    request: Request,
    source: str | None = None,
    status: str | None = None,
    language: str | None = None,
    page: Page = 0,
) -> Response:
    who = _tenant(request, listing=True)
    if isinstance(who, Response):
        return who
    connector, tenant = _connector(request), who.name
    notice = notices.take(request)
    try:
        chosen = connector_pages.entity_filter(source, status, language)
    except Invalid as exc:
        notice = notices.Notice(f"The language filter is left out: {exc.message}.", "error")
        chosen = connector_pages.entity_filter(source, status, None)
    offset = page * ENTITIES_PER_PAGE
    if chosen.active:  # a filter reads every entity (the store pages only by id)
        imported = connector.store.imported(tenant)
        kept = [
            entity for entity in connector.store.entities(tenant) if chosen.keeps(entity, imported.get(entity.id, {}))
        ]
        shown, total = kept[offset : offset + ENTITIES_PER_PAGE], len(kept)
    else:
        shown, total = connector.store.entity_page(tenant, offset, ENTITIES_PER_PAGE)
        imported = connector.store.imported_for(tenant, [entity.id for entity in shown])
    languages = connector_pages.languages_of(shown, [chosen.language] if chosen.language else [])
    rows = [
        (entity, connector_pages.language_cells(entity, imported.get(entity.id, {}), languages)) for entity in shown
    ]
    query = [("source", chosen.source), ("status", chosen.status), ("language", chosen.language)]
    kept_query = urlencode([(name, value) for name, value in query if value])
    context: dict[str, Any] = {
        "rows": rows,
        "languages": languages,
        "filter": chosen,
        "statuses": connector_pages.ENTITY_STATUSES,
        "sources": sorted(name for name, system in connector.sources.items() if system.tenant == tenant),
        "total": total,
        "page": page,
        "page_count": max(1, -(-total // ENTITIES_PER_PAGE)),
        "query": kept_query,
        "notice": notice,
    }
    name = "connector_entities_table.html" if request.headers.get("HX-Request") else "connector_entities.html"
    return _render(request, name, who, **context)


@router.get(PREFIX + "/entities/{entity_id:path}", response_class=HTMLResponse, response_model=None)
def entity_page(request: Request, entity_id: str) -> Response:
    who = _tenant(request)
    if isinstance(who, Response):
        return who
    connector = _connector(request)
    try:
        entity = connector.store.entity(who.name, entity_id)
    except NotFound:
        return _not_found(request, who, f"entity {entity_id[:200]!r}")
    imported = connector.store.imported_for(who.name, [entity.id]).get(entity.id, {})
    languages = connector_pages.languages_of([entity])
    cells = connector_pages.language_cells(entity, imported, languages)
    return _render(request, "connector_entity.html", who, entity=entity, cells=cells)


# --- jobs ---------------------------------------------------------------------------------------


@router.get(PREFIX + "/jobs", response_class=HTMLResponse, response_model=None)
def jobs_page(request: Request, page: Page = 0) -> Response:
    who = _tenant(request, listing=True)
    if isinstance(who, Response):
        return who
    jobs, total = _connector(request).store.job_page(who.name, page * JOBS_PER_PAGE, JOBS_PER_PAGE)
    context: dict[str, Any] = {
        "jobs": [(job, _counts(job)) for job in jobs],
        "total": total,
        "page": page,
        "page_count": max(1, -(-total // JOBS_PER_PAGE)),
    }
    name = "connector_jobs_table.html" if request.headers.get("HX-Request") else "connector_jobs.html"
    return _render(request, name, who, **context)


@router.get(PREFIX + "/jobs/{job_id}", response_class=HTMLResponse, response_model=None)
def job_page(request: Request, job_id: str, page: Page = 0) -> Response:
    who = _tenant(request)
    if isinstance(who, Response):
        return who
    try:
        job = _connector(request).store.job(who.name, job_id)
    except NotFound:
        return _not_found(request, who, f"connector job {job_id[:64]!r}")
    return _job_response(request, who, job, page)


@router.post(PREFIX + "/jobs/{job_id}/{action}", response_class=HTMLResponse, response_model=None)
def job_action(request: Request, job_id: str, action: str, csrf_token: Annotated[str, Form()] = "") -> Response:
    """Do `action` to the job through the connector, then show the job's page saying what it did, or
    the job as it is with why it was refused."""
    who = _tenant(request)
    if isinstance(who, Response):
        return who
    if action not in ACTIONS:
        return _not_found(request, who, f"action {action[:20]!r}")
    if not csrf.check(request, csrf_token):
        return rendering.render(
            request, "message.html", who, 403, title="Nothing done", text="The form expired: reload the page."
        )
    connector, tenant = _connector(request), who.name
    try:
        before = connector.store.job(tenant, job_id, with_items=False)
        job = _do(connector, tenant, job_id, action)
    except NotFound:
        return _not_found(request, who, f"connector job {job_id[:64]!r}")
    except ServiceError as exc:
        job = connector.store.job(tenant, job_id)
        refusal = notices.Notice(f"Not done: {exc.message}.", "error")
        return _job_response(request, who, job, 0, status_code=notices.status_of(exc), notice=refusal)
    notices.keep(request, _said(action, before, job))
    return RedirectResponse(f"{PREFIX}/jobs/{job.id}", status_code=303)


def _do(connector: Connector, tenant: str, job_id: str, action: str) -> ConnectorJob:
    if action == "send":
        return connector.send(tenant, job_id)
    if action == "cancel":
        return connector.cancel(tenant, job_id)
    if action == "poll":
        return connector.poll(tenant, job_id)
    if action == "import":
        return connector.import_job(tenant, job_id)
    return connector.resubmit(tenant, job_id)


def _said(action: str, before: ConnectorJob, job: ConnectorJob) -> notices.Notice:
    """What an action did, in plain words, from the job as it left it."""
    words = connector_pages.status_words(job.status)
    if action == "send":
        if job.status is ConnectorJobStatus.SEND_FAILED:
            return notices.Notice(f"The vendor {job.vendor} could not take the job: {job.error}", "error")
        return notices.Notice(f"Sent to {job.vendor}: the job is {words}.")
    if action == "cancel":
        if job.status is ConnectorJobStatus.CANCELLED:
            return notices.Notice("Cancelled, free: its languages are no longer in translation.")
        if job.cancel_request is CancelRequest.REQUESTED:
            return notices.Notice(
                f"Cancellation requested from {job.vendor}: its answer arrives with the next poll of the vendor."
            )
        return notices.Notice(f"The job is {words}; cancel request {job.cancel_request.value}.")
    if action == "poll":
        return notices.Notice(f"Asked {job.vendor}: the job is {words}.")
    if action == "import":
        counts = _counts(job)
        return notices.Notice(
            f"The job is {words}: {counts[ItemStatus.IMPORTED]} items imported, {counts[ItemStatus.FAILED]} failed.",
            "error" if job.status is ConnectorJobStatus.IMPORTED_WITH_ERRORS else "ok",
        )
    return notices.Notice(f"A new draft resubmits job {before.id[:8]}: send it when it is ready.")


def _job_response(
    request: Request, who: Visitor, job: ConnectorJob, page: int, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    items = job.items[page * ITEMS_PER_PAGE : (page + 1) * ITEMS_PER_PAGE]
    context: dict[str, Any] = {
        "job": job,
        "items": items,
        "counts": _counts(job),
        "page": page,
        "page_count": max(1, -(-len(job.items) // ITEMS_PER_PAGE)),
        "steps": connector_pages.lifecycle_steps(job.status),
        "cancel": connector_pages.cancel_offer(job),
        "actions": connector_pages.job_actions(job),
        "live": job.status not in TERMINAL_JOB_STATES,
        **extra,
    }
    name = "connector_job_live.html" if request.headers.get("HX-Request") else "connector_job.html"
    return _render(request, name, who, status_code, **context)


def _counts(job: ConnectorJob) -> dict[str, int]:
    counts: dict[str, int] = job_document(job, with_items=False)["counts"]
    return counts
