"""Issue 9 item 2, attacked on a real `dragoman serve`: work done before knowing who is asking.

Reproduction (before the front-door guard): three 300 MB JSON bodies without a key took the server
from 120 MiB to 2.8 GiB before the 401; three 2 GiB multipart uploads without a key wrote 6 GiB of
temporary files; the Amazon door read the whole body before checking the signature. Each attack
below streams a body far larger than any socket buffer from a raw socket, one MiB at a time, until
the server answers, and checks the answer's protocol shape, how many bytes the server let in, its
resident memory and its temporary-file folder.
"""

from __future__ import annotations

import json
import select
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from dragoman.config import Settings
from tests.api.served import AWS_KEY, AWS_SECRET, AZURE_KEY, REGION, Served, served

pytestmark = pytest.mark.slow

MiB = 1024 * 1024
HUGE = 300 * MiB  # declared, never sent in full
CAP = 64 * 1024  # the caps this server is configured with
# What the kernel may buffer on loopback before a server that reads nothing stops the sender (socket
# send and receive buffers, a few MiB each) plus what uvicorn takes before pausing the socket.
LET_IN = 32 * MiB
RSS_GROWTH = 64 * MiB
BATCHES = "/translator/document/batches?api-version=2026-03-01"
SINGLE = "/translator/document:translate?api-version=2026-03-01&targetLanguage=es"
AMAZON = "AWSShineFrontendService_20170701."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with served(
        tmp_path_factory.mktemp("limits"),
        DRAGOMAN_MAX_REQUEST_BYTES_AZURE_BATCH=str(CAP),
        DRAGOMAN_MAX_REQUEST_BYTES_AZURE_DOCUMENT=str(CAP),
        DRAGOMAN_MAX_REQUEST_BYTES_AWS=str(CAP),
    ) as running:
        yield running


@dataclass
class Outcome:
    status: int
    headers: dict[str, str]
    body: bytes
    sent: int  # body bytes the server let in before it answered
    rss_growth: int
    temporary: int  # most bytes seen in the server's TMPDIR during the attack

    def json(self) -> Any:
        return json.loads(self.body)


def stream(
    server: Served, path: str, headers: dict[str, str], *, declared: int | None, preamble: bytes = b""
) -> Outcome:
    """POST `path` declaring HUGE bytes (`declared=None`: chunked, no length), then send `preamble`
    and 1 MiB pieces until the server answers or HUGE bytes went. Fails if the server neither reads
    nor answers for 60 s."""
    before = server.rss_bytes()
    highest, temporary = before, 0
    head = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{server.port}"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    head.append(f"Content-Length: {declared}" if declared is not None else "Transfer-Encoding: chunked")
    total = HUGE if declared is None else declared
    piece = b"x" * MiB
    with server.connect() as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        sock.setblocking(False)
        sent, pending, pieces, first = 0, b"", 0, preamble
        while True:
            more = sent + len(pending) < total or bool(pending)
            readable, writable, _ = select.select([sock], [sock] if more else [], [], 60)
            if not readable and not writable:
                raise AssertionError(f"the server neither read the body nor answered ({sent} bytes sent)")
            if readable:
                break
            if not pending:
                data = first or piece[: total - sent]
                first = b""
                pending = data if declared is not None else f"{len(data):x}\r\n".encode() + data + b"\r\n"
                if declared is None and sent + len(data) >= total:
                    pending += b"0\r\n\r\n"
                pieces += 1
                if pieces % 8 == 0:
                    highest, temporary = max(highest, server.rss_bytes()), max(temporary, server.temporary_bytes())
            try:
                written = sock.send(pending)
            except BlockingIOError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
            pending, sent = pending[written:], sent + written
        answer = _receive(sock)
        highest, temporary = max(highest, server.rss_bytes()), max(temporary, server.temporary_bytes())
    status_line, _, rest = answer.partition(b"\r\n")
    header_block, _, body = rest.partition(b"\r\n\r\n")
    parsed = dict(line.decode().split(": ", 1) for line in header_block.split(b"\r\n") if b": " in line)
    return Outcome(
        int(status_line.split()[1]),
        {name.lower(): value for name, value in parsed.items()},
        body,
        sent,
        highest - before,
        temporary,
    )


