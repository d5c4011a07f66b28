"""Staging and publish primitives: move, delete and clear staged objects, in parallel on S3.

On S3 a move is pyarrow's ``copy_file`` (one server-side ``CopyObject``; 200 objects on moto in 16
threads: 0.72 s, against 1.40 s for boto3's managed copy) followed by a batched delete. Deletes go through
``ctx.s3_client()``'s ``DeleteObjects``, up to 1,000 keys a request: pyarrow deletes one key a request
and writes a folder marker for the parent it empties. Incomplete multipart uploads, which pyarrow cannot
list, are listed and aborted with boto3 too. On local disk moves are renames, in order.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from sluice.lake.fs import context, list_objects, s3_filesystem
from sluice.lake.objects import MAX_COPY, abort_upload, uploads
from sluice.lake.paths import is_s3, join, split_s3

if TYPE_CHECKING:
    from sluice.context import SluiceContext

PUBLISH_THREADS = 16
"""Concurrent copies on S3 (each object is one request)."""
_DELETE_BATCH = 1000
_T = TypeVar("_T")


def _parallel(action: Callable[[_T], None], items: Sequence[_T]) -> None:
    with ThreadPoolExecutor(PUBLISH_THREADS) as pool:
        for _ in pool.map(action, items):
            pass


def move(pairs: Iterable[tuple[str, str]], *, ctx: SluiceContext | None = None) -> None:
    """Move each ``(source, target)``; a source already gone was moved before (so repeating is safe)."""
    pairs = list(pairs)
    if not pairs:
        return
    if not is_s3(pairs[0][0]):
        for source, target in pairs:
            if os.path.exists(source):
                Path(target).parent.mkdir(parents=True, exist_ok=True)
                os.replace(source, target)
        return
    ctx = context(ctx)
    copied: list[str] = []

    def copy(pair: tuple[str, str]) -> None:
        if _copy_s3(*pair, ctx=ctx):
            copied.append(pair[0])

    _parallel(copy, pairs)
    delete(copied, ctx=ctx)


def _copy_s3(source: str, target: str, *, ctx: SluiceContext) -> bool:
    """One server-side copy; False when ``source`` is gone."""
    fs = s3_filesystem(ctx)
    src_bucket, src_key = split_s3(source)
    dst_bucket, dst_key = split_s3(target)
    try:
        fs.copy_file(f"{src_bucket}/{src_key}", f"{dst_bucket}/{dst_key}")
    except FileNotFoundError:
        return False
    except OSError:  # past MAX_COPY one CopyObject is refused: the managed copy goes multipart
        head = _head(ctx, src_bucket, src_key)
        if head is None:
            return False
        if head["ContentLength"] <= MAX_COPY:
            raise
        ctx.s3_client().copy({"Bucket": src_bucket, "Key": src_key}, dst_bucket, dst_key)
    return True


def _head(ctx: SluiceContext, bucket: str, key: str) -> dict[str, int] | None:
    from botocore.exceptions import ClientError

    try:
        return ctx.s3_client().head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("404", "NoSuchKey"):
            return None
        raise


def delete(uris: Iterable[str], *, ctx: SluiceContext | None = None) -> None:
    """Delete each object (S3 keys ending in ``/`` are folder markers); missing ones are skipped."""
    uris = list(uris)
    if not uris:
        return
    if not is_s3(uris[0]):
        for path in uris:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
        return
    client = context(ctx).s3_client()
    by_bucket: dict[str, list[str]] = {}
    for uri in uris:
        bucket, key = split_s3(uri)
        by_bucket.setdefault(bucket, []).append(key)
    for bucket, keys in by_bucket.items():
        for i in range(0, len(keys), _DELETE_BATCH):
            batch = [{"Key": key} for key in keys[i : i + _DELETE_BATCH]]
            errors = client.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True}).get("Errors")
            if errors:
                first = errors[0]
                raise OSError(f"s3://{bucket}/{first['Key']}: {first['Code']}: {first['Message']}")


def list_uploads(root: str, *, ctx: SluiceContext | None = None) -> list[tuple[str, str]]:
    """Incomplete multipart uploads below ``root``: ``(key relative to root, upload id)`` each."""
    return [(upload.key, upload.upload_id) for upload in uploads(root, ctx=ctx)]


def abort_uploads(root: str, *, ctx: SluiceContext | None = None) -> int:
    """Abort the incomplete multipart uploads below ``root`` (what a killed writer leaves); returns how many."""
    found = list_uploads(root, ctx=ctx)
    for key, upload_id in found:
        abort_upload(join(root, key), upload_id, ctx=ctx)
    return len(found)


def remove_tree(root: str, *, ctx: SluiceContext | None = None) -> None:
    """Remove everything under ``root``: on S3 its objects, S3A folder markers and incomplete uploads."""
    if not is_s3(root):
        shutil.rmtree(root, ignore_errors=True)
        return
    ctx = context(ctx)
    delete([o.uri for o in list_objects(root, markers=True, ctx=ctx)], ctx=ctx)
    abort_uploads(root, ctx=ctx)


def remove_folder(folder: str, *, ctx: SluiceContext | None = None) -> None:
    """Remove an emptied folder: the S3A marker S3 may hold for it, or the local directory if empty."""
    if is_s3(folder):
        delete([folder.rstrip("/") + "/"], ctx=ctx)
        return
    with contextlib.suppress(OSError):
        os.rmdir(folder)


def children(root: str, *, ctx: SluiceContext | None = None) -> set[str]:
    """The names directly under ``root`` (on S3, also those holding only incomplete uploads)."""
    if not is_s3(root):
        return set(os.listdir(root)) if os.path.isdir(root) else set()
    found = {o.key.split("/", 1)[0] for o in list_objects(root, ctx=ctx)}
    return found | {key.split("/", 1)[0] for key, _ in list_uploads(root, ctx=ctx)}
