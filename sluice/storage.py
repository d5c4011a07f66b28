"""Lake storage: one listing and reading interface over local folders and S3 (boto3)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sluice.settings import get_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """One object (file) in the lake: ``key`` is relative to the root that was listed."""

    key: str
    size: int
    mtime: float
    uri: str
    storage_class: str = "STANDARD"

    @property
    def modified(self) -> datetime:
        return datetime.fromtimestamp(self.mtime, UTC)


def is_s3(uri: str) -> bool:
    """True for ``s3://`` and ``s3a://`` URIs."""
    return uri.startswith(("s3://", "s3a://"))


def split_s3(uri: str) -> tuple[str, str]:
    """``s3://bucket/a/b`` → ``("bucket", "a/b")``."""
    rest = uri.split("://", 1)[1]
    bucket, _, key = rest.partition("/")
    return bucket, key


def join(root: str, *parts: str) -> str:
    """Join URI or path segments with single slashes."""
    out = root.rstrip("/")
    for part in parts:
        part = part.strip("/")
        if part:
            out = f"{out}/{part}"
    return out


@lru_cache(maxsize=8)
def _client(endpoint: str | None) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        config=Config(max_pool_connections=32, retries={"max_attempts": 3, "mode": "standard"}),
    )


def s3_client() -> Any:
    """The one S3 client factory: honours ``SLUICE_S3_ENDPOINT_URL``."""
    return _client(get_settings().s3_endpoint_url)


@dataclass(frozen=True)
class S3Access:
    """Where S3 is and who Sluice is there: what the S3A connector needs besides the jars."""

    endpoint_url: str | None
    region: str
    access_key: str | None
    secret_key: str | None
    session_token: str | None


def chain_access(endpoint_url: str | None) -> S3Access:
    """``endpoint_url`` with credentials and region from the standard AWS chain (env, profile, role)."""
    import boto3
    from botocore.exceptions import BotoCoreError

    session = boto3.Session()
    try:
        credentials = session.get_credentials()
        frozen = credentials.get_frozen_credentials() if credentials is not None else None
    except BotoCoreError as exc:  # e.g. a key id without its secret: S3 access fails later, with this reason
        log.warning("No usable AWS credentials for S3 (%s); S3A falls back to its own provider chain.", exc)
        frozen = None
    return S3Access(
        endpoint_url=endpoint_url,
        region=session.region_name or "us-east-1",
        access_key=frozen.access_key if frozen else None,
        secret_key=frozen.secret_key if frozen else None,
        session_token=frozen.token if frozen else None,
    )


def list_objects(root: str, *, markers: bool = False) -> Iterator[ObjectInfo]:
    """List every object below ``root`` (recursive), local or S3, paginated on S3.

    S3 folder markers (keys ending in ``/``, which S3A writes) are left out unless ``markers``.
    """
    if is_s3(root):
        bucket, prefix = split_s3(root)
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        paginator = s3_client().get_paginator("list_objects_v2")
        scheme = root.split("://", 1)[0]
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                key = item["Key"]
                if key.endswith("/") and not markers:
                    continue
                yield ObjectInfo(
                    key=key[len(prefix) :],
                    size=item["Size"],
                    mtime=item["LastModified"].timestamp(),
                    uri=f"{scheme}://{bucket}/{key}",
                    storage_class=item.get("StorageClass", "STANDARD"),
                )
        return
    base = Path(root)
    if base.is_file():
        st = base.stat()
        yield ObjectInfo(key=base.name, size=st.st_size, mtime=st.st_mtime, uri=str(base))
        return
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames.sort()
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            try:
                st = os.stat(full)
            except FileNotFoundError:
                continue
            yield ObjectInfo(
                key=os.path.relpath(full, base).replace(os.sep, "/"),
                size=st.st_size,
                mtime=st.st_mtime,
                uri=full,
            )


def list_uploads(root: str) -> list[tuple[str, str]]:
    """Incomplete multipart uploads below an S3 ``root``: ``(key relative to root, upload id)`` each."""
    bucket, prefix = split_s3(root)
    prefix = prefix.rstrip("/") + "/" if prefix else ""
    paginator = s3_client().get_paginator("list_multipart_uploads")
    return [
        (upload["Key"][len(prefix) :], upload["UploadId"])
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix)
        for upload in page.get("Uploads", [])
    ]


def abort_uploads(root: str) -> int:
    """Abort the incomplete multipart uploads below an S3 ``root`` (what a killed writer leaves); returns how many."""
    bucket, prefix = split_s3(root)
    uploads = list_uploads(root)
    for key, upload_id in uploads:
        s3_client().abort_multipart_upload(Bucket=bucket, Key=join(prefix, key), UploadId=upload_id)
    return len(uploads)


def read_range(uri: str, start: int, length: int = 0) -> bytes:
    """Read ``length`` bytes at ``start``, or the last ``-start`` bytes when ``start`` is negative.

    On S3 this is one ranged GET; the object is never downloaded whole.
    """
    if is_s3(uri):
        bucket, key = split_s3(uri)
        byte_range = f"bytes={start}" if start < 0 else f"bytes={start}-{start + length - 1}"
        return s3_client().get_object(Bucket=bucket, Key=key, Range=byte_range)["Body"].read()
    with open(uri, "rb") as handle:
        if start < 0:
            handle.seek(max(0, os.path.getsize(uri) + start))
            return handle.read()
        handle.seek(start)
        return handle.read(length)


def write_bytes(uri: str, data: bytes) -> None:
    """Write a whole object (creating local folders)."""
    if is_s3(uri):
        bucket, key = split_s3(uri)
        s3_client().put_object(Bucket=bucket, Key=key, Body=data)
        return
    path = Path(uri)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def to_spark_uri(uri: str) -> str:
    """Spark reads S3 through the s3a connector: rewrite ``s3://`` to ``s3a://``."""
    return "s3a://" + uri[len("s3://") :] if uri.startswith("s3://") else uri
