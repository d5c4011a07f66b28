"""The lake's path rules, shared by every layer: where a path points, and which files are data.

Core layer: imports only ``sluice.settings``, ``sluice.storage``, ``sluice.errors`` and the standard library.
"""

from __future__ import annotations

import os

from sluice import storage
from sluice.errors import InvalidInputException
from sluice.settings import get_settings
from sluice.storage import ObjectInfo


def resolve(path: str) -> str:
    """The one resolver: a local path, or an ``s3://`` URI, to list, read or write.

    A ``file://`` prefix is dropped; a relative path is taken under the lake root (which may be
    ``s3://bucket/prefix``); local paths come back absolute and normalised (``os.path.normpath``: no
    trailing slash, ``.``/``..`` collapsed, symlinks kept); ``s3://`` and ``s3a://`` URIs come back as
    ``s3://bucket/key`` without a trailing slash, the key otherwise as given. Other schemes are refused.
    """
    path = path.removeprefix("file://")
    if "://" not in path and not os.path.isabs(path):
        path = storage.join(get_settings().lake, path)
    if storage.is_s3(path):
        bucket, key = storage.split_s3(path)
        return storage.join(f"s3://{bucket}", key)
    if "://" in path:
        raise InvalidInputException(
            f"{path!r} is neither a local path nor an s3:// URI", hint="Give a path, or s3://bucket/prefix."
        )
    return os.path.normpath(path)


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


def list_visible(root: str) -> list[ObjectInfo]:
    """The data files under ``root`` (a resolved path or URI), hidden files skipped as Spark skips them."""
    return [o for o in storage.list_objects(root) if not is_hidden(o.key)]
