"""Translation vendors a connector job is handed to, behind one small interface, and the `local`
vendor: Dragoman's own batch jobs.

A vendor takes a job (`submit`, idempotent by the connector job's id, so a retry after a crash
never creates a second vendor job), says where it is (`poll`), takes a cancel request (answered at a
later poll: approved or refused), withdraws a job the connector cancelled while sending, and hands
over its translations (`deliveries`).

The local vendor writes each item's fields as plain-text documents in the tenant's connector work
folder (`<data dir>/connector/<tenant>/<job>/`), submits one batch job for them (its client token
is the connector job's id), and reads the translations back. It approves a cancel while any of its
documents is unfinished (the batch job's cancel took effect) and refuses it once every document is
delivered (the cancel lost the race, or came after the end).
"""

from __future__ import annotations

import contextlib
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from dragoman.connector.store import ConnectorJob, ItemStatus
from dragoman.domain.specs import JobSpec, TaskSpec, primary_language
from dragoman.domain.states import JobStatus, TaskStatus
from dragoman.errors import CancelRefused, NotFound, UnsupportedLanguage
from dragoman.storage.local import path_to_url

__all__ = ["CancelAnswer", "Delivery", "LocalVendor", "Vendor", "VendorState", "VendorStatus"]

CONNECTOR_ORIGIN = "connector"


class VendorState(StrEnum):
    RECEIVED = "received"  # the vendor has the job; work has not started
    IN_PRODUCTION = "in_production"
    DELIVERED = "delivered"  # every item is translated (or failed)
    CANCELLED = "cancelled"  # the vendor cancelled it (approving a request, or on its own)


class CancelAnswer(StrEnum):
    APPROVED = "approved"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class VendorStatus:
    state: VendorState
    cancel: CancelAnswer | None = None  # the answer to a cancel request, once there is one


@dataclass(frozen=True, slots=True)
class Delivery:
    """One item's result: its translated fields, or why it has none."""

    fields: Mapping[str, str] | None = None
    error: str | None = None


class Vendor(ABC):
    name: str

    @abstractmethod
    def submit(self, tenant: str, job: ConnectorJob) -> str:
        """Hand `job`'s sent items over; the vendor's reference to it. Idempotent by `job.id`.
        Raises ServiceError when the vendor cannot take it now (the send is retried)."""

    @abstractmethod
    def poll(self, tenant: str, ref: str) -> VendorStatus:
        """Where the vendor's job stands."""

    @abstractmethod
    def request_cancel(self, tenant: str, ref: str) -> None:
        """Ask the vendor to cancel; the answer comes with a later `poll`. Idempotent."""

    @abstractmethod
    def withdraw(self, tenant: str, ref: str) -> None:
        """Take back a job the connector cancelled while sending: the vendor works on none of it."""

    @abstractmethod
    def deliveries(self, tenant: str, ref: str, job: ConnectorJob) -> dict[str, Delivery]:
        """Item id -> its result, for a delivered job."""

    def language_pairs(self) -> list[tuple[str, str]] | None:
        """(source, target) language pairs this vendor translates; None when it does not say (any
        pair may be asked, and a vendor that cannot do one says so when the job is sent)."""
        return None

    def check_languages(self, source: str, targets: Sequence[str]) -> None:
        """Raise UnsupportedLanguage for the first target this vendor cannot translate `source` into,
        when it says which pairs it translates (`language_pairs`)."""
        pairs = self.language_pairs()
        if pairs is None:
            return
        known = set(pairs)
        for target in targets:
            if (source, primary_language(target)) not in known:
                raise UnsupportedLanguage(f"the {self.name} vendor does not translate {source!r} into {target!r}")


