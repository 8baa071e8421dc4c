"""The `human` vendor: a queue a translation agency works from, over the REST API
(`/connector/vendor/...`, `api/connector/vendor_routes.py`) or the command line (`dragoman connector
vendor ...`), with its own keys: an agency sees only the jobs sent to the vendor whose key it holds.

The connector's side (`Vendor`): `submit` queues the job's sent items as frozen (idempotent by the
connector job's id); `poll` reads the queue; `request_cancel` records a request the agency answers
later; `withdraw` cancels; `deliveries` hands over the uploaded translations. The agency's side:
list its jobs, download a job's XLIFF per target language (1.2 by default, 2.0 on request), accept
it, upload the translated XLIFF (checked whole by `connector.xliff`; a refused file changes nothing),
approve or refuse a cancel request. What each state allows is `human_rules`'.

Settings: `DRAGOMAN_CONNECTOR_VENDORS='{"agency": {"kind": "human", "keys": ["..."], "xliff_version":
"1.2"}}'` (`keys`: the agency's API keys, at least one; `xliff_version`: what a download gives when
it does not ask).

Shapes: `HumanVendor(name, options, queue)`; `agency_document(job) -> dict` (the REST API's and `--json`'s
vendor job); `create(name, options, service)`; `human_vendor(vendors, name) -> HumanVendor` (raises
NotFound); `vendor_for_key(settings_vendors, key) -> [name]`.
"""

from __future__ import annotations

import contextlib
import hmac
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from dragoman.connector import xliff
from dragoman.connector.store import ConnectorJob, ItemStatus
from dragoman.connector.vendors.base import Delivery, Vendor, VendorStatus
from dragoman.connector.vendors.human_rules import (
    AgencyAction,
    QueueCancel,
    QueueState,
    after_request_cancel,
    after_withdraw,
    agency_actions,
    decide,
    vendor_status,
)
from dragoman.connector.vendors.human_store import HumanQueue, QueuedItem, QueuedJob, utcnow
from dragoman.errors import Invalid, NotFound

__all__ = ["KIND", "HumanVendor", "Options", "agency_document", "create", "human_vendor", "vendor_for_key"]

KIND = "human"
A = AgencyAction


