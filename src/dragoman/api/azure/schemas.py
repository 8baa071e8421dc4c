"""Response shapes, for the OpenAPI description only: handlers build the JSON in `wire.py`."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = [
    "DocumentStatusModel",
    "DocumentsPage",
    "ErrorResponse",
    "FileFormatsModel",
    "TranslationStatusModel",
    "TranslationsPage",
]

STATUS_DESCRIPTION = "NotStarted, Running, Succeeded, Failed, Cancelled, Cancelling or ValidationFailed"


class InnerError(BaseModel):
    code: str
    message: str


class TranslationError(BaseModel):
    code: str = Field(description="InvalidRequest, InvalidArgument, Unauthorized, ResourceNotFound, ...")
    message: str
    target: str | None = None
    innerError: InnerError  # noqa: N815 - Azure's wire name


class ErrorResponse(BaseModel):
    error: TranslationError


class StatusSummary(BaseModel):
    total: int
    failed: int
    success: int
    inProgress: int  # noqa: N815
    notYetStarted: int  # noqa: N815
    cancelled: int
    totalCharacterCharged: int  # noqa: N815


class TranslationStatusModel(BaseModel):
    id: str
    createdDateTimeUtc: str  # noqa: N815
    lastActionDateTimeUtc: str  # noqa: N815
    status: str = Field(description=STATUS_DESCRIPTION)
    summary: StatusSummary
    error: TranslationError | None = None


class DocumentStatusModel(BaseModel):
    id: str
    path: str | None = Field(default=None, description="The translated document, once it exists.")
    sourcePath: str  # noqa: N815
    createdDateTimeUtc: str  # noqa: N815
    lastActionDateTimeUtc: str  # noqa: N815
    status: str = Field(description=STATUS_DESCRIPTION)
    to: str
    progress: float
    characterCharged: int  # noqa: N815
    error: TranslationError | None = None


class TranslationsPage(BaseModel):
    value: list[TranslationStatusModel]
    nextLink: str | None = None  # noqa: N815


class DocumentsPage(BaseModel):
    value: list[DocumentStatusModel]
    nextLink: str | None = None  # noqa: N815


class FileFormat(BaseModel):
    format: str
    fileExtensions: list[str]  # noqa: N815
    contentTypes: list[str]  # noqa: N815
    type: str | None = None


class FileFormatsModel(BaseModel):
    value: list[FileFormat]
