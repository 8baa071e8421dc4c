"""Routes of the Azure front door. Each handler parses, calls the service once, and serialises."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import PurePosixPath
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

import orjson
from fastapi import APIRouter, Depends, File, Header, Query, Request, UploadFile
from fastapi.responses import Response

from dragoman.api.azure.errors import AzureError
from dragoman.api.azure.listing import INT32_MAX, ListRequest, cursor_seq, parse_list_request
from dragoman.api.azure.models import StartTranslationDetails
from dragoman.api.azure.schemas import (
    DocumentsPage,
    DocumentStatusModel,
    ErrorResponse,
    FileFormatsModel,
    TranslationsPage,
    TranslationStatusModel,
)
from dragoman.api.azure.wire import (
    document_status,
    job_statuses_named,
    task_statuses_named,
    translation_status,
)
from dragoman.api.guard import azure_tenant
from dragoman.api.locations import unusable_locations
from dragoman.api.read_cache import ReadCache
from dragoman.api.responses import FastJSONResponse as JSONResponse
from dragoman.domain.specs import JobSpec
from dragoman.errors import UnsupportedFormat
from dragoman.formats.documents import FORMATS, DocumentFormat, format_for, format_of, format_of_content_type
from dragoman.formats.glossary import GLOSSARY_FORMATS, parse_glossary
from dragoman.planning import language
from dragoman.service import Dragoman
from dragoman.store.jobs import JobQuery, TaskQuery

__all__ = ["API_VERSIONS", "router"]

API_VERSIONS = ("2024-05-01", "2026-03-01")
Row = TypeVar("Row")
_BATCHES = "/translator/document/batches"


def _service(request: Request) -> Dragoman:
    service: Dragoman = request.app.state.service
    return service


def tenant(
    request: Request,
    key: Annotated[str | None, Header(alias="Ocp-Apim-Subscription-Key")] = None,
) -> str:
    """The caller's tenant, as the front-door guard authenticated it from the subscription key before
    the body was read (`api/guard.py`); `key` is declared only to describe the header in OpenAPI."""
    return azure_tenant(request)


def api_version(version: Annotated[str | None, Query(alias="api-version")] = None) -> str:
    if version not in API_VERSIONS:
        problem = "is missing" if version is None else f"{version!r} is not supported"
        raise AzureError(
            400,
            "InvalidRequest",
            "UnsupportedApiVersion",
            f"The api-version query parameter {problem}; use one of {', '.join(API_VERSIONS)}.",
        )
    return version


Tenant = Annotated[str, Depends(tenant)]
Version = Annotated[str, Depends(api_version)]
_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in (
        (400, "Invalid request, unsupported api-version, or a job that can no longer be cancelled"),
        (401, "Missing or wrong subscription key"),
        (404, "No such job or document for this tenant"),
        (500, "Unexpected error"),
        (503, "The state database is unavailable; retry"),
    )
}
router = APIRouter(prefix="", tags=["Document Translation"], responses=_ERRORS)

# Reads are `async def` and check the key and api-version with plain calls instead of FastAPI
# dependencies: status polls and list pages are the hot path, and dependency solving costs more
# than the read itself. They run on the event loop with no thread hand-off (SQLite reads in WAL mode
# never wait on writers). Writes (start, cancel) and single-document translation can wait on a lock
# or an engine, so they stay in the thread pool, with dependencies. The key itself is checked by the
# front-door guard, before any body is read.
_KEY_HEADER = {
    "name": "Ocp-Apim-Subscription-Key",
    "in": "header",
    "required": True,
    "schema": {"type": "string"},
    "description": "The tenant's API key.",
}
_API_VERSION = {
    "name": "api-version",
    "in": "query",
    "required": True,
    "schema": {"type": "string", "enum": list(API_VERSIONS)},
    "description": "The API version.",
}


def _caller(request: Request) -> tuple[str, str]:
    """(tenant, api-version) of a read request, checked as the dependencies check them for writes."""
    return azure_tenant(request), api_version(request.query_params.get("api-version"))


def _cached(request: Request, owner: str, compute: Callable[[], dict[str, Any]]) -> Response:
    """A read's JSON, reused while the database is unchanged (see api/read_cache.py)."""
    cache: ReadCache = request.app.state.read_cache
    url = str(request.url)
    marker = cache.marker()
    hit = cache.get(owner, url, marker)
    if hit is not None:
        return Response(hit[1], status_code=hit[0], media_type="application/json")
    body = orjson.dumps(compute())
    cache.put(owner, url, marker, 200, body)
    return Response(body, media_type="application/json")