class Options(BaseModel):
    """A human vendor's options: the agency's API keys, and the XLIFF version a download gives."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    keys: list[SecretStr] = Field(min_length=1, description="The agency's API keys (Authorization: Bearer <key>).")
    xliff_version: Literal["1.2", "2.0"] = "1.2"


class HumanVendor(Vendor):
    """A translation agency's queue (see the module's docstring)."""

    def __init__(self, name: str, options: Options, queue: HumanQueue) -> None:
        self.name = name
        self.options = options
        self.queue = queue

    # --- the connector's side -----------------------------------------------------------------

    def submit(self, tenant: str, job: ConnectorJob) -> str:
        """Queue `job`'s sent items, frozen. Raises Invalid when a field holds a character no XLIFF
        file can carry (the send fails saying which)."""
        items = tuple(
            QueuedItem(item.id, item.entity, item.language, dict(item.fields))
            for item in job.items
            if item.status == ItemStatus.SENT
        )
        for item in items:
            for name, (text, _) in item.fields.items():
                bad = xliff.unusable_character(text)
                if bad is not None:
                    raise Invalid(
                        f"field {name!r} of entity {item.entity!r} holds {bad}, a character an XLIFF file cannot carry"
                    )
        languages = tuple(language for language in job.target_languages if any(i.language == language for i in items))
        now = utcnow()
        queued = QueuedJob(
            job_id=job.id, tenant=tenant, vendor=self.name, name=job.name, source_language=job.source_language,
            target_languages=languages, state=QueueState.RECEIVED, cancel_request=QueueCancel.NONE, items=items,
            created_at=now, updated_at=now, instructions=job.instructions, due_at=job.due_at,
        )  # fmt: skip
        return self.queue.add(queued).job_id

    def poll(self, tenant: str, ref: str) -> VendorStatus:
        """The queued job's state; while it is live, the languages uploaded so far are complete (the
        connector imports each at once)."""
        job = self.queue.get(self.name, ref, tenant)
        return vendor_status(job.state, job.cancel_request, job.delivered_languages)

    def request_cancel(self, tenant: str, ref: str) -> None:
        self.queue.change(
            self.name, ref, lambda job: after_request_cancel(job.state, job.cancel_request), tenant=tenant
        )

    def find(self, tenant: str, job: ConnectorJob) -> str | None:
        """The queued job's reference when a submit of `job` reached the queue, else None; only looks."""
        try:
            return self.queue.get(self.name, job.id, tenant).job_id
        except NotFound:
            return None

    def withdraw(self, tenant: str, ref: str) -> None:
        with contextlib.suppress(NotFound):  # never queued: nothing to take back
            self.queue.change(self.name, ref, lambda job: after_withdraw(job.state, job.cancel_request), tenant=tenant)

    def deliveries(self, tenant: str, ref: str, job: ConnectorJob) -> dict[str, Delivery]:
        queued = self.queue.get(self.name, ref, tenant)
        results: dict[str, Delivery] = {}
        for item in queued.items:
            fields = queued.translations.get(item.id)
            if fields is None:
                results[item.id] = Delivery(error=f"the agency delivered no translation into {item.language}")
            else:
                results[item.id] = Delivery(fields=dict(fields))
        return results

    # --- the agency's side --------------------------------------------------------------------

    def jobs(self, offset: int = 0, limit: int = 50) -> tuple[list[QueuedJob], int]:
        """This vendor's jobs, newest first, and how many it holds."""
        return self.queue.page(self.name, offset, limit)

    def job(self, job_id: str) -> QueuedJob:
        """One of this vendor's jobs. Raises NotFound (another vendor's job too)."""
        return self.queue.get(self.name, job_id)

    def download(self, job_id: str, language: str | None = None, version: str | None = None) -> tuple[str, bytes]:
        """(file name, XLIFF bytes) of the job's units for one target language (`language` may be left
        out when the job has one), in `version` (default: the vendor's `xliff_version`). Raises
        NotFound, Invalid (an unknown language or version), Conflict (a cancelled job)."""
        job = self.job(job_id)
        decide(A.DOWNLOAD, job.state, job.cancel_request)
        chosen = version or self.options.xliff_version
        if chosen not in xliff.VERSIONS:
            raise Invalid(f"XLIFF version {chosen!r} is not offered: ask for 1.2 or 2.0")
        target = _language(job, language)
        data = xliff.build(_xliff_jobs(job)[target], chosen)
        return f"{job.job_id}.{target}.xliff{chosen.replace('.', '')}.xlf", data

    def accept(self, job_id: str) -> QueuedJob:
        """Start work on a received job. Raises NotFound, Conflict."""
        return self.queue.change(self.name, job_id, lambda job: decide(A.ACCEPT, job.state, job.cancel_request))

    def upload(self, job_id: str, data: bytes, max_bytes: int = xliff.DEFAULT_MAX_BYTES) -> QueuedJob:
        """Take a translated XLIFF file for one of the job's target languages, checked whole: the
        language's translations, and delivered once every language is. Raises NotFound, Conflict
        (the job no longer takes uploads), XliffRefused (an Invalid listing every problem; nothing
        changes)."""
        job = self.job(job_id)
        decide(A.UPLOAD, job.state, job.cancel_request)
        upload = xliff.read(data, _xliff_jobs(job), max_bytes)

        def after(now: QueuedJob) -> tuple[QueueState, QueueCancel]:
            complete = {*now.delivered_languages, upload.language} >= set(now.target_languages)
            return decide(A.UPLOAD, now.state, now.cancel_request, complete=complete)

        return self.queue.change(self.name, job_id, after, translations=upload.translations, language=upload.language)

    def approve_cancel(self, job_id: str) -> QueuedJob:
        """Cancel the job as the connector asked. Raises NotFound, CancelRefused (no request), Conflict."""
        return self.queue.change(self.name, job_id, lambda job: decide(A.APPROVE_CANCEL, job.state, job.cancel_request))

    def refuse_cancel(self, job_id: str) -> QueuedJob:
        """Refuse the connector's cancel request: work goes on. Raises NotFound, CancelRefused, Conflict."""
        return self.queue.change(self.name, job_id, lambda job: decide(A.REFUSE_CANCEL, job.state, job.cancel_request))


