"""What the connector's pages say, decided without HTML: a connector job's status and cancel request in
words, where it stands in its lifecycle, what its cancel button does (from `lifecycle.decide_cancel`),
each entity's status per language with its out-of-date marker (from `snapshots.snapshot_for`), and
which entities a filter keeps. Pure functions of the connector's records; the templates lay them out.

Shapes: `status_words(status) -> str`; `cancel_request_words(request) -> str`;
`lifecycle_steps(status) -> [Step]`; `cancel_offer(job) -> CancelOffer | None`;
`language_cells(entity, imported, languages) -> [LanguageCell]`;
`entity_filter(source, status, language) -> EntityFilter`, `EntityFilter.keeps(entity, imported)`;
`agency_state_words(state) -> str`; `agency_cancel_words(cancel) -> str`; `entity_segment(id) -> str`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from dragoman.connector.lifecycle import (
    CancelDecision,
    CancelRequest,
    ConnectorJobStatus,
    JobAction,
    actions,
    decide_cancel,
)
from dragoman.connector.snapshots import snapshot_for
from dragoman.connector.store import ConnectorJob, Entity
from dragoman.connector.vendors.human_rules import QueueCancel, QueueState
from dragoman.errors import CancelRefused
from dragoman.planning import locale

__all__ = [
    "ENTITY_STATUSES",
    "CancelOffer",
    "EntityFilter",
    "LanguageCell",
    "Step",
    "agency_cancel_words",
    "agency_state_words",
    "cancel_offer",
    "cancel_request_words",
    "entity_filter",
    "entity_segment",
    "job_actions",
    "language_cells",
    "languages_of",
    "lifecycle_steps",
    "status_words",
]

S = ConnectorJobStatus
_STATUS_WORDS: dict[ConnectorJobStatus, str] = {
    S.DRAFT: "draft",
    S.SENDING: "sending",
    S.SEND_FAILED: "send failed",
    S.SENT: "sent",
    S.IN_PRODUCTION: "in production",
    S.READY_FOR_IMPORT: "ready for import",
    S.IMPORTED: "imported",
    S.IMPORTED_WITH_ERRORS: "imported with errors",
    S.CANCELLED: "cancelled",
}
_REQUEST_WORDS: dict[CancelRequest, str] = {
    CancelRequest.NONE: "none",
    CancelRequest.REQUESTED: "requested: waiting for the vendor's answer",
    CancelRequest.APPROVED: "approved by the vendor: the job is cancelled",
    CancelRequest.REFUSED: "refused by the vendor: work on it has started",
}
_AGENCY_STATE_WORDS: dict[QueueState, str] = {
    QueueState.RECEIVED: "received",
    QueueState.IN_PRODUCTION: "in production",
    QueueState.DELIVERED: "delivered",
    QueueState.CANCELLED: "cancelled",
}
_AGENCY_CANCEL_WORDS: dict[QueueCancel, str] = {
    QueueCancel.NONE: "none",
    QueueCancel.REQUESTED: "requested: the client asks you to cancel this job",
    QueueCancel.APPROVED: "approved: the job is cancelled",
    QueueCancel.REFUSED: "refused: the work goes on",
}
_MAIN_PATH = (S.DRAFT, S.SENDING, S.SENT, S.IN_PRODUCTION, S.READY_FOR_IMPORT, S.IMPORTED)
# What the entity list's status filter offers, and its words
ENTITY_STATUSES: dict[str, str] = {
    "in_translation": "In translation",
    "translated": "Translated",
    "out_of_date": "Translated, out of date",
    "untranslated": "Neither",
}


def entity_segment(entity_id: str) -> str:
    """An entity's id as one URL path segment: every character but letters, digits and `-._~`
    percent-encoded, `/` too, so that no browser or client takes `a/../b` or `a/./b` for a path to
    normalise, nor `?` or `#` for the query; the page's route decodes it back exactly."""
    return quote(entity_id, safe="")


def status_words(status: ConnectorJobStatus) -> str:
    return _STATUS_WORDS[status]


def cancel_request_words(request: CancelRequest) -> str:
    return _REQUEST_WORDS[request]


def agency_state_words(state: QueueState) -> str:
    return _AGENCY_STATE_WORDS[state]


def agency_cancel_words(cancel: QueueCancel) -> str:
    return _AGENCY_CANCEL_WORDS[cancel]


@dataclass(frozen=True, slots=True)
class Step:
    """One state of the lifecycle as the job's page shows it: `mark` is done, current or ahead."""

    words: str
    mark: str


