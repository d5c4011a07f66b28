"""What readers must respect: archived objects are unreadable until restored, and reads keep access times.

:func:`before_read` is what a Sluice reader calls with the files or partition folders it is about to
read. It refuses GLACIER and DEEP_ARCHIVE objects without a live restore (as S3 answers
``InvalidObjectState``) and records the access, which drives the Intelligent-Tiering analog: an object in
INTELLIGENT_TIERING is in the Frequent Access tier for 30 days after it was last read (or entered the
class), then Infrequent Access, and Archive Instant Access after 90 days; a read brings it back.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select, update

from lifecycle.config import as_utc
from lifecycle.models import ObjectStateRow
from lifecycle.state import ARCHIVED
from sluice import storage
from sluice.db import session_scope
from sluice.errors import SluiceError

INTELLIGENT_TIERING = "INTELLIGENT_TIERING"
FREQUENT = "FREQUENT"
INFREQUENT = "INFREQUENT"
ARCHIVE_INSTANT = "ARCHIVE_INSTANT"
#: Days without access after which an Intelligent-Tiering object drops to each tier.
ACCESS_TIERS = ((90, ARCHIVE_INSTANT), (30, INFREQUENT))
_CHUNK = 200


class InvalidObjectStateException(SluiceError):
    """The object is archived (GLACIER or DEEP_ARCHIVE) and not restored (S3's ``InvalidObjectState``)."""


def access_tier(last_access: datetime | None, class_since: datetime | None, now: datetime) -> str:
    """The Intelligent-Tiering access tier of an object last read at ``last_access`` (pure)."""
    since = last_access or class_since
    if since is None:
        return FREQUENT
    idle = (as_utc(now) - as_utc(since)).days
    return next((tier for days, tier in ACCESS_TIERS if idle >= days), FREQUENT)


def before_read(paths: Iterable[str], now: datetime | None = None) -> None:
    """Refuse to read archived, unrestored objects at or under ``paths``; otherwise record the read.

    ``paths`` are files or folders (local paths or ``s3://`` URIs), as they are in catalog locations;
    the rows are found by range scans over the paths' parent folders, a few queries for any number of files.
    """
    wanted = {_normal(path) for path in paths}
    if not wanted:
        return
    when = as_utc(now)
    scopes = _scopes(wanted)
    rows = []
    with session_scope() as s:
        for i in range(0, len(scopes), _CHUNK):
            query = select(
                ObjectStateRow.id,
                ObjectStateRow.key,
                ObjectStateRow.storage_class,
                ObjectStateRow.location,
                ObjectStateRow.restored_until,
            ).where(or_(*(_under(scope) for scope in scopes[i : i + _CHUNK])))
            rows += [row for row in s.execute(query) if _covered(row.location, wanted)]
        archived = [row for row in rows if row.storage_class in ARCHIVED and not _restored(row.restored_until, when)]
        if archived:
            first = archived[0]
            more = f" ({len(archived)} archived objects in what was asked)" if len(archived) > 1 else ""
            raise InvalidObjectStateException(
                f"{first.location} is archived in {first.storage_class} and cannot be read until it is restored{more}",
                hint=f"Restore it first: `sluice lifecycle restore {first.key} --days 7 --tier Standard`.",
            )
        ids = [row.id for row in rows]
        for i in range(0, len(ids), _CHUNK):
            s.execute(update(ObjectStateRow).where(ObjectStateRow.id.in_(ids[i : i + _CHUNK])).values(last_access=when))


def _scopes(paths: set[str]) -> list[str]:
    """The parent folders of ``paths``, without those inside another: rows of any path lie under one of them."""
    parents = sorted({path.rstrip("/").rpartition("/")[0] or path for path in paths})
    kept: list[str] = []
    for parent in parents:
        if not kept or not parent.startswith(kept[-1] + "/"):
            kept.append(parent)
    return kept


def _covered(location: str, paths: set[str]) -> bool:
    """True when ``location`` is one of ``paths`` or lies under one of them."""
    if location in paths:
        return True
    head = location
    while "/" in head:
        head = head.rpartition("/")[0]
        if head in paths:
            return True
    return False


def _restored(until: datetime | None, now: datetime) -> bool:
    return until is not None and as_utc(until) > now


def _normal(path: str) -> str:
    if storage.is_s3(path):
        bucket, key = storage.split_s3(path)
        return storage.join(f"s3://{bucket}", key)
    return os.path.normpath(os.path.abspath(path.removeprefix("file://")))


def _under(folder: str) -> ColumnElement[bool]:
    """The rows below ``folder``."""
    low = folder.rstrip("/") + "/"
    return and_(ObjectStateRow.location >= low, ObjectStateRow.location < low + "\U0010ffff")
