"""Amazon Translate's operations on `POST /`, chosen by `X-Amz-Target`. Each handler checks the
members botocore does not check, calls the service once and shapes the answer."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from babel import Locale
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from dragoman.api.aws.body import parse_body
from dragoman.api.aws.errors import AwsError
from dragoman.api.aws.members import resource_names
from dragoman.api.aws.sigv4 import Caller, check_signature
from dragoman.api.aws.start import start_job
from dragoman.api.aws.wire import aws_job_id, job_properties, job_status, job_statuses_named, parse_job_id
from dragoman.api.guard import aws_credential
from dragoman.domain.jobs import JobView
from dragoman.engines.detect import LanguageNotDetected
from dragoman.engines.languages import locale_tag, normalize
from dragoman.errors import CancelRefused, NotFound, UnsupportedLanguage
from dragoman.formats.documents import FORMATS, PLAIN_TEXT, DocumentFormat
from dragoman.runner.translate import Translated
from dragoman.service import Dragoman
from dragoman.store.jobs import JobQuery

__all__ = ["OPERATIONS", "TARGET_PREFIX", "router"]

TARGET_PREFIX = "AWSShineFrontendService_20170701."
_CONTENT_TYPE = "application/x-amz-json-1.1"
_MAX_TEXT_BYTES = 10_000
_MAX_DOCUMENT_BYTES = 102_400
_MAX_TOKEN = 8192  # NextToken, botocore's model
# ListLanguages' DisplayLanguageCode, as botocore's model enumerates it
DISPLAY_LANGUAGE_CODES = ("de", "en", "es", "fr", "it", "ja", "ko", "pt", "zh", "zh-TW")

router = APIRouter(tags=["Amazon Translate"])
Handler = Callable[[Dragoman, Caller, dict[str, Any]], dict[str, Any]]


def _invalid(message: str, code: str = "InvalidParameterValueException") -> AwsError:
    return AwsError(400, code, message)


def _string(body: dict[str, Any], member: str, *, required: bool = True, max_length: int = 10_000) -> str | None:
    value = body.get(member)
    if value is None:
        if required:
            raise _invalid(f"1 validation error detected: Value null at '{member}' failed to satisfy constraint")
        return None
    if not isinstance(value, str) or not value or len(value) > max_length:
        raise _invalid(f"1 validation error detected: Value at '{member}' failed to satisfy constraint")
    return value


def _language(code: str, member: str, *, keep_region: bool = False) -> str:
    """A language code member: `auto`, or the language (with `keep_region`, the locale) it names."""
    if not 2 <= len(code) <= 5:
        raise _invalid(f"Value '{code}' at '{member}' failed to satisfy constraint: length between 2 and 5")
    short = "auto" if code == "auto" else locale_tag(code) if keep_region else normalize(code)
    if short is None:
        raise _invalid(f"Value '{code}' at '{member}' is not a language code")
    return short


def _page_size(body: dict[str, Any], default: int) -> int:
    value = body.get("MaxResults", default)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 500:
        raise _invalid("Value at 'maxResults' failed to satisfy constraint: Member must be between 1 and 500")
    return value


# --- batch jobs -------------------------------------------------------------------------------


def describe_job(service: Dragoman, caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    job_id = parse_job_id(body.get("JobId"))
    return {"TextTranslationJobProperties": job_properties(_job(service, caller, job_id))}


def stop_job(service: Dragoman, caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    """docs/lifecycle.md: a stop of a finished job is refused (InvalidRequestException); otherwise the job
    answers STOP_REQUESTED, or its final state if the stop took effect (or lost the race) at once."""
    job_id = parse_job_id(body.get("JobId"))
    _job(service, caller, job_id)
    try:
        view = service.cancel(job_id, tenant=caller.tenant)
    except CancelRefused:
        raise AwsError(
            400,
            "InvalidRequestException",
            f"Job {aws_job_id(job_id)} is {job_status(_job(service, caller, job_id))} and can no longer be stopped.",
        ) from None
    return {"JobId": aws_job_id(view.job.id), "JobStatus": job_status(view)}


def list_jobs(service: Dragoman, caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    size = _page_size(body, 100)
    raw_filter = body.get("Filter") or {}
    if not isinstance(raw_filter, dict):
        raise _invalid("Filter must be an object")
    given = {key: value for key, value in raw_filter.items() if value is not None}
    if len(given) > 1:
        raise AwsError(400, "InvalidFilterException", "Only one filter may be set per request.")
    query = JobQuery()
    wanted: str | None = None  # the JobStatus asked for: a job still writing its details is not there yet
    if "JobName" in given:
        query = JobQuery(name=_string(given, "JobName", max_length=256))
    elif "JobStatus" in given:
        wanted = _string(given, "JobStatus", max_length=32) or ""
        query = JobQuery(statuses=job_statuses_named(wanted))
    elif "SubmittedBeforeTime" in given:  # oldest first, as the model documents
        query = JobQuery(created_to=_moment(given["SubmittedBeforeTime"]), ascending=True)
    elif "SubmittedAfterTime" in given:
        query = JobQuery(created_from=_moment(given["SubmittedAfterTime"]))
    elif given:
        raise AwsError(400, "InvalidFilterException", f"Unknown filter {next(iter(given))!r}.")
    token = body.get("NextToken")
    if token is not None:
        query = _after(query, token, given)
    views = service.list_jobs(tenant=caller.tenant, limit=size + 1, query=query)
    page = views[:size]
    listed = [job_properties(view) for view in page]
    answer: dict[str, Any] = {
        "TextTranslationJobPropertiesList": [job for job in listed if wanted in (None, job["JobStatus"])]
    }
    if len(views) > size:
        last = page[-1].job
        state = {"t": last.created_at.isoformat(), "id": last.id, "f": given}
        answer["NextToken"] = base64.urlsafe_b64encode(json.dumps(state, default=str).encode()).decode()
    return answer


def _moment(value: object) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid("Submitted times must be timestamps (seconds since the epoch)")
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (OverflowError, OSError, ValueError):
        raise _invalid("Submitted time out of range") from None


def _after(query: JobQuery, token: object, given: dict[str, Any]) -> JobQuery:
    """Continue after the token's last job; a token from another filter is refused. The token is
    at most 8192 ASCII characters (botocore's model); its time is turned into UTC here, so one out of
    datetime's range is refused rather than overflowing in the store."""
    if not isinstance(token, str) or len(token) > _MAX_TOKEN or not token.isascii():
        raise _invalid(f"Value at 'nextToken' failed to satisfy constraint: at most {_MAX_TOKEN} ASCII characters")
    try:
        state = orjson.loads(base64.urlsafe_b64decode(token.encode()))
        moment, job_id, filters = _utc(datetime.fromisoformat(state["t"])), str(state["id"]), state["f"]
    except (ValueError, KeyError, TypeError, OverflowError, binascii.Error):
        raise AwsError(400, "InvalidRequestException", "The NextToken is not valid.") from None
    if json.loads(json.dumps(given, default=str)) != filters:
        raise AwsError(400, "InvalidRequestException", "The NextToken belongs to a request with other filters.")
    return dataclasses.replace(query, after=(moment, job_id))


def _utc(moment: datetime) -> datetime:
    """`moment` in UTC (naive: taken as UTC). Raises OverflowError when that leaves years 1 to 9999."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _job(service: Dragoman, caller: Caller, job_id: str) -> JobView:
    try:
        return service.get(job_id, tenant=caller.tenant)
    except NotFound:
        raise AwsError(
            404, "ResourceNotFoundException", f"No batch translation job with ID {aws_job_id(job_id)}."
        ) from None


# --- synchronous translation ------------------------------------------------------------------


def translate_text(service: Dragoman, caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    text = _string(body, "Text", max_length=1_000_000) or ""
    if len(text.encode()) > _MAX_TEXT_BYTES:
        raise AwsError(
            400, "TextSizeLimitExceededException", f"Input text size exceeds limit of {_MAX_TEXT_BYTES} bytes."
        )
    source, target = _pair(body)
    if resource_names(body, "TerminologyNames"):  # as StartTextTranslationJob answers it
        raise AwsError(404, "ResourceNotFoundException", "TerminologyNames: no such resource (none are imported).")
    translated = _translate_now(service, caller, text.encode(), PLAIN_TEXT, source, target)
    return {
        "TranslatedText": translated.output.decode(),
        **_echoed(body, translated),
    }


def translate_document(service: Dragoman, caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    document = body.get("Document")
    if not isinstance(document, dict):
        raise _invalid("1 validation error detected: Value null at 'document' failed to satisfy constraint")
    content_type = _string(document, "ContentType", max_length=256) or ""
    try:
        content = base64.b64decode(str(document.get("Content", "")), validate=True)
    except (binascii.Error, ValueError):
        raise _invalid("Document.Content must be base64") from None
    if len(content) > _MAX_DOCUMENT_BYTES:
        raise AwsError(400, "LimitExceededException", f"The document exceeds {_MAX_DOCUMENT_BYTES} bytes.")
    fmt = next(
        (f for f in FORMATS if content_type in f.content_types and f.name in ("PlainText", "HTML", "Word")), None
    )
    if fmt is None:
        raise AwsError(400, "InvalidRequestException", f"Content type {content_type!r} is not supported.")
    source, target = _pair(body)
    translated = _translate_now(service, caller, content, fmt, source, target)
    return {
        "TranslatedDocument": {"Content": base64.b64encode(translated.output).decode()},
        **_echoed(body, translated),
    }


def _pair(body: dict[str, Any]) -> tuple[str, str]:
    """(source, target) of a synchronous call: the source as engines name it, or `auto`; the target
    as a locale (`es-MX`), which engines read as its language."""
    return (
        _language(_string(body, "SourceLanguageCode") or "", "sourceLanguageCode"),
        _language(_string(body, "TargetLanguageCode") or "", "targetLanguageCode", keep_region=True),
    )


def _echoed(body: dict[str, Any], translated: Translated) -> dict[str, str]:
    """The codes an answer names: those the caller gave, as given; `auto` answered with the language
    detected (Amazon's TranslateText reference: SourceLanguageCode is the detected one for auto)."""
    given_source = str(body["SourceLanguageCode"])
    return {
        "SourceLanguageCode": translated.source_language if given_source == "auto" else given_source,
        "TargetLanguageCode": str(body["TargetLanguageCode"]),
    }


def _translate_now(
    service: Dragoman, caller: Caller, data: bytes, document_format: DocumentFormat, source: str, target: str
) -> Translated:
    """The service decides whether the pair is supported; Amazon names both codes in its error.
    `auto` is detected (the same detector as every door); when the detector is not confident enough,
    DetectedLanguageLowConfidenceException with its likeliest language as DetectedLanguageCode.
    Text already in the target language comes back unchanged (and is not billed, as on Amazon)."""
    try:
        return service.translate_now(
            data, document_format, target, tenant=caller.tenant, source=None if source == "auto" else source
        )
    except LanguageNotDetected as exc:
        members = {} if exc.likeliest is None else {"DetectedLanguageCode": exc.likeliest.language}
        raise AwsError(400, "DetectedLanguageLowConfidenceException", exc.message, **members) from None
    except UnsupportedLanguage as exc:
        pair_source = exc.source or source  # for auto, the language detected
        raise AwsError(
            400,
            "UnsupportedLanguagePairException",
            f"Unsupported language pair: {pair_source} to {target}.",
            SourceLanguageCode=pair_source,
            TargetLanguageCode=target,
        ) from None


def list_languages(service: Dragoman, caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    """Every language some installed pair reads or writes, named in the display language (CLDR's
    names, through Babel), for every DisplayLanguageCode the model lists."""
    display = body.get("DisplayLanguageCode", "en")
    if not isinstance(display, str):
        raise _invalid("Value at 'displayLanguageCode' failed to satisfy constraint: Member must be a string")
    if display not in DISPLAY_LANGUAGE_CODES:
        raise AwsError(
            400,
            "UnsupportedDisplayLanguageCodeException",
            f"Display language {display[:20]!r} is not supported; use one of {', '.join(DISPLAY_LANGUAGE_CODES)}.",
            DisplayLanguageCode=display[:20],
        )
    _page_size(body, 500)
    names = Locale.parse(display, sep="-").languages
    codes = sorted({code for pair in service.languages() for code in (pair.source, pair.target)})
    languages = [{"LanguageName": names.get(code, code), "LanguageCode": code} for code in codes]
    return {"Languages": languages, "DisplayLanguageCode": display}


OPERATIONS: dict[str, Handler] = {
    "StartTextTranslationJob": start_job,
    "DescribeTextTranslationJob": describe_job,
    "StopTextTranslationJob": stop_job,
    "ListTextTranslationJobs": list_jobs,
    "TranslateText": translate_text,
    "TranslateDocument": translate_document,
    "ListLanguages": list_languages,
}


@router.post("/", summary="Amazon Translate (AWS JSON 1.1; the operation is named by X-Amz-Target)")
async def amazon_translate(request: Request) -> Response:
    """The front-door guard has checked the SigV4 key, scope and signed headers and capped the body
    (`api/guard.py`); the signature, which covers the body, is checked here once the body is read."""
    service: Dragoman = request.app.state.service
    credential = aws_credential(request)
    target = request.headers.get("x-amz-target", "")
    body_bytes = await request.body()
    caller = check_signature(
        credential, request.method, request.url.path, request.url.query, request.headers, body_bytes
    )
    if not target.startswith(TARGET_PREFIX) or target.removeprefix(TARGET_PREFIX) not in OPERATIONS:
        raise AwsError(400, "UnknownOperationException", f"Operation {target[:100]!r} is not supported.")
    body = parse_body(body_bytes)
    handler = OPERATIONS[target.removeprefix(TARGET_PREFIX)]
    answer = await run_in_threadpool(handler, service, caller, body)
    return Response(
        json.dumps(answer).encode(),
        media_type=_CONTENT_TYPE,
        headers={"x-amzn-RequestId": str(uuid.uuid4())},
    )
