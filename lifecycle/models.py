"""Lifecycle tables: every plan, and the journal of every action.

The state of each object (``lifecycle_objects``) is the lake's: ``sluice.lake.guard.ObjectStateRow``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sluice.clock import utcnow
from sluice.db import Base


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
