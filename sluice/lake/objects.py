"""Object operations on the lake's objects: versions, tags, storage classes, restores, deletes and uploads.

Each operation takes a URI (a resolved local path or ``s3://`` URI; :func:`change_class` the ``Version``
that holds one) and a context, and knows local disk from S3 itself. An object is known by its identity
(:func:`identity`), the ``(root, key)`` of ``lifecycle_objects``. On S3 these are boto3 requests through
``ctx.s3_client()`` (pyarrow sees no versions, tags, classes or uploads); S3 errors come back as
:class:`StorageError`. Local disk keeps one version per object, no tags and no uploads, and records no
storage class: a class lives in the metadata DB, and a class with a tier folder keeps its bytes there
(:func:`change_class` moves them).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sluice.errors import InvalidInputException, SluiceError
from sluice.lake.fs import context, walk_files
from sluice.lake.paths import is_s3, split_s3

if TYPE_CHECKING:
    from sluice.context import SluiceContext

#: The identity root of local objects (their key is the absolute path they were written at).
LOCAL_ROOT = "file://"
#: The largest object one ``CopyObject`` copies; past it boto3's managed (multipart) copy takes over.
MAX_COPY = 5 * 1024**3
#: S3's answers to a copy of an archived (GLACIER, DEEP_ARCHIVE), unrestored object.
_ARCHIVED_CODES = frozenset({"ObjectNotInActiveTierError", "InvalidObjectState"})


class StorageError(SluiceError):
    """The storage refused a request on an object; the message is ``URI: code: message``."""


class ObjectArchivedError(StorageError):
    """The object is archived and not restored, so it cannot be copied into another class."""


class CopyTooLargeError(StorageError):
    """The object is larger than one ``CopyObject`` copies (5 GiB)."""


@dataclass(frozen=True, slots=True)
class Version:
    """One version of an object (on local disk, the file) as its storage reports it.

    ``mtime`` is the modification time as the storage gives it (``st_mtime``, ``LastModified``), and
    ``last_modified`` the same as a datetime. ``storage_class`` is None on local disk, which records none.
    """

    uri: str
    size: int
    mtime: float
    last_modified: datetime
    storage_class: str | None = None
    etag: str | None = None
    version_id: str | None = None
    is_latest: bool = True
    delete_marker: bool = False


@dataclass(frozen=True, slots=True)
class Upload:
    """An incomplete multipart upload; ``key`` is relative to the URI listed."""

    key: str
    upload_id: str
    initiated: datetime


def identity(uri: str) -> tuple[str, str]:
    """The ``(root, key)`` an object is known by: ``("s3://bucket/", key)``, or ``(LOCAL_ROOT, path)``."""
    if is_s3(uri):
        bucket, key = split_s3(uri)
        return f"s3://{bucket}/", key
    return LOCAL_ROOT, uri


def location(root: str, key: str) -> str:
    """The inverse of :func:`identity`: the URI of the object ``(root, key)``."""
    return key if root == LOCAL_ROOT else f"{root}{key}"


@contextlib.contextmanager
def _requests(uri: str) -> Iterator[None]:
    """Turn S3's ``ClientError`` into :class:`StorageError`."""
    from botocore.exceptions import ClientError

    try:
        yield
    except ClientError as exc:
        raise _error(uri, exc) from exc


def _error(uri: str, exc: Any) -> StorageError:
    return StorageError(f"{uri}: {_code(exc)}: {exc.response.get('Error', {}).get('Message')}")


def _code(exc: Any) -> str | None:
    return exc.response.get("Error", {}).get("Code")


def versioned(uri: str, *, ctx: SluiceContext | None = None) -> bool:
    """Whether the storage of ``uri`` keeps versions: an S3 bucket with versioning enabled or suspended."""
    if not is_s3(uri):
        return False
    bucket = split_s3(uri)[0]
    with _requests(uri):
        return context(ctx).s3_client().get_bucket_versioning(Bucket=bucket).get("Status") is not None


def _prefix(uri: str) -> tuple[str, str]:
    bucket, key = split_s3(uri)
    return bucket, f"{key.rstrip('/')}/" if key.strip("/") else ""