class LocalVendor(Vendor):
    """Dragoman's own batch jobs (see the module's docstring). `service` is a `dragoman.service.Dragoman`."""

    name = "local"

    def __init__(self, service: object) -> None:
        from dragoman.service import Dragoman

        assert isinstance(service, Dragoman)
        self._service = service

    def _folder(self, tenant: str, job_id: str) -> Path:
        """The job's folder in the tenant's connector work folder (in that tenant's storage scope)."""
        return self._service.settings.connector_work_dir(tenant) / job_id

    def language_pairs(self) -> list[tuple[str, str]]:
        return [(pair.source, pair.target) for pair in self._service.languages()]

    def check_languages(self, source: str, targets: Sequence[str]) -> None:
        for target in targets:
            if not self._service.engine.supports(source, target):
                raise UnsupportedLanguage(f"no installed engine translates {source!r} into {target!r}")

    def submit(self, tenant: str, job: ConnectorJob) -> str:
        found = self._service.find_by_client_token(tenant, job.id)
        if found is not None:  # sent before a crash stopped us from recording it
            return found[0].job.id
        folder = self._folder(tenant, job.id)
        tasks: list[TaskSpec] = []
        manifest: dict[str, dict[str, str]] = {}
        for seq, item in enumerate(job.items):
            if item.status != ItemStatus.SENT:
                continue
            names: dict[str, str] = {}
            for number, (name, (text, _)) in enumerate(sorted(item.fields.items())):
                source = folder / "source" / str(seq) / f"{number}.txt"
                source.parent.mkdir(parents=True, exist_ok=True)
                source.write_text(text, encoding="utf-8")
                target = folder / "out" / str(seq) / f"{number}.txt"
                names[str(number)] = name
                tasks.append(TaskSpec(path_to_url(source), path_to_url(target), job.source_language, item.language))
            manifest[item.id] = {"seq": str(seq), **{f"field:{key}": value for key, value in names.items()}}
        (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        spec = JobSpec(tenant, tasks, name=f"connector {job.name}"[:256], origin=CONNECTOR_ORIGIN, client_token=job.id)
        return self._service.submit(spec).job.id

    def poll(self, tenant: str, ref: str) -> VendorStatus:
        view = self._service.get(ref, tenant=tenant)
        status = view.status
        if status is JobStatus.CANCELLED:
            return VendorStatus(VendorState.CANCELLED, CancelAnswer.APPROVED)
        if view.is_terminal:  # every document delivered: a cancel asked now (or that lost the race) is refused
            return VendorStatus(VendorState.DELIVERED, CancelAnswer.REFUSED)
        if status in (JobStatus.RUNNING, JobStatus.CANCELLING):
            return VendorStatus(VendorState.IN_PRODUCTION)
        return VendorStatus(VendorState.RECEIVED)

    def request_cancel(self, tenant: str, ref: str) -> None:
        with contextlib.suppress(CancelRefused):  # everything is delivered: `poll` answers refused
            self._service.cancel(ref, tenant=tenant)

    def withdraw(self, tenant: str, ref: str) -> None:
        with contextlib.suppress(CancelRefused, NotFound):  # it ran to its end: its outputs are never imported
            self._service.cancel(ref, tenant=tenant)

    def deliveries(self, tenant: str, ref: str, job: ConnectorJob) -> dict[str, Delivery]:
        folder = self._folder(tenant, job.id)
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        failed = {
            task.target_url: task.error.message if task.error else "not translated"
            for task in self._service.tasks(ref, tenant=tenant)
            if task.status is not TaskStatus.SUCCEEDED
        }
        results: dict[str, Delivery] = {}
        for item_id, entry in manifest.items():
            fields: dict[str, str] = {}
            errors: list[str] = []
            for key, name in entry.items():
                if not key.startswith("field:"):
                    continue
                target = folder / "out" / entry["seq"] / f"{key.removeprefix('field:')}.txt"
                problem = failed.get(path_to_url(target))
                if problem is not None or not target.exists():
                    errors.append(f"{name}: {problem or 'not translated'}")
                    continue
                fields[name] = target.read_text(encoding="utf-8")
            results[item_id] = Delivery(error="; ".join(errors)) if errors else Delivery(fields=fields)
        return results
