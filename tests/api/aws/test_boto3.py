"""The Amazon Translate front door through real boto3 against a real `dragoman serve`: synchronous
translation, job describe/list/stop (also of jobs started through the Azure door), errors and SigV4."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from unittest import mock

import boto3
import docx
import pytest
from azure.ai.translation.document import DocumentTranslationClient
from azure.core.credentials import AzureKeyCredential
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError

from dragoman.storage.local import path_to_url
from tests.conftest import ENGLISH_PARAGRAPHS, write_documents
from tests.processes import environment, serving

pytestmark = pytest.mark.slow

ACCESS_KEY, SECRET = "AKIAACMETEST00000001", "acme-aws-secret"
AZURE_KEY = "acme-azure-key"


@dataclass
class Server:
    endpoint: str
    root: Path

    def client(self, key: str = ACCESS_KEY, secret: str = SECRET) -> BaseClient:
        return boto3.client(
            "translate",
            endpoint_url=self.endpoint,
            region_name="eu-west-1",
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=Config(retries={"max_attempts": 1}),
        )

    def azure(self) -> DocumentTranslationClient:
        return DocumentTranslationClient(self.endpoint, AzureKeyCredential(AZURE_KEY))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("aws")
    docs = str(root / "docs")  # both tenants' storage scope (several tenants share none unless configured so)
    tenants = {
        "acme": {"azure_keys": [AZURE_KEY], "aws_keys": {ACCESS_KEY: SECRET}, "roots": [docs]},
        "globex": {"aws_keys": {"AKIAGLOBEXTEST000001": "globex-secret"}, "roots": [docs]},
    }
    (root / "docs").mkdir()
    env = environment(
        root / "data",
        [root / "docs"],
        DRAGOMAN_TENANTS=json.dumps(tenants),
        DRAGOMAN_AWS_REGIONS=json.dumps(["eu-west-1"]),  # the region these clients sign for
    )
    with serving(env, root / "server.log") as url:
        yield Server(url, root / "docs")


def code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_translate_text_document_and_languages(server: Server) -> None:
    client = server.client()
    answer = client.translate_text(Text="The cat is black.", SourceLanguageCode="en", TargetLanguageCode="es")
    assert answer["TranslatedText"] == "El gato es negro." and answer["SourceLanguageCode"] == "en"
    detected = client.translate_text(Text="The house is red.", SourceLanguageCode="auto", TargetLanguageCode="ca")
    assert detected["SourceLanguageCode"] == "en" and detected["TranslatedText"].startswith("La casa")
    word = BytesIO()
    document = docx.Document()
    document.add_paragraph("The red house")
    document.save(word)
    translated = client.translate_document(
        Document={
            "Content": word.getvalue(),
            "ContentType": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        },
        SourceLanguageCode="en",
        TargetLanguageCode="es",
    )
    assert docx.Document(BytesIO(translated["TranslatedDocument"]["Content"])).paragraphs[0].text == "La casa roja"
    codes = {language["LanguageCode"] for language in client.list_languages()["Languages"]}
    assert {"en", "es", "ca"} <= codes


def test_synchronous_errors_are_the_modeled_exceptions(server: Server) -> None:
    client = server.client()
    with pytest.raises(client.exceptions.UnsupportedLanguagePairException) as unsupported:
        client.translate_text(Text="Hello", SourceLanguageCode="en", TargetLanguageCode="ja")
    assert unsupported.value.response["TargetLanguageCode"] == "ja"
    with pytest.raises(client.exceptions.TextSizeLimitExceededException):
        client.translate_text(Text="word " * 3000, SourceLanguageCode="en", TargetLanguageCode="es")
    with pytest.raises(client.exceptions.InvalidRequestException):
        client.translate_document(
            Document={"Content": b"%PDF", "ContentType": "application/pdf"}, SourceLanguageCode="en",
            TargetLanguageCode="es",
        )  # fmt: skip
    with pytest.raises(client.exceptions.UnsupportedDisplayLanguageCodeException):
        client.list_languages(DisplayLanguageCode="nl")  # not among the model's display languages


def test_job_calls_validate_what_botocore_does_not(server: Server) -> None:
    client = server.client()
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.describe_text_translation_job(JobId="0" * 32)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.stop_text_translation_job(JobId="0" * 32)
    with pytest.raises(ClientError) as too_long:
        client.describe_text_translation_job(JobId="x" * 33)
    assert code(too_long) == "InvalidParameterValueException"
    with pytest.raises(ClientError) as too_many:
        client.list_text_translation_jobs(MaxResults=501)
    assert code(too_many) == "InvalidParameterValueException"
    with pytest.raises(ClientError) as bogus:
        client.list_text_translation_jobs(Filter={"JobStatus": "BOGUS"})
    assert code(bogus) == "InvalidParameterValueException"
    with pytest.raises(client.exceptions.InvalidFilterException):
        client.list_text_translation_jobs(Filter={"JobName": "a", "JobStatus": "COMPLETED"})


def test_signatures_are_verified(server: Server) -> None:
    with pytest.raises(ClientError) as wrong_secret:
        server.client(secret="not-the-secret").list_languages()
    assert code(wrong_secret) == "InvalidSignatureException"
    with pytest.raises(ClientError) as unknown:
        server.client(key="AKIAUNKNOWN000000000").list_languages()
    assert code(unknown) == "UnrecognizedClientException"
    stale = datetime.now(UTC) - timedelta(hours=1)
    # botocore signs with the time its get_current_datetime() gives: an hour-old clock, a stale request
    with (
        mock.patch("botocore.auth.get_current_datetime", return_value=stale.replace(tzinfo=None)),
        pytest.raises(ClientError) as expired,
    ):
        server.client().list_languages()
    assert code(expired) == "InvalidSignatureException"


def start_through_azure(server: Server, name: str, documents: int) -> str:
    source = server.root / name
    source.mkdir()
    for number in range(documents):
        text = "\n\n".join(" ".join(ENGLISH_PARAGRAPHS) * 3 for _ in range(12))
        (source / f"doc{number:02}.txt").write_text(text)
    with server.azure() as azure:
        poller = azure.begin_translation(
            path_to_url(source), path_to_url(server.root / f"{name}-out"), "es", source_language="en"
        )
        return poller.id


def test_a_job_started_through_azure_is_stopped_through_amazon(server: Server) -> None:
    job_id = start_through_azure(server, "cross", 30)
    client = server.client()
    aws_id = job_id.replace("-", "")
    stopped = client.stop_text_translation_job(JobId=aws_id)
    assert stopped["JobId"] == aws_id and stopped["JobStatus"] in ("STOP_REQUESTED", "STOPPED")
    properties = client.describe_text_translation_job(JobId=aws_id)["TextTranslationJobProperties"]
    while properties["JobStatus"] == "STOP_REQUESTED":
        properties = client.describe_text_translation_job(JobId=aws_id)["TextTranslationJobProperties"]
    assert properties["JobStatus"] == "STOPPED" and "EndTime" in properties
    details = properties["JobDetails"]
    assert details["InputDocumentsCount"] == 30 and details["TranslatedDocumentsCount"] < 30
    with server.azure() as azure:
        assert azure.get_translation_status(job_id).status == "Canceled"
    # a finished job cannot be stopped again
    with pytest.raises(client.exceptions.InvalidRequestException):
        client.stop_text_translation_job(JobId=aws_id)
    # another tenant does not see it
    with pytest.raises(ClientError) as other:
        server.client("AKIAGLOBEXTEST000001", "globex-secret").describe_text_translation_job(JobId=aws_id)
    assert code(other) == "ResourceNotFoundException"


def test_a_job_cancelled_through_azure_reads_as_stopped_and_lists_page(server: Server) -> None:
    write_documents(server.root / "listing", count=1)
    ids = []
    with server.azure() as azure:
        for number in range(3):
            ids.append(
                azure.begin_translation(
                    path_to_url(server.root / "listing"),
                    path_to_url(server.root / f"listing-out{number}"),
                    "es",
                    source_language="en",
                ).id
            )
        for job_id in ids:
            azure.begin_translation(continuation_token=job_id).result()
    client = server.client()
    completed = client.list_text_translation_jobs(Filter={"JobStatus": "COMPLETED"}, MaxResults=2)
    seen = [job["JobId"] for job in completed["TextTranslationJobPropertiesList"]]
    assert len(seen) == 2 and "NextToken" in completed
    more = client.list_text_translation_jobs(
        Filter={"JobStatus": "COMPLETED"}, MaxResults=2, NextToken=completed["NextToken"]
    )
    seen += [job["JobId"] for job in more["TextTranslationJobPropertiesList"]]
    assert len(seen) == len(set(seen)) and {job_id.replace("-", "") for job_id in ids} <= set(seen)
    oldest_first = client.list_text_translation_jobs(Filter={"SubmittedBeforeTime": datetime.now(UTC)})
    times = [job["SubmittedTime"] for job in oldest_first["TextTranslationJobPropertiesList"]]
    assert times == sorted(times)
    with pytest.raises(client.exceptions.InvalidRequestException):
        client.list_text_translation_jobs(Filter={"JobStatus": "STOPPED"}, NextToken=completed["NextToken"])
    assert base64  # the NextToken is opaque to callers


def test_one_tenants_synchronous_translations_cannot_hold_the_server_from_another(server: Server) -> None:
    # Reproduction: 60 concurrent 30 KB TranslateDocument calls of one tenant filled the server's
    # threads, and another tenant's Describe and cancel waited 10 s behind them.
    acme, globex = server.client(), server.client("AKIAGLOBEXTEST000001", "globex-secret")
    text = (" ".join(ENGLISH_PARAGRAPHS) + "\n\n") * 40
    document = {"Content": text.encode()[:30_000], "ContentType": "text/plain"}

    def translate() -> str:
        try:
            acme.translate_document(Document=document, SourceLanguageCode="en", TargetLanguageCode="es")
            return "translated"
        except ClientError as exc:
            return code_of(exc)

    with ThreadPoolExecutor(max_workers=24) as pool:
        calls = [pool.submit(translate) for _ in range(24)]
        # the other tenant is answered meanwhile
        assert "TextTranslationJobPropertiesList" in globex.list_text_translation_jobs()
        outcomes = [call.result() for call in calls]
    # past its bound the tenant is refused at once, with Amazon's throttling error, instead of queueing
    assert set(outcomes) == {"translated", "TooManyRequestsException"}


def code_of(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


def test_translate_text_refuses_a_terminology_that_does_not_exist(server: Server) -> None:
    client = server.client()
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.translate_text(Text="Hello", SourceLanguageCode="en", TargetLanguageCode="es", TerminologyNames=["x"])
