"""Lifecycle tables: the state of each object, every plan, and the journal of every action.

An object is known by where it was written, whatever class or folder it has since moved to:
``root`` is ``file://`` for local disk (``key`` the absolute path) or ``s3://bucket/`` (``key`` the S3 key).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sluice.db import Base, utcnow


class ObjectStateRow(Base):
    """Storage class, location, restore window and last access of one lake object.

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


class LifecyclePlanRow(Base):
    """One plan over a lake URI: what it was asked (``mode`` PLAN or APPLY) and how far it got.

    ``config`` is the S3 ``LifecycleConfiguration`` the plan was made with (table rules are compiled to
    one), so that an interrupted apply resumes under exactly the rules it started with. An APPLYING plan is
    a lease (``sluice.lease``): its owner is ``summary["Owner"]`` and the applying process renews ``heartbeat``.
    """

    __tablename__ = "lifecycle_plans"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    uri: Mapped[str] = mapped_column(Text, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str | None] = mapped_column(Text)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    planned_for: Mapped[datetime]
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_on: Mapped[datetime] = mapped_column(default=utcnow)
    finished_on: Mapped[datetime | None]
    heartbeat: Mapped[datetime | None]


class LifecycleActionRow(Base):
    """One planned or applied lifecycle action, with the object's state before and after."""

    __tablename__ = "lifecycle_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[str] = mapped_column(String(64), index=True)
    root: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(32))
    rule_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="PLANNED")
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    recorded_on: Mapped[datetime] = mapped_column(default=utcnow)
