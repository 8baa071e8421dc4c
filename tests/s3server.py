"""moto's standalone S3 server, started by the tests that need an S3 store, and the environment that
points `dragoman serve` at it."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import boto3
from botocore.client import BaseClient

from tests.processes import free_port

MOTO = str(Path(sys.executable).parent / "moto_server")


@dataclass
class S3Server:
    endpoint: str
    client: BaseClient  # an S3 client with the server's test credentials

    def environment(self) -> dict[str, str]:
        """The DRAGOMAN_* settings that make Dragoman use this server for s3:// locations."""
        return {
            "DRAGOMAN_S3_ENDPOINT_URL": self.endpoint,
            "DRAGOMAN_S3_ACCESS_KEY_ID": "testing",
            "DRAGOMAN_S3_SECRET_ACCESS_KEY": "testing",
        }


@contextmanager
def s3_server() -> Iterator[S3Server]:
    """A fresh moto S3 server on a free local port, answering before the block starts."""
    port = free_port()
    moto = subprocess.Popen(
        [MOTO, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        client = boto3.client(
            "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            try:
                client.list_buckets()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield S3Server(endpoint, client)
    finally:
        moto.terminate()
        moto.wait(30)
