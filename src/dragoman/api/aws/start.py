"""StartTextTranslationJob: Amazon's members checked (those botocore does not check), the request
made idempotent by its ClientToken, and the batch planned with Amazon's output layout:
`<output prefix><account>-TranslateText-<JobId>/[<dirs>/]<lang>.<file name>`."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from typing import Any

from dragoman.api.aws.errors import AwsError
from dragoman.api.aws.members import input_config, output_config, resource_names, translation_settings
from dragoman.api.aws.sigv4 import Caller
from dragoman.api.aws.wire import AWS_ORIGIN, aws_job_id, job_status
from dragoman.api.locations import unusable_locations
from dragoman.batches import BatchInput, BatchTarget
from dragoman.domain.specs import JobSpec
from dragoman.engines.languages import locale_tag, normalize
from dragoman.errors import Invalid, StoreError
from dragoman.formats.documents import FORMATS
from dragoman.service import Dragoman

__all__ = ["InputInDetailsFolder", "input_document", "start_job"]

_ROLE = re.compile(r"^arn:aws(-[^:]+)?:iam::[0-9]{12}:role/.+$")
_TOKEN = re.compile(r"^[a-zA-Z0-9-]{1,64}$")
_NAME = re.compile(r"^[\w\s.:/=+\-%@]{1,256}$")
_CONTENT_TYPES = {content_type for fmt in FORMATS for content_type in fmt.content_types}
MAX_TARGETS = 10


def _invalid(message: str) -> AwsError:
    return AwsError(400, "InvalidParameterValueException", message)


def start_job(service: Dragoman, caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    token = body.get("ClientToken")
    if token is None:  # botocore fills it in (idempotencyToken); a hand-made request may not
        raise _invalid("1 validation error detected: Value null at 'clientToken' failed to satisfy constraint")
    if not isinstance(token, str) or not _TOKEN.match(token):
        raise _invalid("Value at 'clientToken' failed to satisfy constraint: Member must match ^[a-zA-Z0-9-]+$")
    digest = hashlib.sha256(
        json.dumps({k: v for k, v in body.items() if k != "ClientToken"}, sort_keys=True).encode()
    ).hexdigest()
    earlier = _same_token(service, caller, token, digest)
    if earlier is not None:
        return earlier
    source_config, target_config = input_config(body), output_config(body)
    content_type = source_config["ContentType"]
    if content_type not in _CONTENT_TYPES:
        raise AwsError(400, "InvalidRequestException", f"ContentType {content_type!r} is not supported.")
    role = body.get("DataAccessRoleArn")
    if not isinstance(role, str) or not 20 <= len(role) <= 2048 or not _ROLE.match(role):
        raise _invalid("Value at 'dataAccessRoleArn' failed to satisfy constraint: Member must be an IAM role ARN")
    name = body.get("JobName")
    if name is not None and (not isinstance(name, str) or not _NAME.match(name)):
        raise _invalid("Value at 'jobName' failed to satisfy constraint: Member must match the JobName pattern")
    for member in ("TerminologyNames", "ParallelDataNames"):
        if resource_names(body, member):
            raise AwsError(404, "ResourceNotFoundException", f"{member}: no such resource (none are imported).")
    settings = translation_settings(body)
    source, targets = _languages(service, body)
    job_id = str(uuid.uuid4())
    account = service.settings.tenants[caller.tenant].aws_account
    output_uri = f"{target_config['S3Uri'].rstrip('/')}/{account}-TranslateText-{aws_job_id(job_id)}/"
    details = {  # what Describe and List echo: every member checked against the model's bounds
        "SourceLanguageCode": body["SourceLanguageCode"],
        "TargetLanguageCodes": body["TargetLanguageCodes"],
        "InputDataConfig": source_config,
        "OutputDataConfig": {**target_config, "S3Uri": output_uri},
        "DataAccessRoleArn": role,
        **({"Settings": settings} if settings is not None else {}),
    }
    batch = BatchInput(
        source_url=source_config["S3Uri"],
        source_language=None if source == "auto" else source,
        content_type=content_type,  # every file under the input prefix is a document of this type
        targets=tuple(BatchTarget(output_uri, target, language_prefix=True) for target in targets),
        screen=input_document,
    )
    job = JobSpec(
        caller.tenant,
        (),
        name=name,
        origin=AWS_ORIGIN,
        end_output=True,  # the details files (details.py)
        client_token=token,
        details=details,
        job_id=job_id,
        request_digest=digest,
    )
    try:
        with unusable_locations():
            view = service.submit_batch([batch], job)
    except StoreError:
        # two requests with one token racing: the unique token lets one in; answer with its job
        earlier = _same_token(service, caller, token, digest)
        if earlier is None:
            raise
        return earlier
    return {"JobId": aws_job_id(view.job.id), "JobStatus": job_status(view)}


def _same_token(service: Dragoman, caller: Caller, token: str, digest: str) -> dict[str, Any] | None:
    found = service.find_by_client_token(caller.tenant, token)
    if found is None:
        return None
    view, earlier_digest = found
    if earlier_digest != digest:
        raise AwsError(
            400, "InvalidRequestException", "This ClientToken was already used to start a job with other parameters."
        )
    return {"JobId": aws_job_id(view.job.id), "JobStatus": job_status(view)}


# What an Amazon job writes under its output prefix: `<account>-TranslateText-<JobId>/`.
_JOB_OUTPUT_FOLDER = re.compile(r"^[0-9]{12}-TranslateText-[0-9a-f]{32}$")
_DETAILS_FOLDER = "details"


class InputInDetailsFolder(Invalid):
    """An input document lies in a folder named `details`, which Amazon reserves for its details files."""

    code = "InvalidRequestException"


def input_document(relative: str) -> bool:
    """Whether a file under the input prefix (`relative` to it) is a document of the job. Every file is,
    whatever its name (Amazon selects by ContentType), except:

    - what a translation job wrote (`<account>-TranslateText-<JobId>/...`, its own or an earlier
      job's, when the output prefix lies inside the input prefix): translating outputs again would
      snowball with each run;
    - hidden files (a name starting with `.`, such as the `.write_access_check_file.temp` probe).

    Raises InputInDetailsFolder for a document in a `details/` folder: Amazon Translate documents that
    it cannot take input from a folder named details (its details files live in one), and a job
    that silently skipped documents would look complete when it is not."""
    folders, _, name = relative.rpartition("/")
    parts = folders.split("/") if folders else []
    if any(_JOB_OUTPUT_FOLDER.match(part) for part in parts):
        return False
    if name.startswith(".") or any(part.startswith(".") for part in parts):
        return False
    if _DETAILS_FOLDER in parts:
        raise InputInDetailsFolder(
            f"The input folder holds {relative!r} in a folder named details, which Amazon Translate "
            "reserves for its details files; move it and start the job again."
        )
    return True


def _languages(service: Dragoman, body: dict[str, Any]) -> tuple[str, list[str]]:
    raw_source, raw_targets = body.get("SourceLanguageCode"), body.get("TargetLanguageCodes")
    if not isinstance(raw_source, str) or not 2 <= len(raw_source) <= 5:
        raise _invalid("Value at 'sourceLanguageCode' failed to satisfy constraint: length between 2 and 5")
    if not isinstance(raw_targets, list) or not raw_targets or len(raw_targets) > MAX_TARGETS:
        raise _invalid(f"Value at 'targetLanguageCodes' failed to satisfy constraint: 1 to {MAX_TARGETS} codes")
    source = "auto" if raw_source == "auto" else normalize(raw_source)
    if source is None:
        raise _invalid(f"Value '{raw_source}' at 'sourceLanguageCode' is not a language code")
    targets: list[str] = []
    for code in raw_targets:
        if not isinstance(code, str):
            raise _invalid("Value at 'targetLanguageCodes' failed to satisfy constraint: Member must be a string")
        target = locale_tag(code) if 2 <= len(code) <= 5 else None
        if target is None or not service.engine.supports(source, target):  # source == target: unchanged
            raise AwsError(
                400,
                "UnsupportedLanguagePairException",
                f"Unsupported language pair: {raw_source} to {code}.",
                SourceLanguageCode=str(raw_source),
                TargetLanguageCode=str(code),
            )
        if target in targets:
            raise _invalid(f"Value at 'targetLanguageCodes' failed to satisfy constraint: {code} is listed twice")
        targets.append(target)  # a regional code stays as given: `es-MX.note.txt`, details/es-MX...
    return source, targets
