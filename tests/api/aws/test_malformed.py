"""Issue 9 item 6 on the Amazon door of a real `dragoman serve`: malformed input answers 4xx in
AWS JSON 1.1's shape (`__type`), never 5xx.

Reproduction (before): deeply nested JSON made the standard library's json raise RecursionError
(a 500 InternalServerException), and a NextToken carrying a date at year 1 with an offset
overflowed in the store. The requests are signed by botocore, as boto3 sends them, with bodies
botocore itself would never build.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.api.served import AWS_KEY, AWS_SECRET, REGION, Served, served

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with served(tmp_path_factory.mktemp("aws-malformed")) as running:
        yield running


def call(server: Served, operation: str, body: bytes) -> httpx.Response:
    request = AWSRequest(
        "POST",
        server.url + "/",
        data=body,
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"AWSShineFrontendService_20170701.{operation}",
        },
    )
    SigV4Auth(Credentials(AWS_KEY, AWS_SECRET), "translate", REGION).add_auth(request)
    return httpx.post(server.url + "/", content=body, headers=dict(request.headers.items()), timeout=60)


def token(moment: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"t": moment, "id": "x", "f": {}}).encode()).decode()


CASES: list[tuple[str, bytes, str]] = [
    ("ListTextTranslationJobs", b"[" * 100_000 + b"]" * 100_000, "SerializationException"),
    ("ListTextTranslationJobs", b'{"a":' * 5000 + b"1" + b"}" * 5000, "SerializationException"),
    ("ListTextTranslationJobs", b'{"Filter": ' + b"[" * 100 + b"]" * 100 + b"}", "SerializationException"),
    ("TranslateText", b'{"Text": "\\ud800", "SourceLanguageCode": "en", "TargetLanguageCode": "es"}',
     "SerializationException"),
    ("ListTextTranslationJobs", b'{"MaxResults": NaN}', "SerializationException"),
    ("ListTextTranslationJobs", json.dumps({"NextToken": token("0001-01-01T00:00:00+01:00")}).encode(),
     "InvalidRequestException"),
    ("ListTextTranslationJobs", json.dumps({"NextToken": token("9999-12-31T23:59:59-01:00")}).encode(),
     "InvalidRequestException"),
    ("ListTextTranslationJobs", json.dumps({"NextToken": "A" * 8193}).encode(), "InvalidParameterValueException"),
    ("ListTextTranslationJobs", json.dumps({"MaxResults": 2**70}).encode(), "InvalidParameterValueException"),
    ("ListTextTranslationJobs", json.dumps({"Filter": {"SubmittedAfterTime": 1e300}}).encode(),
     "InvalidParameterValueException"),
    ("ListTextTranslationJobs", json.dumps({"Filter": {"JobStatus": [["COMPLETED"]]}}).encode(),
     "InvalidParameterValueException"),
    ("DescribeTextTranslationJob", json.dumps({"JobId": "j" * 33}).encode(), "InvalidParameterValueException"),
]  # fmt: skip


@pytest.mark.parametrize(("operation", "body", "code"), CASES, ids=[f"{op}-{code}-{n}" for n, (op, _, code) in
                                                                    enumerate(CASES)])  # fmt: skip
def test_malformed_amazon_requests_are_4xx_in_amazons_shape(
    server: Served, operation: str, body: bytes, code: str
) -> None:
    answer = call(server, operation, body)
    assert answer.status_code == 400, answer.text
    assert answer.headers["x-amzn-errortype"] == code and answer.json()["__type"] == code, answer.text
    assert answer.json()["message"]


def test_the_year_one_cursor_at_utc_is_still_served(server: Served) -> None:
    answer = call(
        server, "ListTextTranslationJobs", json.dumps({"NextToken": token("0001-01-01T00:00:00+00:00")}).encode()
    )
    assert answer.status_code == 200, answer.text


START = {
    "ClientToken": "t-1",
    "InputDataConfig": {"S3Uri": "s3://bucket/in/", "ContentType": "text/plain"},
    "OutputDataConfig": {"S3Uri": "s3://bucket/out/"},
    "DataAccessRoleArn": "arn:aws:iam::123456789012:role/Translate",
    "SourceLanguageCode": "en",
    "TargetLanguageCodes": ["es"],
}
# Members of the wrong JSON type, which boto3 cannot send: answered in words a client knows, never
# with Python's (`None`, `['es']`) or an internal one (`auto` for no language given)
WORDLESS: list[tuple[str, dict[str, object]]] = [
    ("StartTextTranslationJob", {**START, "TargetLanguageCodes": [None]}),
    ("StartTextTranslationJob", {**START, "TargetLanguageCodes": [["es"]]}),
    ("StartTextTranslationJob", {key: value for key, value in START.items() if key != "ClientToken"}),
    ("ListLanguages", {"DisplayLanguageCode": None}),
    ("ListLanguages", {"DisplayLanguageCode": ["en"]}),
    ("TranslateText", {"Text": "Merci beaucoup pour votre aide, mes amis.", "SourceLanguageCode": "auto",
                       "TargetLanguageCode": "es"}),
]  # fmt: skip


@pytest.mark.parametrize(("operation", "members"), WORDLESS, ids=[op for op, _ in WORDLESS])
def test_messages_use_no_python_or_internal_words(server: Served, operation: str, members: dict[str, object]) -> None:
    answer = call(server, operation, json.dumps(members).encode())
    assert answer.status_code == 400, answer.text
    message = answer.json()["message"]
    for word in ("None", "['", "auto", "Error:", "Traceback", "dragoman"):
        assert word not in message, message