def list_versions(
    uri: str, *, versions: bool = False, skip: Collection[str] = (), ctx: SluiceContext | None = None
) -> Iterator[Version]:
    """Every object below the folder or prefix ``uri``, a key's versions together (with ``versions``, every
    version and delete marker of a versioned bucket).

    A local ``uri`` must be a folder; the folders in ``skip`` are not entered.
    """
    if not is_s3(uri):
        yield from _walk(uri, skip)
        return
    bucket, prefix = _prefix(uri)
    client = context(ctx).s3_client()
    with _requests(uri):
        if not versions:
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    yield _s3_version(bucket, item)
            return
        for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
            markers = [{**m, "Size": 0, "DeleteMarker": True} for m in page.get("DeleteMarkers", [])]
            for item in sorted(page.get("Versions", []) + markers, key=lambda i: i["Key"]):
                yield _s3_version(bucket, item)


def _s3_version(bucket: str, item: dict[str, Any]) -> Version:
    modified = item["LastModified"]
    return Version(
        f"s3://{bucket}/{item['Key']}",
        item["Size"],
        modified.timestamp(),
        modified,
        item.get("StorageClass", "STANDARD"),
        item.get("ETag"),
        item.get("VersionId"),
        item.get("IsLatest", True),
        bool(item.get("DeleteMarker")),
    )


def _local_version(path: str, st: os.stat_result) -> Version:
    return Version(path, st.st_size, st.st_mtime, datetime.fromtimestamp(st.st_mtime, UTC))


def _walk(folder: str, skip: Collection[str]) -> Iterator[Version]:
    if not os.path.isdir(folder):
        raise InvalidInputException(f"{folder} is not a folder", hint="Give a lake folder or an s3:// URI.")
    for path, st in walk_files(folder, skip):
        yield _local_version(path, st)


def head(uri: str, *, ctx: SluiceContext | None = None) -> Version | None:
    """The object's current version, or None when there is none (on S3 also when it is a delete marker)."""
    if not is_s3(uri):
        try:
            return _local_version(uri, os.stat(uri))
        except FileNotFoundError:
            return None
    from botocore.exceptions import ClientError

    bucket, key = split_s3(uri)
    try:
        found = context(ctx).s3_client().head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") in (404, 405):
            return None
        raise _error(uri, exc) from exc
    modified = found["LastModified"]
    return Version(
        uri,
        found["ContentLength"],
        modified.timestamp(),
        modified,
        found.get("StorageClass", "STANDARD"),
        found.get("ETag"),
        found.get("VersionId"),
    )


def tags(uri: str, version_id: str | None = None, *, ctx: SluiceContext | None = None) -> dict[str, str]:
    """The object's tags (of ``version_id``, when given); local objects have none."""
    if not is_s3(uri):
        return {}
    bucket, key = split_s3(uri)
    extra = {"VersionId": version_id} if version_id else {}
    with _requests(uri):
        tagging = context(ctx).s3_client().get_object_tagging(Bucket=bucket, Key=key, **extra)
    return {t["Key"]: t["Value"] for t in tagging.get("TagSet", [])}


def change_class(
    version: Version, storage_class: str, *, to: str | None = None, ctx: SluiceContext | None = None
) -> Version:
    """Put ``version`` (as :func:`head` or :func:`list_versions` gave it) in ``storage_class``; returns the
    version that now holds its bytes.

    On S3 a ``CopyObject`` of the version onto its key with the new ``StorageClass`` and
    ``MetadataDirective=COPY``: a new version with a new ``LastModified`` (``to`` is not used). On local
    disk, where the class is recorded in the metadata DB, the bytes move to ``to`` (the class's tier
    folder) when it is another path, keeping their modification time.
    """
    uri = version.uri
    if not is_s3(uri):
        if not to or to == uri:
            return version
        _move(uri, to)
        moved = head(to)
        if moved is None:
            raise StorageError(f"{to}: NoSuchKey: the object moved here is gone")
        return moved
    if version.size > MAX_COPY:
        raise CopyTooLargeError(f"{uri} is larger than 5 GiB, beyond one copy_object")
    from botocore.exceptions import ClientError

    bucket, key = split_s3(uri)
    source = {"Bucket": bucket, "Key": key, **({"VersionId": version.version_id} if version.version_id else {})}
    try:
        copied = (
            context(ctx)
            .s3_client()
            .copy_object(
                Bucket=bucket, Key=key, CopySource=source, StorageClass=storage_class, MetadataDirective="COPY"
            )
        )
    except ClientError as exc:
        if _code(exc) in _ARCHIVED_CODES:
            raise ObjectArchivedError(f"{uri} is archived: S3 copies it only once restored") from exc
        raise _error(uri, exc) from exc
    result = copied["CopyObjectResult"]
    modified = result["LastModified"]
    return Version(
        uri,
        version.size,
        modified.timestamp(),
        modified,
        storage_class,
        result.get("ETag"),
        copied.get("VersionId"),
    )


