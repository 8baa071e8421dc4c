"""The `amazon` vendor: any Amazon Translate endpoint (Amazon Translate itself, or another Dragoman's
Amazon front door) through boto3, with its documents in S3; boto3 is imported only when a vendor of
this kind is created.

Layout (`remote` explains the names), in the bucket the options name:

    <prefix><connector job>/input/<language>/<item id>/<n>.txt            the documents
    <prefix><connector job>/output/<language>/<account>-TranslateText-<JobId>/
        <item id>/<language>.<n>.txt                                       the translations
        details/<language>.auxiliary-translation-details.json              per-document errors

Amazon writes under the output prefix as its "Running a batch translation job" guide shows (the
prefix DescribeTextTranslationJob reports back already holds `<account>-TranslateText-<JobId>/`).
One Amazon job per target language (`remote`).

**Submit**, per target language, idempotent by the connector job's id: the documents are put (a
retry overwrites them with the same), then StartTextTranslationJob is called with the ClientToken
`<connector job id>-<language>`: Amazon (and Dragoman's door, `api/aws/start.py`) answers a token it
has seen with the job it started then, so a retry after a crash never starts a second job.

**Find** (a job cancelled while a process that crashed was sending it, or after a send that failed
partway): each language's Amazon job is named `dragoman-connector-<connector job id>-<language>`, and
looked up by that name (ListTextTranslationJobs with the JobName filter, every page), never started:
ClientToken cannot be asked without starting a job. Of the jobs listed under that name, the one
reading this vendor's input folder for the language; the earliest, should there be more.

**Poll**: SUBMITTED → received; IN_PROGRESS and STOP_REQUESTED (documents may still finish) → in
production; COMPLETED, COMPLETED_WITH_ERROR, FAILED → ended; STOPPED → cancelled; `remote.fold`
gives the answer. **Cancel** is StopTextTranslationJob: a cancel request is approved when an Amazon
job ends STOPPED, refused when every one ends COMPLETED (or with errors): the stop came too late.
A stop of a job that already ended is refused by the endpoint and left at that. **Deliveries**: each
document's translation is read from the output prefix; the details file names the documents that
failed, with Amazon's error.

Errors: VendorUnavailable (the endpoint or the bucket cannot be reached, or refuses), naming the
setting at fault, never a secret.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints, field_validator, model_validator

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

__all__ = ["AmazonVendor", "Options", "create"]

log = logging.getLogger("dragoman.connector")

STOPPED_BEFORE = "the Amazon job was stopped before this document was translated"
STATES = {
    "SUBMITTED": JobState.WAITING,
    "IN_PROGRESS": JobState.RUNNING,
    "STOP_REQUESTED": JobState.RUNNING,
    "COMPLETED": JobState.ENDED,
    "COMPLETED_WITH_ERROR": JobState.ENDED,
    "FAILED": JobState.ENDED,
    "STOPPED": JobState.CANCELLED,
}
# Error codes that say the credentials are wrong (Translate's, then S3's)
CREDENTIALS = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "AccessDeniedException",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId",
        "AccessDenied",
    }
)
Prefix = Annotated[str, StringConstraints(pattern=r"^([A-Za-z0-9._-]+/){0,8}$", max_length=512)]


class Options(BaseModel):
    """The options of an `amazon` vendor (README, "Content connector")."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    region: str = Field(default="us-east-1", pattern=r"^[a-z0-9-]{1,64}$", description="The AWS region.")
    endpoint_url: str | None = Field(default=None, description="Amazon Translate's endpoint; default: the region's.")
    access_key_id: str | None = Field(default=None, max_length=128, description="Default: boto3's credential chain.")
    secret_access_key: SecretStr | None = None
    bucket: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", description="The S3 bucket documents go to.")
    prefix: Prefix = Field(default="dragoman-connector/", description="Folder of the bucket used, '' or 'a/b/'.")
    s3_endpoint_url: str | None = Field(default=None, description="S3's endpoint; default: the region's.")
    s3_access_key_id: str | None = Field(default=None, max_length=128, description="Default: access_key_id's.")
    s3_secret_access_key: SecretStr | None = None
    data_access_role_arn: str = Field(
        pattern=r"^arn:aws(-[^:]+)?:iam::[0-9]{12}:role/.+$",
        max_length=2048,
        description="The IAM role Amazon Translate reads and writes the bucket as.",
    )
    timeout_seconds: float = Field(default=30.0, gt=0, le=600, description="Connect and read timeout of each call.")
    retries: int = Field(default=3, ge=0, le=10, description="Retries of a call that failed to connect or got a 5xx.")

    @field_validator("endpoint_url", "s3_endpoint_url")
    @classmethod
    def _urls(cls, value: str | None) -> str | None:
        return None if value is None else http_url(value, "the endpoint")

    @model_validator(mode="after")
    def _pairs(self) -> Options:
        if (self.access_key_id is None) != (self.secret_access_key is None):
            raise ValueError("give access_key_id and secret_access_key together, or neither")
        if (self.s3_access_key_id is None) != (self.s3_secret_access_key is None):
            raise ValueError("give s3_access_key_id and s3_secret_access_key together, or neither")
        return self


