"""The `local` vendor: Dragoman's own batch jobs.

It packs the items' fields, per target language and in groups of whole items (at most
`CHUNK_FIELDS` fields or `CHUNK_CHARACTERS` characters), into plain-text documents in the tenant's
connector work folder (`<data dir>/connector/<tenant>/<job>/`; connector/packing.py), submits one
batch job for them (its client token is the connector job's id, so a second submit finds the
first), and takes the translations apart again. A document is the unit of work: a document that
fails fails every item in it, and a cancel stops between documents. It
approves a cancel while any of its documents is unfinished (the batch job's cancel took effect) and
refuses it once every document is delivered (the cancel lost the race, or came after the end). The
deliveries of a cancelled batch job are its finished documents' items; the items of a document the
cancel stopped are `Delivery.cancelled`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from dragoman.connector.packing import pack, restore, unpack
from dragoman.connector.store import ConnectorJob, Item, ItemStatus
from dragoman.connector.vendors.base import CancelAnswer, Delivery, Vendor, VendorState, VendorStatus
from dragoman.domain.specs import JobSpec, TaskSpec
from dragoman.domain.states import TERMINAL_TASK_STATES, JobStatus, TaskStatus
from dragoman.errors import CancelRefused, NotFound, ServiceError, UnsupportedLanguage
from dragoman.storage.local import path_to_url

__all__ = ["CONNECTOR_ORIGIN", "LocalVendor", "Options", "create"]

CONNECTOR_ORIGIN = "connector"
CHUNK_FIELDS = 400  # fields in one document: a document is the unit of a cancel and of a failure
CHUNK_CHARACTERS = 64 * 1024
CANCELLED = "the batch job was cancelled before this document was translated"


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
        chunks: list[dict[str, object]] = []
        for language, group in _groups(job):
            nonce = _nonce(f"{job.id}/{len(chunks)}", [text for item in group for text, _ in item.fields.values()])
            keys = [(item.id, name) for item in group for name in sorted(item.fields)]
            texts = [item.fields[name][0] for item in group for name in sorted(item.fields)]
            name = f"{len(chunks):05d}.txt"
            source = folder / "source" / language / name
            source.parent.mkdir(parents=True, exist_ok=True)
            source.write_text(pack(texts, nonce), encoding="utf-8")
            target = folder / "out" / language / name
            tasks.append(TaskSpec(path_to_url(source), path_to_url(target), job.source_language, language))
            chunks.append({"source": str(source), "target": str(target), "nonce": nonce, "fields": keys})
        (folder / "manifest.json").write_text(json.dumps({"chunks": chunks}), encoding="utf-8")
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
        tasks = self._service.tasks(ref, tenant=tenant)
        failed = {
            task.target_url: task.error.message if task.error else "not translated"
            for task in tasks
            if task.status is not TaskStatus.SUCCEEDED
        }
        cancelled = {task.target_url for task in tasks if task.status is TaskStatus.CANCELLED}
        sources = {item.id: item.fields for item in job.items}
        fields: dict[str, dict[str, str]] = {}
        errors: dict[str, str] = {}
        for chunk in manifest["chunks"]:
            keys = [(item_id, name) for item_id, name in chunk["fields"]]
            target = Path(chunk["target"])
            problem = failed.get(path_to_url(target))
            if path_to_url(target) in cancelled:
                problem = CANCELLED
            translated: list[str] | None = None
            if problem is None:
                try:
                    translated = unpack(target.read_text(encoding="utf-8"), chunk["nonce"], len(keys))
                except FileNotFoundError:
                    problem = "not translated"
                except ValueError as exc:
                    problem = f"the translation could not be taken apart into its fields ({exc})"
            for index, (item_id, name) in enumerate(keys):
                if translated is None:
                    errors[item_id] = problem or "not translated"
                    continue
                source_text = sources[item_id][name][0] if item_id in sources and name in sources[item_id] else ""
                fields.setdefault(item_id, {})[name] = restore(source_text, translated[index])
        return {
            item_id: Delivery(error=errors[item_id], cancelled=errors[item_id] == CANCELLED)
            if item_id in errors
            else Delivery(fields=fields.get(item_id, {}))
            for item_id in {*fields, *errors}
        }


def _nonce(seed: str, texts: list[str]) -> str:
    """Eight digits none of `texts` contains, the same for the same seed and texts: a retried or
    concurrent submit of one job writes byte for byte the same documents."""
    counter = 0
    while True:
        digest = hashlib.sha256(f"{seed}/{counter}".encode()).digest()
        nonce = f"{int.from_bytes(digest[:8], 'big') % 10**8:08d}"
        if not any(nonce in text for text in texts):
            return nonce
        counter += 1


def _groups(job: ConnectorJob) -> list[tuple[str, list[Item]]]:
    """The job's sent items, per target language, in groups of whole items of at most `CHUNK_FIELDS`
    fields or `CHUNK_CHARACTERS` characters (an item larger than that is a group of its own)."""
    by_language: dict[str, list[Item]] = {}
    for item in job.items:
        if item.status == ItemStatus.SENT:
            by_language.setdefault(item.language, []).append(item)
    groups: list[tuple[str, list[Item]]] = []
    for language, items in by_language.items():
        group: list[Item] = []
        fields = characters = 0
        for item in items:
            size = sum(len(text) for text, _ in item.fields.values())
            if group and (fields + len(item.fields) > CHUNK_FIELDS or characters + size > CHUNK_CHARACTERS):
                groups.append((language, group))
                group, fields, characters = [], 0, 0
            group.append(item)
            fields += len(item.fields)
            characters += size
        if group:
            groups.append((language, group))
    return groups


class Options(BaseModel):
    """The local vendor takes no options."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def create(name: str, options: Options, service: object) -> LocalVendor:
    """The local vendor named `name` over `service` (a `dragoman.service.Dragoman`)."""
    return LocalVendor(service, name)
