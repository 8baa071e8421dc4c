"""A real `dragoman serve` for one Amazon tenant whose documents live in moto's standalone S3 server,
both started here, with boto3 clients to both: what the S3 batch-job tests drive."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import boto3
from botocore.client import BaseClient
from botocore.config import Config

from tests.processes import environment, serving
from tests.s3server import s3_server

ACCESS_KEY, SECRET, ACCOUNT = "AKIAS3TESTTENANT0001", "s3-tenant-secret", "123456789012"
ROLE = "arn:aws:iam::123456789012:role/TranslateBatch"
AZURE_KEY = "s3-tenant-azure-key"


@dataclass
class World:
    translate: BaseClient
    s3: BaseClient
    endpoint: str
    database: Path


@contextmanager
def serve_world(root: Path) -> Iterator[World]:
    """An S3 server and a Dragoman server for tenant "s3" (its keys above), until the block ends."""
    with s3_server() as server:
        s3 = server.client
        tenants = {"s3": {"aws_keys": {ACCESS_KEY: SECRET}, "aws_account": ACCOUNT, "azure_keys": [AZURE_KEY]}}
        env = environment(
            root / "data",
            [root],
            DRAGOMAN_TENANTS=json.dumps(tenants),
            **server.environment(),
        )
        with serving(env, root / "server.log") as url:
            translate = boto3.client(
                "translate", endpoint_url=url, region_name="us-east-1",
                aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET, config=Config(retries={"max_attempts": 1}),
            )  # fmt: skip
            yield World(translate, s3, url, root / "data" / "dragoman.db")


def start(
    world: World,
    bucket: str,
    token: str | None = None,
    targets: tuple[str, ...] = ("es",),
    *,
    content_type: str = "text/plain",
    source: str = "en",
    input_prefix: str = "in/",
    output_prefix: str = "out/",
) -> str:
    """Start a job over s3://bucket/<input_prefix> into s3://bucket/<output_prefix>; its JobId."""
    request = {
        "JobName": f"job-{bucket}",
        "InputDataConfig": {"S3Uri": f"s3://{bucket}/{input_prefix}", "ContentType": content_type},
        "OutputDataConfig": {"S3Uri": f"s3://{bucket}/{output_prefix}"},
        "DataAccessRoleArn": ROLE,
        "SourceLanguageCode": source,
        "TargetLanguageCodes": list(targets),
    }
    if token:
        request["ClientToken"] = token
    return str(world.translate.start_text_translation_job(**request)["JobId"])


def wait_done(world: World, job_id: str) -> dict[str, object]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        properties = world.translate.describe_text_translation_job(JobId=job_id)["TextTranslationJobProperties"]
        if properties["JobStatus"] not in ("SUBMITTED", "IN_PROGRESS", "STOP_REQUESTED"):
            return dict(properties)
        time.sleep(0.1)
    raise AssertionError("the job did not finish")
