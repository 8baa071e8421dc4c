"""The service's error tree. Front doors map these to their own wire shapes; no HTTP codes live here.

ServiceError
├── NotFound                   an id that does not exist (or is not the caller's)
├── Conflict                   the request is valid but the current state refuses it
│   ├── InvalidTransition      a state change the lifecycle does not allow
│   └── CancelRefused          cancel of a job that is no longer cancellable (lifecycle rule 1)
├── Busy                       the caller has too many requests in progress; retry later
├── Invalid                    the caller's input is unusable; nothing was changed
│   ├── UnsupportedLanguage    no engine can translate this language pair
│   ├── AccessDenied           a source outside the configured roots, or unreadable
│   └── TargetAccessDenied     a target location that may not be written
├── DocumentError              one document cannot be translated; fails that task only
│   ├── UnsupportedFormat
│   ├── UndecodableDocument
│   ├── NoTranslatableText
│   ├── SourceMissing
│   ├── TargetExists
│   ├── DocumentTooLarge       a zipped document inflates past the limits
│   ├── DocumentTooComplex     a word or run of spaces too long to convert in reasonable time
│   └── ConversionLimitExceeded  a converter ran out of its time or memory on this document
├── EngineError                the translation engine misbehaved
│   ├── EngineCrashed
│   │   └── ConverterCrashed   a document converter died of a signal nobody sent on purpose
│   └── EngineTimeout
├── StoreError                 the database failed
└── ConfigError                a setting has a bad value
"""

from __future__ import annotations

__all__ = [
    "SERVICE_FAULT_CODES",
    "AccessDenied",
    "Busy",
    "CancelRefused",
    "ConfigError",
    "Conflict",
    "ConversionLimitExceeded",
    "ConverterCrashed",
    "DocumentError",
    "DocumentTooComplex",
    "DocumentTooLarge",
    "EngineCrashed",
    "EngineError",
    "EngineTimeout",
    "Invalid",
    "InvalidTransition",
    "NoTranslatableText",
    "NotFound",
    "ServiceError",
    "SourceSystemError",
    "SourceMissing",
    "StoreError",
    "TargetAccessDenied",
    "TargetBeingWritten",
    "TargetExists",
    "UndecodableDocument",
    "UnsupportedFormat",
    "UnsupportedLanguage",
]


class ServiceError(Exception):
    """Base of every error the service raises on purpose.

    `code` is a stable machine-readable name (front doors use it as an inner error code).
    """

    code = "ServiceError"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or self.code).strip())

    @property
    def message(self) -> str:
        return str(self.args[0])

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class NotFound(ServiceError):
    """The requested resource does not exist."""

    code = "NotFound"


class Conflict(ServiceError):
    """The current state does not allow this request."""

    code = "Conflict"


class InvalidTransition(Conflict):
    """This state change is not allowed by the lifecycle."""

    code = "InvalidTransition"


class CancelRefused(Conflict):
    """The job can no longer be cancelled."""

    code = "InvalidJobState"


class Busy(ServiceError):
    """The caller already has as many requests in progress as it may; it should retry later."""

    code = "TooManyRequests"


class Invalid(ServiceError):
    """The request is not valid."""

    code = "InvalidRequest"


class UnsupportedLanguage(Invalid):
    """No installed engine translates this language pair."""

    code = "UnsupportedLanguagePair"

    def __init__(self, message: str | None = None, *, source: str | None = None) -> None:
        """`source`: the document's language when it was detected (the pair's real source)."""
        super().__init__(message)
        self.source = source


class AccessDenied(Invalid):
    """The location is outside the configured storage roots or cannot be accessed."""

    code = "InvalidDocumentAccessLevel"


class TargetAccessDenied(AccessDenied):
    """The target location is outside the configured storage or cannot be written."""

    code = "InvalidTargetDocumentAccessLevel"


class DocumentError(ServiceError):
    """This document cannot be translated."""

    code = "DocumentError"


class UnsupportedFormat(DocumentError):
    """The document's format is not supported."""

    code = "UnsupportedFormat"


class UndecodableDocument(DocumentError):
    """The document's bytes cannot be decoded in its format."""

    code = "UndecodableDocument"


class NoTranslatableText(DocumentError):
    """The document has no text to translate."""

    code = "NoTranslatableText"


class SourceMissing(DocumentError):
    """The source document does not exist."""

    code = "SourceDocumentNotFound"


class TargetExists(DocumentError):
    """The target document already exists and is never overwritten."""

    code = "TargetFileAlreadyExists"


class TargetBeingWritten(TargetExists):
    """A live task of another job writes the target (lifecycle rule 9). `job_id`: that job, when the
    caller may know it (a job of its own tenant); else None."""

    def __init__(self, message: str, job_id: str | None = None) -> None:
        super().__init__(message)
        self.job_id = job_id


class DocumentTooLarge(DocumentError):
    """The document, once unpacked, is larger than the configured limits allow."""

    code = "DocumentTooLarge"


class DocumentTooComplex(DocumentError):
    """The document holds a word or a run of spaces too long to convert in reasonable time."""

    code = "DocumentTooComplex"


class ConversionLimitExceeded(DocumentError):
    """Converting the document took more time or memory than one document may use."""

    code = "ConversionLimitExceeded"


class EngineError(ServiceError):
    """The translation engine failed."""

    code = "EngineError"


class EngineCrashed(EngineError):
    """The translation engine's process died."""

    code = "EngineCrashed"


class EngineTimeout(EngineError):
    """The translation engine stopped making progress."""

    code = "EngineTimeout"


class ConverterCrashed(EngineCrashed):
    """A document converter's process died."""

    code = "ConverterCrashed"


class StoreError(ServiceError):
    """The state database failed. `unreachable`: it did not answer (down, restarting, its
    connection cut, busy past its timeout), as opposed to refusing what was asked of it."""

    code = "StoreError"

    def __init__(self, message: str | None = None, *, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable


class SourceSystemError(ServiceError):
    """A connector's source system (a CMS or a PIM) could not be reached or answered an error."""

    code = "SourceSystemError"


class ConfigError(ServiceError):
    """A configuration value is not valid."""

    code = "ConfigError"


def _codes(cls: type[ServiceError]) -> set[str]:
    return {cls.code}.union(*(_codes(sub) for sub in cls.__subclasses__()))


# Codes recorded on a task or job for a fault on the service's side, not in the caller's input: the
# engine or a converter, the state database, an unexpected error, end-of-job output that could not be
# written. Front doors report these as server errors (Azure InternalServerError; Amazon's
# documentCountWithServerError).
SERVICE_FAULT_CODES = frozenset(_codes(EngineError) | _codes(StoreError) | {"InternalServerError", "OutputWriteFailed"})
