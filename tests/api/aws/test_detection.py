"""`SourceLanguageCode="auto"` on the Amazon door, through real boto3 and the real AWS CLI against a
real `dragoman serve`: detected; text already in the target language comes back unchanged; low
confidence is DetectedLanguageLowConfidenceException with the likeliest language."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.client import BaseClient
from botocore.config import Config

from tests.processes import environment, serving

pytestmark = pytest.mark.slow

REGION = "us-east-1"  # the default tenant's keys sign for the default region
ACCESS_KEY, SECRET = "AKIADRAGOMANLOCAL000", "dragoman-local-secret"
AWS = str(Path(sys.executable).parent / "aws")


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("aws-detect")
    (root / "docs").mkdir()
    env = environment(root / "data", [root / "docs"])
    for name in ("DRAGOMAN_TENANTS", "DRAGOMAN_AWS_REGIONS", "DRAGOMAN_CONFIG"):
        env.pop(name, None)  # the zero-configuration default tenant
    with serving(env, root / "server.log") as url:
        yield url


@pytest.fixture
def client(endpoint: str) -> BaseClient:
    return boto3.client(
        "translate",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET,
        config=Config(retries={"max_attempts": 1}),
    )


def test_short_texts_are_detected(client: BaseClient) -> None:
    spanish = "Tengo dos hermanos. Vivimos en Madrid. Me gusta leer."
    answer = client.translate_text(Text=spanish, SourceLanguageCode="auto", TargetLanguageCode="en")
    assert answer["SourceLanguageCode"] == "es" and "We live in Madrid." in answer["TranslatedText"]
    morning = client.translate_text(Text="Good morning", SourceLanguageCode="auto", TargetLanguageCode="es")
    assert morning["SourceLanguageCode"] == "en" and morning["TranslatedText"] == "Buenos días"


def test_text_already_in_the_target_language_comes_back_unchanged(client: BaseClient) -> None:
    text = "The house is red.  I like dogs."
    for source in ("en", "auto"):
        answer = client.translate_text(Text=text, SourceLanguageCode=source, TargetLanguageCode="en")
        assert answer["TranslatedText"] == text
        assert answer["SourceLanguageCode"] == answer["TargetLanguageCode"] == "en"


def test_low_confidence_is_the_modeled_exception_with_the_likeliest_language(client: BaseClient) -> None:
    with pytest.raises(client.exceptions.DetectedLanguageLowConfidenceException) as raised:
        client.translate_text(Text="Bon dia", SourceLanguageCode="auto", TargetLanguageCode="es")
    assert raised.value.response["DetectedLanguageCode"] == "ca"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(client.exceptions.DetectedLanguageLowConfidenceException) as portuguese:
        client.translate_text(Text="Eu gosto de cachorros.", SourceLanguageCode="auto", TargetLanguageCode="es")
    assert portuguese.value.response["DetectedLanguageCode"] == "pt"  # not read as Spanish and sent back
    with pytest.raises(client.exceptions.DetectedLanguageLowConfidenceException):
        client.translate_document(
            Document={"Content": b"12345 67890", "ContentType": "text/plain"},
            SourceLanguageCode="auto",
            TargetLanguageCode="es",
        )


def test_the_aws_cli_documented_example(endpoint: str, tmp_path: Path) -> None:
    """The AWS CLI's own example: `aws translate translate-text --text "Good morning"
    --source-language-code auto --target-language-code es`."""
    env = {
        "PATH": str(Path(sys.executable).parent),
        "HOME": str(tmp_path),  # no user configuration or credentials of this machine
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_DEFAULT_REGION": REGION,
    }
    command = [AWS, "translate", "translate-text", "--text", "Good morning", "--source-language-code", "auto"]
    command += ["--target-language-code", "es", "--endpoint-url", endpoint, "--output", "json"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["TranslatedText"] == "Buenos días"
    assert answer["SourceLanguageCode"] == "en" and answer["TargetLanguageCode"] == "es"
