"""AWS Signature Version 4, verified the way AWS does it: the caller's access key names a tenant
whose secret signs the same canonical request; the date must be within 15 minutes of ours.

Only what botocore sends to a JSON 1.1 service is accepted: `POST /`, no query string, the
`Authorization` header (not a presigned URL), the payload hashed as SHA-256 of the body.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dragoman.api.aws.errors import AwsError

__all__ = ["Caller", "verify"]

_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<key>[^/\s,]+)/(?P<date>\d{8})/(?P<region>[^/\s,]+)/(?P<service>[^/\s,]+)"
    r"/aws4_request,\s*SignedHeaders=(?P<headers>[a-z0-9;\-]+),\s*Signature=(?P<signature>[0-9a-f]{64})$"
)
_MAX_SKEW = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Caller:
    tenant: str
    access_key: str
    region: str


def _denied(code: str, message: str) -> AwsError:
    return AwsError(403 if code != "UnrecognizedClientException" else 400, code, message)


def verify(
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    secret_for: Callable[[str], tuple[str, str] | None],
    now: datetime | None = None,
) -> Caller:
    """The verified caller, or an AwsError in the shape botocore reports as an auth failure.
    `secret_for(access_key)` gives (tenant, secret) or None. `headers` must be case-insensitive."""
    authorization = headers.get("authorization")
    if not authorization:
        raise _denied("MissingAuthenticationTokenException", "Request is missing Authentication Token")
    match = _AUTHORIZATION.match(authorization.strip())
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
    signed_headers = match["headers"].split(";")
    if "host" not in signed_headers or any(name not in headers for name in signed_headers):
        raise _denied("IncompleteSignatureException", "A signed header is missing from the request")
    canonical_headers = "".join(f"{name}:{' '.join(headers[name].split())}\n" for name in signed_headers)
    canonical_request = "\n".join(
        [method, path or "/", query, canonical_headers, match["headers"], hashlib.sha256(body).hexdigest()]
    )
    scope = f"{match['date']}/{match['region']}/{match['service']}/aws4_request"
    string_to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key = ("AWS4" + secret).encode()
    for part in (match["date"], match["region"], match["service"], "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, match["signature"]):
        raise _denied(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided.",
        )
    return Caller(tenant, match["key"], match["region"])
