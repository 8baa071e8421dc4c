"""A real `dragoman serve` for the hardening tests, with what they watch: its process id (for its
resident memory) and a temporary-file folder of its own (TMPDIR), which must stay empty while
requests it refuses stream in."""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import boto3
from botocore.client import BaseClient
from botocore.config import Config

from tests.processes import environment, free_port, start_server

AZURE_KEY = "hardening-azure-key"
AWS_KEY, AWS_SECRET = "AKIAHARDENING0000001", "hardening-aws-secret"
REGION = "eu-west-1"


@dataclass
class Served:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    tmpdir: Path
    docs: Path

    def rss_bytes(self) -> int:
        """The server's resident memory now (VmRSS in /proc/<pid>/status)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS for the server process")

    def temporary_bytes(self) -> int:
        """Bytes in the server's temporary-file folder now."""
        return sum(path.stat().st_size for path in self.tmpdir.rglob("*") if path.is_file())

    def translate(self, region: str = REGION) -> BaseClient:
        """A boto3 Amazon Translate client for this server's tenant, signing for `region`, not retrying."""
        return boto3.client(
            "translate",
            endpoint_url=self.url,
            region_name=region,
            aws_access_key_id=AWS_KEY,
            aws_secret_access_key=AWS_SECRET,
            config=Config(retries={"max_attempts": 1}),
        )

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=30)


@contextmanager
def served(root: Path, **settings: str) -> Iterator[Served]:
    """`dragoman serve` with one tenant (Azure key AZURE_KEY, AWS key AWS_KEY signing for REGION)
    and the given DRAGOMAN_* settings, its own TMPDIR and documents folder under `root`."""
    tmpdir, docs = root / "server-tmp", root / "docs"
    tmpdir.mkdir(parents=True)
    docs.mkdir(parents=True)
    tenants = {"hardening": {"azure_keys": [AZURE_KEY], "aws_keys": {AWS_KEY: AWS_SECRET}}}
    env = environment(
        root / "data",
        [docs],
        2,
        DRAGOMAN_TENANTS=json.dumps(tenants),
        DRAGOMAN_AWS_REGIONS=json.dumps([REGION]),
        TMPDIR=str(tmpdir),
        **settings,
    )
    port = free_port()
    process = start_server(env, port, root / "server.log")
    try:
        yield Served(f"http://127.0.0.1:{port}", port, process, tmpdir, docs)
    finally:
        process.terminate()
        process.wait(30)
