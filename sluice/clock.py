"""The one clock: timezone-aware UTC, for every timestamp Sluice records or compares."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def as_utc(when: datetime | None = None) -> datetime:
    """``when`` as an aware UTC datetime (a naive one is taken as UTC); the current time when None."""
    if when is None:
        return utcnow()
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