def _read_parameters(*extra: dict[str, Any]) -> dict[str, Any]:
    return {"parameters": [_KEY_HEADER, _API_VERSION, *extra]}


def _query_parameter(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


# The list endpoints parse their query themselves (Azure accepts `top` and `$top`, csv or repeated
# lists); these describe it in the OpenAPI document.
_INT32 = {"type": "integer", "format": "int32", "minimum": 0, "maximum": INT32_MAX}  # Azure's spec
LIST_PARAMETERS = [
    _query_parameter("top", _INT32, "Total items wanted, across pages (also $top)."),
    _query_parameter("skip", _INT32, "Items to skip first (also $skip)."),
    _query_parameter("maxpagesize", {"type": "integer", "minimum": 1, "maximum": 100}, "Page size, default 50."),
    _query_parameter("ids", {"type": "array", "items": {"type": "string"}}, "Ids, comma-separated or repeated."),
    _query_parameter(
        "statuses", {"type": "array", "items": {"type": "string"}}, "Status names, comma-separated or repeated."
    ),
    _query_parameter("createdDateTimeUtcStart", {"type": "string", "format": "date-time"}, "Created at or after."),
    _query_parameter("createdDateTimeUtcEnd", {"type": "string", "format": "date-time"}, "Created at or before."),
    _query_parameter(
        "orderby", {"type": "string", "enum": ["createdDateTimeUtc asc", "createdDateTimeUtc desc"]}, "Order."
    ),
]


def _page(
    request: Request,
    wanted: ListRequest,
    rows: Sequence[Row],
    render: Callable[[Row], dict[str, Any]],
    cursor: Callable[[Row], tuple[datetime, str]],
    path: str,
    version: str,
) -> dict[str, Any]:
    """A list page from rows fetched one past the page size: the extra row says a next page exists."""
    page = rows[: wanted.page_size]
    body: dict[str, Any] = {"value": [render(row) for row in page]}
    if len(rows) > wanted.page_size and page:
        link = wanted.next_link(_base(request, _service(request)), path, version, cursor(page[-1]), len(page))
        if link:
            body["nextLink"] = link
    return body


def _base(request: Request, service: Dragoman) -> str:
    return service.settings.public_url or str(request.base_url)


@router.post(
    f"{_BATCHES}",
    status_code=202,
    response_class=Response,
    responses={202: {"description": "Accepted; poll the Operation-Location header"}},
    summary="Start a batch translation",
)
def start_translation(request: Request, body: StartTranslationDetails, owner: Tenant, version: Version) -> Response:
    service = _service(request)
    # As the service does: a document whose target exists fails alone (TargetFileAlreadyExists).
    job = JobSpec(owner, (), origin="azure", details={"api_version": version}, occupied_target_fails_document=True)
    with unusable_locations():
        view = service.submit_batch(body.batch_inputs(), job)
    location = f"{_base(request, service).rstrip('/')}{_BATCHES}/{view.job.id}?api-version={version}"
    return Response(status_code=202, headers={"Operation-Location": location})


@router.get(
    f"{_BATCHES}",
    summary="List translation jobs",
    openapi_extra=_read_parameters(*LIST_PARAMETERS),
    responses={200: {"model": TranslationsPage}},
)
async def list_translations(request: Request) -> Response:
    owner, version = _caller(request)
    return _cached(request, owner, lambda: _translations_page(request, owner, version))


def _translations_page(request: Request, owner: str, version: str) -> dict[str, Any]:
    service = _service(request)
    wanted = parse_list_request(request.query_params)
    job_statuses = None
    if wanted.statuses is not None:
        job_statuses = job_statuses_named(wanted.statuses)
        if job_statuses is None:
            raise _bad_statuses(wanted.statuses)
    query = JobQuery(
        ids=wanted.ids,
        statuses=job_statuses,
        created_from=wanted.created_from,
        created_to=wanted.created_to,
        ascending=wanted.ascending,
        after=wanted.cursor,
    )
    views = service.list_jobs(tenant=owner, limit=wanted.page_size + 1, offset=wanted.skip, query=query)
    return _page(
        request, wanted, views, translation_status, lambda view: (view.job.created_at, view.job.id), _BATCHES, version
    )


@router.get(
    f"{_BATCHES}/{{job_id}}",
    summary="Get a translation job's status",
    openapi_extra=_read_parameters(),
    responses={200: {"model": TranslationStatusModel}},
)
async def get_translation(request: Request, job_id: str) -> Response:
    owner, _ = _caller(request)
    return _cached(request, owner, lambda: translation_status(_service(request).get(job_id, tenant=owner)))


@router.delete(
    f"{_BATCHES}/{{job_id}}", summary="Cancel a translation job", responses={200: {"model": TranslationStatusModel}}
)
def cancel_translation(request: Request, job_id: str, owner: Tenant, version: Version) -> JSONResponse:
    return JSONResponse(translation_status(_service(request).cancel(job_id, tenant=owner)))


@router.get(
    f"{_BATCHES}/{{job_id}}/documents",
    summary="List a job's documents",
    openapi_extra=_read_parameters(*LIST_PARAMETERS),
    responses={200: {"model": DocumentsPage}},
)
async def list_documents(request: Request, job_id: str) -> Response:
    owner, version = _caller(request)
    return _cached(request, owner, lambda: _documents_page(request, job_id, owner, version))


def _documents_page(request: Request, job_id: str, owner: str, version: str) -> dict[str, Any]:
    service = _service(request)
    wanted = parse_list_request(request.query_params, default_order="asc")  # submission order
    task_statuses = None
    if wanted.statuses is not None:
        task_statuses = task_statuses_named(wanted.statuses)
        if task_statuses is None:
            raise _bad_statuses(wanted.statuses)
    after = None if wanted.cursor is None else cursor_seq(wanted.cursor)
    query = TaskQuery(
        ids=wanted.ids,
        statuses=task_statuses,
        created_from=wanted.created_from,
        created_to=wanted.created_to,
        ascending=wanted.ascending,
        after=after,
        limit=wanted.page_size + 1,
        offset=wanted.skip,
    )
    tasks = service.tasks(job_id, tenant=owner, query=query)
    path = f"{_BATCHES}/{job_id}/documents"
    return _page(request, wanted, tasks, document_status, lambda task: (task.created_at, str(task.seq)), path, version)


@router.get(
    f"{_BATCHES}/{{job_id}}/documents/{{document_id}}",
    summary="Get one document's status",
    openapi_extra=_read_parameters(),
    responses={200: {"model": DocumentStatusModel}},
)
async def get_document(request: Request, job_id: str, document_id: str) -> Response:
    owner, _ = _caller(request)
    return _cached(request, owner, lambda: document_status(_service(request).task(job_id, document_id, tenant=owner)))


@router.get(
    "/translator/document/formats",
    summary="Supported document or glossary formats",
    responses={200: {"model": FileFormatsModel}},
)
async def supported_formats(
    owner: Tenant, version: Version, type: str | None = Query(None, description="document or glossary")
) -> JSONResponse:
    kind = (type or "document").lower()
    if kind == "document":
        value = [
            {
                "format": fmt.name,
                "fileExtensions": list(fmt.extensions),
                "contentTypes": list(fmt.content_types),
                "type": "document",
            }
            for fmt in FORMATS
        ]
    elif kind == "glossary":
        value = [
            {"format": name, "fileExtensions": list(extensions), "contentTypes": list(types), "type": "glossary"}
            for name, (extensions, types) in GLOSSARY_FORMATS.items()
        ]
    else:
        raise AzureError(400, "InvalidArgument", "InvalidQueryParameter", "type must be 'document' or 'glossary'")
    return JSONResponse({"value": value})


def _format_of(name: str, content_type: str | None, data: bytes) -> DocumentFormat:
    """The format of an uploaded document: its file name's; for a name that says none, the one its
    part's Content-Type names, else its content's (`notes`, sent as application/octet-stream).
    Raises UnsupportedFormat."""
    try:
        return format_for(name)
    except UnsupportedFormat:
        fmt = format_of_content_type(content_type or "")
        if fmt is not None:
            return fmt
        if PurePosixPath(name).suffix:
            raise
        return format_of(name, data)


@router.post(
    "/translator/document:translate",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The translated document"}},
    summary="Translate one document now",
)
def translate_single_document(
    request: Request,
    owner: Tenant,
    version: Version,
    document: Annotated[UploadFile, File(description="The document to translate")],
    glossary: Annotated[list[UploadFile] | None, File(description="Glossaries")] = None,
    targetLanguage: str | None = Query(None),  # noqa: N803
    sourceLanguage: str | None = Query(None),  # noqa: N803
) -> Response:
    service = _service(request)
    lowered = {key.lower(): value for key, value in request.query_params.items()}
    target_tag = lowered.get("targetlanguage")
    if not target_tag:
        raise AzureError(400, "InvalidArgument", "MissingTargetLanguage", "The targetLanguage parameter is required.")
    source_tag = lowered.get("sourcelanguage")
    name = document.filename or ""
    data = _read_limited(document, service.settings.max_document_bytes)
    fmt = _format_of(name, document.content_type, data)
    terms: list[tuple[str, str]] = []
    for part in glossary or []:
        glossary_name = part.filename or "glossary"
        kind = _glossary_kind(glossary_name, part.content_type)
        terms += parse_glossary(_read_limited(part, service.settings.max_document_bytes), kind, glossary_name)
    translated = service.translate_now(
        data,
        fmt,
        language(target_tag),
        tenant=owner,
        source=None if not source_tag else language(source_tag),
        glossary=tuple(terms),
    )
    return Response(
        translated.output,
        media_type=fmt.content_types[0],  # the format's own type: the caller's part header is never echoed
        headers={"x-metered-usage": str(translated.billed_characters)},
    )


def _read_limited(part: UploadFile, limit: int) -> bytes:
    data = part.file.read(limit + 1)
    if len(data) > limit:
        raise AzureError(
            400, "InvalidRequest", "RequestTooLarge", f"{part.filename or 'the document'} is larger than {limit} bytes"
        )
    return data


def _glossary_kind(name: str, content_type: str | None) -> str:
    suffix = "." + urlsplit(name).path.rsplit(".", 1)[-1].lower() if "." in name else ""
    for kind, (extensions, types) in GLOSSARY_FORMATS.items():
        if suffix in extensions or (content_type or "").split(";")[0] in types:
            return kind
    raise AzureError(
        400, "InvalidArgument", "InvalidGlossary", f"{name}: glossary format not recognised; use .tsv, .csv or .xlf"
    )


def _bad_statuses(names: list[str]) -> AzureError:
    return AzureError(
        400, "InvalidArgument", "InvalidQueryParameter", f"statuses holds an unknown status: {', '.join(names)}"
    )
