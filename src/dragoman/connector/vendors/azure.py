"""The `azure` vendor: any Azure Document Translation endpoint (Azure AI Translator, or another
Dragoman's Azure front door), through the official SDK (`azure-ai-translation-document`) and Azure
Blob Storage (`azure-storage-blob`), both imported only when a vendor of this kind is created.

Layout (`remote` explains the names), in the two containers the options give as SAS URLs:

    source  <prefix><connector job>/<language>/<item id>/<n>.txt      the documents (SAS: r, w, l)
            <prefix><connector job>/<language>.vendor-job.json        the marker: {"since", "id"}
    target  <prefix><connector job>/<language>/<item id>/<n>.txt      the translations (SAS: w, r, l)

Azure names a translation as its source blob, so each language's translations land in a folder of
their own of the target container (its `targetUrl` must be unique within a request, hence one
Azure job per language: Azure's "Start batch translation" reference).

**Submit**, per target language, idempotent by the connector job's id: the marker is read first; an
`id` in it is the Azure job already made. Otherwise the documents are uploaded (overwriting what an
earlier attempt wrote), the marker is written with `since` (now) *before* the job is started, the job
is started with a prefix filter on the language's folder, and its id is written to the marker. A
crash between the start and that last write leaves a marker with `since` and no `id`: the retry
then looks for the job among the translations created around `since` (`list_translation_statuses`,
from `since` less CLOCK_SKEW to `since` plus CLOCK_SKEW and the longest a start call can take), one
whose documents' source paths lie in the language's folder, and adopts it instead of starting another.

Azure lists a job's documents only once it has validated the job: until then (NotStarted, no document
listed) a job there cannot be told to be this one or another's. The retry never starts a job while
such a job is in the window: it waits for it (up to `timeout_seconds`) to list its documents or end,
and failing that the send fails saying so (VendorUnavailable), to be retried. A job that ended
listing no document translated nothing, so it is not waited for. **Find** (a cancel of a job whose
sending process crashed, or of a send that failed partway) reads the markers the same way, only
looking: an `id`, or the search; it waits the same for a job still validating, and if one still is
after `timeout_seconds` it leaves that language out (logged): the one case where a withdraw can miss
an Azure job, whose outputs the cancelled connector job never imports.

The job is started with `send_request` (the SDK's pipeline: its key, retries and errors) rather than
`begin_translation`, whose poller starts a thread per job that polls Azure until the job ends: the
connector polls on its own schedule.

**Poll**: NotStarted → received; Running and Cancelling (documents may still finish) → in
production; Succeeded, Failed, ValidationFailed → ended; Cancelled → cancelled; `remote.fold` gives
the answer. **Cancel**: Azure stops what has not started; documents already translated stay
translated. A cancel request is approved when an Azure job ends Cancelled, refused when every one
ends Succeeded (or Failed): the cancel came too late to stop anything. **Deliveries**: each document's
status (`list_document_statuses`); a translated one is read from the target container, a failed one
becomes its item's error, with Azure's message.

Errors: VendorUnavailable (the endpoint or a container cannot be reached, or refuses), naming the
setting at fault, never a key or a SAS token.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints, field_validator

from dragoman.connector.store import ConnectorJob
from dragoman.connector.vendors.base import Delivery, Vendor, VendorStatus
from dragoman.connector.vendors.remote import (
    Document,
    JobState,
    VendorUnavailable,
    collect,
    decode_ref,
    documents,
    encode_ref,
    fold,
    setting,
)
from dragoman.storage.locations import http_url

if TYPE_CHECKING:
    from azure.ai.translation.document import DocumentTranslationClient
    from azure.storage.blob import ContainerClient

__all__ = ["AzureVendor", "Options", "create"]

log = logging.getLogger("dragoman.connector")

API_VERSION = "2024-05-01"  # Document Translation's GA version (Dragoman's door takes it too)
# How far before a marker's `since` to look for the job it stands for (clocks differ).
CLOCK_SKEW = timedelta(minutes=10)
STATES = {
    "notstarted": JobState.WAITING,
    "running": JobState.RUNNING,
    "cancelling": JobState.RUNNING,
    "canceling": JobState.RUNNING,  # the SDK's spelling
    "succeeded": JobState.ENDED,
    "failed": JobState.ENDED,
    "validationfailed": JobState.ENDED,
    "cancelled": JobState.CANCELLED,
    "canceled": JobState.CANCELLED,
}
Prefix = Annotated[str, StringConstraints(pattern=r"^([A-Za-z0-9._-]+/){0,8}$", max_length=512)]


class Options(BaseModel):
    """The options of an `azure` vendor (README, "Content connector")."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    endpoint: str = Field(
        description="The Document Translation endpoint: https://<resource>.cognitiveservices.azure.com"
    )
    key: SecretStr = Field(description="The Translator resource's key (Ocp-Apim-Subscription-Key).")
    source_container_url: SecretStr = Field(description="SAS URL of the container documents are uploaded to (rwl).")
    target_container_url: SecretStr = Field(description="SAS URL of the container Azure writes translations to (rwl).")
    prefix: Prefix = Field(default="dragoman-connector/", description="Folder of both containers used, '' or 'a/b/'.")
    category: str | None = Field(default=None, max_length=200, description="A Custom Translator category id.")
    api_version: str = Field(default=API_VERSION, max_length=20, description="The REST API version used.")
    timeout_seconds: float = Field(default=30.0, gt=0, le=600, description="Connect and read timeout of each call.")
    retries: int = Field(default=3, ge=0, le=10, description="Retries of a call that failed to connect or got a 5xx.")

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        return http_url(value, "the endpoint")

    @field_validator("source_container_url", "target_container_url")
    @classmethod
    def _container(cls, value: SecretStr) -> SecretStr:
        url = http_url(value.get_secret_value(), "a container URL")
        if not urlsplit(url).path.strip("/"):
            raise ValueError(
                "a container URL must name a container (https://<account>.blob.core.windows.net/<c>?<sas>)"
            )
        return value


