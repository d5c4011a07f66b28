"""Carry out one planned action on local disk or on S3. Each is idempotent, so a resumed apply may repeat it.

An object is acted on only while it is still the object that was planned (same size and modification
time, or ETag and version on S3); one written again since is left alone and the action fails.
"""

from __future__ import annotations

import errno
import os
import shutil
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
from lifecycle.state import LOCAL_ROOT, tier_folders, tier_location
from sluice.errors import SluiceError
from sluice.lake.paths import is_s3, split_s3

#: The largest object ``copy_object`` copies in one request.
MAX_COPY = 5 * 1024**3


class ActionRefused(SluiceError):
    """The action was not carried out; the object is as it was."""


def _changed(where: str) -> ActionRefused:
    return ActionRefused(
        f"{where} changed or disappeared since it was planned; it was left alone",
        hint="Plan again to see what the rules do to it now.",
    )


def _push_hint(bucket: str) -> str:
    return f"Let S3 do it natively: `sluice lifecycle push --config CONFIG s3://{bucket}`."


class LocalExecutor:
    """Local disk: the class is recorded in the metadata DB; tiered classes move the bytes to their folder."""

    def __init__(self, listing: Listing) -> None:
        self.listing = listing
        self.stops = {listing.uri, *tier_folders(ctx=listing.ctx)}

    def execute(self, step: Step, now: datetime) -> Outcome:
        """Carry out a TRANSITION or EXPIRE (local disk keeps no versions and no multipart uploads)."""
        home = self.listing.identity(step.action.key)
        if step.action.action == TRANSITION:
            return self._transition(step, home, now)
        if step.action.action == EXPIRE:
            return self._expire(step, home)
        raise ActionRefused(f"{step.action.action} has no local-disk meaning: local disk keeps no versions or uploads")

    def _transition(self, step: Step, home: str, now: datetime) -> Outcome:
        before, target = step.before, step.action.storage_class or ""
        source, dest = before["Location"], tier_location(home, target, ctx=self.listing.ctx)
        if _unchanged(source, before):
            if source != dest:
                self._move(source, dest)
        elif not _unchanged(dest, before):
            raise _changed(home)
        state = {
            "root": LOCAL_ROOT,
            "key": home,
            "storage_class": target,
            "location": dest,
            "modified": before["Modified"],
            "created_on": datetime.fromisoformat(before["Created"]),
            "class_since": now,
            "restored_until": None,
        }
        return Outcome(APPLIED, {"StorageClass": target, "Location": dest}, state)

    def _expire(self, step: Step, home: str) -> Outcome:
        source = step.before["Location"]
        if _unchanged(source, step.before):
            os.remove(source)
            self._prune(os.path.dirname(source))
        elif os.path.exists(source):
            raise _changed(home)
        return Outcome(APPLIED, {"Deleted": True}, forget=(LOCAL_ROOT, home))

    def _move(self, source: str, dest: str) -> None:
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
        self._prune(os.path.dirname(source))

    def _prune(self, folder: str) -> None:
        """Remove folders left empty, up to the listed URI or the tier folder."""
        while folder not in self.stops and folder != os.path.dirname(folder):
            try:
                os.rmdir(folder)
            except OSError:
                return
            folder = os.path.dirname(folder)


def _unchanged(path: str, before: dict[str, Any]) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    return st.st_size == before["Size"] and st.st_mtime == before["Modified"]


