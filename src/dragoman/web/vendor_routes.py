"""A translation agency's own pages, under /ui/vendor: the jobs handed to its `human` vendor, and a
job's page where it downloads the XLIFF per target language (1.2 or 2.0, as the REST route offers),
accepts the job, uploads the translated file (a refused file shows every problem the vendor lists,
and changes nothing), and approves or refuses a cancellation the client asked for. Every decision
is the vendor queue's (`connector/vendors/human.py`, the functions the REST routes call).

A vendor sees only its own jobs (another vendor's job is "not found", by URL too); a tenant signed
in sees none of these pages. Every POST carries the session's CSRF token.

    GET  /ui/vendor?page=                                    the vendor's jobs, newest first (polled)
    GET  /ui/vendor/jobs/{id}?page=                          a job, its units and what it allows now
    GET  /ui/vendor/jobs/{id}/xliff?language=&version=       the XLIFF file of one target language
    POST /ui/vendor/jobs/{id}/upload                         multipart: `file`, `csrf_token`
    POST /ui/vendor/jobs/{id}/accept|approve-cancel|refuse-cancel
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from dragoman.connector import xliff
from dragoman.connector.vendors.human import HumanVendor, agency_document, human_vendor
from dragoman.connector.vendors.human_rules import AgencyAction, QueueState
from dragoman.connector.vendors.human_store import QueuedJob
from dragoman.errors import Invalid, NotFound, ServiceError
from dragoman.web import connector_pages, csrf, notices, rendering
from dragoman.web.signin import Visitor

__all__ = ["ANSWERS", "router"]

PREFIX = rendering.PREFIX + "/vendor"
JOBS_PER_PAGE = 25
UNITS_PER_PAGE = 200
ANSWERS = ("accept", "approve-cancel", "refuse-cancel")
router = APIRouter(include_in_schema=False)
Page = Annotated[int, Query(ge=0, le=100_000)]


def _render(request: Request, name: str, who: Visitor, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("notice", notices.take(request))
    return rendering.render(request, name, who, status_code, cp=connector_pages, **context)


def _agency(request: Request) -> tuple[Visitor, HumanVendor] | Response:
    """The signed-in vendor and its queue, or the response for anyone else: sign in first; a
    tenant is told an agency's page is not found."""
    who = rendering.signed_in(request)
    if isinstance(who, Response):
        return who
    if who.kind != "vendor":
        return _not_found(request, who, "agency page")
    try:
        return who, human_vendor(rendering.service_of(request).connector.vendors, who.name)
    except NotFound:  # signed in, then taken out of the settings
        return _not_found(request, who, "agency page")


def _not_found(request: Request, who: Visitor, what: str) -> HTMLResponse:
    return rendering.render(request, "message.html", who, 404, title="Not found", text=f"No {what} of yours is here.")


