"""What the vendors that reach a batch translation service over the network (`azure`, `amazon`) share.

- **Documents.** Each sent item's fields become plain-text documents named `<item id>/<n>.txt`, `n`
  numbering the item's fields in name order (`documents`): the names are deterministic, so a retry
  writes the same documents again rather than new ones, and they are read back the same way
  (`collect`), with no manifest to keep.
- **One vendor job per target language.** A batch job translates every document it lists into every
  target it names, while a connector job sends each entity only into the languages it needs; so
  each language's documents go in a folder of their own and to a vendor job of their own. The
  vendor's reference to a connector job is those jobs' ids by language, as JSON (`encode_ref`,
  `decode_ref`).
- **One status.** The vendor jobs' states fold into one (`fold`): delivered when every one ended with
  its documents done; cancelled when every one ended and any was cancelled. A cancel request is
  answered once every vendor job ended: approved when any of them was cancelled (the cancel took
  effect somewhere: the connector job ends cancelled and nothing of it is imported), refused when
  all of them ran to their end (the work was done before the cancel could stop it).

Errors: `VendorUnavailable` (a ServiceError: the connector records the send as failed, with its
message, and a retry sends again).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from dragoman.connector.store import ConnectorJob, ItemStatus
from dragoman.connector.vendors.base import CancelAnswer, Delivery, VendorState, VendorStatus
from dragoman.errors import ServiceError

__all__ = [
    "Document",
    "JobState",
    "VendorUnavailable",
    "collect",
    "decode_ref",
    "documents",
    "encode_ref",
    "fold",
    "setting",
]

NOT_TRANSLATED = "not translated"


class VendorUnavailable(ServiceError):
    """The vendor could not be reached, or refused the request."""

    code = "VendorUnavailable"


def setting(vendor: str, option: str) -> str:
    """How an error names the setting at fault: `DRAGOMAN_CONNECTOR_VENDORS at azure-prod.endpoint`."""
    return f"DRAGOMAN_CONNECTOR_VENDORS at {vendor}.{option}"


@dataclass(frozen=True, slots=True)
class Document:
    """One field of one sent item, as a plain-text document named `name` in its language's folder."""

    item: str  # the item's id
    field: str  # the field's name
    name: str  # `<item id>/<n>.txt`
    text: str


def documents(job: ConnectorJob) -> dict[str, list[Document]]:
    """Target language -> the documents of the job's sent items into it, in item order."""
    found: dict[str, list[Document]] = {}
    for item in job.items:
        if item.status != ItemStatus.SENT:
            continue
        for number, (name, (text, _)) in enumerate(sorted(item.fields.items())):
            found.setdefault(item.language, []).append(Document(item.id, name, f"{item.id}/{number}.txt", text))
    return found


def encode_ref(job_ids: Mapping[str, str]) -> str:
    """The vendor's reference to a connector job: `{"<language>": "<vendor job id>", ...}`."""
    return json.dumps(dict(sorted(job_ids.items())), separators=(",", ":"))


def decode_ref(ref: str) -> dict[str, str]:
    """Language -> vendor job id, from `encode_ref`'s reference. Raises VendorUnavailable for a
    reference that is not one (another kind of vendor's, or a vendor renamed in the settings)."""
    try:
        value = json.loads(ref)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise VendorUnavailable(f"the vendor reference {ref[:80]!r} does not name this vendor's jobs")
    return value


class JobState(StrEnum):
    """Where one vendor job stands."""

    WAITING = "waiting"  # taken, not started
    RUNNING = "running"  # started (or stopping)
    ENDED = "ended"  # every document done (translated or failed)
    CANCELLED = "cancelled"  # ended by a cancel, its own or the vendor's


def fold(states: Iterable[JobState]) -> VendorStatus:
    """The connector job's status from its vendor jobs' states (see the module's docstring)."""
    states = list(states)
    if all(state in (JobState.ENDED, JobState.CANCELLED) for state in states):
        if JobState.CANCELLED in states:
            return VendorStatus(VendorState.CANCELLED, CancelAnswer.APPROVED)
        return VendorStatus(VendorState.DELIVERED, CancelAnswer.REFUSED)
    if any(state is not JobState.WAITING for state in states):
        return VendorStatus(VendorState.IN_PRODUCTION)
    return VendorStatus(VendorState.RECEIVED)


def collect(job: ConnectorJob, results: Mapping[str, Mapping[str, str | Delivery]]) -> dict[str, Delivery]:
    """Item id -> its Delivery, from language -> document name -> the translated text, or a Delivery
    holding why that document has none. A document missing from `results` was not translated. An
    item with a document its vendor job's cancel stopped (`Delivery.cancelled`) is cancelled."""
    fields: dict[str, dict[str, str]] = {}
    errors: dict[str, list[str]] = {}
    cancelled: set[str] = set()
    for language, language_documents in documents(job).items():
        found = results.get(language, {})
        for document in language_documents:
            result = found.get(document.name)
            fields.setdefault(document.item, {})
            if isinstance(result, str):
                fields[document.item][document.field] = result
            else:
                why = (result.error if result is not None else None) or NOT_TRANSLATED
                errors.setdefault(document.item, []).append(f"{document.field}: {why}")
                if result is not None and result.cancelled:
                    cancelled.add(document.item)
    return {
        item: Delivery(error="; ".join(errors[item]), cancelled=item in cancelled)
        if item in errors
        else Delivery(fields=item_fields)
        for item, item_fields in fields.items()
    }
