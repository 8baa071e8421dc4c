"""The connector's request bodies and the shapes of its answers, for validation and the OpenAPI
description. The answers are built by `connector/documents.py` (which the CLI's `--json` prints
too); these models describe them, and FastAPI checks every answer against its model.

Requests carry only wire-level limits (types, lengths the store's columns hold); every rule about
what may be asked (languages, vendors, entities, states) is the connector service's."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

__all__ = [
    "EntityIn",
    "EntityOut",
    "EntityPage",
    "ErrorOut",
    "ImportEntity",
    "ImportReportOut",
    "ItemOut",
    "JobIn",
    "JobOut",
    "JobPage",
    "JobSummary",
    "RuleList",
    "RuleRunOut",
    "SourceList",
    "SyncReportOut",
    "VendorList",
]


def _no_lone_surrogates(text: str) -> str:
    """Refuse text that cannot be stored as UTF-8 (JSON's `\\ud800` escape alone)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no lone surrogate)") from None
    return text


Text = Annotated[str, AfterValidator(_no_lone_surrogates)]
Fields = dict[Text, Text]

# --- requests ---------------------------------------------------------------------------------


class EntityIn(BaseModel):
    """An entity of the embedded catalogue, as `PUT /connector/entities/{id}` takes it. Other
    members (what `GET` answers: revision, translations, language sets) are ignored, so an entity
    read can be written back."""

    model_config = ConfigDict(extra="ignore")

    source_language: Text = Field(max_length=64, examples=["en"])
    fields: Fields = Field(
        description="Field name -> source text. Replaces the entity's fields; the revision moves when they change.",
        examples=[{"name": "The red house", "description": "I like dogs."}],
    )


class ImportEntity(EntityIn):
    """One entity of `POST /connector/entities:import` (JSON): an entity with its id."""

    id: Text = Field(max_length=200)


class JobIn(BaseModel):
    """A new connector job: a draft of frozen snapshots of the entities' fields × target languages."""

    model_config = ConfigDict(extra="forbid")

    name: Text = Field(default="", max_length=256)
    source_language: Text = Field(max_length=64, examples=["en"])
    target_languages: list[Annotated[Text, Field(max_length=64)]] = Field(
        max_length=100, examples=[["es", "ca"]], description="Never the source language."
    )
    vendor: Text = Field(default="local", max_length=50, description="`GET /connector/vendors` lists them.")
    entity_ids: list[Annotated[Text, Field(max_length=200)]] = Field(max_length=100_000, examples=[["chair"]])
    instructions: Text = Field(default="", max_length=100_000)
    due_at: datetime | None = Field(default=None, description="ISO 8601; without an offset it is UTC.")


# --- answers ----------------------------------------------------------------------------------


class EntityOut(BaseModel):
    id: str
    source_language: str
    revision: str = Field(description="Bumped each time the source fields change.")
    fields: dict[str, str]
    translations: dict[str, dict[str, str]] = Field(description="Language -> field -> text, as imported.")
    in_translation: list[str] = Field(description="Languages a live job carries for this entity.")
    translated: list[str] = Field(description="Languages imported, and not in translation again.")


class EntityPage(BaseModel):
    entities: list[EntityOut]
    total: int
    offset: int
    limit: int


class ImportReportOut(BaseModel):
    created: list[str]
    updated: list[str]
    unchanged: list[str]


class FieldSnapshot(BaseModel):
    source: str
    hash: str = Field(description="SHA-256 of the field's name and NFC text, as sent.")


ItemStatus = Literal["pending", "sent", "imported", "failed", "cancelled"]
JobStatus = Literal[
    "draft",
    "sending",
    "send_failed",
    "sent",
    "in_production",
    "ready_for_import",
    "imported",
    "imported_with_errors",
    "cancelled",
]
CancelRequest = Literal["none", "requested", "approved", "refused"]
Action = Literal["send", "cancel", "poll", "import", "resubmit"]


class ItemOut(BaseModel):
    """One entity × one target language of a job: its frozen snapshot and its import report line."""

    id: str
    entity: str
    language: str
    revision: str = Field(description="The entity's revision the snapshot was taken at.")
    status: ItemStatus
    fields: dict[str, FieldSnapshot]
    translation: dict[str, str] | None = Field(description="The fields as imported.")
    error: str | None = Field(description="Why its import failed.")


class JobCounts(BaseModel):
    items: int
    entities: int
    pending: int
    sent: int
    imported: int
    failed: int
    cancelled: int


class JobSummary(BaseModel):
    id: str
    name: str
    status: JobStatus
    cancel_request: CancelRequest = Field(description="A cancel asked of the vendor, and its answer.")
    source_language: str
    target_languages: list[str]
    vendor: str
    instructions: str
    due_at: str | None
    created_at: str | None
    updated_at: str | None
    vendor_ref: str | None = Field(description="The vendor's id for the job, once it has it.")
    send_attempts: int
    error: str | None = Field(description="Why the last send failed.")
    resubmits: str | None = Field(description="The job this one resubmits.")
    actions: list[Action] = Field(description="What the job takes now (the other actions answer 409).")
    counts: JobCounts


class JobOut(JobSummary):
    items: list[ItemOut]


class JobPage(BaseModel):
    jobs: list[JobSummary] = Field(description="Newest first.")
    total: int
    offset: int
    limit: int


class LanguagePairOut(BaseModel):
    source: str
    target: str


class VendorOut(BaseModel):
    name: str
    language_pairs: list[LanguagePairOut] | None = Field(description="None: the vendor does not say.")


class VendorList(BaseModel):
    vendors: list[VendorOut]


class SourceOut(BaseModel):
    name: str
    kind: str = Field(description="Its kind in DRAGOMAN_CONNECTOR_SOURCES (strapi).")
    cursor: str | None = Field(description="The newest revision its last sync read; null before the first sync.")
    synced_at: str | None = Field(description="When its last sync ended.")


class SourceList(BaseModel):
    sources: list[SourceOut]


class SyncReportOut(BaseModel):
    source: str
    read: int = Field(description="Entities read (every entity with full=true; else those changed since).")
    changed: int = Field(description="How many of them were new or changed.")
    cursor: str | None = Field(description="The newest revision read: where the next sync starts.")


class FieldEqualsOut(BaseModel):
    field: str
    equals: str


class RuleOut(BaseModel):
    name: str
    source: str | None = Field(description="The source system its entities come from; null: the embedded catalogue.")
    select: Literal["all", "changed"] | FieldEqualsOut
    source_language: str
    target_languages: list[str]
    vendor: str
    every_seconds: float
    job_name: str = Field(description="What its jobs' names start with.")
    instructions: str
    due_days: int | None
    last_run_at: str | None = Field(description="When its latest run started; null: never run.")
    next_run_at: str | None = Field(description="When `dragoman serve` runs it next (as soon as it can when null).")
    job_id: str | None = Field(description="The latest job one of its runs made.")
    outcome: str | None = Field(description="What its latest run did.")


class RuleList(BaseModel):
    rules: list[RuleOut]


class RuleRunOut(BaseModel):
    rule: str
    ran_at: str
    synced: SyncReportOut | None = Field(description="The sync of its source system first; null without one.")
    job: JobOut | None = Field(description="The job it sent; null when nothing was selected.")
    resumed: bool = Field(description="The job is one an earlier run made and left unsent (a crash): sent now.")
    outcome: str


class ErrorDetail(BaseModel):
    code: Literal[
        "Invalid",
        "Unauthorized",
        "NotFound",
        "MethodNotAllowed",
        "Conflict",
        "CancelRefused",
        "RequestTooLarge",
        "UnsupportedMediaType",
        "TooManyRequests",
        "InternalError",
        "SourceSystemError",
        "ServiceUnavailable",
    ]
    message: str


class ErrorOut(BaseModel):
    """Every error of /connector."""

    error: ErrorDetail
