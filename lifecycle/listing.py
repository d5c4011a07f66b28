"""What lifecycle sees under a lake URI: each object as a ``LakeObject`` keyed relative to the URI.

Keys are relative to the URI given, as an S3 key is relative to its bucket, so a rule's prefix selects
the same objects on disk and on S3. The objects come from the lake (:mod:`sluice.lake.objects`); an
object's recorded state applies while it is the object the row was written for. On local disk, which
records no class, the class comes from that row; an object moved to a tier folder (``SLUICE_TIER_ROOTS``)
is still listed under the key it was written with.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from lifecycle.planner import LakeObject, MultipartUpload
from lifecycle.state import State, home_of, load_states, tier_folders
from sluice.context import SluiceContext
from sluice.lake import objects
from sluice.lake.paths import normalize


class Found(NamedTuple):
    """One listed object: the planner's view, and where its bytes are now."""

    obj: LakeObject
    location: str
    modified: float
    etag: str | None
    state: State | None


class Listing:
    """The objects under one URI; ``root`` + ``base`` + a key relative to the URI is an object's identity."""

    def __init__(
        self, uri: str, root: str, base: str, *, versioned: bool = False, ctx: SluiceContext | None = None
    ) -> None:
        self.uri = uri
        self.ctx = SluiceContext.resolve(ctx)
        self.root = root
        self.base = base
        self.versioned = versioned
        #: Prefixes whose objects' tags are fetched.
        self.tag_prefixes: tuple[str, ...] = ()

    def identity(self, key: str) -> str:
        """The ``lifecycle_objects.key`` of the object at ``key`` (relative to the URI)."""
        return self.base + key

    def location(self, identity: str) -> str:
        """Where the object ``identity`` was written."""
        return objects.location(self.root, identity)

    def folder_identity(self, location: str) -> str | None:
        """The identity of the folder a catalog ``location`` names where it was written; None on other storage."""
        root, key = objects.identity(home_of(normalize(location), ctx=self.ctx))
        return key.rstrip("/") if root == self.root else None

    def found(self) -> Iterator[Found]:
        """Every object (every version, in a versioned bucket), a key's versions together."""
        states = load_states(self.root, self.base, ctx=self.ctx)
        listed: set[str] = set()
        skip = tier_folders(ctx=self.ctx)
        for version in objects.list_versions(self.uri, versions=self.versioned, skip=skip, ctx=self.ctx):
            key = objects.identity(version.uri)[1]
            listed.add(key)
            state = states.get(key)
            if state is not None and (state.location != version.uri or state.modified != version.mtime):
                state = None  # written again since: a new object
            yield self._found(key, version, state)
        for key, state in states.items():
            if key in listed or state.location == self.location(key):
                continue  # listed, or deleted outside Sluice
            moved = objects.head(state.location, ctx=self.ctx)
            if moved is not None:
                yield self._found(key, moved, state)

    def _found(self, key: str, version: objects.Version, state: State | None) -> Found:
        relative = key[len(self.base) :]
        tagged = not version.delete_marker and any(relative.startswith(p) for p in self.tag_prefixes)
        obj = LakeObject(
            relative,
            version.size,
            state.created_on if state and state.created_on else version.last_modified,
            version.storage_class or (state.storage_class if state else "STANDARD"),
            objects.tags(version.uri, version.version_id, ctx=self.ctx) if tagged else {},
            version.version_id,
            version.is_latest,
            version.delete_marker,
            storage_class_since=state.class_since if state else None,
        )
        return Found(obj, version.uri, version.mtime, version.etag, state)

    def uploads(self) -> Iterator[MultipartUpload]:
        """Incomplete multipart uploads."""
        for upload in objects.uploads(self.uri, ctx=self.ctx):
            yield MultipartUpload(upload.key, upload.upload_id, upload.initiated)


def open_listing(uri: str, *, ctx: SluiceContext | None = None) -> Listing:
    """The listing of a resolved URI (see :func:`sluice.lake.paths.resolve`)."""
    ctx = SluiceContext.resolve(ctx)
    root, key = objects.identity(uri)
    base = f"{key.rstrip('/')}/" if key else ""
    return Listing(uri, root, base, versioned=objects.versioned(uri, ctx=ctx), ctx=ctx)