@router.get(PREFIX, response_class=HTMLResponse, response_model=None)
def jobs_page(request: Request, page: Page = 0) -> Response:
    found = _agency(request)
    if isinstance(found, Response):
        return found
    who, agency = found
    jobs, total = agency.jobs(page * JOBS_PER_PAGE, JOBS_PER_PAGE)
    context: dict[str, Any] = {
        "jobs": jobs,
        "total": total,
        "page": page,
        "page_count": max(1, -(-total // JOBS_PER_PAGE)),
    }
    name = "vendor_jobs_table.html" if request.headers.get("HX-Request") else "vendor_jobs.html"
    return _render(request, name, who, **context)


@router.get(PREFIX + "/jobs/{job_id}", response_class=HTMLResponse, response_model=None)
def job_page(request: Request, job_id: str, page: Page = 0) -> Response:
    found = _agency(request)
    if isinstance(found, Response):
        return found
    who, agency = found
    try:
        job = agency.job(job_id)
    except NotFound:
        return _not_found(request, who, f"job {job_id[:64]!r}")
    return _job_response(request, who, agency, job, page)


@router.get(PREFIX + "/jobs/{job_id}/xliff", response_model=None)
def download(
    request: Request,
    job_id: str,
    language: Annotated[str | None, Query(max_length=35)] = None,
    version: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    found = _agency(request)
    if isinstance(found, Response):
        return found
    who, agency = found
    try:
        name, data = agency.download(job_id, language or None, version or None)
    except NotFound:
        return _not_found(request, who, f"job {job_id[:64]!r}")
    except ServiceError as exc:
        refusal = notices.Notice(f"Not downloaded: {exc.message}.", "error")
        return _job_response(request, who, agency, agency.job(job_id), 0, notices.status_of(exc), notice=refusal)
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    return Response(data, media_type="application/xliff+xml", headers=headers)


@router.post(PREFIX + "/jobs/{job_id}/upload", response_class=HTMLResponse, response_model=None)
async def upload(request: Request, job_id: str) -> Response:
    """Take the translated XLIFF file of one target language (multipart: `file`, `csrf_token`);
    refused whole, with every problem, or taken (the job is delivered once every language is in).
    The form is read only once the session says a vendor is signed in: nobody else's upload is
    spooled (the front-door guard caps its size)."""
    found = _agency(request)
    if isinstance(found, Response):
        return found
    who, agency = found
    most = rendering.service_of(request).settings.max_request_bytes_connector
    async with request.form(max_files=1, max_fields=4, max_part_size=64 * 1024) as form:
        token, file = form.get("csrf_token"), form.get("file")
        if not csrf.check(request, token if isinstance(token, str) else None):
            return _expired(request, who)
        if not isinstance(file, UploadFile) or not file.filename:
            refusal = Invalid("choose the translated XLIFF file to upload")
            return await run_in_threadpool(_refused, request, who, agency, job_id, refusal, ())
        data, filename = await file.read(most + 1), file.filename
    try:
        job = await run_in_threadpool(agency.upload, job_id, data, most)
    except NotFound:
        return _not_found(request, who, f"job {job_id[:64]!r}")
    except ServiceError as exc:
        problems = tuple(exc.problems) if isinstance(exc, xliff.XliffRefused) else ()
        return await run_in_threadpool(_refused, request, who, agency, job_id, exc, problems)
    delivered = ", ".join(job.delivered_languages)
    if job.state is QueueState.DELIVERED:
        said = f"Your file {filename} was taken: every language is in ({delivered}), the job is delivered."
    else:
        wanted = ", ".join(job.target_languages)
        said = f"Your file {filename} was taken. Languages in so far: {delivered} of {wanted}."
    notices.keep(request, notices.Notice(said))
    return RedirectResponse(f"{PREFIX}/jobs/{job_id}", status_code=303)


def _refused(
    request: Request, who: Visitor, agency: HumanVendor, job_id: str, exc: ServiceError, problems: tuple[str, ...]
) -> HTMLResponse:
    if problems:
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        text = f"The file is refused ({count}); nothing was changed."
    else:
        text = f"Not uploaded: {exc.message}."
    refusal = notices.Notice(text, "error", problems)
    return _job_response(request, who, agency, agency.job(job_id), 0, notices.status_of(exc), notice=refusal)


@router.post(PREFIX + "/jobs/{job_id}/{answer}", response_class=HTMLResponse, response_model=None)
def answer(request: Request, job_id: str, answer: str, csrf_token: Annotated[str, Form()] = "") -> Response:
    """Accept the job, or approve or refuse the client's cancel request."""
    found = _agency(request)
    if isinstance(found, Response):
        return found
    who, agency = found
    if answer not in ANSWERS:
        return _not_found(request, who, f"action {answer[:20]!r}")
    if not csrf.check(request, csrf_token):
        return _expired(request, who)
    try:
        if answer == "accept":
            job = agency.accept(job_id)
            said = "Accepted: the job is in production."
        elif answer == "approve-cancel":
            job = agency.approve_cancel(job_id)
            said = "Cancellation approved: the job is cancelled."
        else:
            job = agency.refuse_cancel(job_id)
            said = "Cancellation refused: the job goes on, in production."
    except NotFound:
        return _not_found(request, who, f"job {job_id[:64]!r}")
    except ServiceError as exc:
        refusal = notices.Notice(f"Not done: {exc.message}.", "error")
        return _job_response(request, who, agency, agency.job(job_id), 0, notices.status_of(exc), notice=refusal)
    notices.keep(request, notices.Notice(said))
    return RedirectResponse(f"{PREFIX}/jobs/{job.job_id}", status_code=303)


def _expired(request: Request, who: Visitor) -> HTMLResponse:
    return rendering.render(
        request, "message.html", who, 403, title="Nothing done", text="The form expired: reload the page."
    )


def _job_response(
    request: Request,
    who: Visitor,
    agency: HumanVendor,
    job: QueuedJob,
    page: int,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    units = [
        (item, name, text, (job.translations.get(item.id) or {}).get(name))
        for item in job.items
        for name, (text, _) in item.fields.items()
    ]
    shown = units[page * UNITS_PER_PAGE : (page + 1) * UNITS_PER_PAGE]
    document = agency_document(job)
    context: dict[str, Any] = {
        "job": job,
        "document": document,
        "units": shown,
        "page": page,
        "page_count": max(1, -(-len(units) // UNITS_PER_PAGE)),
        "versions": xliff.VERSIONS,
        "default_version": agency.options.xliff_version,
        "can": set(document["actions"]),
        "answers": _answers(job, set(document["actions"])),
        "A": AgencyAction,
        "live": job.state in (QueueState.RECEIVED, QueueState.IN_PRODUCTION),
        **extra,
    }
    name = "vendor_job_live.html" if request.headers.get("HX-Request") else "vendor_job.html"
    return _render(request, name, who, status_code, **context)


def _answers(job: QueuedJob, can: set[str]) -> list[tuple[str, str]]:
    """The answer buttons a job's page offers now: (action, words), from what the queue allows."""
    found = []
    if AgencyAction.ACCEPT.value in can and job.state is QueueState.RECEIVED:  # accepting again changes nothing
        found.append(("accept", "Accept the job"))
    if AgencyAction.APPROVE_CANCEL.value in can:
        found.append(("approve-cancel", "Approve the cancellation"))
    if AgencyAction.REFUSE_CANCEL.value in can:
        found.append(("refuse-cancel", "Refuse the cancellation: work has started"))
    return found
