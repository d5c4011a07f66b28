"""The storage-class guard, and the state of lake objects it reads (``lifecycle_objects``).

An object's storage class, restore window and last access are properties of the lake's objects:
lifecycle writes them as it tiers, restores and expires; every Sluice reader calls :func:`before_read`
with the files or partition folders it is about to read. The guard refuses GLACIER and DEEP_ARCHIVE
objects without a live restore (as S3 answers ``InvalidObjectState``) and records the access.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, Float, String, Text, UniqueConstraint, and_, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from sluice.clock import as_utc, utcnow
from sluice.db import Base
from sluice.errors import SluiceError
from sluice.lake.fs import context
from sluice.lake.paths import normalize

if TYPE_CHECKING:
    from sluice.context import SluiceContext

#: Classes whose objects must be restored before they can be read.
ARCHIVED = frozenset({"GLACIER", "DEEP_ARCHIVE"})
_CHUNK = 200


class ObjectStateRow(Base):
    """Storage class, location, restore window and last access of one lake object.

    An object is known by where it was written, whatever class or folder it has since moved to: ``root``
    is ``file://`` for local disk (``key`` the absolute path) or ``s3://bucket/`` (``key`` the S3 key).
    ``modified`` is the object's modification time (``st_mtime`` or S3 ``LastModified``) when the row was
    written: an object rewritten since then is a new object, and the row no longer applies to it.
    ``created_on`` keeps the creation time lifecycle ages count from (an in-place S3 copy resets
    ``LastModified``); ``class_since`` is when the object entered its class (early-deletion fees).
    """

    __tablename__ = "lifecycle_objects"
    __table_args__ = (UniqueConstraint("root", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    root: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(Text)
    storage_class: Mapped[str] = mapped_column(String(32), default="STANDARD")
    location: Mapped[str] = mapped_column(Text, index=True)
    modified: Mapped[float | None] = mapped_column(Float)
    created_on: Mapped[datetime | None]
    class_since: Mapped[datetime | None]
    restored_until: Mapped[datetime | None]
    last_access: Mapped[datetime | None]
    updated_on: Mapped[datetime] = mapped_column(default=utcnow)


class InvalidObjectStateException(SluiceError):
    """The object is archived (GLACIER or DEEP_ARCHIVE) and not restored (S3's ``InvalidObjectState``)."""


def before_read(paths: Iterable[str], now: datetime | None = None, *, ctx: SluiceContext | None = None) -> None:
    """Refuse to read archived, unrestored objects at or under ``paths``; otherwise record the read.

    ``paths`` are files or folders (local paths or ``s3://`` URIs), as they are in catalog locations;
    the rows are found by range scans over the paths' parent folders, a few queries for any number of files.
    """
    wanted = {normalize(path) for path in paths}
    if not wanted:
        return
    when = as_utc(now)
    scopes = _scopes(wanted)
    rows = []
    with context(ctx).session() as s:
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


def _under(folder: str) -> ColumnElement[bool]:
    """The rows below ``folder``."""
    low = folder.rstrip("/") + "/"
    return and_(ObjectStateRow.location >= low, ObjectStateRow.location < low + "\U0010ffff")
