"""StartTextTranslationJob's structured members checked against botocore's translate model
(`botocore/data/translate/2017-07-01/service-2.json`), which botocore itself checks only for
presence, type and minimum length, and the bounded copies of them that a job stores and Describe
and List echo back. Unknown members are dropped, never stored: before issue 9 item 7 a 20 MB
`Settings` was stored verbatim, and one List answer reached 125 MiB."""

from __future__ import annotations

import re
from typing import Any

from dragoman.api.aws.errors import AwsError

__all__ = ["MAX_S3_URI", "input_config", "output_config", "resource_names", "translation_settings"]

MAX_S3_URI = 1024
_S3_URI = re.compile(r"^s3://[a-z0-9][.\-a-z0-9]{1,61}[a-z0-9](/.*)?$")
_CONTENT_TYPE = re.compile(r"^[-\w.]+/[-\w.+]+$")
_MAX_CONTENT_TYPE = 256
_KMS_KEY = re.compile(
    r"^(arn:aws((-us-gov)|(-iso)|(-iso-b)|(-cn))?:kms:)?([a-z]{2}-[a-z]+(-[a-z]+)?-\d:)?(\d{12}:)?"
    r"(((key/)?[a-zA-Z0-9-_]+)|(alias/[a-zA-Z0-9:/_-]+))$"
)
_MAX_KMS_KEY = 400
_RESOURCE_NAME = re.compile(r"^([A-Za-z0-9-]_?)+$")
_MAX_RESOURCE_NAME = 256
SETTINGS_ENUMS: dict[str, tuple[str, ...]] = {
    "Formality": ("FORMAL", "INFORMAL"),
    "Profanity": ("MASK",),
    "Brevity": ("ON",),
}


def _invalid(member: str, constraint: str) -> AwsError:
    return AwsError(
        400,
        "InvalidParameterValueException",
        f"1 validation error detected: Value at '{member}' failed to satisfy constraint: {constraint}",
    )


def _s3_uri(config: dict[str, Any], member: str) -> str:
    uri = config.get("S3Uri")
    if not isinstance(uri, str) or len(uri) > MAX_S3_URI or not _S3_URI.match(uri):
        raise _invalid(f"{member}.s3Uri", f"Member must be an s3:// URI of at most {MAX_S3_URI} characters")
    return uri


def _structure(body: dict[str, Any], member: str) -> dict[str, Any]:
    value = body.get(member)
    if not isinstance(value, dict):
        raise _invalid(member, "Member must not be null")
    return value


def input_config(body: dict[str, Any]) -> dict[str, str]:
    """InputDataConfig as stored: `S3Uri` (at most 1024 characters, an s3:// URI) and `ContentType`
    (at most 256 characters, a MIME type). Raises InvalidParameterValueException."""
    config = _structure(body, "InputDataConfig")
    uri = _s3_uri(config, "inputDataConfig")
    content_type = config.get("ContentType")
    if (
        not isinstance(content_type, str)
        or len(content_type) > _MAX_CONTENT_TYPE
        or not _CONTENT_TYPE.match(content_type)
    ):
        raise _invalid("inputDataConfig.contentType", "Member must be a MIME type of at most 256 characters")
    return {"S3Uri": uri, "ContentType": content_type}


def output_config(body: dict[str, Any]) -> dict[str, Any]:
    """OutputDataConfig as stored: `S3Uri` and, if given, `EncryptionKey` {`Type`: KMS, `Id`: a KMS
    key id, ARN or alias of 1 to 400 characters}. Raises InvalidParameterValueException."""
    config = _structure(body, "OutputDataConfig")
    stored: dict[str, Any] = {"S3Uri": _s3_uri(config, "outputDataConfig")}
    key = config.get("EncryptionKey")
    if key is not None:
        if not isinstance(key, dict) or key.get("Type") != "KMS":
            raise _invalid("outputDataConfig.encryptionKey.type", "Member must satisfy enum value set: [KMS]")
        key_id = key.get("Id")
        if not isinstance(key_id, str) or not 1 <= len(key_id) <= _MAX_KMS_KEY or not _KMS_KEY.match(key_id):
            raise _invalid("outputDataConfig.encryptionKey.id", "Member must be a KMS key id, ARN or alias")
        stored["EncryptionKey"] = {"Type": "KMS", "Id": key_id}
    return stored


def translation_settings(body: dict[str, Any]) -> dict[str, str] | None:
    """Settings as stored: only `Formality` (FORMAL, INFORMAL), `Profanity` (MASK) and `Brevity`
    (ON), each checked against its enum; None when absent. Raises InvalidParameterValueException."""
    value = body.get("Settings")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _invalid("settings", "Member must be a structure")
    stored: dict[str, str] = {}
    for member, allowed in SETTINGS_ENUMS.items():
        given = value.get(member)
        if given is None:
            continue
        if given not in allowed:
            raise _invalid(f"settings.{member.lower()}", f"Member must satisfy enum value set: [{', '.join(allowed)}]")
        stored[member] = given
    return stored


def resource_names(body: dict[str, Any], member: str) -> list[str]:
    """TerminologyNames or ParallelDataNames: a list of names of 1 to 256 characters matching
    `^([A-Za-z0-9-]_?)+$`, empty when absent. Raises InvalidParameterValueException."""
    value = body.get(member)
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(name, str) and 1 <= len(name) <= _MAX_RESOURCE_NAME and _RESOURCE_NAME.match(name) for name in value
    ):
        raise _invalid(member[0].lower() + member[1:], "Member must be a list of resource names")
    return value
