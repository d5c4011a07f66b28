"""Carry out one planned action through the lake's object operations. Each is idempotent, so a resumed
apply may repeat it.

An object is acted on only while it is still the object that was planned (same size, modification time,
ETag and version); one written again since is left alone and the action fails.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lifecycle.journal import APPLIED, Outcome, Step
from lifecycle.listing import Listing
from lifecycle.planner import (
    ABORT_MULTIPART,
    DELETE_MARKER,
    EXPIRE,
    EXPIRE_NONCURRENT,
    REMOVE_EXPIRED_DELETE_MARKER,
    TRANSITION,
    TRANSITION_NONCURRENT,
)
from lifecycle.state import tier_folders, tier_location
from sluice.errors import SluiceError
from sluice.lake import objects


class ActionRefused(SluiceError):
    """The action was not carried out; the object is as it was."""


def _changed(where: str) -> ActionRefused:
    return ActionRefused(
        f"{where} changed or disappeared since it was planned; it was left alone",
        hint="Plan again to see what the rules do to it now.",
    )


def _planned(version: objects.Version, before: dict[str, Any]) -> bool:
    """Whether ``version`` is the object as it was planned."""
    return (
        version.size == before["Size"]
        and version.mtime == before["Modified"]
        and version.etag == before.get("ETag")
        and version.version_id == before.get("VersionId")
    )


def _in_class(version: objects.Version, before: dict[str, Any], storage_class: str) -> bool:
    """Whether ``version`` holds the planned bytes in ``storage_class``: moved as they were (a local tier
    move keeps the modification time), or copied into the class (the ETag stays, the time is the copy's)."""
    same_bytes = version.size == before["Size"] and version.etag == before.get("ETag")
    if version.storage_class is None:
        return same_bytes and version.mtime == before["Modified"]
    return same_bytes and version.storage_class == storage_class


class Executor:
    """Transitions change an object's class (a tier-folder move on local disk), expirations delete it."""

    def __init__(self, listing: Listing) -> None:
        self.listing = listing
        self.ctx = listing.ctx
        #: Emptied folders are removed up to these (the listed URI, the tier folders).
        self.stops = {listing.uri, *tier_folders(ctx=listing.ctx)}

    def execute(self, step: Step, now: datetime) -> Outcome:
        """Carry out any planned action; the storage's refusals come back as SluiceErrors."""
        kind, before = step.action.action, step.before
        key = self.listing.identity(step.action.key)
        where = self.listing.location(key)
        version = before.get("VersionId")
        if kind == TRANSITION:
            return self._transition(step, key, now)
        if kind == TRANSITION_NONCURRENT:
            raise ActionRefused(
                f"S3 has no request that changes the class of a noncurrent version ({where})", hint=self._push_hint()
            )
        if kind == EXPIRE:
            source = before["Location"]
            current = objects.head(source, ctx=self.ctx)
            if current is not None:
                if not _planned(current, before):
                    raise _changed(where)
                objects.delete(source, ctx=self.ctx)
                objects.prune(source.rpartition("/")[0], stops=self.stops)
            return Outcome(APPLIED, {"Deleted": True}, forget=(self.listing.root, key))
        if kind == DELETE_MARKER:
            current = objects.head(where, ctx=self.ctx)
            if current is None:
                return Outcome(APPLIED, {"DeleteMarker": True}, forget=(self.listing.root, key))
            if current.version_id != version:
                raise _changed(where)
            marker = objects.delete(where, ctx=self.ctx)
            return Outcome(APPLIED, {"DeleteMarker": True, "VersionId": marker}, forget=(self.listing.root, key))
        if kind in (EXPIRE_NONCURRENT, REMOVE_EXPIRED_DELETE_MARKER):
            objects.delete(where, version_id=version, ctx=self.ctx)
            return Outcome(APPLIED, {"Deleted": True, "VersionId": version})
        if kind == ABORT_MULTIPART:
            upload_id = step.action.upload_id or ""
            objects.abort_upload(where, upload_id, ctx=self.ctx)
            return Outcome(APPLIED, {"Aborted": True, "UploadId": upload_id})
        raise ActionRefused(f"unknown lifecycle action {kind}")

    def _transition(self, step: Step, key: str, now: datetime) -> Outcome:
        """Change the class, unless an earlier attempt did; an old version the copy replaced is deleted."""
        before, target = step.before, step.action.storage_class or ""
        source, version, home = before["Location"], before.get("VersionId"), self.listing.location(key)
        dest = tier_location(home, target, ctx=self.ctx)
        current = objects.head(source, ctx=self.ctx)
        done = current if dest == source else objects.head(dest, ctx=self.ctx)
        if done is not None and _in_class(done, before, target):
            now_at = done  # an earlier attempt did it (a copy in the same second keeps the time: check first)
        elif current is not None and _planned(current, before):
            try:
                now_at = objects.change_class(current, target, to=dest, ctx=self.ctx)
            except objects.CopyTooLargeError as exc:
                raise ActionRefused(exc.message, hint=self._push_hint()) from exc
            except objects.ObjectArchivedError as exc:
                raise ActionRefused(
                    f"{source} is archived in {before['StorageClass']}: S3 copies it only once restored",
                    hint=self._push_hint(),
                ) from exc
            if now_at.uri != source:
                objects.prune(source.rpartition("/")[0], stops=self.stops)
        else:
            raise _changed(home)
        if version:
            objects.delete(source, version_id=version, ctx=self.ctx)
        state = {
            "root": self.listing.root,
            "key": key,
            "storage_class": target,
            "location": now_at.uri,
            "modified": now_at.mtime,
            "created_on": datetime.fromisoformat(before["Created"]),
            "class_since": now,
            "restored_until": None,
        }
        return Outcome(APPLIED, _after(now_at, target), state)

    def _push_hint(self) -> str:
        return f"Let S3 do it natively: `sluice lifecycle push --config CONFIG {self.listing.root.rstrip('/')}`."


def _after(now_at: objects.Version, storage_class: str) -> dict[str, Any]:
    """The journal's ``after`` of a transition: where the bytes now are (local disk, which records no class),
    or the version the class change wrote (its modification time, and its id in a versioned bucket)."""
    if now_at.storage_class is None:
        return {"StorageClass": storage_class, "Location": now_at.uri}
    after = {"StorageClass": storage_class, "LastModified": now_at.last_modified.isoformat()}
    if now_at.version_id:
        after["VersionId"] = now_at.version_id
    return after
