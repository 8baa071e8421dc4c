"""Issue 9 item 7, signatures, attacked on a real `dragoman serve` with botocore's own signer.

Reproduction (before): a signature scoped to another region, or to the service `s3`, was accepted;
and since only `host` had to be signed, a request signed as a Describe without signing its
X-Amz-Target header could be sent with `X-Amz-Target: ...StopTextTranslationJob` and stopped the
job. Now the scope must name a configured region and the service `translate`, and `host`,
`x-amz-date` and `x-amz-target` must be signed (botocore signs those and content-type).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from azure.ai.translation.document import DocumentTranslationClient
from azure.core.credentials import AzureKeyCredential
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from dragoman.api.aws.errors import AwsError
from dragoman.api.aws.sigv4 import authenticate, verify
from dragoman.api.aws.wire import aws_job_id
from dragoman.storage.local import path_to_url
from tests.api.served import AWS_KEY, AWS_SECRET, AZURE_KEY, REGION, Served, served
from tests.conftest import ENGLISH_PARAGRAPHS

TARGET = "AWSShineFrontendService_20170701."
JSON = "application/x-amz-json-1.1"


def keys(access_key: str) -> tuple[str, str] | None:
    return ("hardening", AWS_SECRET) if access_key == AWS_KEY else None


def botocore_signed(
    operation: str, body: bytes, *, url: str = "http://127.0.0.1:9", region: str = REGION, service: str = "translate"
) -> AWSRequest:
    """A request signed by botocore's SigV4Auth, as boto3 signs it, for any region and service."""
    request = AWSRequest(
        "POST", url + "/", data=body, headers={"Content-Type": JSON, "X-Amz-Target": TARGET + operation}
    )
    SigV4Auth(Credentials(AWS_KEY, AWS_SECRET), service, region).add_auth(request)
    return request


def as_received(request: AWSRequest) -> dict[str, str]:
    """The headers a server receives for `request` (lower-cased, with the Host botocore signed)."""
    return {"host": "127.0.0.1:9", **{name.lower(): value for name, value in request.headers.items()}}


