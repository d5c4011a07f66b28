"""What lifecycle sees under a lake URI: each object as a ``LakeObject`` keyed relative to the URI.

Keys are relative to the URI given, as an S3 key is relative to its bucket, so a rule's prefix selects
the same objects on disk and on S3. On local disk an object's class comes from the metadata DB; an object
moved to a tier folder (``SLUICE_TIER_ROOTS``) is still listed under the key it was written with.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from lifecycle.planner import LakeObject, MultipartUpload
from lifecycle.state import LOCAL_ROOT, State, home_of, load_states, tier_folders
from sluice.context import SluiceContext
from sluice.errors import InvalidInputException
from sluice.lake.paths import is_s3, split_s3


class Found(NamedTuple):
    """One listed object: the planner's view, and where its bytes are now."""

    obj: LakeObject
    location: str
    modified: float
    etag: str | None
    state: State | None


class Listing(ABC):
    """The objects under one URI; ``root`` + ``base`` + a key relative to the URI is an object's identity."""

    def __init__(
        self, uri: str, root: str, base: str, *, versioned: bool = False, ctx: SluiceContext | None = None
    ) -> None:
        self.uri = uri
        self.ctx = SluiceContext.resolve(ctx)
        self.root = root
        self.base = base
        self.versioned = versioned
        #: Prefixes whose objects' tags are fetched (only S3 objects have tags).
        self.tag_prefixes: tuple[str, ...] = ()

    def identity(self, key: str) -> str:
        """The ``lifecycle_objects.key`` of the object at ``key`` (relative to the URI)."""
        return self.base + key

    @abstractmethod
    def folder_identity(self, location: str) -> str | None:
        """The identity of the folder a catalog ``location`` names where it was written; None on other storage."""

    @abstractmethod
    def found(self) -> Iterator[Found]:
        """Every object (every version, in a versioned bucket), a key's versions together."""

    def uploads(self) -> Iterator[MultipartUpload]:
        """Incomplete multipart uploads (local disk has none)."""
        return iter(())


class LocalListing(Listing):
    """A local folder, walked in key order; tier folders inside it are skipped, moved objects added."""

    def folder_identity(self, location: str) -> str | None:
        if "://" in location.removeprefix("file://"):
            return None
        return home_of(os.path.normpath(location.removeprefix("file://")), ctx=self.ctx)

    def found(self) -> Iterator[Found]:
        if not os.path.isdir(self.uri):
            raise InvalidInputException(f"{self.uri} is not a folder", hint="Give a lake folder or an s3:// URI.")
        states = load_states(self.root, self.base, ctx=self.ctx)
        tiers = tier_folders(ctx=self.ctx)
        cut = len(self.base)
        for dirpath, dirnames, filenames in os.walk(self.uri):
            dirnames[:] = sorted(d for d in dirnames if os.path.join(dirpath, d) not in tiers)
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                try:
                    st = os.stat(path)
                except FileNotFoundError:
                    continue
                state = states.pop(path, None)
                if state is not None and (state.location != path or state.modified != st.st_mtime):
                    state = None  # written again since: a new object
                yield _local(path[cut:], st.st_size, st.st_mtime, path, state)
        for home, state in states.items():
            if state.location == home:
                continue  # deleted outside Sluice
            try:
                st = os.stat(state.location)
            except FileNotFoundError:
                continue
            yield _local(home[cut:], st.st_size, st.st_mtime, state.location, state)


def _local(key: str, size: int, mtime: float, location: str, state: State | None) -> Found:
    created = state.created_on if state and state.created_on else datetime.fromtimestamp(mtime, UTC)
    obj = LakeObject(
        key,
        size,
        created,
        state.storage_class if state else "STANDARD",
        storage_class_since=state.class_since if state else None,
    )
    return Found(obj, location, mtime, None, state)


class S3Listing(Listing):
    """A bucket prefix: ``list_objects_v2``, or ``list_object_versions`` when versioning is on."""

    def __init__(self, uri: str, *, ctx: SluiceContext | None = None) -> None:
        ctx = SluiceContext.resolve(ctx)
        bucket, prefix = split_s3(uri)
        self.bucket = bucket
        self.client = ctx.s3_client()
        status = self.client.get_bucket_versioning(Bucket=bucket).get("Status")
        root, base = f"s3://{bucket}/", prefix + "/" if prefix else ""
        super().__init__(uri, root, base, versioned=status is not None, ctx=ctx)

    def folder_identity(self, location: str) -> str | None:
        if not is_s3(location):
            return None
        bucket, key = split_s3(location)
        return key.rstrip("/") if bucket == self.bucket else None

    def found(self) -> Iterator[Found]:
        states = load_states(self.root, self.base, ctx=self.ctx)
        if not self.versioned:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.base):
                for item in page.get("Contents", []):
                    yield self._found(item, states)
            return
        for page in self.client.get_paginator("list_object_versions").paginate(Bucket=self.bucket, Prefix=self.base):
            markers = [{**m, "Size": 0, "DeleteMarker": True} for m in page.get("DeleteMarkers", [])]
            items = page.get("Versions", []) + markers
            for item in sorted(items, key=lambda i: i["Key"]):
                yield self._found(item, states)

    def _found(self, item: dict[str, Any], states: dict[str, State]) -> Found:
        key = item["Key"]
        modified = item["LastModified"].timestamp()
        state = states.get(key)
        if state is not None and state.modified != modified:
            state = None
        version = item.get("VersionId") if self.versioned else None
        tags = self._tags(key, version) if not item.get("DeleteMarker") else {}
        obj = LakeObject(
            key[len(self.base) :],
            item["Size"],
            state.created_on if state and state.created_on else item["LastModified"],
            item.get("StorageClass", "STANDARD"),
            tags,
            version,
            item.get("IsLatest", True),
            bool(item.get("DeleteMarker")),
            storage_class_since=state.class_since if state else None,
        )
        return Found(obj, f"{self.root}{key}", modified, item.get("ETag"), state)

    def _tags(self, key: str, version: str | None) -> dict[str, str]:
        relative = key[len(self.base) :]
        if not any(relative.startswith(p) for p in self.tag_prefixes):
            return {}
        extra = {"VersionId": version} if version else {}
        tagging = self.client.get_object_tagging(Bucket=self.bucket, Key=key, **extra)
        return {t["Key"]: t["Value"] for t in tagging.get("TagSet", [])}

    def uploads(self) -> Iterator[MultipartUpload]:
        paginator = self.client.get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.base):
            for item in page.get("Uploads", []):
                yield MultipartUpload(item["Key"][len(self.base) :], item["UploadId"], item["Initiated"])


def open_listing(uri: str, *, ctx: SluiceContext | None = None) -> Listing:
    """The listing of a resolved URI (see :func:`sluice.lake.paths.resolve`)."""
    if is_s3(uri):
        return S3Listing(uri, ctx=ctx)
    path = str(Path(uri))
    return LocalListing(path, LOCAL_ROOT, path.rstrip("/") + "/", ctx=ctx)