def _language(job: QueuedJob, language: str | None) -> str:
    """The job's target language `language` names (None: its only one). Raises Invalid."""
    if language is None:
        if len(job.target_languages) == 1:
            return job.target_languages[0]
        raise Invalid(f"the job is translated into {', '.join(job.target_languages)}: name one language to download")
    for target in job.target_languages:
        if target.lower() == language.replace("_", "-").lower():
            return target
    raise Invalid(f"the job is not translated into {language!r}; it is into {', '.join(job.target_languages)}")


def _xliff_jobs(job: QueuedJob) -> dict[str, xliff.XliffJob]:
    """Target language -> what its file holds."""
    due = job.due_at.isoformat() + "Z" if job.due_at else None
    files: dict[str, xliff.XliffJob] = {}
    for language in job.target_languages:
        items = [(item.id, item.entity, item.fields) for item in job.items if item.language == language]
        units = tuple(xliff.units_of(items))
        files[language] = xliff.XliffJob(job.job_id, job.source_language, language, units, job.instructions, due)
    return files


def agency_document(job: QueuedJob) -> dict[str, Any]:
    """A queued job as the agency reads it: `{id, name, state, cancel_request, source_language,
    target_languages, delivered_languages, instructions, due_at, created_at, updated_at, actions,
    counts: {items, units}}`. Times are ISO 8601 UTC ending in `Z`."""
    from dragoman.connector.documents import timestamp

    return {
        "id": job.job_id,
        "name": job.name,
        "state": job.state.value,
        "cancel_request": job.cancel_request.value,
        "source_language": job.source_language,
        "target_languages": list(job.target_languages),
        "delivered_languages": list(job.delivered_languages),
        "instructions": job.instructions,
        "due_at": timestamp(job.due_at),
        "created_at": timestamp(job.created_at),
        "updated_at": timestamp(job.updated_at),
        "actions": sorted(action.value for action in agency_actions(job.state, job.cancel_request)),
        "counts": {"items": len(job.items), "units": sum(len(item.fields) for item in job.items)},
    }


def create(name: str, options: Options, service: object) -> HumanVendor:
    """The human vendor named `name`, its queue in the state database of `service` (a
    `dragoman.service.Dragoman`)."""
    from dragoman.service import Dragoman

    assert isinstance(service, Dragoman)
    return HumanVendor(name, options, HumanQueue(service.store._engine))


def human_vendor(vendors: Mapping[str, Vendor], name: str) -> HumanVendor:
    """The human vendor called `name`. Raises NotFound naming the human vendors there are."""
    vendor = vendors.get(name)
    if isinstance(vendor, HumanVendor):
        return vendor
    known = sorted(key for key, value in vendors.items() if isinstance(value, HumanVendor))
    raise NotFound(f"no human vendor is named {name!r}; configured: {', '.join(known) or 'none'}")


def vendor_for_key(vendors: Mapping[str, Mapping[str, Any]], key: str) -> list[str]:
    """The human vendors (DRAGOMAN_CONNECTOR_VENDORS tables) whose `keys` hold `key`, each key compared in
    constant time."""
    found: list[str] = []
    for name, table in sorted(vendors.items()):
        if table.get("kind") != KIND:
            continue
        for candidate in table.get("keys", []):
            secret = candidate.get_secret_value() if isinstance(candidate, SecretStr) else str(candidate)
            if hmac.compare_digest(secret.encode(), key.encode()):
                found.append(name)
    return found