@dataclass
class _Clients:
    translate: Any  # boto3's Amazon Translate client (boto3 ships no types)
    s3: Any


class AmazonVendor(Vendor):
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
                import boto3
                from botocore.config import Config

                options = self._options
                config = Config(
                    connect_timeout=options.timeout_seconds,
                    read_timeout=options.timeout_seconds,
                    retries={"max_attempts": options.retries + 1, "mode": "standard"},
                )
                session = boto3.session.Session()
                key, secret = options.access_key_id, options.secret_access_key
                s3_key = options.s3_access_key_id or key
                s3_secret = options.s3_secret_access_key or secret
                self._clients = _Clients(
                    session.client(
                        "translate",
                        region_name=options.region,
                        endpoint_url=options.endpoint_url,
                        aws_access_key_id=key,
                        aws_secret_access_key=secret.get_secret_value() if secret else None,
                        config=config,
                    ),
                    session.client(
                        "s3",
                        region_name=options.region,
                        endpoint_url=options.s3_endpoint_url,
                        aws_access_key_id=s3_key,
                        aws_secret_access_key=s3_secret.get_secret_value() if s3_secret else None,
                        config=config,
                    ),
                )
            return self._clients

    @contextlib.contextmanager
    def _calling(self, what: str, option: str, credentials: str, endpoint: str) -> Iterator[None]:
        """boto3's errors as VendorUnavailable: `what` was being done; `option`, `credentials` and
        `endpoint` name the settings a refusal, a refused key and an unreachable endpoint point at."""
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectTimeoutError,
            EndpointConnectionError,
            NoCredentialsError,
            ReadTimeoutError,
        )

        try:
            yield
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", "an error"))
            if code in CREDENTIALS:
                where = setting(self.name, credentials)
                raise VendorUnavailable(
                    f"the {self.name} vendor refused the credentials ({where}) while {what}"
                ) from None
            message = str(exc.response.get("Error", {}).get("Message", ""))[:300]
            where = setting(self.name, option)
            raise VendorUnavailable(
                f"the {self.name} vendor answered {code} ({where}) while {what}{': ' + message if message else ''}"
            ) from None
        except NoCredentialsError:
            where = setting(self.name, credentials)
            raise VendorUnavailable(f"no credentials for the {self.name} vendor ({where}) while {what}") from None
        except (EndpointConnectionError, ConnectTimeoutError):
            where = setting(self.name, endpoint)
            raise VendorUnavailable(f"the {self.name} vendor cannot be reached ({where}) while {what}") from None
        except ReadTimeoutError:
            where = setting(self.name, endpoint)
            raise VendorUnavailable(f"the {self.name} vendor did not answer ({where}) while {what}") from None
        except BotoCoreError:
            where = setting(self.name, option)
            raise VendorUnavailable(f"the {self.name} vendor could not be asked ({where}) while {what}") from None

    def _translate(self, what: str) -> contextlib.AbstractContextManager[None]:
        return self._calling(what, "endpoint_url", "access_key_id", "endpoint_url")

    def _bucket(self, what: str) -> contextlib.AbstractContextManager[None]:
        credentials = "s3_access_key_id" if self._options.s3_access_key_id else "access_key_id"
        return self._calling(what, "bucket", credentials, "s3_endpoint_url")

    def _folder(self, job_id: str, part: str, language: str) -> str:
        return f"{self._options.prefix}{job_id}/{part}/{language}/"

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
        options = self._options
        source = self._folder(job.id, "input", language)
        with self._bucket("putting the documents"):
            for document in docs:
                clients.s3.put_object(
                    Bucket=options.bucket,
                    Key=source + document.name,
                    Body=document.text.encode("utf-8"),
                    ContentType="text/plain; charset=utf-8",
                )
        with self._translate("starting the translation job"):
            answer = clients.translate.start_text_translation_job(
                JobName=_job_name(job.id, language),
                InputDataConfig={"S3Uri": f"s3://{options.bucket}/{source}", "ContentType": "text/plain"},
                OutputDataConfig={"S3Uri": f"s3://{options.bucket}/{self._folder(job.id, 'output', language)}"},
                DataAccessRoleArn=options.data_access_role_arn,
                SourceLanguageCode=job.source_language,
                TargetLanguageCodes=[language],
                ClientToken=f"{job.id}-{language}",  # Amazon's own idempotency: the same token, the same job
            )
        return str(answer["JobId"])

    def find(self, tenant: str, job: ConnectorJob) -> str | None:
        """The Amazon jobs a submit of `job` started, as `submit` answers them (`encode_ref`: language ->
        JobId), the languages none was started for left out; None when none was. Only lists (see the
        module's docstring). Raises VendorUnavailable."""
        clients = self._connect()
        found: dict[str, str] = {}
        for language in job.target_languages:  # not the items': a cancelled job's are no longer `sent`
            job_id = self._named(clients, job.id, language)
            if job_id is not None:
                found[language] = job_id
        return encode_ref(found) if found else None

    def _named(self, clients: _Clients, job_id: str, language: str) -> str | None:
        """The JobId of the earliest Amazon job named for `job_id` and `language` that reads this
        vendor's input folder for them, or None."""
        uri = f"s3://{self._options.bucket}/{self._folder(job_id, 'input', language)}"
        candidates: list[tuple[str, str]] = []  # (SubmittedTime, JobId)
        request: dict[str, Any] = {"Filter": {"JobName": _job_name(job_id, language)}, "MaxResults": 100}
        while True:
            with self._translate("looking for a translation job started before"):
                page = clients.translate.list_text_translation_jobs(**request)
            for properties in page.get("TextTranslationJobPropertiesList", []):
                if str(properties.get("InputDataConfig", {}).get("S3Uri", "")).rstrip("/") == uri.rstrip("/"):
                    candidates.append((str(properties.get("SubmittedTime", "")), str(properties["JobId"])))
            if not page.get("NextToken"):
                break
            request["NextToken"] = page["NextToken"]
        return min(candidates)[1] if candidates else None

    # --- the job at the vendor ----------------------------------------------------------------

    def _describe(self, clients: _Clients, job_id: str) -> dict[str, Any]:
        with self._translate("reading the translation job"):
            properties: dict[str, Any] = clients.translate.describe_text_translation_job(JobId=job_id)[
                "TextTranslationJobProperties"
            ]
        return properties

    def poll(self, tenant: str, ref: str) -> VendorStatus:
        clients = self._connect()
        return fold(
            STATES.get(str(self._describe(clients, job_id).get("JobStatus")), JobState.RUNNING)
            for job_id in decode_ref(ref).values()
        )

    def request_cancel(self, tenant: str, ref: str) -> None:
        self._stop(ref)

    def withdraw(self, tenant: str, ref: str) -> None:
        try:
            self._stop(ref)
        except VendorUnavailable as exc:  # the job's outputs are never imported either way
            log.warning("%s: could not withdraw %s: %s", self.name, ref, exc.message, extra={"action": "withdraw"})

    def _stop(self, ref: str) -> None:
        """Stop each Amazon job; one that already ended (InvalidRequestException) or is gone is left."""
        from botocore.exceptions import ClientError

        clients = self._connect()
        for job_id in decode_ref(ref).values():
            with self._translate("stopping the translation job"):
                try:
                    clients.translate.stop_text_translation_job(JobId=job_id)
                except ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") not in (
                        "InvalidRequestException",
                        "ResourceNotFoundException",
                    ):
                        raise

    def deliveries(self, tenant: str, ref: str, job: ConnectorJob) -> dict[str, Delivery]:
        clients = self._connect()
        wanted = documents(job)
        results: dict[str, dict[str, str | Delivery]] = {}
        for language, job_id in decode_ref(ref).items():
            properties = self._describe(clients, job_id)
            output = str(properties.get("OutputDataConfig", {}).get("S3Uri", ""))
            bucket, _, prefix = output.removeprefix("s3://").partition("/")
            if prefix and not prefix.endswith("/"):
                prefix += "/"
            failed = self._failures(clients, bucket, f"{prefix}details/{language}.auxiliary-translation-details.json")
            found: dict[str, str | Delivery] = {}
            for document in wanted.get(language, []):
                problem = next((why for name, why in failed.items() if _same_file(name, document.name)), None)
                if problem is not None:
                    found[document.name] = Delivery(error=problem)
                    continue
                folder, _, file_name = document.name.rpartition("/")
                text = self._read(clients, bucket, f"{prefix}{folder}/{language}.{file_name}") if bucket else None
                if text is not None:
                    found[document.name] = text
                elif STATES.get(str(properties.get("JobStatus"))) is JobState.CANCELLED:
                    found[document.name] = Delivery(error=STOPPED_BEFORE, cancelled=True)
                elif properties.get("Message"):  # the job failed as a whole: why
                    found[document.name] = Delivery(error=str(properties["Message"]))
            results[language] = found
        return collect(job, results)

    def _read(self, clients: _Clients, bucket: str, key: str) -> str | None:
        """The object's text, or None when there is none."""
        from botocore.exceptions import ClientError

        with self._bucket("reading a translation"):
            try:
                body: bytes = clients.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                    return None
                raise
        return body.decode("utf-8")

    def _failures(self, clients: _Clients, bucket: str, key: str) -> dict[str, str]:
        """Source file -> its error, from a details file (`{"details": [{"sourceFile", "auxiliaryData":
        {"error": {"errorCode", "errorMessage"}}}]}`); none when there is no such file."""
        text = self._read(clients, bucket, key) if bucket else None
        if text is None:
            return {}
        try:
            entries = json.loads(text).get("details") or []
        except (ValueError, AttributeError):
            return {}
        failed: dict[str, str] = {}
        for entry in entries:
            error = (entry.get("auxiliaryData") or {}).get("error") if isinstance(entry, dict) else None
            if isinstance(error, dict):
                message = error.get("errorMessage") or error.get("errorCode") or "not translated"
                failed[str(entry.get("sourceFile", ""))] = str(message)
        return failed


def _job_name(job_id: str, language: str) -> str:
    """The name of the Amazon job translating connector job `job_id` into `language` (what `find` looks up)."""
    return f"dragoman-connector-{job_id}-{language}"


def _same_file(listed: str, name: str) -> bool:
    """Whether a details file's `sourceFile` (relative to the input prefix, or a full key or URI) is `name`."""
    return listed == name or listed.endswith("/" + name)


def create(name: str, options: Options, service: object) -> AmazonVendor:
    """The amazon vendor named `name` (the service is not used: the vendor is reached over the network)."""
    return AmazonVendor(name, options)