def lifecycle_steps(status: ConnectorJobStatus) -> list[Step]:
    """The lifecycle's main path with where the job stands on it; a job off the path (a failed send,
    cancelled, imported with errors) shows its own state in the place it reached."""
    if status is S.SEND_FAILED:
        path = [S.DRAFT, S.SEND_FAILED, S.SENT, S.IN_PRODUCTION, S.READY_FOR_IMPORT, S.IMPORTED]
    elif status is S.IMPORTED_WITH_ERRORS:
        path = [*_MAIN_PATH[:-1], S.IMPORTED_WITH_ERRORS]
    elif status is S.CANCELLED:
        return [Step(_STATUS_WORDS[S.CANCELLED], "current")]
    else:
        path = list(_MAIN_PATH)
    at = path.index(status)
    return [
        Step(_STATUS_WORDS[state], "done" if n < at else "current" if n == at else "ahead")
        for n, state in enumerate(path)
    ]


@dataclass(frozen=True, slots=True)
class CancelOffer:
    """The cancel a job's page offers now: its button's words and what it does."""

    label: str
    explanation: str


def cancel_offer(job: ConnectorJob) -> CancelOffer | None:
    """What a cancel of `job` does now (`lifecycle.decide_cancel`), None when it would be refused."""
    try:
        decision = decide_cancel(job.status, job.cancel_request)
    except CancelRefused:
        return None
    if decision is CancelDecision.REQUEST_VENDOR:
        if job.cancel_request is CancelRequest.REQUESTED:
            return None  # asked already: the vendor's answer comes with a poll
        return CancelOffer(
            "Request cancellation from the vendor",
            f"the job is with {job.vendor}: it decides, and refuses if work has started",
        )
    if decision is CancelDecision.WITHDRAW:
        return CancelOffer("Cancel the job", "free: whatever reached the vendor is withdrawn")
    return CancelOffer("Cancel the job", "free: nothing was sent")


def job_actions(job: ConnectorJob) -> list[str]:
    """The actions other than cancel the job's page offers now (`lifecycle.actions`), in lifecycle order."""
    found = actions(job.status, job.cancel_request)
    order = (JobAction.SEND, JobAction.POLL, JobAction.IMPORT, JobAction.RESUBMIT)
    return [action.value for action in order if action in found]


@dataclass(frozen=True, slots=True)
class LanguageCell:
    """An entity's status in one language: `state` in_translation, translated or none; a translated
    language is `out_of_date` when fields changed (or were added) since its last import, `changed`."""

    language: str
    state: str
    changed: tuple[str, ...] = ()

    @property
    def out_of_date(self) -> bool:
        return bool(self.changed)

    @property
    def words(self) -> str:
        if self.state == "in_translation":
            return "In translation"
        if self.state == "translated":
            return "Translated, out of date" if self.changed else "Translated"
        return "—"


def language_cells(
    entity: Entity, imported: Mapping[str, Mapping[str, str]], languages: Sequence[str]
) -> list[LanguageCell]:
    """`entity`'s cell in each of `languages`; `imported`: language -> field -> the hash last imported."""
    cells = []
    for language in languages:
        if language in entity.in_translation:
            cells.append(LanguageCell(language, "in_translation"))
        elif language in entity.translated:
            snapshot = snapshot_for(entity.id, entity.revision, entity.fields, language, imported.get(language, {}))
            cells.append(LanguageCell(language, "translated", tuple(snapshot.fields) if snapshot else ()))
        else:
            cells.append(LanguageCell(language, "none"))
    return cells


def languages_of(entities: Iterable[Entity], also: Iterable[str] = ()) -> list[str]:
    """Every language the entities are in translation into, translated into or hold a translation in."""
    found = set(also)
    for entity in entities:
        found |= entity.in_translation | entity.translated | set(entity.translations)
    return sorted(found)


@dataclass(frozen=True, slots=True)
class EntityFilter:
    """Which entities the list shows: from `source` ("catalogue", a source system's name, or any:
    ""), in `status` (one of ENTITY_STATUSES, or any) in `language` (or any language)."""

    source: str = ""
    status: str = ""
    language: str = ""

    @property
    def active(self) -> bool:
        return bool(self.source or self.status or self.language)

    def keeps(self, entity: Entity, imported: Mapping[str, Mapping[str, str]]) -> bool:
        if self.source == "catalogue" and entity.source is not None:
            return False
        if self.source not in ("", "catalogue") and entity.source != self.source:
            return False
        languages = [self.language] if self.language else languages_of([entity])
        cells = language_cells(entity, imported, languages)
        if self.status == "untranslated":
            return all(cell.state == "none" for cell in cells)
        if self.status == "out_of_date":
            return any(cell.out_of_date for cell in cells)
        if self.status:
            return any(cell.state == self.status for cell in cells)
        return not self.language or any(cell.state != "none" for cell in cells)


def entity_filter(source: str | None, status: str | None, language: str | None) -> EntityFilter:
    """The filter a query names; an unknown status is none, a language in any spelling is the
    connector's (`es_mx` -> `es-MX`). Raises Invalid for a language that is no language code."""
    chosen = (language or "").strip()[:35]
    return EntityFilter(
        source=(source or "").strip()[:64],
        status=status if status in ENTITY_STATUSES else "",
        language=locale(chosen) if chosen else "",
    )
