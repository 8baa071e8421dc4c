"""AWS Signature Version 4, verified the way AWS does it, in two steps.

`authenticate` looks only at headers, before any byte of the body is read: the `Authorization`
header names a known access key, a credential scope of today's date (within 15 minutes of ours), one
of the configured regions and the service `translate`, and signs at least `host`, `x-amz-date` and
`x-amz-target` (botocore signs those and `content-type`; an unsigned `X-Amz-Target` would let a
signed Describe be replayed as a Stop). `check_signature` then recomputes the signature over the
(capped) body it was given.

Only what botocore sends to a JSON 1.1 service is accepted: `POST /`, no query string, the
`Authorization` header (not a presigned URL), the payload hashed as SHA-256 of the body.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from dragoman.api.aws.errors import AwsError

__all__ = ["REQUIRED_SIGNED_HEADERS", "SERVICE", "Caller", "Credential", "authenticate", "check_signature", "verify"]

SERVICE = "translate"  # the signing name in botocore's translate model
REQUIRED_SIGNED_HEADERS = ("host", "x-amz-date", "x-amz-target")
ANY_REGION = "*"
_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<key>[^/\s,]+)/(?P<date>\d{8})/(?P<region>[^/\s,]+)/(?P<service>[^/\s,]+)"
    r"/aws4_request,\s*SignedHeaders=(?P<headers>[a-z0-9;\-]+),\s*Signature=(?P<signature>[0-9a-f]{64})$"
)
_MAX_SKEW = timedelta(minutes=15)
_MAX_AUTHORIZATION = 2048


@dataclass(frozen=True, slots=True)
class Caller:
    tenant: str
    access_key: str
    region: str


@dataclass(frozen=True, slots=True)
class Credential:
    """An `Authorization` header whose key, scope, date and signed headers were checked; its
    signature, which covers the body, is not checked yet."""

    tenant: str
    access_key: str
    secret: str = field(repr=False)
    date: str  # YYYYMMDD of the scope
    region: str
    signed_headers: tuple[str, ...]
    signature: str = field(repr=False)
    amz_date: str


def _denied(code: str, message: str) -> AwsError:
    return AwsError(403 if code != "UnrecognizedClientException" else 400, code, message)


def authenticate(
    headers: Mapping[str, str],
    secret_for: Callable[[str], tuple[str, str] | None],
    regions: Collection[str],
    now: datetime | None = None,
) -> Credential:
    """The credential of a request, from its headers alone. `secret_for(access_key)` gives (tenant,
    secret) or None; `regions` are the accepted scope regions (`*`: any); `headers` must be
    case-insensitive. Raises AwsError as AWS does: MissingAuthenticationTokenException (403) without
    `Authorization`, IncompleteSignatureException (403) for a malformed one or a required header left
    unsigned, UnrecognizedClientException (400) for an unknown key, InvalidSignatureException (403)
    for a scope of another date, region or service, or a date over 15 minutes from ours."""
    authorization = headers.get("authorization")
    if not authorization:
        raise _denied("MissingAuthenticationTokenException", "Request is missing Authentication Token")
    match = _AUTHORIZATION.match(authorization.strip()) if len(authorization) <= _MAX_AUTHORIZATION else None
    if match is None:
        raise _denied("IncompleteSignatureException", "The Authorization header is not a valid SigV4 signature")
    found = secret_for(match["key"])
    if found is None:
        raise _denied("UnrecognizedClientException", "The security token included in the request is invalid.")
    tenant, secret = found
    amz_date = headers.get("x-amz-date", "")
    try:
        signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise _denied("IncompleteSignatureException", "X-Amz-Date is missing or malformed") from None
    current = now or datetime.now(UTC)
    if abs(current - signed_at) > _MAX_SKEW or amz_date[:8] != match["date"]:
        raise _denied("InvalidSignatureException", "Signature expired: the request date is too far from the server's")
    if ANY_REGION not in regions and match["region"] not in regions:
        raise _denied(
            "InvalidSignatureException",
            f"Credential should be scoped to a valid region, not '{match['region']}'. "
            f"This endpoint accepts {', '.join(sorted(regions))} (setting aws_regions).",
        )
    if match["service"] != SERVICE:
        raise _denied(
            "InvalidSignatureException",
            f"Credential should be scoped to correct service: '{SERVICE}'. "
            f"Expected scope {match['date']}/{match['region']}/{SERVICE}/aws4_request.",
        )
    signed = tuple(match["headers"].split(";"))
    unsigned = [name for name in REQUIRED_SIGNED_HEADERS if name not in signed]
    if unsigned:
        raise _denied(
            "IncompleteSignatureException",
            f"{', '.join(unsigned)} must be among the SignedHeaders of the Authorization header.",
        )
    if any(name not in headers for name in signed):
        raise _denied("IncompleteSignatureException", "A signed header is missing from the request")
    return Credential(
        tenant, match["key"], secret, match["date"], match["region"], signed, match["signature"], amz_date
    )


def check_signature(
    credential: Credential, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
) -> Caller:
    """The verified caller, or InvalidSignatureException (403) when the signature does not match
    the canonical request (method, path, query, signed headers, SHA-256 of `body`)."""
    names = credential.signed_headers
    canonical_headers = "".join(f"{name}:{' '.join(headers.get(name, '').split())}\n" for name in names)
    canonical_request = "\n".join(
        [method, path or "/", query, canonical_headers, ";".join(names), hashlib.sha256(body).hexdigest()]
    )
    scope = f"{credential.date}/{credential.region}/{SERVICE}/aws4_request"
    string_to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", credential.amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key = ("AWS4" + credential.secret).encode()
    for part in (credential.date, credential.region, SERVICE, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, credential.signature):
        raise _denied(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided.",
        )
    return Caller(credential.tenant, credential.access_key, credential.region)


def verify(
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    secret_for: Callable[[str], tuple[str, str] | None],
    regions: Collection[str],
    now: datetime | None = None,
) -> Caller:
    """`authenticate` and `check_signature` in one call, for a request whose body is at hand."""
    credential = authenticate(headers, secret_for, regions, now)
    return check_signature(credential, method, path, query, headers, body)