class S3Executor:
    """S3: a transition is an in-place ``copy_object`` with the new class; expiration a delete or delete marker."""

    def __init__(self, listing: Listing) -> None:
        from botocore.exceptions import ClientError

        self.listing = listing
        self.bucket = split_s3(listing.uri)[0]
        self.client = listing.ctx.s3_client()
        self.client_error = ClientError

    def execute(self, step: Step, now: datetime) -> Outcome:
        """Carry out any planned action; S3 errors come back as ActionRefused."""
        key = self.listing.identity(step.action.key)
        try:
            return self._execute(step, key, now)
        except self.client_error as exc:
            error = exc.response.get("Error", {})
            raise ActionRefused(f"s3://{self.bucket}/{key}: {error.get('Code')}: {error.get('Message')}") from exc

    def _execute(self, step: Step, key: str, now: datetime) -> Outcome:
        kind, before = step.action.action, step.before
        version = before.get("VersionId")
        if kind == TRANSITION:
            return self._transition(step, key, now)
        if kind == TRANSITION_NONCURRENT:
            raise ActionRefused(
                f"S3 has no request that changes the class of a noncurrent version (s3://{self.bucket}/{key})",
                hint=_push_hint(self.bucket),
            )
        if kind == EXPIRE:
            head = self._head(key)
            if head is not None:
                if not self._same(head, before):
                    raise _changed(f"s3://{self.bucket}/{key}")
                self.client.delete_object(Bucket=self.bucket, Key=key)
            return Outcome(APPLIED, {"Deleted": True}, forget=(self.listing.root, key))
        if kind == DELETE_MARKER:
            head = self._head(key)
            if head is None:
                return Outcome(APPLIED, {"DeleteMarker": True}, forget=(self.listing.root, key))
            if head.get("VersionId") != version:
                raise _changed(f"s3://{self.bucket}/{key}")
            marker = self.client.delete_object(Bucket=self.bucket, Key=key).get("VersionId")
            return Outcome(APPLIED, {"DeleteMarker": True, "VersionId": marker}, forget=(self.listing.root, key))
        if kind in (EXPIRE_NONCURRENT, REMOVE_EXPIRED_DELETE_MARKER):
            self.client.delete_object(Bucket=self.bucket, Key=key, VersionId=version)
            return Outcome(APPLIED, {"Deleted": True, "VersionId": version})
        if kind == ABORT_MULTIPART:
            return self._abort(key, step.action.upload_id or "")
        raise ActionRefused(f"unknown lifecycle action {kind}")

    def _transition(self, step: Step, key: str, now: datetime) -> Outcome:
        before, target = step.before, step.action.storage_class or ""
        version = before.get("VersionId")
        head = self._head(key)
        if head is None:
            raise _changed(f"s3://{self.bucket}/{key}")
        copied = head.get("StorageClass", "STANDARD") == target and head.get("ETag") == before.get("ETag")
        if self._same(head, before) and head.get("VersionId") == version:
            if before["Size"] > MAX_COPY:
                raise ActionRefused(
                    f"s3://{self.bucket}/{key} is larger than 5 GiB, beyond one copy_object",
                    hint=_push_hint(self.bucket),
                )
            source = {"Bucket": self.bucket, "Key": key, **({"VersionId": version} if version else {})}
            try:
                copied_to = self.client.copy_object(
                    Bucket=self.bucket, Key=key, CopySource=source, StorageClass=target, MetadataDirective="COPY"
                )
            except self.client_error as exc:
                if exc.response.get("Error", {}).get("Code") in {"ObjectNotInActiveTierError", "InvalidObjectState"}:
                    raise ActionRefused(
                        f"s3://{self.bucket}/{key} is archived in {before['StorageClass']}: "
                        "S3 copies it only once restored",
                        hint=_push_hint(self.bucket),
                    ) from exc
                raise
            head = {
                "LastModified": copied_to["CopyObjectResult"]["LastModified"],
                "VersionId": copied_to.get("VersionId"),
            }
        elif not copied:
            raise _changed(f"s3://{self.bucket}/{key}")
        if version:
            self.client.delete_object(Bucket=self.bucket, Key=key, VersionId=version)
        state = {
            "root": self.listing.root,
            "key": key,
            "storage_class": target,
            "location": f"{self.listing.root}{key}",
            "modified": head["LastModified"].timestamp(),
            "created_on": datetime.fromisoformat(before["Created"]),
            "class_since": now,
            "restored_until": None,
        }
        after = {"StorageClass": target, "LastModified": head["LastModified"].isoformat()}
        if head.get("VersionId"):
            after["VersionId"] = head["VersionId"]
        return Outcome(APPLIED, after, state)

    def _abort(self, key: str, upload_id: str) -> Outcome:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except self.client_error as exc:
            if exc.response.get("Error", {}).get("Code") != "NoSuchUpload":
                raise
        return Outcome(APPLIED, {"Aborted": True, "UploadId": upload_id})

    def _head(self, key: str) -> dict[str, Any] | None:
        """The current version's headers, or None when the key is gone or its current version is a delete marker."""
        try:
            return self.client.head_object(Bucket=self.bucket, Key=key)
        except self.client_error as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") in (404, 405):
                return None
            raise

    @staticmethod
    def _same(head: dict[str, Any], before: dict[str, Any]) -> bool:
        return head["LastModified"].timestamp() == before["Modified"] and head.get("ETag") == before.get("ETag")


def open_executor(listing: Listing) -> LocalExecutor | S3Executor:
    """The executor for a listing's storage."""
    return S3Executor(listing) if is_s3(listing.uri) else LocalExecutor(listing)