@dataclass
class _Clients:
    translation: DocumentTranslationClient
    source: ContainerClient
    target: ContainerClient


class AzureVendor(Vendor):
    """See the module's docstring."""

    def __init__(self, name: str, options: Options) -> None:
        self.name = name
        self._options = options
        self._clients: _Clients | None = None
        self._lock = threading.Lock()

    # --- plumbing -----------------------------------------------------------------------------

    def _connect(self) -> _Clients:
        with self._lock:
            if self._clients is None:
                from azure.ai.translation.document import DocumentTranslationClient
                from azure.core.credentials import AzureKeyCredential
                from azure.storage.blob import ContainerClient

                options = self._options
                transport: dict[str, Any] = {
                    "connection_timeout": options.timeout_seconds,
                    "read_timeout": options.timeout_seconds,
                    "retry_total": options.retries,
                }
                self._clients = _Clients(
                    DocumentTranslationClient(
                        options.endpoint,
                        AzureKeyCredential(options.key.get_secret_value()),
                        api_version=options.api_version,
                        **transport,
                    ),
                    ContainerClient.from_container_url(options.source_container_url.get_secret_value(), **transport),
                    ContainerClient.from_container_url(options.target_container_url.get_secret_value(), **transport),
                )
            return self._clients

    @contextlib.contextmanager
    def _calling(self, what: str, option: str) -> Iterator[None]:
        """Azure's errors as VendorUnavailable: `what` was being done, `option` names its setting."""
        from azure.core.exceptions import (
            ClientAuthenticationError,
            HttpResponseError,
            ServiceRequestError,
            ServiceResponseError,
        )

        where = setting(self.name, option)
        try:
            yield
        except ClientAuthenticationError:
            raise VendorUnavailable(f"the {self.name} vendor refused the credentials ({where}) while {what}") from None
        except HttpResponseError as exc:
            status = exc.status_code if exc.status_code is not None else "no status"
            code = f" {exc.error.code}" if exc.error is not None and exc.error.code else ""
            raise VendorUnavailable(f"the {self.name} vendor answered {status}{code} ({where}) while {what}") from None
        except ServiceRequestError:
            raise VendorUnavailable(f"the {self.name} vendor cannot be reached ({where}) while {what}") from None
        except ServiceResponseError:
            raise VendorUnavailable(f"the {self.name} vendor did not answer ({where}) while {what}") from None

    def _prefix(self, job_id: str) -> str:
        return f"{self._options.prefix}{job_id}/"

    def _source_path(self) -> str:
        """The source container's path (`/<account>/<container>` on Azurite, `/<container>` on Azure)."""
        return unquote(urlsplit(self._options.source_container_url.get_secret_value()).path).rstrip("/")

    def _name_in(self, folder: str, url: str) -> str | None:
        """A source document's name relative to `folder` of the source container, or None if not in it."""
        path = unquote(urlsplit(url).path)
        inside = f"{self._source_path()}/{folder}"
        return path.removeprefix(inside) if path.startswith(inside) else None

    # --- submit -------------------------------------------------------------------------------

    def submit(self, tenant: str, job: ConnectorJob) -> str:
        clients = self._connect()
        by_language = documents(job)
        if not by_language:
            raise VendorUnavailable("the job has no sent item to hand over")
        return encode_ref(
            {
                language: self._submit_language(clients, job, language, language_documents)
                for language, language_documents in by_language.items()
            }
        )

    def _submit_language(self, clients: _Clients, job: ConnectorJob, language: str, docs: list[Document]) -> str:
        from azure.storage.blob import ContentSettings

        folder = f"{self._prefix(job.id)}{language}/"
        marker_name = f"{self._prefix(job.id)}{language}.vendor-job.json"
        marker = self._marker(clients, marker_name)
        if isinstance(marker.get("id"), str):
            return str(marker["id"])
        if isinstance(
            marker.get("since"), str
        ):  # started before, perhaps: a crash may have kept its id from the marker
            found, undetermined = self._search(clients, folder, _moment(marker["since"]), wait=True)
            if found is not None:
                self._write_marker(clients, marker_name, {"since": marker["since"], "id": found})
                return found
            if undetermined:
                raise VendorUnavailable(
                    f"a translation the {self.name} vendor started before ({', '.join(undetermined)}) lists no "
                    f"document yet (Azure is still validating it) and may be this job's {language} one: "
                    "no second is started; send the job again in a moment"
                )
        since = datetime.now(UTC).isoformat()  # nothing of ours in the earlier window: a new one
        with self._calling("uploading the documents", "source_container_url"):
            for document in docs:
                clients.source.upload_blob(
                    folder + document.name,
                    document.text.encode("utf-8"),
                    overwrite=True,
                    content_settings=ContentSettings(content_type="text/plain; charset=utf-8"),
                )
        self._write_marker(clients, marker_name, {"since": since})
        job_id = self._start(clients, folder, job.source_language, language)
        self._write_marker(clients, marker_name, {"since": since, "id": job_id})
        return job_id

    def _marker(self, clients: _Clients, name: str) -> dict[str, Any]:
        from azure.core.exceptions import ResourceNotFoundError

        with self._calling("reading the job marker", "source_container_url"):
            try:
                data = clients.source.download_blob(name).readall()
            except ResourceNotFoundError:
                return {}
        try:
            value = json.loads(data)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def _write_marker(self, clients: _Clients, name: str, value: dict[str, str]) -> None:
        with self._calling("writing the job marker", "source_container_url"):
            clients.source.upload_blob(name, json.dumps(value).encode(), overwrite=True)

    def find(self, tenant: str, job: ConnectorJob) -> str | None:
        """The Azure jobs a submit of `job` started, as `submit` answers them (`encode_ref`: language ->
        job id), the languages none was started for left out; None when none was. Only looks (see
        the module's docstring). Raises VendorUnavailable."""
        clients = self._connect()
        found: dict[str, str] = {}
        for language in job.target_languages:  # not the items': a cancelled job's are no longer `sent`
            marker = self._marker(clients, f"{self._prefix(job.id)}{language}.vendor-job.json")
            if isinstance(marker.get("id"), str):
                found[language] = str(marker["id"])
            elif isinstance(marker.get("since"), str):
                folder = f"{self._prefix(job.id)}{language}/"
                job_id, undetermined = self._search(clients, folder, _moment(marker["since"]), wait=True)
                if job_id is not None:
                    found[language] = job_id
                elif undetermined:
                    log.warning(
                        "%s: translations %s still list no document; one may be job %s's %s translation, left running",
                        self.name, ", ".join(undetermined), job.id, language, extra={"action": "find"},
                    )  # fmt: skip
        return encode_ref(found) if found else None

    def _search(self, clients: _Clients, folder: str, since: datetime, *, wait: bool) -> tuple[str | None, list[str]]:
        """(the id of the translation created around `since` whose documents come from `folder`, or None;
        the ids of those in that window that list no document yet and have not ended, when none is).
        With `wait`, while only such undetermined ones stand in the way, asks again every second for up
        to `timeout_seconds`."""
        deadline = time.monotonic() + self._options.timeout_seconds
        while True:
            found, undetermined = self._search_once(clients, folder, since)
            if found is not None or not undetermined or not wait or time.monotonic() >= deadline:
                return found, undetermined
            time.sleep(1.0)

    def _search_once(self, clients: _Clients, folder: str, since: datetime) -> tuple[str | None, list[str]]:
        options = self._options
        # the longest a start call can take: connect and read, each try, and azure-core's backoff (at most 120 s)
        call = timedelta(seconds=(2 * options.timeout_seconds + 120) * (options.retries + 1))
        undetermined: list[str] = []
        with self._calling("looking for a translation started before", "endpoint"):
            for status in clients.translation.list_translation_statuses(
                created_after=since - CLOCK_SKEW, created_before=since + CLOCK_SKEW + call, order_by=["created_on asc"]
            ):
                first = next(iter(clients.translation.list_document_statuses(status.id, top=1)), None)
                if first is None:
                    if STATES.get(_name(status.status).lower(), JobState.RUNNING) in (
                        JobState.WAITING,
                        JobState.RUNNING,
                    ):
                        undetermined.append(str(status.id))
                elif self._name_in(folder, first.source_document_url) is not None:
                    return str(status.id), []
        return None, undetermined

    def _start(self, clients: _Clients, folder: str, source: str, language: str) -> str:
        from azure.core.rest import HttpRequest

        options = self._options
        target: dict[str, str] = {
            "targetUrl": options.target_container_url.get_secret_value(),
            "language": language,
            "storageSource": "AzureBlob",
        }
        if options.category:
            target["category"] = options.category
        body = {
            "inputs": [
                {
                    "source": {
                        "sourceUrl": options.source_container_url.get_secret_value(),
                        "filter": {"prefix": folder},
                        "language": source,
                        "storageSource": "AzureBlob",
                    },
                    "targets": [target],
                    "storageType": "Folder",
                }
            ]
        }
        version = self._options.api_version
        request = HttpRequest("POST", "/document/batches", params={"api-version": version}, json=body)
        with self._calling("starting the translation", "endpoint"):
            response = clients.translation.send_request(request)
        if response.status_code in (401, 403):
            raise VendorUnavailable(
                f"the {self.name} vendor refused the key ({setting(self.name, 'key')}) while starting the translation"
            )
        location = response.headers.get("Operation-Location", "")
        if response.status_code != 202 or not location:
            raise VendorUnavailable(
                f"the {self.name} vendor did not start the translation ({setting(self.name, 'endpoint')}): "
                f"it answered {response.status_code}{_error_of(response.text())}"
            )
        return urlsplit(location).path.rstrip("/").rsplit("/", 1)[-1]

    # --- the job at the vendor ----------------------------------------------------------------

    def poll(self, tenant: str, ref: str) -> VendorStatus:
        clients = self._connect()
        states = []
        with self._calling("reading the translation's status", "endpoint"):
            for job_id in decode_ref(ref).values():
                status = clients.translation.get_translation_status(job_id)
                states.append(STATES.get(_name(status.status).lower(), JobState.RUNNING))
        return fold(states)

    def request_cancel(self, tenant: str, ref: str) -> None:
        self._cancel(ref)

    def withdraw(self, tenant: str, ref: str) -> None:
        try:
            self._cancel(ref)
        except VendorUnavailable as exc:  # the job's outputs are never imported either way
            log.warning("%s: could not withdraw %s: %s", self.name, ref, exc.message, extra={"action": "withdraw"})

    def _cancel(self, ref: str) -> None:
        """Cancel each Azure job; one already ended (400 or 409) or gone (404) is left as it is."""
        from azure.core.exceptions import HttpResponseError

        clients = self._connect()
        for job_id in decode_ref(ref).values():
            with self._calling("cancelling the translation", "endpoint"):
                try:
                    clients.translation.cancel_translation(job_id)
                except HttpResponseError as exc:
                    if exc.status_code not in (400, 404, 409):
                        raise

    def deliveries(self, tenant: str, ref: str, job: ConnectorJob) -> dict[str, Delivery]:
        from azure.core.exceptions import ResourceNotFoundError

        clients = self._connect()
        wanted = documents(job)
        results: dict[str, dict[str, str | Delivery]] = {}
        for language, job_id in decode_ref(ref).items():
            folder = f"{self._prefix(job.id)}{language}/"
            found: dict[str, str | Delivery] = {}
            with self._calling("reading the translation's documents", "endpoint"):
                status = clients.translation.get_translation_status(job_id)
                listed = list(clients.translation.list_document_statuses(job_id))
            for document_status in listed:
                name = self._name_in(folder, document_status.source_document_url)
                if name is None:
                    continue
                if _name(document_status.status).lower() != "succeeded":
                    error = document_status.error
                    message = error.message if error is not None else None
                    found[name] = Delivery(
                        error=message or f"the vendor reports it {_name(document_status.status)}",
                        cancelled=STATES.get(_name(document_status.status).lower()) is JobState.CANCELLED,
                    )
                    continue
                with self._calling("downloading a translation", "target_container_url"):
                    try:
                        found[name] = clients.target.download_blob(folder + name).readall().decode("utf-8")
                    except ResourceNotFoundError:
                        found[name] = Delivery(error="the translation is missing from the target container")
            if status.error is not None:  # the job failed as a whole: every document without a result says why
                for document in wanted.get(language, []):
                    found.setdefault(document.name, Delivery(error=status.error.message))
            results[language] = found
        return collect(job, results)


def _moment(value: str) -> datetime:
    """A marker's `since` as a time (UTC when it names no zone). Raises VendorUnavailable for one that
    is not a time: a marker someone changed."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise VendorUnavailable(f"a job marker's time {value[:40]!r} is not a time: the marker was changed") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _name(status: object) -> str:
    """A status as Azure spells it: the SDK gives its `Status` enum (whose str() is `Status.X`) or a str."""
    return str(getattr(status, "value", status))


def _error_of(body: str) -> str:
    """': <code>: <message>' of an Azure error body, or ''."""
    try:
        error = json.loads(body).get("error") or {}
        inner = error.get("innerError") or {}
        code, message = inner.get("code") or error.get("code"), error.get("message")
    except (ValueError, AttributeError):
        return ""
    return f": {code}: {str(message)[:300]}" if code or message else ""


def create(name: str, options: Options, service: object) -> AzureVendor:
    """The azure vendor named `name` (the service is not used: the vendor is reached over the network)."""
    return AzureVendor(name, options)
