"""The lake's URI rules (pure): where a path points, how locations compare, and which files are data."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from sluice.errors import InvalidInputException

if TYPE_CHECKING:
    from sluice.context import SluiceContext


def is_s3(uri: str) -> bool:
    """True for ``s3://`` and ``s3a://`` URIs."""
    return uri.startswith(("s3://", "s3a://"))


def is_object_store(uri: str) -> bool:
    """True when ``uri`` lives in an object store (S3): keys under a bucket, not a folder tree on disk.

    An object store lists a prefix with many requests (worth running in parallel), and a bucket holds its
    own lifecycle configuration; local disk has neither.
    """
    return is_s3(uri)


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


def to_spark_uri(uri: str) -> str:
    """Spark reads S3 through the s3a connector: rewrite ``s3://`` to ``s3a://``."""
    return "s3a://" + uri[len("s3://") :] if uri.startswith("s3://") else uri


def normalize(location: str) -> str:
    """A location as the lake compares locations: ``s3://bucket/key`` (no trailing slash), or an absolute local path.

    Unlike :func:`resolve`, a relative path is taken from the working directory, not the lake root.
    """
    if is_s3(location):
        bucket, key = split_s3(location)
        return join(f"s3://{bucket}", key)
    return os.path.normpath(os.path.abspath(location.removeprefix("file://")))


def resolve(path: str, *, ctx: SluiceContext | None = None) -> str:
    """The one resolver: a local path, or an ``s3://`` URI, to list, read or write.

    A ``file://`` prefix is dropped; a relative path is taken under the lake root (which may be
    ``s3://bucket/prefix``); local paths come back absolute and normalised (``os.path.normpath``: no
    trailing slash, ``.``/``..`` collapsed, symlinks kept); ``s3://`` and ``s3a://`` URIs come back as
    ``s3://bucket/key`` without a trailing slash, the key otherwise as given. Other schemes are refused.
    """
    path = path.removeprefix("file://")
    if "://" not in path and not os.path.isabs(path):
        from sluice.context import SluiceContext

        path = join(SluiceContext.resolve(ctx).settings.lake, path)
    if "://" in path and not is_s3(path):
        raise InvalidInputException(
            f"{path!r} is neither a local path nor an s3:// URI", hint="Give a path, or s3://bucket/prefix."
        )
    return normalize(path)


def is_hidden(relpath: str) -> bool:
    """Whether a listing skips this path, as Spark's file index does.

    A path is hidden when any segment starts with ``.``, or starts with ``_`` without holding
    ``=`` (``_SUCCESS``, ``_temporary/`` and ``_metadata`` are hidden; ``_col=1/`` is not), or ends
    with ``._COPYING_`` (a file being uploaded). S3 folder markers (``*_$folder$``) are hidden too.
    """
    for segment in relpath.strip("/").split("/"):
        if segment.startswith(".") or (segment.startswith("_") and "=" not in segment):
            return True
        if segment.endswith(("._COPYING_", "_$folder$")):
            return True
    return False
