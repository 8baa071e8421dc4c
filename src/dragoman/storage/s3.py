"""S3 (or any S3-compatible store) addressed by `s3://bucket/key` URLs, through boto3.

The endpoint and credentials come from configuration, not from the caller: Amazon Translate's own
`DataAccessRoleArn` names a role we do not assume, so it is recorded and echoed, never used.
Publishing is one PutObject with `If-None-Match: *`: all or nothing, and never over an existing
object (stores that ignore the condition get a HEAD check first, which narrows the window).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import boto3
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from dragoman.errors import AccessDenied, DocumentError, SourceMissing, TargetAccessDenied, TargetExists
from dragoman.storage.base import Storage, media_type
from dragoman.storage.failures import unreachable

__all__ = ["S3Storage"]

log = logging.getLogger("dragoman.storage")

_S3_URL = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:/(?P<key>.*))?$", re.DOTALL)


class S3Storage(Storage):
    def __init__(
        self,
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        max_document_bytes: int = 50 * 1024 * 1024,
        buckets: Iterable[str] | None = None,
    ) -> None:
        """`buckets`: the only buckets that may be used (None: any the credentials reach)."""
        self.max_document_bytes = max_document_bytes
        self.buckets = None if buckets is None else frozenset(buckets)
        self._client: BaseClient = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=3, read_timeout=15),
        )

    def handles(self, url: str) -> bool:
        return urlsplit(url).scheme == "s3"

    def _split(self, url: str) -> tuple[str, str]:
        """(bucket, key). Raises AccessDenied for a malformed location or a bucket outside the scope."""
        match = _S3_URL.match(url)
        if match is None or any(ord(char) < 0x20 or char == "\x7f" for char in url):
            raise AccessDenied(f"{url[:200]!r} is not an s3://bucket/key location (bucket names: 3-63 of a-z 0-9 . -)")
        bucket, key = match["bucket"], match["key"] or ""
        if self.buckets is not None and bucket not in self.buckets:
            raise AccessDenied(f"access to the bucket {bucket!r} is not allowed (see the tenant's s3 buckets setting)")
        if len(key.encode()) > 1024:
            raise AccessDenied(f"s3://{bucket}/{key[:100]}...: an object key is at most 1024 bytes")
        return bucket, key

    def canonical(self, url: str) -> str:
        bucket, key = self._split(url)
        return f"s3://{bucket}/{key}"

    def digest(self, url: str) -> str | None:
        bucket, key = self._split(url)
        sha = hashlib.sha256()
        with _mapped(url, source=True):
            try:
                body = self._client.get_object(Bucket=bucket, Key=key)["Body"]
            except ClientError as exc:
                if _code(exc) in ("404", "NoSuchKey", "NotFound"):
                    return None
                raise
            for chunk in body.iter_chunks(1 << 20):
                sha.update(chunk)
        return sha.hexdigest()

    def child(self, folder_url: str, name: str) -> str:
        bucket, prefix = self._split(folder_url)
        if name.startswith("/") or ".." in name.split("/"):
            raise AccessDenied(f"{name!r} is not a relative document name")
        base = prefix.rstrip("/") + "/" if prefix else ""
        return f"s3://{bucket}/{base}{name}"

    def list_named(self, url: str) -> list[tuple[str, str]]:
        bucket, prefix = self._split(url)
        base = prefix.rstrip("/") + "/" if prefix else ""
        named: list[tuple[str, str]] = []
        with _mapped(url, source=True):
            for page in self._client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=base):
                for item in page.get("Contents", []):
                    key = item["Key"]
                    if not key.endswith("/"):
                        named.append((f"s3://{bucket}/{key}", key[len(base) :]))
        return sorted(named, key=lambda pair: pair[1])

    def list_documents(self, url: str) -> list[str]:
        return [document for document, _ in self.list_named(url)]

    def read(self, url: str) -> bytes:
        bucket, key = self._split(url)
        with _mapped(url, source=True):
            head = self._client.head_object(Bucket=bucket, Key=key)
            if head["ContentLength"] > self.max_document_bytes:
                raise DocumentError(f"{url} is larger than the {self.max_document_bytes} byte limit")
            data: bytes = self._client.get_object(Bucket=bucket, Key=key)["Body"].read()
            return data

    def check_source(self, url: str) -> None:
        bucket, key = self._split(url)
        with _mapped(url, source=True):
            self._client.head_object(Bucket=bucket, Key=key)

    def check_target(self, url: str) -> None:
        bucket, key = self._split(url)
        if self._exists(url, bucket, key):
            raise TargetExists(f"{url} already exists; Dragoman never overwrites a document")

    def _exists(self, url: str, bucket: str, key: str) -> bool:
        try:
            self._client.head_object(Bucket=bucket, Key=key)
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise TargetAccessDenied(f"{url} cannot be checked: {_code(exc)}") from None
        except BotoCoreError as exc:
            raise TargetAccessDenied(f"{url} cannot be checked: {unreachable(exc)}") from None

    def publish(self, url: str, data: bytes, content_type: str | None = None) -> None:
        bucket, key = self._split(url)
        if self._exists(url, bucket, key):
            raise TargetExists(f"{url} already exists; Dragoman never overwrites a document")
        content_type = media_type(key, content_type)
        with _mapped(url, source=False):
            try:
                self._client.put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type, IfNoneMatch="*")
            except ClientError as exc:
                if _code(exc) in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                    raise TargetExists(f"{url} already exists; Dragoman never overwrites a document") from None
                raise

    def discard_partials(self, url: str) -> None:
        """Nothing to do: a PutObject that did not complete leaves no object."""


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "Unknown"))


@contextmanager
def _mapped(url: str, *, source: bool) -> Iterator[None]:
    denied = AccessDenied if source else TargetAccessDenied
    try:
        yield
    except ClientError as exc:
        code = _code(exc)
        if source and code in ("404", "NoSuchKey", "NotFound"):
            raise SourceMissing(f"{url} does not exist") from None
        if code in ("NoSuchBucket",):
            raise denied(f"the bucket of {url} does not exist") from None
        raise denied(f"{url} cannot be accessed: {code}") from None
    except BotoCoreError as exc:
        log.warning("storage call failed: %r", exc)
        raise denied(f"{url} cannot be used: {unreachable(exc)}") from None
