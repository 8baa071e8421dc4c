"""A language pair installed or removed while `dragoman serve` runs is offered, or refused, without a
restart: seen through real boto3 against a real server whose modes folder changes under it."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import boto3
import pytest
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.processes import environment, serving

pytestmark = pytest.mark.slow

MODES = Path("/usr/share/apertium/modes")


def client(endpoint: str) -> BaseClient:
    return boto3.client(
        "translate",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="AKIAPAIRSTEST0000001",
        aws_secret_access_key="pairs-secret",
        config=Config(retries={"max_attempts": 1}),
    )


def languages(translate: BaseClient) -> set[str]:
    return {language["LanguageCode"] for language in translate.list_languages()["Languages"]}


def eventually(check: object, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.25)
    raise AssertionError("not within the time a change of the modes folder takes to be seen")


def test_a_pair_installed_while_serving_is_offered_and_one_removed_is_refused(tmp_path: Path) -> None:
    modes = tmp_path / "modes"
    modes.mkdir()
    shutil.copy(MODES / "eng-spa.mode", modes)
    (tmp_path / "docs").mkdir()
    env = environment(
        tmp_path / "data",
        [tmp_path / "docs"],
        DRAGOMAN_APERTIUM_MODES_DIR=str(modes),
        DRAGOMAN_TENANTS='{"t": {"aws_keys": {"AKIAPAIRSTEST0000001": "pairs-secret"}}}',
    )
    with serving(env, tmp_path / "serve.log") as endpoint:
        translate = client(endpoint)
        assert languages(translate) == {"en", "es"}
        with pytest.raises(ClientError) as refused:
            translate.translate_text(Text="The cat is black.", SourceLanguageCode="en", TargetLanguageCode="ca")
        assert refused.value.response["Error"]["Code"] == "UnsupportedLanguagePairException"

        shutil.copy(MODES / "eng-cat.mode", modes / "eng-cat.part")
        (modes / "eng-cat.part").replace(modes / "eng-cat.mode")  # as dpkg installs a file
        eventually(lambda: "ca" in languages(translate))
        answer = translate.translate_text(Text="The cat is black.", SourceLanguageCode="en", TargetLanguageCode="ca")
        assert answer["TranslatedText"].startswith("El gat")

        (modes / "eng-spa.mode").unlink()
        eventually(lambda: "es" not in languages(translate))
        with pytest.raises(ClientError) as removed:
            translate.translate_text(Text="The cat is black.", SourceLanguageCode="en", TargetLanguageCode="es")
        assert removed.value.response["Error"]["Code"] == "UnsupportedLanguagePairException"
    log = (tmp_path / "serve.log").read_text()
    assert "added: en-ca" in log and "removed: en-es" in log
