"""One job, one truth: an Amazon job whose details files cannot be written (its output bucket vanished)
reads the same on both front doors, accepts a stop while it owes them, and fails visibly after a
bounded number of tries, keeping the documents it finished billed. Against a real `dragoman serve` and
moto's S3 server; the 2026 review saw IN_PROGRESS on one door, Succeeded on the other, and a stop
refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import httpx
import pytest
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError

from dragoman.domain.jobs import FINALIZE_ATTEMPTS
from tests.conftest import ENGLISH_PARAGRAPHS, wait_for
from tests.processes import environment, serving
from tests.s3server import s3_server

pytestmark = pytest.mark.slow

ACCESS_KEY, SECRET, AZURE_KEY = "AKIAOWEDOUTPUT000001", "owed-secret", "owed-azure-key"


@dataclass
class World:
    translate: BaseClient
    s3: BaseClient
    endpoint: str

    def azure_status(self, job_id: str) -> dict[str, object]:
        dashed = f"{job_id[:8]}-{job_id[8:12]}-{job_id[12:16]}-{job_id[16:20]}-{job_id[20:]}"
        url = f"{self.endpoint}/translator/document/batches/{dashed}?api-version=2024-05-01"
        response = httpx.get(url, headers={"Ocp-Apim-Subscription-Key": AZURE_KEY})
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        return body

    def amazon(self, job_id: str) -> dict[str, object]:
        return dict(self.translate.describe_text_translation_job(JobId=job_id)["TextTranslationJobProperties"])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("owed")
    with s3_server() as server:
        s3 = server.client
        tenants = {"owed": {"aws_keys": {ACCESS_KEY: SECRET}, "azure_keys": [AZURE_KEY]}}
        env = environment(
            root / "data",
            [root],
            DRAGOMAN_TENANTS=json.dumps(tenants),
            DRAGOMAN_RECOVERY_SECONDS="0.5",  # owed output is retried every half second: 12 tries take ~6 s
            **server.environment(),
        )
        with serving(env, root / "server.log") as url:
            translate = boto3.client(
                "translate", endpoint_url=url, region_name="us-east-1", aws_access_key_id=ACCESS_KEY,
                aws_secret_access_key=SECRET, config=Config(retries={"max_attempts": 1}),
            )  # fmt: skip
            yield World(translate, s3, url)


def remove_bucket(s3: BaseClient, bucket: str) -> None:
    """Empty and delete a bucket while a job may still be writing into it."""
    while True:
        for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=item["Key"])
        try:
            s3.delete_bucket(Bucket=bucket)
            return
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "BucketNotEmpty":
                raise


def test_a_job_whose_output_bucket_vanished_reads_the_same_everywhere_stops_and_fails_visibly(world: World) -> None:
    # Given a running job whose output bucket is deleted under it
    world.s3.create_bucket(Bucket="owed-in")
    world.s3.create_bucket(Bucket="owed-out")
    text = "\n\n".join(" ".join(ENGLISH_PARAGRAPHS) * 2 for _ in range(8)).encode()
    for number in range(12):
        world.s3.put_object(Bucket="owed-in", Key=f"in/doc{number:02}.txt", Body=text)
    job_id = world.translate.start_text_translation_job(
        InputDataConfig={"S3Uri": "s3://owed-in/in/", "ContentType": "text/plain"},
        OutputDataConfig={"S3Uri": "s3://owed-out/out/"},
        DataAccessRoleArn="arn:aws:iam::000000000000:role/Translate",
        SourceLanguageCode="en",
        TargetLanguageCodes=["es"],
    )["JobId"]
    remove_bucket(world.s3, "owed-out")

    # When every document is done but the details files cannot be written
    def documents_done() -> bool:
        summary = world.azure_status(job_id)["summary"]
        assert isinstance(summary, dict)
        return summary["inProgress"] == 0 and summary["notYetStarted"] == 0

    wait_for(documents_done, timeout=120)
    amazon, azure = world.amazon(job_id), world.azure_status(job_id)
    if amazon["JobStatus"] != "FAILED":  # still owed (it is, unless this machine was slower than 12 tries)
        # Then both doors say it has not ended, and a stop is accepted (it loses the race: nothing pending)
        assert amazon["JobStatus"] == "IN_PROGRESS" and azure["status"] == "Running"
        stopped = world.translate.stop_text_translation_job(JobId=job_id)
        assert stopped["JobStatus"] in ("STOP_REQUESTED", "FAILED")
    # And after a bounded number of tries the job fails, on both doors, saying why
    wait_for(lambda: world.amazon(job_id)["JobStatus"] == "FAILED", timeout=60 + FINALIZE_ATTEMPTS)
    amazon, azure = world.amazon(job_id), world.azure_status(job_id)
    assert azure["status"] == "Failed" and "EndTime" in amazon
    assert "end-of-job output could not be written" in str(amazon.get("Message"))
    error = azure.get("error")
    assert isinstance(error, dict) and error["innerError"]["code"] == "OutputWriteFailed"
    # a stop of the failed job is refused, as for any ended job
    with pytest.raises(ClientError) as refused:
        world.translate.stop_text_translation_job(JobId=job_id)
    assert refused.value.response["Error"]["Code"] == "InvalidRequestException"
