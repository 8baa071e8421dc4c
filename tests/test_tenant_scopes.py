"""Each tenant has its own storage scope: local roots, S3 buckets (and blob hosts). Attacks of the 2026
hardening review, replayed against a real `dragoman serve` with two tenants: reading another tenant's
folder or bucket, planting a document in its source folder, occupying its output path."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import httpx
import pytest
from botocore.client import BaseClient
from botocore.config import Config

from dragoman.storage.local import path_to_url
from tests.processes import environment, serving
from tests.s3server import s3_server

pytestmark = pytest.mark.slow

KEYS = {
    "acme": ("acme-azure", "AKIAACMETENANT000001", "acme-secret"),
    "globex": ("globex-azure", "AKIAGLOBEXTENANT0001", "globex-secret"),
}
BATCHES = "/translator/document/batches?api-version=2024-05-01"


@dataclass
class World:
    endpoint: str
    roots: dict[str, Path]
    s3: BaseClient

    def translate(self, tenant: str) -> BaseClient:
        _, access, secret = KEYS[tenant]
        return boto3.client(
            "translate", endpoint_url=self.endpoint, region_name="us-east-1", aws_access_key_id=access,
            aws_secret_access_key=secret, config=Config(retries={"max_attempts": 1}),
        )  # fmt: skip

    def azure_start(self, tenant: str, source: str, target: str) -> dict[str, object]:
        """Start an Azure batch as `tenant`; the job's status once it has left NotStarted."""
        headers = {"Ocp-Apim-Subscription-Key": KEYS[tenant][0]}
        body = {
            "inputs": [
                {
                    "source": {"sourceUrl": source, "language": "en"},
                    "targets": [{"targetUrl": target, "language": "es"}],
                }
            ]
        }
        response = httpx.post(self.endpoint + BATCHES, json=body, headers=headers, timeout=60)
        assert response.status_code == 202, response.text
        for _ in range(600):
            status: dict[str, object] = httpx.get(response.headers["Operation-Location"], headers=headers).json()
            if status["status"] not in ("NotStarted", "Running"):
                return status
            time.sleep(0.05)
        raise AssertionError("the job did not finish")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("scopes")
    roots = {name: root / name for name in KEYS}
    for path in roots.values():
        (path / "in").mkdir(parents=True)
        (path / "in" / "note.txt").write_text(f"The secret of {path.name} is black.\n")
    with s3_server() as server:
        s3 = server.client
        for name in KEYS:
            s3.create_bucket(Bucket=f"{name}-bucket")
            s3.put_object(Bucket=f"{name}-bucket", Key="in/note.txt", Body=f"The secret of {name} is red.\n".encode())
        tenants = {
            name: {
                "azure_keys": [azure],
                "aws_keys": {access: secret},
                "roots": [str(roots[name])],
                "s3_buckets": [f"{name}-bucket"],
            }
            for name, (azure, access, secret) in KEYS.items()
        }
        # The global roots hold both tenants' folders: only the tenants' own scopes keep them apart.
        env = environment(
            root / "data",
            [root],
            DRAGOMAN_TENANTS=json.dumps(tenants),
            **server.environment(),
        )
        with serving(env, root / "server.log") as url:
            yield World(url, roots, s3)


def inner_code(status: dict[str, object]) -> str:
    error = status["error"]
    assert isinstance(error, dict)
    return str(error["innerError"]["code"])


def test_a_tenant_cannot_translate_another_tenants_folder_into_its_own(world: World) -> None:
    status = world.azure_start(
        "acme", path_to_url(world.roots["globex"] / "in"), path_to_url(world.roots["acme"] / "stolen")
    )
    assert status["status"] == "ValidationFailed" and inner_code(status) == "InvalidDocumentAccessLevel"
    assert not (world.roots["acme"] / "stolen").exists()


def test_a_tenant_cannot_plant_documents_in_or_occupy_another_tenants_folders(world: World) -> None:
    before = sorted(path.name for path in (world.roots["globex"] / "in").iterdir())
    for target in (world.roots["globex"] / "in", world.roots["globex"] / "out"):
        status = world.azure_start("acme", path_to_url(world.roots["acme"] / "in"), path_to_url(target))
        assert status["status"] == "ValidationFailed"
        assert inner_code(status) == "InvalidTargetDocumentAccessLevel"
    assert sorted(path.name for path in (world.roots["globex"] / "in").iterdir()) == before
    assert not (world.roots["globex"] / "out").exists()
    # and its own folders work as before
    status = world.azure_start(
        "globex", path_to_url(world.roots["globex"] / "in"), path_to_url(world.roots["globex"] / "es")
    )
    assert status["status"] == "Succeeded"
    assert (world.roots["globex"] / "es" / "note.txt").read_text().startswith("El secreto")


def test_a_tenant_cannot_read_or_write_another_tenants_bucket(world: World) -> None:
    translate = world.translate("acme")
    role = "arn:aws:iam::000000000000:role/Translate"
    attempts = [
        ("s3://globex-bucket/in/", "s3://acme-bucket/stolen/"),  # read theirs into mine
        ("s3://acme-bucket/in/", "s3://globex-bucket/planted/"),  # write mine into theirs
    ]
    for source, output in attempts:
        job = translate.start_text_translation_job(
            InputDataConfig={"S3Uri": source, "ContentType": "text/plain"},
            OutputDataConfig={"S3Uri": output},
            DataAccessRoleArn=role,
            SourceLanguageCode="en",
            TargetLanguageCodes=["es"],
        )
        props = translate.describe_text_translation_job(JobId=job["JobId"])["TextTranslationJobProperties"]
        assert props["JobStatus"] == "FAILED"
        assert "access to the bucket 'globex-bucket' is not allowed" in props["Message"]
    for bucket, prefix in (("acme-bucket", "stolen/"), ("globex-bucket", "planted/")):
        assert world.s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("KeyCount", 0) == 0
    # its own bucket works
    job = translate.start_text_translation_job(
        InputDataConfig={"S3Uri": "s3://acme-bucket/in/", "ContentType": "text/plain"},
        OutputDataConfig={"S3Uri": "s3://acme-bucket/out/"},
        DataAccessRoleArn=role,
        SourceLanguageCode="en",
        TargetLanguageCodes=["es"],
    )
    for _ in range(600):
        props = translate.describe_text_translation_job(JobId=job["JobId"])["TextTranslationJobProperties"]
        if props["JobStatus"] not in ("SUBMITTED", "IN_PROGRESS"):
            break
        time.sleep(0.05)
    assert props["JobStatus"] == "COMPLETED", props.get("Message")