def hand_signed(host: str, body: bytes, headers: dict[str, str], signed: list[str]) -> dict[str, str]:
    """`headers` with an Authorization signing exactly `signed` (an independent SigV4 signer, so an
    attacker's choice of signed headers can be made): the signature itself is right."""
    now = datetime.now(UTC)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    every = {"host": host, "x-amz-date": amz_date, **{name.lower(): value for name, value in headers.items()}}
    canonical_headers = "".join(f"{name}:{every[name]}\n" for name in signed)
    canonical = "\n".join(["POST", "/", "", canonical_headers, ";".join(signed), hashlib.sha256(body).hexdigest()])
    scope = f"{day}/{REGION}/translate/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + AWS_SECRET).encode()
    for part in (day, REGION, "translate", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    authorization = (
        f"AWS4-HMAC-SHA256 Credential={AWS_KEY}/{scope}, SignedHeaders={';'.join(signed)}, Signature={signature}"
    )
    return {**headers, "X-Amz-Date": amz_date, "Authorization": authorization}


# --- the rules, on the verifier itself ----------------------------------------------------------


def test_botocore_signatures_verify_and_the_scope_must_be_ours() -> None:
    body = b'{"JobId": "abc"}'
    good = botocore_signed("DescribeTextTranslationJob", body)
    caller = verify("POST", "/", "", as_received(good), body, keys, [REGION])
    assert (caller.tenant, caller.region) == ("hardening", REGION)
    assert verify("POST", "/", "", as_received(good), body, keys, ["*"]).region == REGION  # '*': any region
    for request, regions, message in (
        (botocore_signed("ListLanguages", b"{}", region="us-west-2"), [REGION], "valid region"),
        (botocore_signed("ListLanguages", b"{}", service="s3"), [REGION], "correct service: 'translate'"),
        (good, ["us-east-1"], "valid region"),
    ):
        with pytest.raises(AwsError) as raised:
            authenticate(as_received(request), keys, regions)
        assert raised.value.code == "InvalidSignatureException" and message in raised.value.message
    with pytest.raises(AwsError) as tampered:
        verify("POST", "/", "", as_received(good), b'{"JobId": "xyz"}', keys, [REGION])  # the body is signed too
    assert tampered.value.code == "InvalidSignatureException"


@pytest.mark.parametrize("signed", [["host"], ["host", "x-amz-date"], ["host", "x-amz-target"]])
def test_host_date_and_target_must_all_be_signed(signed: list[str]) -> None:
    headers = hand_signed("h", b"{}", {"Content-Type": JSON, "X-Amz-Target": TARGET + "ListLanguages"}, signed)
    headers["Host"] = "h"
    with pytest.raises(AwsError) as raised:
        authenticate({name.lower(): value for name, value in headers.items()}, keys, [REGION])
    assert raised.value.code == "IncompleteSignatureException" and raised.value.status == 403


# --- the attacks, on a real server --------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with served(tmp_path_factory.mktemp("sigv4")) as running:
        yield running


def send(server: Served, request: AWSRequest) -> httpx.Response:
    return httpx.post(server.url + "/", content=request.body, headers=dict(request.headers.items()))


@pytest.mark.slow
def test_a_signature_for_another_region_or_service_is_refused(server: Served) -> None:
    assert server.translate().list_languages()["Languages"]  # the configured region is served
    with pytest.raises(ClientError) as other_region:
        server.translate("us-west-2").list_languages()
    error = other_region.value.response["Error"]
    assert error["Code"] == "InvalidSignatureException" and REGION in error["Message"]
    assert other_region.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    answer = send(server, botocore_signed("ListLanguages", b"{}", url=server.url, service="s3"))
    assert answer.status_code == 403 and answer.json()["__type"] == "InvalidSignatureException"
    assert "translate" in answer.json()["message"]


def running_job(server: Served) -> str:
    """An Amazon job id of a job started through the Azure door, long enough to be running."""
    source = server.docs / "stop-me"
    source.mkdir()
    for number in range(30):
        (source / f"doc{number:02}.txt").write_text("\n\n".join(" ".join(ENGLISH_PARAGRAPHS) * 3 for _ in range(12)))
    with DocumentTranslationClient(server.url, AzureKeyCredential(AZURE_KEY)) as client:
        poller = client.begin_translation(path_to_url(source), path_to_url(server.docs / "stop-me-es"), "es")
        return aws_job_id(poller.id)


@pytest.mark.slow
def test_an_unsigned_target_cannot_turn_a_describe_into_a_stop(server: Served) -> None:
    job = running_job(server)
    body = json.dumps({"JobId": job}).encode()
    host = f"127.0.0.1:{server.port}"
    # signed as a Describe, with X-Amz-Target left out of the signature, then sent as a Stop
    headers = hand_signed(host, body, {"Content-Type": JSON}, ["content-type", "host", "x-amz-date"])
    headers["X-Amz-Target"] = TARGET + "StopTextTranslationJob"
    answer = httpx.post(server.url + "/", content=body, headers=headers)
    assert answer.status_code == 403 and answer.json()["__type"] == "IncompleteSignatureException"
    assert "x-amz-target" in answer.json()["message"]
    # botocore's own signature covers X-Amz-Target: changing it breaks the signature
    signed = botocore_signed("DescribeTextTranslationJob", body, url=server.url)
    signed.headers.replace_header("X-Amz-Target", TARGET + "StopTextTranslationJob")
    answer = send(server, signed)
    assert answer.status_code == 403 and answer.json()["__type"] == "InvalidSignatureException"
    status = server.translate().describe_text_translation_job(JobId=job)["TextTranslationJobProperties"]["JobStatus"]
    assert status not in ("STOP_REQUESTED", "STOPPED")  # neither attempt stopped the job
