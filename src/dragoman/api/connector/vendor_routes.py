"""The agency routes of the content connector, under /connector/vendor: a translation agency working
the queue of its `human` vendor (`connector/vendors/human.py`). Authenticated by the front-door guard
with the vendor's own keys, `Authorization: Bearer <key>` (`api/connector/vendor_auth.py`): a tenant's
key opens none of them, and a vendor sees only its own jobs (another vendor's job answers 404).
Errors are the connector's one shape (`api/connector/errors.py`); a refused upload is a 400 Invalid
whose message lists every problem, one per line, and changes nothing.

    GET  /connector/vendor/jobs?offset=&limit=                 the vendor's jobs, newest first
    GET  /connector/vendor/jobs/{id}                           one job: state, cancel request, actions
    GET  /connector/vendor/jobs/{id}/xliff?language=&version=  its XLIFF for one target language (1.2, 2.0)
    POST /connector/vendor/jobs/{id}:accept                    received -> in_production
    POST /connector/vendor/jobs/{id}:upload                    the translated XLIFF as the body
    POST /connector/vendor/jobs/{id}:approve-cancel|:refuse-cancel
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from dragoman.api.connector.errors import CODES
from dragoman.api.connector.models import ErrorOut
from dragoman.api.connector.vendor_auth import connector_vendor
from dragoman.connector.vendors.human import HumanVendor, agency_document, human_vendor
from dragoman.service import Dragoman

__all__ = ["router"]

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="VendorKeyBearer",
    description="A translation vendor's API key (DRAGOMAN_CONNECTOR_VENDORS keys of a human vendor).",
)


def vendor(
    request: Request, bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None
) -> HumanVendor:
    """The caller's vendor, as the front-door guard authenticated it; `bearer` only describes the
    credentials in OpenAPI."""
    service: Dragoman = request.app.state.service
    return human_vendor(service.connector.vendors, connector_vendor(request))


Agency = Annotated[HumanVendor, Depends(vendor)]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1, description="How many to skip.")]
Limit = Annotated[int, Query(ge=1, le=500, description="How many at most.")]

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": ", ".join(code for code, at in CODES.items() if at == status)}
    for status in sorted(set(CODES.values()))
}
router = APIRouter(prefix="/connector/vendor", tags=["connector: translation agencies"], responses=_ERRORS)

Action = Literal["download", "accept", "upload", "approve-cancel", "refuse-cancel"]


class VendorJobCounts(BaseModel):
    items: int = Field(description="Entities × target languages.")
    units: int = Field(description="Fields to translate, over every target language.")


class VendorJobOut(BaseModel):
    """A job in the vendor's queue."""

    id: str = Field(description="The connector job's id.")
    name: str
    state: Literal["received", "in_production", "delivered", "cancelled"]
    cancel_request: Literal["none", "requested", "approved", "refused"] = Field(
        description="A cancel the connector asked for, and the agency's answer."
    )
    source_language: str
    target_languages: list[str] = Field(description="One XLIFF file each.")
    delivered_languages: list[str] = Field(description="Target languages uploaded; all of them: delivered.")
    instructions: str
    due_at: str | None
    created_at: str
    updated_at: str
    actions: list[Action] = Field(description="What the agency may do now.")
    counts: VendorJobCounts


class VendorJobPage(BaseModel):
    jobs: list[VendorJobOut] = Field(description="Newest first.")
    total: int
    offset: int
    limit: int


@router.get("/jobs", response_model=VendorJobPage, summary="The vendor's jobs, newest first, paged")
def list_jobs(agency: Agency, offset: Offset = 0, limit: Limit = 50) -> dict[str, Any]:
    jobs, total = agency.jobs(offset, limit)
    return {"jobs": [agency_document(job) for job in jobs], "total": total, "offset": offset, "limit": limit}


@router.get("/jobs/{job_id}", response_model=VendorJobOut, summary="One of the vendor's jobs")
def get_job(job_id: str, agency: Agency) -> dict[str, Any]:
    return agency_document(agency.job(job_id))


@router.get(
    "/jobs/{job_id}/xliff",
    summary="The job's XLIFF file for one target language",
    description="One file per target language; `language` may be left out when the job has one. XLIFF 1.2 "
    "unless `version=2.0` (or the vendor's `xliff_version`). Unit ids are `<entity>/<field>`; markup in a field "
    "is inline codes (`<g>`/`<x/>`, `<pc>`/`<ph/>`) the translation must keep.",
    response_class=Response,
    responses={200: {"content": {"application/xliff+xml": {"schema": {"type": "string"}}}}},
)
def download(
    job_id: str,
    agency: Agency,
    language: Annotated[str | None, Query(max_length=35, description="The target language.")] = None,
    version: Annotated[Literal["1.2", "2.0"] | None, Query(description="The XLIFF version.")] = None,
) -> Response:
    name, data = agency.download(job_id, language, version)
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(data, media_type="application/xliff+xml", headers=headers)


@router.post("/jobs/{job_id}:accept", response_model=VendorJobOut, summary="Accept a received job: work starts")
def accept(job_id: str, agency: Agency) -> dict[str, Any]:
    return agency_document(agency.accept(job_id))


_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": "The XLIFF file downloaded, with its targets filled in (XLIFF 1.2 or 2.0, one target "
        "language). Checked whole: any problem refuses it (400 Invalid, every problem listed) and changes nothing.",
        "content": {
            "application/xliff+xml": {"schema": {"type": "string", "format": "binary"}},
            "application/xml": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


@router.post(
    "/jobs/{job_id}:upload",
    response_model=VendorJobOut,
    summary="Upload a target language's translated XLIFF",
    description="While the job is received or in production. The job is delivered once every target language is "
    "uploaded (a pending cancel request is then answered refused); a language uploaded again replaces its "
    "translations until then.",
    openapi_extra=_UPLOAD_BODY,
)
async def upload(job_id: str, request: Request, agency: Agency) -> dict[str, Any]:
    service: Dragoman = request.app.state.service
    data = await request.body()
    job = await run_in_threadpool(agency.upload, job_id, data, service.settings.max_request_bytes_connector)
    return agency_document(job)


@router.post(
    "/jobs/{job_id}:approve-cancel",
    response_model=VendorJobOut,
    summary="Approve the connector's cancel request: the job is cancelled",
)
def approve_cancel(job_id: str, agency: Agency) -> dict[str, Any]:
    return agency_document(agency.approve_cancel(job_id))


@router.post(
    "/jobs/{job_id}:refuse-cancel",
    response_model=VendorJobOut,
    summary="Refuse the connector's cancel request: work goes on (in production)",
)
def refuse_cancel(job_id: str, agency: Agency) -> dict[str, Any]:
    return agency_document(agency.refuse_cancel(job_id))