def _receive(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    sock.setblocking(True)
    sock.settimeout(30)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    assert data.startswith(b"HTTP/1.1 "), data[:200]
    return data


def multipart_preamble() -> bytes:
    return (
        b'--cut\r\nContent-Disposition: form-data; name="document"; filename="big.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\n"
    )


def signed_headers(operation: str, body: bytes = b"{}") -> dict[str, str]:
    """Headers botocore would send for `operation` with `body`: the SigV4 Authorization checks out."""
    request = AWSRequest(
        "POST",
        "http://127.0.0.1/",
        data=body,
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": AMAZON + operation},
    )
    SigV4Auth(Credentials(AWS_KEY, AWS_SECRET), "translate", REGION).add_auth(request)
    return {name: value for name, value in request.headers.items() if name.lower() != "host"}


def assert_not_read(outcome: Outcome) -> None:
    assert outcome.sent < LET_IN, f"the server read {outcome.sent} bytes of a body it refused"
    assert outcome.rss_growth < RSS_GROWTH, f"the server grew by {outcome.rss_growth} bytes"
    assert outcome.temporary == 0, f"the server wrote {outcome.temporary} bytes of temporary files"
    assert outcome.headers.get("connection") == "close"  # the rest of the body is not read either


def assert_azure_error(outcome: Outcome, status: int, code: str, inner: str) -> None:
    assert outcome.status == status, outcome.body
    error = outcome.json()["error"]
    assert error["code"] == code and error["innerError"]["code"] == inner and error["message"]


def assert_aws_error(outcome: Outcome, status: int, code: str) -> None:
    assert outcome.status == status, outcome.body
    assert outcome.headers["x-amzn-errortype"] == code
    assert outcome.json()["__type"] == code and outcome.json()["message"]


# --- no key: refused from the headers -----------------------------------------------------------


def test_a_json_body_without_a_key_is_refused_before_it_is_read(server: Served) -> None:
    outcome = stream(server, BATCHES, {"Content-Type": "application/json"}, declared=HUGE)
    assert_azure_error(outcome, 401, "Unauthorized", "InvalidSubscriptionKey")
    assert_not_read(outcome)


def test_a_multipart_upload_without_a_key_is_refused_before_it_is_spooled(server: Served) -> None:
    headers = {"Content-Type": "multipart/form-data; boundary=cut", "Ocp-Apim-Subscription-Key": "wrong-key"}
    outcome = stream(server, SINGLE, headers, declared=HUGE, preamble=multipart_preamble())
    assert_azure_error(outcome, 401, "Unauthorized", "InvalidSubscriptionKey")
    assert_not_read(outcome)


@pytest.mark.parametrize(
    ("key", "status", "code"),
    [(None, 403, "MissingAuthenticationTokenException"), ("AKIAUNKNOWNKEY000000", 400, "UnrecognizedClientException")],
)
def test_an_amazon_body_is_not_read_before_its_signature_header_is_checked(
    server: Served, key: str | None, status: int, code: str
) -> None:
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": AMAZON + "TranslateText"}
    if key is not None:
        headers = signed_headers("TranslateText")
        headers["Authorization"] = headers["Authorization"].replace(AWS_KEY, key)
    outcome = stream(server, "/", headers, declared=HUGE)
    assert_aws_error(outcome, status, code)
    assert_not_read(outcome)


# --- a known caller, a body over the route's cap ------------------------------------------------


def test_a_declared_length_over_the_cap_is_refused_before_the_body(server: Served) -> None:
    json_headers = {"Content-Type": "application/json", "Ocp-Apim-Subscription-Key": AZURE_KEY}
    outcome = stream(server, BATCHES, json_headers, declared=HUGE)
    assert_azure_error(outcome, 413, "InvalidRequest", "RequestTooLarge")
    assert "max_request_bytes_azure_batch" in outcome.json()["error"]["message"]
    assert_not_read(outcome)
    multipart = {"Content-Type": "multipart/form-data; boundary=cut", "Ocp-Apim-Subscription-Key": AZURE_KEY}
    outcome = stream(server, SINGLE, multipart, declared=HUGE, preamble=multipart_preamble())
    assert_azure_error(outcome, 413, "InvalidRequest", "RequestTooLarge")
    assert_not_read(outcome)
    outcome = stream(server, "/", signed_headers("TranslateDocument"), declared=HUGE)
    assert_aws_error(outcome, 413, "ValidationException")
    assert_not_read(outcome)


def test_a_chunked_body_over_the_cap_is_cut_off_with_413(server: Served) -> None:
    json_headers = {"Content-Type": "application/json", "Ocp-Apim-Subscription-Key": AZURE_KEY}
    outcome = stream(server, BATCHES, json_headers, declared=None)
    assert_azure_error(outcome, 413, "InvalidRequest", "RequestTooLarge")
    assert_not_read(outcome)
    multipart = {"Content-Type": "multipart/form-data; boundary=cut", "Ocp-Apim-Subscription-Key": AZURE_KEY}
    outcome = stream(server, SINGLE, multipart, declared=None, preamble=multipart_preamble())
    assert_azure_error(outcome, 413, "InvalidRequest", "RequestTooLarge")
    assert_not_read(outcome)
    outcome = stream(server, "/", signed_headers("TranslateText"), declared=None)
    assert_aws_error(outcome, 413, "ValidationException")
    assert_not_read(outcome)


def test_real_clients_see_the_refusals_in_their_protocol(server: Served) -> None:
    # httpx streaming ten times the cap with no length: the 413 reaches it in Azure's shape
    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b" " * CAP

    headers = {"Ocp-Apim-Subscription-Key": AZURE_KEY, "Content-Type": "application/json"}
    answer = httpx.post(server.url + BATCHES, content=chunks(), headers=headers, timeout=60)
    assert answer.status_code == 413 and answer.json()["error"]["innerError"]["code"] == "RequestTooLarge"
    # boto3 with a document ten times the cap: a ClientError with the code, not retried
    client = server.translate()
    with pytest.raises(ClientError) as raised:
        client.translate_text(Text="x" * (10 * CAP), SourceLanguageCode="en", TargetLanguageCode="es")
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    # within the caps, both doors still work
    small = client.translate_text(Text="The cat is black.", SourceLanguageCode="en", TargetLanguageCode="es")
    assert small["TranslatedText"] == "El gato es negro."
    translated = httpx.post(
        server.url + SINGLE + "&sourceLanguage=en",
        headers={"Ocp-Apim-Subscription-Key": AZURE_KEY},
        files={"document": ("a.txt", b"The cat is black.\n", "text/plain")},
        timeout=60,
    )
    assert translated.status_code == 200 and translated.content == b"El gato es negro.\n"
    assert httpx.get(server.url + "/health").json()["status"] == "ok"


def test_the_default_caps_follow_the_protocols_limits(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.max_request_bytes_azure_document >= 11 * 1000 * 1000  # 10 MB document + 1 MB glossary
    assert settings.max_request_bytes_aws >= 4 * 102_400 // 3 + 4096  # TranslateDocument's 100 KB in base64
    assert settings.aws_regions == ["us-east-1"]


# --- bodies no route reads: not drained after the answer ------------------------------------------


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/nothing-here", {}, 404),  # no route at all
        ("/health", {}, 405),  # a route that takes no body
        ("/translator/document/batches/x?api-version=2026-03-01", {"Ocp-Apim-Subscription-Key": AZURE_KEY}, 405),
    ],
)
def test_a_body_no_route_reads_is_not_read_after_the_answer(
    server: Served, path: str, headers: dict[str, str], status: int
) -> None:
    # Reproduction: a chunked 2000 MiB body to a route that never reads it was read in full (1.1 s)
    # after the 404/405, to keep the connection; the answer now closes it instead.
    outcome = stream(server, path, headers, declared=None)
    assert outcome.status == status
    assert_not_read(outcome)


def test_a_part_content_type_is_never_echoed_into_the_response(server: Served) -> None:
    # Reproduction: a document part with `Content-Type: text/plain\x00` made the server drop the
    # connection without an answer (the type was copied into the response header).
    body = (
        b'--cut\r\nContent-Disposition: form-data; name="document"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\x00\xff\r\n\r\nThe house is red.\r\n--cut--\r\n"
    )
    response = httpx.post(
        server.url + SINGLE,
        content=body,
        headers={"Content-Type": "multipart/form-data; boundary=cut", "Ocp-Apim-Subscription-Key": AZURE_KEY},
        timeout=60,
    )
    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:
        assert response.headers["content-type"].startswith("text/plain") and response.content == b"La casa es roja."