def _move(source: str, dest: str) -> None:
    """Rename ``source`` to ``dest`` (folders created); across filesystems copy, then rename into place."""
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    try:
        os.replace(source, dest)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        partial = os.path.join(os.path.dirname(dest), f".{os.path.basename(dest)}.lifecycle")
        shutil.copy2(source, partial)
        os.replace(partial, dest)
        os.remove(source)


def prune(folder: str, *, stops: Collection[str]) -> None:
    """Remove local folders left empty, from ``folder`` up to one of ``stops`` (S3 has no folders to remove)."""
    if is_s3(folder):
        return
    while folder not in stops and folder != os.path.dirname(folder):
        try:
            os.rmdir(folder)
        except OSError:
            return
        folder = os.path.dirname(folder)


def delete(uri: str, *, version_id: str | None = None, ctx: SluiceContext | None = None) -> str | None:
    """Delete the object, or one version of it; returns the delete marker's version id, if S3 wrote one.

    In a versioned bucket deleting the object (no ``version_id``) writes a delete marker; deleting a
    version removes it for good. Local disk keeps no versions.
    """
    if not is_s3(uri):
        if version_id:
            raise StorageError(f"{uri}: local disk keeps no versions (version {version_id})")
        os.remove(uri)
        return None
    bucket, key = split_s3(uri)
    with _requests(uri):
        answer = (
            context(ctx)
            .s3_client()
            .delete_object(Bucket=bucket, Key=key, **({"VersionId": version_id} if version_id else {}))
        )
    return None if version_id else answer.get("VersionId")


def restore(uri: str, *, days: int, tier: str, ctx: SluiceContext | None = None) -> None:
    """Ask for a temporary copy of an archived object for ``days`` (S3's ``RestoreObject``, with ``tier``).

    On local disk the bytes stay readable in their tier folder: the restore is immediate, and the guard's
    row (written by the caller) records until when.
    """
    if not is_s3(uri):
        return
    bucket, key = split_s3(uri)
    request = {"Days": days, "GlacierJobParameters": {"Tier": tier}}
    with _requests(uri):
        context(ctx).s3_client().restore_object(Bucket=bucket, Key=key, RestoreRequest=request)


def uploads(uri: str, *, ctx: SluiceContext | None = None) -> Iterator[Upload]:
    """Incomplete multipart uploads below ``uri`` (local disk has none)."""
    if not is_s3(uri):
        return
    bucket, prefix = _prefix(uri)
    paginator = context(ctx).s3_client().get_paginator("list_multipart_uploads")
    with _requests(uri):
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Uploads", []):
                yield Upload(item["Key"][len(prefix) :], item["UploadId"], item["Initiated"])


def abort_upload(uri: str, upload_id: str, *, ctx: SluiceContext | None = None) -> None:
    """Abort the multipart upload ``upload_id`` of the object ``uri``; one already gone is fine."""
    if not is_s3(uri):
        raise StorageError(f"{uri}: local disk keeps no multipart uploads (upload {upload_id})")
    from botocore.exceptions import ClientError

    bucket, key = split_s3(uri)
    try:
        context(ctx).s3_client().abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
    except ClientError as exc:
        if _code(exc) != "NoSuchUpload":
            raise _error(uri, exc) from exc
