"""Routes of the content connector's REST API (issue 12 §8), under /connector. Each handler parses,
calls the connector once and answers with `connector/documents.py`'s shapes; errors are raised and
rendered in the connector's one shape by `api/errors.py` (`api/connector/errors.py` lists them).

Authentication is the front-door guard's, before the body is read (`api/connector/auth.py`): a
tenant's API key as `Authorization: Bearer <key>` or `Ocp-Apim-Subscription-Key: <key>`. A tenant
sees only its own entities and jobs.

    GET  /connector/vendors                          vendors and the language pairs they translate
    PUT  /connector/entities/{id}                    create or update an entity (source_language, fields)
    GET  /connector/entities/{id}                    an entity: fields, revision, translations, language sets
    GET  /connector/entities?offset=&limit=          entities by id, paged
    POST /connector/entities:import                  JSON array or CSV (by Content-Type)
    GET  /connector/entities:export?format=json|csv  every entity
    POST /connector/jobs                             a draft job
    GET  /connector/jobs?offset=&limit=              jobs, newest first, paged
    GET  /connector/jobs/{id}                        a job and its items (the import report)
    POST /connector/jobs/{id}:send|:cancel|:poll|:import|:resubmit
    GET  /connector/sources                          the tenant's source systems and their last sync
    POST /connector/sources/{name}:sync?full=        read what changed in one (everything with full=true)
    GET  /connector/rules                            the tenant's automatic sending rules and their last run
    POST /connector/rules/{name}:run                 run one now
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from dragoman.api.connector.errors import CODES, ConnectorError
from dragoman.api.connector.models import (
    EntityIn,
    EntityOut,
    EntityPage,
    ErrorOut,
    ImportEntity,
    ImportReportOut,
    JobIn,
    JobOut,
    JobPage,
    RuleList,
    RuleRunOut,
    SourceList,
    SyncReportOut,
    VendorList,
)
from dragoman.api.guard import connector_tenant
from dragoman.api.responses import FastJSONResponse
from dragoman.connector import sender, transfer
from dragoman.connector.documents import (
    entity_document,
    entity_page,
    job_document,
    job_page,
    rule_document,
    rule_run_document,
    source_document,
    sync_document,
)
from dragoman.connector.service import Connector
from dragoman.errors import Invalid
from dragoman.service import Dragoman

__all__ = ["router"]

_bearer = HTTPBearer(
    auto_error=False, scheme_name="ApiKeyBearer", description="A tenant's API key (DRAGOMAN_TENANTS azure_keys)."
)
_key = APIKeyHeader(
    name="Ocp-Apim-Subscription-Key", auto_error=False, scheme_name="ApiKeyHeader", description="The same key."
)


def tenant(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None,
    key: Annotated[str | None, Security(_key)] = None,
) -> str:
    """The caller's tenant, as the front-door guard authenticated it before the body was read;
    `bearer` and `key` are declared only to describe the credentials in OpenAPI."""
    return connector_tenant(request)


def connector(request: Request) -> Connector:
    service: Dragoman = request.app.state.service
    return service.connector


Tenant = Annotated[str, Depends(tenant)]
Service = Annotated[Connector, Depends(connector)]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1, description="How many to skip.")]
Limit = Annotated[int, Query(ge=1, le=500, description="How many at most.")]

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": ", ".join(code for code, at in CODES.items() if at == status)}
    for status in sorted(set(CODES.values()))
}
router = APIRouter(prefix="/connector", tags=["connector"], responses=_ERRORS)


@router.get("/vendors", response_model=VendorList, summary="Vendors and the language pairs they translate")
def list_vendors(caller: Tenant, service: Service) -> dict[str, Any]:
    vendors = []
    for name, vendor in sorted(service.vendors.items()):
        pairs = vendor.language_pairs()
        vendors.append(
            {
                "name": name,
                "language_pairs": None
                if pairs is None
                else [{"source": source, "target": target} for source, target in pairs],
            }
        )
    return {"vendors": vendors}


# --- entities ---------------------------------------------------------------------------------


@router.get("/entities", response_model=EntityPage, summary="Entities, by id, paged")
def list_entities(caller: Tenant, service: Service, offset: Offset = 0, limit: Limit = 50) -> dict[str, Any]:
    return entity_page(*service.store.entity_page(caller, offset, limit), offset, limit)


_IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "description": "A JSON array of entities, or CSV: a header row `id,source_language,<field>...`, one "
        "entity per row (an empty cell is no field; `revision` and `<field>@<language>` columns are skipped).",
        "content": {
            "application/json": {"schema": {"type": "array", "items": ImportEntity.model_json_schema()}},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


@router.post(
    "/entities:import",
    response_model=ImportReportOut,
    summary="Create or update entities from JSON or CSV",
    description="Checked whole before anything is written; importing the same file again changes nothing.",
    openapi_extra=_IMPORT_BODY,
)
async def import_entities(request: Request, caller: Tenant, service: Service) -> dict[str, Any]:
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media == "text/csv":
        format_name = "csv"
    elif media == "application/json" or media.endswith("+json"):
        format_name = "json"
    else:
        raise ConnectorError("UnsupportedMediaType", "send the entities as application/json or text/csv")
    data = await request.body()
    records = await run_in_threadpool(transfer.parse, data, format_name)
    report = await run_in_threadpool(transfer.import_entities, service, caller, records)
    return report.document()


@router.get(
    "/entities:export",
    summary="Every entity, as JSON or CSV",
    response_class=Response,
    responses={
        200: {
            "description": "JSON: an array of entities as `GET /connector/entities/{id}` answers them. CSV: "
            "id, source_language, revision, one column per field, then `<field>@<language>` per translation.",
            "content": {
                "application/json": {"schema": {"type": "array", "items": EntityOut.model_json_schema()}},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    },
)
def export_entities(
    caller: Tenant, service: Service, format: Annotated[Literal["json", "csv"], Query()] = "json"
) -> Response:
    entities = service.store.entities(caller)
    if format == "csv":
        data, media = transfer.export_csv(entities), "text/csv; charset=utf-8"
    else:
        data, media = transfer.export_json(entities), "application/json"
    headers = {"Content-Disposition": f'attachment; filename="entities.{format}"'}
    return Response(data, media_type=media, headers=headers)


@router.put("/entities/{entity_id:path}", response_model=EntityOut, summary="Create or update an entity")
def put_entity(entity_id: str, body: EntityIn, caller: Tenant, service: Service) -> dict[str, Any]:
    return entity_document(service.put_entity(caller, entity_id, body.source_language, body.fields))


@router.get("/entities/{entity_id:path}", response_model=EntityOut, summary="An entity and its language sets")
def get_entity(entity_id: str, caller: Tenant, service: Service) -> dict[str, Any]:
    return entity_document(service.store.entity(caller, entity_id))


# --- jobs -------------------------------------------------------------------------------------


def _due(moment: datetime | None) -> datetime | None:
    """A due date as stored: naive UTC (one without an offset is taken as UTC)."""
    if moment is None or moment.tzinfo is None:
        return moment
    try:
        return moment.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        raise Invalid("due_at is out of range") from None


@router.post("/jobs", status_code=201, response_model=JobOut, summary="Create a draft job")
def create_job(body: JobIn, caller: Tenant, service: Service) -> Response:
    job = service.create_job(
        caller, body.name, body.source_language, body.target_languages, body.vendor, body.entity_ids,
        instructions=body.instructions, due_at=_due(body.due_at),
    )  # fmt: skip
    return _created(job_document(job))


def _created(document: dict[str, Any]) -> Response:
    return FastJSONResponse(document, status_code=201, headers={"Location": f"/connector/jobs/{document['id']}"})


@router.get("/jobs", response_model=JobPage, summary="Jobs, newest first, paged")
def list_jobs(caller: Tenant, service: Service, offset: Offset = 0, limit: Limit = 50) -> dict[str, Any]:
    return job_page(*service.store.job_page(caller, offset, limit), offset, limit)


@router.get("/jobs/{job_id}", response_model=JobOut, summary="A job and its items (the import report)")
def get_job(job_id: str, caller: Tenant, service: Service) -> dict[str, Any]:
    return job_document(service.store.job(caller, job_id))


@router.post(
    "/jobs/{job_id}:send",
    response_model=JobOut,
    summary="Send a draft (or retry a failed send) to its vendor",
    description="The job is `sent`, or `send_failed` with its `error` when the vendor cannot take it now.",
)
def send_job(job_id: str, caller: Tenant, service: Service) -> dict[str, Any]:
    return job_document(service.send(caller, job_id))


@router.post(
    "/jobs/{job_id}:cancel",
    response_model=JobOut,
    summary="Cancel a job, or ask its vendor to",
    description="Before or while sending, the job is `cancelled` at once (what reached the vendor is withdrawn). "
    "Once sent, `cancel_request` is `requested`: the vendor's answer (approved: `cancelled`; refused: "
    "`in_production`) arrives at a later poll. Refused (409 CancelRefused) once delivered, imported or cancelled.",
)
def cancel_job(job_id: str, caller: Tenant, service: Service) -> dict[str, Any]:
    return job_document(service.cancel(caller, job_id))


@router.post(
    "/jobs/{job_id}:poll",
    response_model=JobOut,
    summary="Ask the vendor where a sent job stands",
    description="Applies a cancel request's answer, work started (`in_production`) and delivery "
    "(`ready_for_import`). A job the vendor does not hold is answered as it is.",
)
def poll_job(job_id: str, caller: Tenant, service: Service) -> dict[str, Any]:
    return job_document(service.poll(caller, job_id))


@router.post(
    "/jobs/{job_id}:import",
    response_model=JobOut,
    summary="Import a delivered job into its entities",
    description="Each item once; the job ends `imported`, or `imported_with_errors` with each failed item's error. "
    "A job imported already (by `dragoman serve`'s receiver, say) is answered as it is.",
)
def import_job(job_id: str, caller: Tenant, service: Service) -> dict[str, Any]:
    return job_document(service.import_job(caller, job_id))


@router.post(
    "/jobs/{job_id}:resubmit",
    status_code=201,
    response_model=JobOut,
    summary="A new draft for a cancelled (or cancel-refused) job, linked to it",
)
def resubmit_job(job_id: str, caller: Tenant, service: Service) -> Response:
    return _created(job_document(service.resubmit(caller, job_id)))


# --- source systems and automatic sending -----------------------------------------------------


@router.get("/sources", response_model=SourceList, summary="The tenant's source systems and their last sync")
def list_sources(caller: Tenant, service: Service) -> dict[str, Any]:
    synced = service.store.sync_states(caller)
    found = []
    for name, source in sorted(service.sources.items()):
        if source.tenant == caller:
            cursor, at = synced.get(name, (None, None))
            found.append(source_document(name, source.kind, cursor, at))
    return {"sources": found}


@router.post(
    "/sources/{name}:sync",
    response_model=SyncReportOut,
    summary="Read the entities a source system changed since its last sync",
    description="With `full=true`, every entity. A source system that cannot be reached or answers an error is "
    "a 502 SourceSystemError: what was read before it failed stays, and the next sync reads the rest again.",
)
def sync_source(
    name: str,
    caller: Tenant,
    service: Service,
    full: Annotated[bool, Query(description="Read every entity, not only those changed since the last sync.")] = False,
) -> dict[str, Any]:
    return sync_document(service.sync(caller, name, full=full))


@router.get("/rules", response_model=RuleList, summary="The tenant's automatic sending rules and their last run")
def list_rules(request: Request, caller: Tenant) -> dict[str, Any]:
    rules = sender.for_service(request.app.state.service).rules_of(caller)
    return {"rules": [rule_document(name, rule, state) for name, rule, state in rules]}


@router.post(
    "/rules/{name}:run",
    response_model=RuleRunOut,
    summary="Run an automatic sending rule now",
    description="Syncs its source system (if it has one), creates one job for the entities it selects and sends "
    "it; nothing selected, no job. A job an earlier run left unsent is sent instead. 409 Conflict while another "
    "process runs the rule; 502 SourceSystemError when its source system fails (nothing is sent).",
)
def run_rule(name: str, request: Request, caller: Tenant) -> dict[str, Any]:
    return rule_run_document(sender.for_service(request.app.state.service).run(caller, name))
