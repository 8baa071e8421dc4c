"""The `local` vendor: Dragoman's own batch jobs.

It writes each item's fields as plain-text documents in the tenant's connector work folder
(`<data dir>/connector/<tenant>/<job>/`), submits one batch job for them (its client token is the
connector job's id, so a second submit finds the first), and reads the translations back. It
approves a cancel while any of its documents is unfinished (the batch job's cancel took effect) and
refuses it once every document is delivered (the cancel lost the race, or came after the end).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from dragoman.connector.store import ConnectorJob, ItemStatus
from dragoman.connector.vendors.base import CancelAnswer, Delivery, Vendor, VendorState, VendorStatus
from dragoman.domain.specs import JobSpec, TaskSpec
from dragoman.domain.states import TERMINAL_TASK_STATES, JobStatus, TaskStatus
from dragoman.errors import CancelRefused, NotFound, ServiceError, UnsupportedLanguage
from dragoman.storage.local import path_to_url

__all__ = ["CONNECTOR_ORIGIN", "LocalVendor", "Options", "create"]

CONNECTOR_ORIGIN = "connector"


class LocalVendor(Vendor):
    """Dragoman's own batch jobs (see the module's docstring). `service` is a `dragoman.service.Dragoman`."""

    def __init__(self, service: object, name: str = "local") -> None:
        from dragoman.service import Dragoman

        assert isinstance(service, Dragoman)
        self._service = service
        self.name = name

    def _folder(self, tenant: str, job_id: str) -> Path:
        """The job's folder in the tenant's connector work folder (in that tenant's storage scope)."""
        return self._service.settings.connector_work_dir(tenant) / job_id

    def language_pairs(self) -> list[tuple[str, str]]:
        return [(pair.source, pair.target) for pair in self._service.languages()]

    def check_languages(self, source: str, targets: Sequence[str]) -> None:
        for target in targets:
            if not self._service.engine.supports(source, target):
                raise UnsupportedLanguage(f"no installed engine translates {source!r} into {target!r}")

    def find(self, tenant: str, job: ConnectorJob) -> str | None:
        found = self._service.find_by_client_token(tenant, job.id)
        return found[0].job.id if found is not None else None

    def submit(self, tenant: str, job: ConnectorJob) -> str:
        found = self.find(tenant, job)
        if found is not None:  # sent before a crash stopped us from recording it
            return found
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
        try:
            return self._service.submit(spec).job.id
        except ServiceError:
            found = self.find(tenant, job)
            if found is not None:  # a concurrent submit of this job won the client token: it is the one
                return found
            raise

    def poll(self, tenant: str, ref: str) -> VendorStatus:
        view = self._service.get(ref, tenant=tenant)
        status = view.status
        if status is JobStatus.CANCELLED:
            return VendorStatus(VendorState.CANCELLED, CancelAnswer.APPROVED)
        if view.is_terminal:  # every document delivered: a cancel asked now (or that lost the race) is refused
            return VendorStatus(VendorState.DELIVERED, CancelAnswer.REFUSED)
        if status in (JobStatus.RUNNING, JobStatus.CANCELLING):
            languages: set[str] = set()
            unfinished: set[str] = set()
            for task in self._service.tasks(ref, tenant=tenant):
                languages.add(task.target_language)
                if task.status not in TERMINAL_TASK_STATES:
                    unfinished.add(task.target_language)
            return VendorStatus(VendorState.IN_PRODUCTION, complete_languages=frozenset(languages - unfinished))
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


class Options(BaseModel):
    """The local vendor takes no options."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def create(name: str, options: Options, service: object) -> LocalVendor:
    """The local vendor named `name` over `service` (a `dragoman.service.Dragoman`)."""
    return LocalVendor(service, name)
